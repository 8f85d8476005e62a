import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { regionLossScenarioYaml } from './embedded.js';
import { runRegionLoss } from './run.js';
import { parseRegionLossScenario } from './scenario.js';
import type { RegionLossWorld } from './world.js';

/** The built-in scenario at a small scale: a few real seconds of load, bounded drain. */
const small = parseRegionLossScenario(
  regionLossScenarioYaml
    .replace('steady: 8s', 'steady: 1.5s')
    .replace('loss: 15s', 'loss: 2s')
    .replace('after: 20s', 'after: 4s')
    .replace('rate: 40', 'rate: 20')
    .replace(
      '{ dwell: 5s, stable_for: 2s, probes: 3, probe_interval: 0.5s, ramp: 3s }',
      '{ dwell: 1s, stable_for: 0.5s, probes: 2, probe_interval: 0.25s, ramp: 0.5s }',
    )
    .replace('drain_timeout: 30s', 'drain_timeout: 20s'),
  'small.yaml',
);

function refused(address: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: address, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('the region-loss replay', () => {
  it('loses the primary for real, counts every acknowledged write back, and stops everything', async () => {
    let world: RegionLossWorld | undefined;
    const lines: string[] = [];
    const summary = await runRegionLoss({
      scenario: small,
      onWorld: (w) => (world = w),
      onEvent: (l) => lines.push(l),
    });
    assert.equal(summary.aborted, false);
    assert.ok(
      lines.some((l) => l.includes('us-east-1 lost')),
      lines.join('\n'),
    );
    assert.ok(summary.loss.from_s !== null && summary.loss.to_s !== null && summary.loss.from_s < summary.loss.to_s);

    const keys = [
      'rto_s',
      'failback_s',
      'writes_attempted',
      'writes_acked',
      'writes_lost',
      'outbox_drained',
      'failback_flaps',
    ] as const;
    for (const group of ['baseline', 'failsmall'] as const) {
      for (const key of keys) assert.ok(key in summary.groups[group].region, `${group}.region.${key}`);
    }
    const b = summary.groups.baseline.region;
    const f = summary.groups.failsmall.region;
    // the baseline has no failover, no outbox
    assert.equal(b.rto_s, null);
    assert.equal(b.outbox_drained, null);
    assert.equal(b.failback_flaps, null);
    // every write the baseline was told succeeded is in the primary (it only succeeds there)
    assert.equal(b.writes_lost, 0);
    // failsmall: the writes during the loss were queued durably, drained after the return, and every
    // acknowledged write was read back from the primary
    assert.ok(f.writes_attempted > 0 && f.writes_attempted === b.writes_attempted, 'the same arrivals');
    assert.ok(f.writes_during_loss > 0, 'writes arrived during the loss');
    assert.equal(f.outbox_pending_at_end, 0, 'the outbox drained');
    assert.equal(f.writes_lost, 0);
    assert.ok((f.outbox_drained ?? 0) > 0, 'writes were drained from the outbox');
    assert.ok(f.writes_acked >= b.writes_acked);
    assert.ok(f.rto_s !== null && f.rto_s >= 0, 'the reads failed over');
    assert.ok(summary.failsmall_switches.some((s) => s.direction === 'failover' && s.operation === 'read'));
    assert.ok(
      summary.failsmall_switches.every((s) => s.operation === 'read'),
      'writes never leave the primary',
    );
    assert.ok(f.reads_from !== null && f.reads_from.replica > 0, 'the replica served reads');
    for (const t of Object.values(summary.targets)) assert.equal(typeof t.met, 'boolean');
    assert.doesNotThrow(() => JSON.parse(JSON.stringify(summary)));

    // everything stopped: both regions' addresses refuse connections
    const w = world!;
    for (const r of [w.primary, w.replica]) {
      const port = Number(new URL(r.endpointUrl).port);
      for (const address of r.addresses) assert.equal(await refused(address, port), true, `${address}:${port}`);
    }
  });
});
