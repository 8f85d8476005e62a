import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nearestRank } from './quantile.js';

describe('nearestRank', () => {
  it('picks the smallest value with at least q of the values at or below it', () => {
    assert.equal(nearestRank([], 0.5), undefined);
    assert.equal(nearestRank([7], 0.99), 7);
    assert.equal(nearestRank([1, 2, 3, 4], 0.5), 2);
    assert.equal(nearestRank([1, 2, 3, 4], 0.9), 4);
    assert.equal(nearestRank([1, 2, 3, 4], 0), 1);
    assert.equal(nearestRank([1, 2, 3, 4], 1), 4);
  });
});
