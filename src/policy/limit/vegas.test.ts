import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Random } from '../../core/random.js';
import { log10Root, vegas } from './vegas.js';

const fixed = (r: number): Random => ({ next: () => r });
const sample = (rtt: number, inflight: number, dropped = false) => ({ now: 0, rtt, inflight, dropped });

describe('log10Root (Netflix Log10RootFunction)', () => {
  it('is max(1, ⌊log10⌋) below 1000 and ⌊√⌋ from 1000', () => {
    assert.deepEqual([0, 1, 9, 10, 99, 100, 999, 1000, 10_000].map(log10Root), [1, 1, 1, 1, 1, 2, 2, 31, 100]);
  });
});

describe('vegas (Netflix VegasLimit)', () => {
  it('takes the first sample as the no-load RTT, and a faster one as the new baseline', () => {
    const limit = vegas({ random: fixed(0.99) });
    assert.equal(limit.onSample(sample(10, 20)), 20);
    assert.equal(limit.snapshot().rttNoLoad, 10);
    assert.equal(limit.onSample(sample(8, 20)), 20);
    assert.equal(limit.snapshot().rttNoLoad, 8);
  });

  it('grows by beta with no queue, holds in the sweet spot, shrinks past beta or on a drop', () => {
    const limit = vegas({ random: fixed(0.99) });
    limit.onSample(sample(10, 20)); // baseline 10 ms
    // queue = ⌈20 · (1 − 10/10)⌉ = 0 ≤ threshold 1: + beta (6 · log10Root(20) = 6)
    assert.equal(limit.onSample(sample(10, 20)), 26);
    // queue = ⌈26 · (1 − 10/20)⌉ = 13 > beta 6: − log10Root(26) = 1
    assert.equal(limit.onSample(sample(20, 26)), 25);
    // queue = ⌈25 · (1 − 10/11)⌉ = 3: not < alpha (3), not > beta (6): hold
    assert.equal(limit.onSample(sample(11, 25)), 25);
    // queue = ⌈25 · (1 − 10/10.5)⌉ = 2: > threshold 1, < alpha 3: + log10Root(25) = 1
    assert.equal(limit.onSample(sample(10.5, 25)), 26);
    assert.equal(limit.onSample(sample(10, 1, true)), 25); // a drop decreases, even app-limited
    assert.equal(limit.onSample(sample(10, 12)), 25); // app-limited: 12 · 2 < 25
  });

  it('re-probes the no-load RTT every probeMultiplier · limit samples (jittered)', () => {
    // jitter = 0.5 + 0.5 · 0 = 0.5: probe when 0.5 · 1 · 20 ≤ count, i.e. on the 10th sample.
    const limit = vegas({ random: fixed(0), probeMultiplier: 1, initialLimit: 20, maxLimit: 20 });
    limit.onSample(sample(10, 1));
    for (let i = 0; i < 8; i++) limit.onSample(sample(50, 1));
    assert.equal(limit.snapshot().rttNoLoad, 10);
    limit.onSample(sample(50, 1)); // the 10th
    assert.equal(limit.snapshot().rttNoLoad, 50);
  });

  it('smooths changes, and takes fixed thresholds', () => {
    const limit = vegas({ random: fixed(0.99), smoothing: 0.5, alpha: 2, beta: 4, threshold: 0 });
    limit.onSample(sample(10, 20));
    limit.onSample(sample(10, 20)); // + beta 4, halved by smoothing
    assert.equal(limit.snapshot().estimatedLimit, 22);
  });

  it('validates its options with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ alpha: -1 }, 'Expected `alpha` to be a finite number >= 0, got -1'],
      [{ beta: 'x' }, 'Expected `beta` to be a finite number >= 0, got "x"'],
      [{ threshold: NaN }, 'Expected `threshold` to be a finite number >= 0, got NaN'],
      [{ smoothing: 0 }, 'Expected `smoothing` to be a number in (0, 1], got 0'],
      [{ probeMultiplier: 0 }, 'Expected `probeMultiplier` to be a positive integer, got 0'],
      [{ random: {} }, 'Expected `random` to be a Random, got object'],
      [
        { initialLimit: 2_000, maxLimit: 1_000 },
        'Expected `initialLimit` to be an integer in [minLimit, maxLimit] ([1, 1000]), got 2000',
      ],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => vegas(options as never), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });
});
