import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { exponential, NormalPairs, randomInt, seededRandom } from './random.js';

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

describe('NormalPairs', () => {
  it('draws Normal(mean, sd), two numbers per pair of uniform draws, reproducibly', () => {
    let draws = 0;
    const source = seededRandom(5);
    const counted = { next: () => (draws++, source.next()) };
    const normal = new NormalPairs(counted);
    const n = 100_000;
    let sum = 0;
    let squares = 0;
    for (let i = 0; i < n; i++) {
      const x = normal.next(10, 2);
      assert.ok(Number.isFinite(x));
      sum += x;
      squares += x * x;
    }
    assert.equal(draws, n, 'one uniform draw per normal number');
    const mean = sum / n;
    const sd = Math.sqrt(squares / n - mean * mean);
    assert.ok(Math.abs(mean - 10) < 0.05, `mean ${mean}`);
    assert.ok(Math.abs(sd - 2) < 0.05, `sd ${sd}`);
    const a = new NormalPairs(seededRandom(9));
    const b = new NormalPairs(seededRandom(9));
    for (let i = 0; i < 10; i++) assert.equal(a.next(0, 1), b.next(0, 1));
    assert.ok(Number.isFinite(new NormalPairs({ next: () => 0 }).next(0, 1)), 'a draw of 0 stays finite');
  });
});
