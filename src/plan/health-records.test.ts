import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { HealthMonitor } from '../health/monitor.js';
import { providerSource } from '../health/source.js';
import { planBody } from '../test-support/plan-body.js';
import { planFromHealthy, recordsFromHealthy } from './health-records.js';

describe('plans from the healthy set', () => {
  it('scales slow-start weights to 1..maxWeight and keeps the family of the record set', () => {
    const healthy = [
      { weight: 1, target: { address: '192.0.2.10' } },
      { weight: 0.1, target: { address: '192.0.2.11' } },
      { weight: 0.001, target: { address: '192.0.2.12' } },
      { weight: 1, target: { address: '2001:db8::1' } },
    ];
    assert.deepEqual(recordsFromHealthy(healthy, 'A'), [
      { address: '192.0.2.10', weight: 100 },
      { address: '192.0.2.11', weight: 10 },
      { address: '192.0.2.12', weight: 1 },
    ]);
    assert.deepEqual(recordsFromHealthy(healthy, 'AAAA', 255), [{ address: '2001:db8::1', weight: 255 }]);
    assert.throws(() => recordsFromHealthy(healthy, 'A', 0), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });

  it("turns a monitor's round into a checked plan body", async () => {
    const down = new Set(['b']);
    const monitor = new HealthMonitor({
      targets: ['a', 'b', 'c'].map((id, i) => ({ id, address: `192.0.2.${10 + i}` })),
      sources: [providerSource('p', (t) => !down.has(t.id), { rise: 1, fall: 1 })],
      guardrails: { maxRemovedShare: 0.5, floor: 0, holdDown: 0, slowStart: false },
      clock: new VirtualClock(0),
    });
    await monitor.evaluate();
    const body = planFromHealthy(
      { zone: 'example.com', name: 'API.example.com', type: 'A', ttl: 60 },
      monitor.healthy(),
    );
    assert.deepEqual(
      body,
      planBody([
        { address: '192.0.2.10', weight: 100 },
        { address: '192.0.2.12', weight: 100 },
      ]),
    );
  });
});
