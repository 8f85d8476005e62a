import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failbackWritesLost, measureRecovery, writesLost } from './measure.js';

const s = (at: number, ok: boolean) => ({ at, ok });

describe('measureRecovery', () => {
  it('detection is the first failing sample after the fault, recovery the first passing one after it', () => {
    const r = measureRecovery([s(0, true), s(500, false), s(1000, false), s(2000, true), s(2500, false)], 100);
    assert.deepEqual(r, { from: 100, detectedAt: 500, recoveredAt: 2000, timeToDetectS: 0.4, rtoS: 1.9 });
  });
  it('never lost: RTO 0, no detection', () => {
    assert.deepEqual(measureRecovery([s(0, false), s(500, true)], 100), {
      from: 100,
      detectedAt: undefined,
      recoveredAt: undefined,
      timeToDetectS: undefined,
      rtoS: 0,
    });
  });
  it('lost and never regained: no RTO', () => {
    assert.equal(measureRecovery([s(500, false)], 0).rtoS, undefined);
  });
  it('stops at `until` (the failback)', () => {
    assert.equal(measureRecovery([s(500, false), s(3000, true)], 0, 2000).rtoS, undefined);
  });
});

describe('writesLost', () => {
  it('counts writes acknowledged before the instant and missing after it', () => {
    const acked = [
      { key: 'a', ackedAt: 10 },
      { key: 'b', ackedAt: 20 },
      { key: 'c', ackedAt: 30 },
    ];
    assert.deepEqual(writesLost(acked, new Set(['b', 'c']), 25), ['b']);
    assert.deepEqual(writesLost(acked, new Set(['a', 'c']), 35, 15), ['c']);
  });
});

describe('failbackWritesLost', () => {
  it("counts only what the failback lost: a write already missing when it began is the fault's", () => {
    // 'b' was acknowledged while the fault's kill was under way and was lost with the region: it is
    // missing at the failback and at the end, and counts for the fault only. 'd' is lost by the failback.
    const acked = ['a', 'b', 'c', 'd'].map((key, i) => ({ key, ackedAt: 10 * (i + 1) }));
    assert.deepEqual(failbackWritesLost(acked, new Set(['b']), new Set(['b', 'd']), 45), ['d']);
    assert.deepEqual(failbackWritesLost(acked, new Set(['b']), new Set(['b']), 45), []);
  });
});
