import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LatencyWindow } from './latency-window.js';

describe('LatencyWindow', () => {
  it('keeps the latest samples and a nearest-rank quantile', () => {
    const w = new LatencyWindow(0.5, 4);
    assert.ok(Number.isNaN(w.value()));
    for (const v of [1, 2, 3, 4, 100, 100]) w.record(v);
    w.record(NaN);
    w.record(-1);
    assert.equal(w.count, 4);
    assert.equal(w.value(), 4); // window [3, 4, 100, 100]
  });

  it('property: the cached value is the nearest-rank quantile of the latest samples, within one refresh', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 64 }),
        fc.array(fc.integer({ min: 0, max: 10_000 }), { minLength: 1, maxLength: 300 }),
        (p, size, samples) => {
          const w = new LatencyWindow(p, size);
          for (const s of samples) w.record(s);
          const latest = samples.slice(-size);
          // size < 16 refreshes on every sample; larger windows may lag by < size/16 samples.
          if (size < 16) {
            const sorted = [...latest].sort((a, b) => a - b);
            assert.equal(w.value(), sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]);
          } else {
            const v = w.value();
            assert.ok(v >= Math.min(...samples) && v <= Math.max(...samples));
          }
          assert.equal(w.count, Math.min(size, samples.length));
        },
      ),
    );
  });

  it('validates p and window', () => {
    assert.throws(() => new LatencyWindow(0, 10), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new LatencyWindow(1.5, 10), {
      message: 'Expected `percentile.p` to be a number in (0, 1], got 1.5',
    });
    assert.throws(() => new LatencyWindow(0.5, 0), {
      message: 'Expected `percentile.window` to be a positive integer, got 0',
    });
  });
});
