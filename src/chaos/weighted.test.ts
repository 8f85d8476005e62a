import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../core/random.js';
import { isWeighted, weightedOrder } from './weighted.js';

describe('weighted record sets', () => {
  it('serves an unweighted set in stored order, as the same array', () => {
    const records = [{ value: 'a' }, { value: 'b' }];
    assert.ok(!isWeighted(records));
    assert.equal(weightedOrder(records, seededRandom(1)), records);
  });

  it('puts each value first in proportion to its weight', () => {
    const records = [
      { value: 'a', weight: 3 },
      { value: 'b', weight: 1 },
      { value: 'c', weight: 0 },
    ];
    const random = seededRandom(7);
    const first: Record<string, number> = { a: 0, b: 0, c: 0 };
    const n = 20_000;
    for (let i = 0; i < n; i++) {
      const order = weightedOrder(records, random);
      assert.equal(order.length, 2, 'weight 0 is out of rotation');
      first[order[0]!.value]!++;
    }
    assert.ok(Math.abs(first['a']! / n - 0.75) < 0.02, `a first ${first['a']! / n}`);
    assert.equal(first['c'], 0);
  });

  it('serves every value in random order when all weights are 0, and counts a missing weight as 1', () => {
    const random = seededRandom(3);
    const allZero = [
      { value: 'a', weight: 0 },
      { value: 'b', weight: 0 },
    ];
    const firsts = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const order = weightedOrder(allZero, random);
      assert.equal(order.length, 2);
      firsts.add(order[0]!.value);
    }
    assert.equal(firsts.size, 2);
    const mixed = [{ value: 'a', weight: 1 }, { value: 'b' }];
    assert.equal(weightedOrder(mixed, random).length, 2);
  });

  it('always returns a permutation of the positive-weight values (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 10 }),
        fc.integer(),
        (weights, seed) => {
          const records = weights.map((weight, i) => ({ value: String(i), weight }));
          const order = weightedOrder(records, seededRandom(seed));
          const expected = weights.some((w) => w > 0) ? records.filter((r) => r.weight > 0) : records;
          assert.deepEqual(order.map((r) => r.value).sort(), expected.map((r) => r.value).sort());
        },
      ),
    );
  });
});
