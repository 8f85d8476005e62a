import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCollapse, type CollapseOptions } from './collapse.js';

/** How many of seeds 1..10 recover. Deterministic: each seed replays exactly. */
function recoveries(options: CollapseOptions): number {
  let n = 0;
  for (let seed = 1; seed <= 10; seed++) if (runCollapse({ ...options, seed }).recovered) n++;
  return n;
}

describe('metastable collapse model', () => {
  it('matches the published result: a 5 s spike to 80/s collapses without backoff and recovers with it', () => {
    assert.ok(recoveries({ backoff: 'none' }) <= 3, 'without backoff most runs stay collapsed');
    assert.equal(recoveries({ backoff: 'jitter' }), 10, 'with backoff and jitter every run recovers');
  });

  it('a 3 s spike, or a spike to 60/s, recovers even without backoff', () => {
    assert.ok(recoveries({ backoff: 'none', spikeS: 3 }) >= 8);
    assert.equal(recoveries({ backoff: 'none', spikeRps: 60 }), 10);
  });

  it('reports goodput and retries per second, reproducibly', () => {
    const a = runCollapse({ seed: 3 });
    const b = runCollapse({ seed: 3 });
    assert.deepEqual(a.goodput_per_s, b.goodput_per_s);
    assert.equal(a.goodput_per_s.length, 80);
    assert.equal(a.retries_per_s.length, 80);
    const before = a.goodput_per_s.slice(5, 20).reduce((x, y) => x + y, 0) / 15;
    assert.ok(before > 30 && before < 50, `steady goodput before the spike: ${before}/s`);
  });

  it('rejects bad parameters', () => {
    assert.throws(() => runCollapse({ tries: 0 }), /Expected `tries` to be a positive integer, got 0/);
    assert.throws(
      () => runCollapse({ backoff: 'linear' as never }),
      /Expected `backoff` to be one of "none", "jitter", got "linear"/,
    );
  });
});
