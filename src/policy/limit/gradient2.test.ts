import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gradient2 } from './gradient2.js';
import type { Limit } from './limit.js';
import { assertInvalidOptions } from '../../test-support/invalid-options.js';

const estimate = (limit: Limit): number => limit.snapshot().estimatedLimit as number;
const longRtt = (limit: Limit): number => limit.snapshot().longRtt as number;
const close = (actual: number, expected: number, what: string): void =>
  assert.ok(Math.abs(actual - expected) < 1e-9, `${what}: ${actual} ≠ ${expected}`);

/**
 * One Gradient2 step by hand: gradient = clamp(1.5 · long / short, 0.5, 1),
 * limit' = limit · 0.8 + (limit · gradient + 4) · 0.2.
 */
function step(limit: number, long: number, short: number): number {
  const gradient = Math.max(0.5, Math.min(1, (1.5 * long) / short));
  return limit * 0.8 + (limit * gradient + 4) * 0.2;
}

describe('gradient2 (Netflix Gradient2Limit)', () => {
  it('grows by queueSize · smoothing per sample while the RTT is steady', () => {
    const limit = gradient2({ initialLimit: 20 });
    limit.onSample({ now: 0, rtt: 10, inflight: 20, dropped: false });
    close(estimate(limit), 20.8, 'estimate');
    assert.equal(limit.limit, 20);
    limit.onSample({ now: 1, rtt: 10, inflight: 20, dropped: false });
    close(estimate(limit), 21.6, 'estimate');
    assert.equal(limit.limit, 21);
  });

  it('shrinks by the RTT gradient when latency rises, matching the formula step by step', () => {
    const limit = gradient2({ initialLimit: 50 });
    let expected = 50;
    // Warm-up: the long RTT is the plain mean of the first 10 samples.
    for (let i = 0; i < 10; i++) {
      limit.onSample({ now: i, rtt: 10, inflight: 50, dropped: false });
      expected = step(expected, 10, 10);
    }
    close(longRtt(limit), 10, 'long RTT after warm-up');
    close(estimate(limit), expected, 'estimate after warm-up');
    // Then an EMA with factor 2/601: a queue builds, the RTT triples.
    let long = 10;
    for (let i = 0; i < 5; i++) {
      limit.onSample({ now: 100 + i, rtt: 30, inflight: 100, dropped: false });
      long = long * (1 - 2 / 601) + 30 * (2 / 601);
      expected = step(expected, long, 30);
      close(longRtt(limit), long, `long RTT ${i}`);
      close(estimate(limit), expected, `estimate ${i}`);
    }
    assert.ok(limit.limit < 50);
  });

  it('cuts by at most half per step (gradient floor 0.5)', () => {
    const limit = gradient2({ initialLimit: 100, smoothing: 1, queueSize: 0, warmup: 1 });
    limit.onSample({ now: 0, rtt: 1, inflight: 100, dropped: false }); // long = 1
    limit.onSample({ now: 1, rtt: 1_000_000, inflight: 100, dropped: false });
    assert.equal(limit.limit, 50);
  });

  it('holds while app-limited, but still learns the RTT', () => {
    const limit = gradient2({ initialLimit: 20 });
    limit.onSample({ now: 0, rtt: 10, inflight: 9, dropped: false });
    assert.equal(estimate(limit), 20);
    assert.equal(longRtt(limit), 10);
  });

  it('pulls a stale long RTT down by 5 % per sample once load goes away', () => {
    const limit = gradient2({ initialLimit: 20, warmup: 1 });
    limit.onSample({ now: 0, rtt: 100, inflight: 1, dropped: false }); // long = 100
    limit.onSample({ now: 1, rtt: 10, inflight: 1, dropped: false });
    const ema = 100 * (1 - 2 / 601) + 10 * (2 / 601);
    close(longRtt(limit), ema * 0.95, 'decayed long RTT');
  });

  it('ignores drops (it reads latency only) and survives a zero RTT', () => {
    const limit = gradient2({ initialLimit: 20 });
    limit.onSample({ now: 0, rtt: 0, inflight: 20, dropped: true });
    limit.onSample({ now: 1, rtt: 0, inflight: 20, dropped: true });
    close(estimate(limit), 21.6, 'estimate');
  });

  it('takes queueSize as a function of the limit, and keeps a broken one within bounds', () => {
    const sqrt = gradient2({ initialLimit: 100, queueSize: (l) => Math.sqrt(l) });
    sqrt.onSample({ now: 0, rtt: 10, inflight: 100, dropped: false });
    close(estimate(sqrt), 102, 'estimate'); // 100 + 0.2 · √100
    const broken = gradient2({ initialLimit: 30, minLimit: 5, queueSize: () => NaN });
    broken.onSample({ now: 0, rtt: 10, inflight: 30, dropped: false });
    assert.equal(broken.limit, 5);
    assert.equal(estimate(broken), 5);
  });

  it('has Netflix defaults except a floor of 1', () => {
    assert.deepEqual(gradient2().snapshot(), {
      kind: 'gradient2',
      limit: 20,
      minLimit: 1,
      maxLimit: 200,
      estimatedLimit: 20,
      longRtt: 0,
      lastRtt: 0,
      smoothing: 0.2,
      rttTolerance: 1.5,
    });
  });

  it('validates its options with exact messages', () => {
    assertInvalidOptions(gradient2, [
      [{ smoothing: 0 }, 'Expected `smoothing` to be a number in (0, 1], got 0'],
      [{ smoothing: 1.1 }, 'Expected `smoothing` to be a number in (0, 1], got 1.1'],
      [{ queueSize: -1 }, 'Expected `queueSize` to be a finite number >= 0, got -1'],
      [{ queueSize: '4' }, 'Expected `queueSize` to be a finite number >= 0, got "4"'],
      [{ longWindow: 0 }, 'Expected `longWindow` to be a positive integer, got 0'],
      [{ warmup: 2.5 }, 'Expected `warmup` to be a positive integer, got 2.5'],
      [{ rttTolerance: 0.9 }, 'Expected `rttTolerance` to be a finite number >= 1, got 0.9'],
      [{ maxLimit: 0 }, 'Expected `maxLimit` to be a positive integer, got 0'],
      [null, 'Expected `options` to be an object, got null'],
    ]);
  });
});
