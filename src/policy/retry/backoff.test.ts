import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { seededRandom } from '../../core/random.js';
import type { Random } from '../../core/random.js';
import {
  constantBackoff,
  decorrelatedJitter,
  defaultBackoff,
  equalJitter,
  exponentialBackoff,
  fullJitter,
} from './backoff.js';
import type { Backoff } from './backoff.js';

const fixed = (r: number): Random => ({ next: () => r });
const huge = [1, 2, 1025, 1_000_000, Number.MAX_SAFE_INTEGER, Infinity, NaN, 0, -5, 2.5];

function assertSane(backoff: Backoff, attempt: number, previous: number, random: Random, cap: number): number {
  const delay = backoff.next(attempt, previous, random);
  assert.ok(Number.isFinite(delay), `${backoff.kind}(${attempt}) = ${delay} is not finite`);
  assert.ok(delay >= 0, `${backoff.kind}(${attempt}) = ${delay} is negative`);
  assert.ok(delay <= cap, `${backoff.kind}(${attempt}) = ${delay} exceeds cap ${cap}`);
  return delay;
}

describe('backoff formulas (AWS "Exponential Backoff and Jitter")', () => {
  it('constant returns the same delay', () => {
    const b = constantBackoff(250);
    assert.equal(b.kind, 'constant');
    for (const a of huge) assert.equal(b.next(a, 0, fixed(0.5)), 250);
  });

  it('exponential doubles from base and stops at cap', () => {
    const b = exponentialBackoff({ base: 100, cap: 1_000 });
    assert.deepEqual(
      [1, 2, 3, 4, 5, 6].map((a) => b.next(a, 0, fixed(0.9))),
      [100, 200, 400, 800, 1000, 1000],
    );
  });

  it('full jitter is random(0, min(cap, base * 2^n))', () => {
    const b = fullJitter({ base: 100, cap: 1_000 });
    assert.equal(b.next(3, 0, fixed(0)), 0);
    assert.equal(b.next(3, 0, fixed(0.5)), 200);
    assert.equal(b.next(10, 0, fixed(0.5)), 500);
  });

  it('equal jitter is t/2 + random(0, t/2)', () => {
    const b = equalJitter({ base: 100, cap: 1_000 });
    assert.equal(b.next(3, 0, fixed(0)), 200);
    assert.equal(b.next(3, 0, fixed(0.5)), 300);
    assert.equal(b.next(20, 0, fixed(0.5)), 750);
  });

  it('decorrelated jitter is min(cap, random(base, previous * 3)), previous starting at base', () => {
    const b = decorrelatedJitter({ base: 100, cap: 1_000 });
    assert.equal(b.next(1, 0, fixed(0.5)), 100); // previous 0 -> base
    assert.equal(b.next(2, 100, fixed(0.5)), 200); // 100 + 0.5 * (300 - 100)
    assert.equal(b.next(3, 200, fixed(0)), 100);
    assert.equal(b.next(4, 900, fixed(0.99)), 1000); // capped
  });

  it('defaults to base 100 ms, cap 20 s full jitter (AWS SDK v3 standard mode)', () => {
    assert.equal(defaultBackoff.kind, 'full-jitter');
    assert.equal(defaultBackoff.next(1, 0, fixed(0.5)), 50);
    assert.equal(defaultBackoff.next(100, 0, fixed(0.5)), 10_000);
  });

  it('never yields NaN, Infinity or a negative delay, whatever the attempt count', () => {
    const strategies: [Backoff, number][] = [
      [exponentialBackoff({ base: 100, cap: 20_000 }), 20_000],
      [fullJitter({ base: 100, cap: 20_000 }), 20_000],
      [equalJitter({ base: 100, cap: 20_000 }), 20_000],
      [decorrelatedJitter({ base: 100, cap: 20_000 }), 20_000],
      [exponentialBackoff({ base: 1e300, cap: Number.MAX_VALUE }), Number.MAX_VALUE],
      [fullJitter({ base: Number.MIN_VALUE, cap: Number.MAX_VALUE }), Number.MAX_VALUE],
      [decorrelatedJitter({ base: 1, cap: Number.MAX_VALUE }), Number.MAX_VALUE],
    ];
    for (const [b, cap] of strategies) {
      for (const attempt of huge) {
        for (const previous of [0, 100, 19_999, 1e308, Infinity, NaN, -1]) {
          for (const r of [0, 0.5, 0.999_999]) assertSane(b, attempt, previous, fixed(r), cap);
        }
      }
    }
    // The cockatiel failure mode: 2 ** 1025 overflows. Here attempt 1025 and beyond are just `cap`.
    const e = exponentialBackoff({ base: 100, cap: 20_000 });
    assert.equal(e.next(1025, 0, fixed(0)), 20_000);
    assert.equal(e.next(1e6, 0, fixed(0)), 20_000);
    assert.equal(e.next(Number.MAX_SAFE_INTEGER, 0, fixed(0)), 20_000);
    const big = exponentialBackoff({ base: 1, cap: Number.MAX_VALUE });
    assert.ok(Number.isFinite(big.next(Number.MAX_SAFE_INTEGER, 0, fixed(0))));
  });

  it('stays within bounds for subnormal windows (regression: t/2 rounding up)', () => {
    const t = 5.4e-323;
    assert.ok(equalJitter({ base: t, cap: t }).next(1, 0, fixed(0.9166666666666667)) <= t);
  });

  it('clamps a faulty random source into [0, 1)', () => {
    for (const r of [NaN, -1, 1, 7, Infinity]) {
      for (const b of [fullJitter(), equalJitter(), decorrelatedJitter()]) assertSane(b, 5, 300, fixed(r), 20_000);
    }
  });
});

describe('backoff bounds (property-based)', () => {
  const options = fc
    // base > 0: a base of 0 is rejected (it would only yield 0), see the options test.
    .tuple(
      fc.double({ min: Number.MIN_VALUE, max: 1e6, noNaN: true }),
      fc.double({ min: Number.MIN_VALUE, max: 1e7, noNaN: true }),
    )
    .map(([a, b]) => ({ base: Math.min(a, b), cap: Math.max(a, b) }));
  const attempt = fc.oneof(
    fc.integer({ min: 1, max: 64 }),
    fc.constantFrom(1025, 1e6, Number.MAX_SAFE_INTEGER),
    fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
  );
  const random = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

  it('exponential: min(cap, base*2^n), non-decreasing in attempt', () => {
    fc.assert(
      fc.property(options, attempt, ({ base, cap }, a) => {
        const b = exponentialBackoff({ base, cap });
        const d = b.next(a, 0, fixed(0));
        assert.ok(Number.isFinite(d) && d >= Math.min(base, cap) && d <= cap);
        assert.ok(b.next(a + 1, 0, fixed(0)) >= d);
      }),
    );
  });

  it('full jitter stays in [0, min(cap, base*2^n)]', () => {
    fc.assert(
      fc.property(options, attempt, random, ({ base, cap }, a, r) => {
        const ceiling = exponentialBackoff({ base, cap }).next(a, 0, fixed(0));
        const d = fullJitter({ base, cap }).next(a, 0, fixed(r));
        assert.ok(Number.isFinite(d) && d >= 0 && d <= ceiling);
      }),
    );
  });

  it('equal jitter stays in [t/2, t]', () => {
    fc.assert(
      fc.property(options, attempt, random, ({ base, cap }, a, r) => {
        const t = exponentialBackoff({ base, cap }).next(a, 0, fixed(0));
        const d = equalJitter({ base, cap }).next(a, 0, fixed(r));
        assert.ok(Number.isFinite(d) && d >= t / 2 && d <= t);
      }),
    );
  });

  it('decorrelated jitter stays in [base, cap] along any chain of delays', () => {
    fc.assert(
      fc.property(options, fc.array(random, { minLength: 1, maxLength: 50 }), ({ base, cap }, draws) => {
        const b = decorrelatedJitter({ base, cap });
        let previous = 0;
        draws.forEach((r, i) => {
          const d = b.next(i + 1, previous, fixed(r));
          assert.ok(Number.isFinite(d) && d >= base && d <= cap, `${d} outside [${base}, ${cap}]`);
          assert.ok(d <= Math.max(base, previous * 3));
          previous = d;
        });
      }),
    );
  });

  it('replays exactly under a seeded random', () => {
    const run = (): number[] => {
      const random = seededRandom(7);
      const b = decorrelatedJitter();
      let previous = 0;
      return Array.from({ length: 10 }, (_, i) => (previous = b.next(i + 1, previous, random)));
    };
    assert.deepEqual(run(), run());
  });
});

describe('backoff option validation', () => {
  const code = { code: 'FS_ERR_INVALID_ARGUMENT' };
  it('rejects bad options with FS_ERR_INVALID_ARGUMENT and an exact message', () => {
    assert.throws(() => constantBackoff(-1), code);
    assert.throws(() => constantBackoff(-1), { message: 'Expected `delay` to be a finite number >= 0, got -1' });
    assert.throws(() => fullJitter({ base: NaN }), { message: 'Expected `base` to be a finite number > 0, got NaN' });
    // A backoff that could only yield 0 is an error, for every exponential strategy.
    for (const make of [exponentialBackoff, fullJitter, equalJitter, decorrelatedJitter]) {
      assert.throws(() => make({ base: 0 }), { message: 'Expected `base` to be a finite number > 0, got 0' });
      assert.throws(() => make({ base: 0, cap: 0 }), { message: 'Expected `base` to be a finite number > 0, got 0' });
    }
    assert.throws(() => equalJitter({ cap: Infinity }), {
      message: 'Expected `cap` to be a finite number >= 0, got Infinity',
    });
    assert.throws(() => decorrelatedJitter({ base: 500, cap: 100 }), {
      message: 'Expected `cap` to be a finite number >= base (500), got 100',
    });
    assert.throws(() => exponentialBackoff(5 as never), { message: 'Expected `options` to be an object, got 5' });
    assert.throws(() => exponentialBackoff({ base: '1' as never }), code);
  });
});
