import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { seededRandom } from '../../core/random.js';
import { aimd } from './aimd.js';
import { checkSample, fixedLimit, resolveBounds } from './limit.js';
import type { Limit, LimitChange, LimitSample } from './limit.js';
import { gradient2 } from './gradient2.js';
import { vegas } from './vegas.js';
import { assertInvalidOptions } from '../../test-support/invalid-options.js';
import { windowedLimit } from './windowed.js';

describe('fixedLimit', () => {
  it('never changes', () => {
    const limit = fixedLimit(7);
    assert.equal(limit.kind, 'fixed');
    for (const dropped of [true, false]) {
      assert.equal(limit.onSample({ now: 0, rtt: 1e6, inflight: 7, dropped }), 7);
    }
    assert.deepEqual(limit.snapshot(), { kind: 'fixed', limit: 7, minLimit: 7, maxLimit: 7 });
  });

  it('validates its size', () => {
    assert.throws(() => fixedLimit(0), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `limit` to be a positive integer, got 0',
    });
  });
});

describe('checkSample', () => {
  it('names the bad field with an exact message', () => {
    const good: LimitSample = { now: 0, rtt: 1, inflight: 1, dropped: false };
    const cases: [unknown, string][] = [
      [null, 'Expected `sample` to be an object, got null'],
      [{ ...good, now: Infinity }, 'Expected `sample.now` to be a finite number, got Infinity'],
      [{ ...good, rtt: NaN }, 'Expected `sample.rtt` to be a finite number >= 0, got NaN'],
      [{ ...good, rtt: -1 }, 'Expected `sample.rtt` to be a finite number >= 0, got -1'],
      [{ ...good, inflight: -1 }, 'Expected `sample.inflight` to be a non-negative integer, got -1'],
      [{ ...good, inflight: 1.5 }, 'Expected `sample.inflight` to be a non-negative integer, got 1.5'],
      [{ ...good, dropped: 'yes' }, 'Expected `sample.dropped` to be a boolean, got "yes"'],
    ];
    for (const [sample, message] of cases) {
      assert.throws(() => checkSample(sample as LimitSample), { code: 'FS_ERR_INVALID_ARGUMENT', message });
      assert.throws(() => aimd().onSample(sample as LimitSample), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });
});

describe('resolveBounds', () => {
  const defaults = { initialLimit: 20, minLimit: 20, maxLimit: 200 };

  it('uses the defaults, and lets an explicit bound move a default one', () => {
    assert.deepEqual(resolveBounds({}, defaults), defaults);
    assert.deepEqual(resolveBounds({ initialLimit: 5 }, defaults), { initialLimit: 5, minLimit: 5, maxLimit: 200 });
    assert.deepEqual(resolveBounds({ initialLimit: 500 }, defaults), {
      initialLimit: 500,
      minLimit: 20,
      maxLimit: 500,
    });
    assert.deepEqual(resolveBounds({ minLimit: 300 }, defaults), { initialLimit: 300, minLimit: 300, maxLimit: 300 });
    assert.deepEqual(resolveBounds({ maxLimit: 10, minLimit: 1 }, defaults), {
      initialLimit: 10,
      minLimit: 1,
      maxLimit: 10,
    });
  });

  it('rejects contradictory bounds with exact messages', () => {
    assertInvalidOptions(
      (options: object) => resolveBounds(options, defaults),
      [
        [{ minLimit: 0 }, 'Expected `minLimit` to be a positive integer, got 0'],
        [{ maxLimit: 2.5 }, 'Expected `maxLimit` to be a positive integer, got 2.5'],
        [{ initialLimit: -3 }, 'Expected `initialLimit` to be a positive integer, got -3'],
        [{ minLimit: 10, maxLimit: 5 }, 'Expected `maxLimit` to be an integer >= minLimit (10), got 5'],
        [
          { initialLimit: 300, maxLimit: 100 },
          'Expected `initialLimit` to be an integer in [minLimit, maxLimit] ([20, 100]), got 300',
        ],
      ],
    );
  });
});

describe('limit change events', () => {
  it('fire on the Limit and on failsmall:policy:limit only when the limit changes', () => {
    const limit = aimd({ initialLimit: 10 });
    const events: LimitChange[] = [];
    const published: unknown[] = [];
    const onMessage = (m: unknown): void => void published.push(m);
    const sub = limit.onChange.on((e) => events.push(e));
    diagnostics.subscribe('failsmall:policy:limit', onMessage);
    try {
      limit.onSample({ now: 1, rtt: 5, inflight: 10, dropped: false }); // 11
      limit.onSample({ now: 2, rtt: 5, inflight: 1, dropped: false }); // app-limited: unchanged
      limit.onSample({ now: 3, rtt: 5, inflight: 11, dropped: true }); // 9
      assert.deepEqual(events, [
        { type: 'limit', kind: 'aimd', limit: 11, previous: 10, now: 1 },
        { type: 'limit', kind: 'aimd', limit: 9, previous: 11, now: 3 },
      ]);
      assert.deepEqual(published, events);
    } finally {
      sub.dispose();
      diagnostics.unsubscribe('failsmall:policy:limit', onMessage);
    }
  });
});

describe('property: every limit stays an integer within [minLimit, maxLimit]', () => {
  const sample = fc.record({
    dt: fc.integer({ min: 0, max: 2_000 }),
    rtt: fc.oneof(fc.constant(0), fc.double({ min: 0, max: 60_000, noNaN: true })),
    inflight: fc.integer({ min: 0, max: 400 }),
    dropped: fc.boolean(),
  });
  const bounds = fc
    .tuple(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }))
    .map(([min, span, start]) => ({ minLimit: min, maxLimit: min + span, initialLimit: min + (start % (span + 1)) }));
  const makers: [string, (b: { minLimit: number; maxLimit: number; initialLimit: number }, seed: number) => Limit][] = [
    ['aimd', (b) => aimd(b)],
    ['gradient2', (b) => gradient2(b)],
    ['gradient2 (smoothing 1, queue by limit)', (b) => gradient2({ ...b, smoothing: 1, queueSize: (l) => l })],
    ['vegas', (b, seed) => vegas({ ...b, random: seededRandom(seed), probeMultiplier: 1 })],
    ['windowed gradient2', (b) => windowedLimit(gradient2(b), { minSamples: 1, minWindow: 100, maxWindow: 500 })],
    ['windowed aimd', (b) => windowedLimit(aimd(b), { minSamples: 2 })],
  ];
  for (const [name, make] of makers) {
    it(name, () => {
      fc.assert(
        fc.property(bounds, fc.array(sample, { maxLength: 300 }), fc.integer(), (b, samples, seed) => {
          const limit = make(b, seed);
          let now = 0;
          for (const s of samples) {
            now += s.dt;
            const next = limit.onSample({ now, rtt: s.rtt, inflight: s.inflight, dropped: s.dropped });
            if (next !== limit.limit) return false;
            if (!Number.isInteger(next) || next < b.minLimit || next > b.maxLimit) return false;
          }
          return true;
        }),
        { numRuns: 200 },
      );
    });
  }
});
