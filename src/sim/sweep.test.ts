import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mergeResults, parseSeeds, shardOf } from './sweep.js';

describe('sweeps', () => {
  it('parses seed ranges and splits them into shards that cover every seed once', () => {
    assert.deepEqual(parseSeeds('0-99'), { from: 0, to: 99 });
    assert.deepEqual(parseSeeds('7'), { from: 7, to: 7 });
    const seen: number[] = [];
    for (let i = 1; i <= 3; i++) {
      const s = shardOf({ from: 0, to: 9 }, `${i}/3`);
      if (s !== undefined) for (let x = s.from; x <= s.to; x++) seen.push(x);
    }
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.equal(shardOf({ from: 0, to: 0 }, '1/2'), undefined);
  });

  it('rejects bad ranges and shards with FS_ERR_SIM_ARGUMENT', () => {
    const code = { code: 'FS_ERR_SIM_ARGUMENT' };
    assert.throws(() => parseSeeds('a-b'), code);
    assert.throws(() => parseSeeds('9-1'), code);
    assert.throws(() => shardOf({ from: 0, to: 9 }, '0/2'), code);
    assert.throws(() => shardOf({ from: 0, to: 9 }, '3/2'), code);
    assert.throws(() => shardOf({ from: 0, to: 9 }, 'x'), code);
  });

  it('merges runs per configuration: means, shares, per-index means and summed cost', () => {
    const merged = mergeResults([
      {
        model: 'collapse',
        backoff: 'none',
        spike_s: 5,
        seed: 1,
        recovered: true,
        goodput_per_s: [1, 3],
        events: 10,
        wall_s: 1,
      },
      {
        model: 'collapse',
        backoff: 'none',
        spike_s: 5,
        seed: 2,
        recovered: false,
        goodput_per_s: [3, 5],
        events: 30,
        wall_s: 1,
      },
      {
        model: 'collapse',
        backoff: 'none',
        spike_s: 3,
        seed: 1,
        recovered: true,
        goodput_per_s: [0, 0],
        events: 5,
        wall_s: 1,
      },
    ]);
    assert.equal(merged.length, 2);
    const five = merged.find((m) => m.spike_s === 5)!;
    assert.equal(five.runs, 2);
    assert.deepEqual(five.seeds, [1, 2]);
    assert.equal(five.share_recovered, 0.5);
    assert.deepEqual(five.mean_goodput_per_s, [2, 4]);
    assert.equal(five.events, 40);
    assert.equal(five.events_per_s, 20);
  });
});
