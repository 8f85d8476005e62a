import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Emitter } from '../../core/events.js';
import { aimd } from './aimd.js';
import type { Limit, LimitChange, LimitSample } from './limit.js';
import { windowedLimit } from './windowed.js';

/** A Limit that records what it is fed. */
function spy(): Limit & { samples: LimitSample[] } {
  const samples: LimitSample[] = [];
  return {
    kind: 'spy',
    limit: 10,
    minLimit: 1,
    maxLimit: 100,
    samples,
    onChange: new Emitter<LimitChange>(),
    onSample(sample) {
      samples.push({ ...sample });
      return 10;
    },
    snapshot: () => ({ kind: 'spy', limit: 10, minLimit: 1, maxLimit: 100 }),
  };
}

describe('windowedLimit (Netflix WindowedLimit)', () => {
  it('feeds one aggregate per window: mean RTT, peak in-flight, any drop', () => {
    const inner = spy();
    const limit = windowedLimit(inner, { minSamples: 3 });
    limit.onSample({ now: 0, rtt: 5, inflight: 1, dropped: false }); // closes the empty first window
    assert.equal(inner.samples.length, 0);
    limit.onSample({ now: 100, rtt: 10, inflight: 4, dropped: false });
    limit.onSample({ now: 500, rtt: 20, inflight: 9, dropped: true });
    limit.onSample({ now: 999, rtt: 30, inflight: 2, dropped: false });
    limit.onSample({ now: 1_000, rtt: 40, inflight: 3, dropped: false }); // not past the end yet
    assert.equal(inner.samples.length, 0);
    limit.onSample({ now: 1_001, rtt: 50, inflight: 1, dropped: false }); // closes it
    assert.deepEqual(inner.samples, [{ now: 1_001, rtt: 30, inflight: 9, dropped: true }]);
    assert.equal(limit.kind, 'windowed(spy)');
    assert.equal(limit.limit, 10);
    assert.equal(limit.onChange, inner.onChange);
  });

  it('discards windows with too few samples and ignores samples below minRtt', () => {
    const inner = spy();
    const limit = windowedLimit(inner, { minSamples: 2, minRtt: 1 });
    limit.onSample({ now: 0, rtt: 5, inflight: 1, dropped: false });
    limit.onSample({ now: 10, rtt: 0.5, inflight: 1, dropped: false }); // ignored
    limit.onSample({ now: 1_001, rtt: 5, inflight: 1, dropped: false }); // window of 1: discarded
    limit.onSample({ now: 1_500, rtt: 0, inflight: 1, dropped: false }); // ignored
    limit.onSample({ now: 1_600, rtt: 7, inflight: 1, dropped: false });
    limit.onSample({ now: 2_002, rtt: 9, inflight: 1, dropped: false });
    assert.deepEqual(inner.samples, [{ now: 2_002, rtt: 8, inflight: 1, dropped: false }]);
  });

  it('sizes a window as twice its smallest RTT, within [minWindow, maxWindow]', () => {
    const inner = spy();
    const limit = windowedLimit(inner, { minSamples: 1, minWindow: 100, maxWindow: 10_000 });
    limit.onSample({ now: 0, rtt: 2_000, inflight: 1, dropped: false }); // next window ends at 4 000
    limit.onSample({ now: 3_999, rtt: 2_000, inflight: 1, dropped: false });
    assert.equal(inner.samples.length, 1); // the first window (one sample) closed at 0
    limit.onSample({ now: 4_001, rtt: 2_000, inflight: 1, dropped: false });
    assert.equal(inner.samples.length, 2);
  });

  it('drives a real algorithm', () => {
    const limit = windowedLimit(aimd({ initialLimit: 10 }), { minSamples: 1 });
    for (let t = 0; t <= 5_000; t += 100) limit.onSample({ now: t, rtt: 10, inflight: 10, dropped: false });
    assert.equal(limit.limit, 15); // one increase per 1 s window
    assert.equal(limit.snapshot().kind, 'windowed(aimd)');
  });

  it('validates its arguments with exact messages', () => {
    const cases: [unknown, unknown, string][] = [
      [{}, undefined, 'Expected `limit` to be a Limit, got object'],
      [aimd(), { minWindow: 0 }, 'Expected `minWindow` to be a finite number > 0, got 0'],
      [aimd(), { minWindow: 500, maxWindow: 100 }, 'Expected `maxWindow` to be a number >= minWindow (500), got 100'],
      [aimd(), { minSamples: 0 }, 'Expected `minSamples` to be a positive integer, got 0'],
      [aimd(), { minRtt: -1 }, 'Expected `minRtt` to be a finite number >= 0, got -1'],
      [aimd(), 5, 'Expected `options` to be an object, got 5'],
    ];
    for (const [inner, options, message] of cases) {
      assert.throws(() => windowedLimit(inner as Limit, options as never), {
        code: 'FS_ERR_INVALID_ARGUMENT',
        message,
      });
    }
  });
});
