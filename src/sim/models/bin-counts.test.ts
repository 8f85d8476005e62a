import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { binCounts, countAt } from './bin-counts.js';

describe('bin counts', () => {
  it('has one bin per width of the run, the last one partial', () => {
    assert.deepEqual(binCounts(120_000, 60_000), [0, 0]);
    assert.deepEqual(binCounts(90_000, 60_000), [0, 0]);
    assert.equal(binCounts(80_000, 1000).length, 80);
  });

  it('counts an event in the bin holding it, and at or after the horizon in the last bin', () => {
    const series = binCounts(3000, 1000);
    for (const now of [0, 999, 1000, 2999, 3000, 1e9]) countAt(series, 1000, now);
    assert.deepEqual(series, [2, 1, 3]);
  });
});
