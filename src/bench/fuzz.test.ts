/**
 * The short version of `npm run bench -- fuzz`: the same soak, a few tens of thousands of packets, with
 * slow-loris and idle connections held: no crash, no internal error, probes keep being answered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../core/random.js';
import { fuzzPacket, runFuzzSoak } from './fuzz.js';

describe('fuzz soak (short)', () => {
  it('survives 20,000 hostile packets with slow-loris and idle connections, probes answered', async () => {
    const result = await runFuzzSoak({ packets: 20_000, rate: 5_000, maxSeconds: 60, slowLoris: 20, idle: 150 });
    assert.equal(result.packets, 20_000);
    assert.equal(result.crashes, 0);
    assert.equal(result.server['internalErrors'], 0);
    assert.ok(result.probes >= 1);
    assert.ok(result.probe_success_udp >= 0.9, `UDP probes ${result.probe_success_udp}`);
    assert.ok(result.probe_success_tcp >= 0.9, `TCP probes ${result.probe_success_tcp}`);
  });

  it('draws the same packets for the same seed, never an empty mix', () => {
    const a = seededRandom(5);
    const b = seededRandom(5);
    for (let i = 0; i < 200; i++) assert.deepEqual(fuzzPacket(a), fuzzPacket(b));
  });
});
