import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { exponential, randomInt, seededRandom } from './random.js';

describe('seededRandom', () => {
  it('repeats the same sequence for the same seed', () => {
    const a = seededRandom(7);
    const b = seededRandom(7);
    for (let i = 0; i < 100; i++) assert.equal(a.next(), b.next());
    assert.notEqual(seededRandom(8).next(), seededRandom(7).next());
  });

  it('stays in [0, 1) for any seed', () => {
    fc.assert(
      fc.property(fc.integer(), (seed) => {
        const r = seededRandom(seed);
        for (let i = 0; i < 50; i++) {
          const v = r.next();
          if (!(v >= 0 && v < 1)) return false;
        }
        return true;
      }),
    );
  });

  it('is roughly uniform', () => {
    const r = seededRandom(1);
    let sum = 0;
    for (let i = 0; i < 100_000; i++) sum += r.next();
    assert.ok(Math.abs(sum / 100_000 - 0.5) < 0.01);
  });

  it('draws integers in range and finite exponential gaps', () => {
    const r = seededRandom(3);
    for (let i = 0; i < 1_000; i++) {
      const n = randomInt(r, 2, 4);
      assert.ok(n >= 2 && n <= 4 && Number.isInteger(n));
      assert.ok(Number.isFinite(exponential(r, 10)));
    }
    assert.ok(Number.isFinite(exponential({ next: () => 0.999_999_999_999 }, 10)));
  });
});
