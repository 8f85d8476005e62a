import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Outcome } from './load.js';
import { scenarioYaml } from '../test-support/short-scenario.js';
import { parseScenario } from './scenario.js';
import { buildTimeline, percentile, recovery, summarize } from './timeline.js';
import type { Sample } from './timeline.js';

// 100 s of scenario at speed 10: steady 0-20, race 20-25, empty 25-60, restore 60-80, steady 80-100.
const scenario = parseScenario(scenarioYaml({ bucket: '10s' }));

/** One request per scenario second per group; `fails(t)` decides failures, `attempts(t)` the attempts. */
function outcomes(group: string, fails: (t: number) => boolean, attempts: (t: number) => number = () => 1): Outcome[] {
  return Array.from({ length: 100 }, (_, t) => {
    const ok = !fails(t);
    return {
      group,
      index: t,
      kind: t % 10 === 0 ? 'write' : 'read',
      startS: t + 0.5,
      latencyMs: ok ? 10 : 1,
      ok,
      attempts: attempts(t),
      ...(ok ? {} : { error: 'ENOTFOUND' }),
    };
  });
}

const baseline = outcomes(
  'baseline',
  (t) => t >= 25 && t < 72, // fails while empty and 12 s into the restore (cached empty answers)
  (t) => (t >= 25 && t < 72 ? 3 : 1),
);
const failsmall = outcomes('failsmall', () => false);

const samples: Sample[] = Array.from({ length: 101 }, (_, s) => ({
  atS: s,
  dnsQueries: s * 20 + (s > 25 ? (Math.min(s, 72) - 25) * 100 : 0),
  table: { requests: s * 10, rejected: 0, inService: s % 3, queued: s === 50 ? 4 : 0 },
  recordAddresses: s >= 22 && s < 60 ? 0 : 3,
  safeRecordAddresses: 3,
}));

describe('timeline', () => {
  it('computes nearest-rank percentiles', () => {
    assert.equal(percentile([], 50), null);
    assert.equal(percentile([5], 99), 5);
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    assert.equal(percentile(hundred, 50), 50);
    assert.equal(percentile(hundred, 99), 99);
  });

  it('folds outcomes and samples into buckets per group', () => {
    const tl = buildTimeline({ scenario, outcomes: [...baseline, ...failsmall], samples });
    assert.deepEqual(tl.t, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    assert.deepEqual(tl.phase, [
      'steady',
      'steady',
      'race',
      'empty',
      'empty',
      'empty',
      'restore',
      'restore',
      'steady',
      'steady',
    ]);
    assert.deepEqual(Object.keys(tl.groups), ['baseline', 'failsmall']);
    const b = tl.groups['baseline']!;
    assert.deepEqual(b.requests, Array(10).fill(10));
    assert.deepEqual(b.success, [1, 1, 0.5, 0, 0, 0, 0, 0.8, 1, 1]);
    assert.deepEqual(b.amplification, [1, 1, 2, 3, 3, 3, 3, 1.4, 1, 1]);
    assert.equal(b.p50Ms[0], 10);
    assert.equal(b.p50Ms[4], 1);
    assert.deepEqual(tl.groups['failsmall']!.success, Array(10).fill(1));
    // 20 queries per scenario second at speed 10 = 200 per real second; 1,200 during the storm
    assert.equal(tl.dnsQps[0], 200);
    assert.equal(tl.dnsQps[4], 1200);
    assert.equal(tl.table.rps[0], 100);
    assert.equal(tl.table.queued[5], 4);
    assert.deepEqual(tl.recordAddresses, [3, 3, 0, 0, 0, 0, 3, 3, 3, 3]);
    assert.deepEqual(tl.safeRecordAddresses, Array(10).fill(3));
    assert.deepEqual(tl.groups['baseline']!.dnsQps, Array(10).fill(null));
  });

  it('summarizes success during the empty window, peak amplification and recovery', () => {
    const summary = summarize({ scenario, outcomes: [...baseline, ...failsmall], samples, emptiedAtS: 22 });
    const b = summary['baseline']!;
    const f = summary['failsmall']!;
    // requests issued at 22.5 .. 59.5: 38, of which 22.5, 23.5, 24.5 succeeded
    assert.equal(b.requests_during_empty, 38);
    assert.equal(b.success_during_empty, 3 / 38);
    assert.equal(b.peak_amplification, 3);
    assert.equal(b.recovery_s, 11.5); // the last failure at 71.5, the restore at 60
    assert.deepEqual(b.errors, { ENOTFOUND: 47 });
    assert.equal(f.success_during_empty, 1);
    assert.equal(f.read_success_during_empty, 1);
    assert.equal(f.peak_amplification, 1);
    assert.equal(f.recovery_s, 0);
    assert.equal(f.p50_ms, 10);
  });

  it('says null when a group never recovers, and 0 when nothing failed after the restore', () => {
    const never = outcomes('x', (t) => t >= 25);
    assert.equal(recovery(never, 60, 10), null);
    assert.equal(
      recovery(
        outcomes('y', () => false),
        60,
        10,
      ),
      0,
    );
    assert.equal(recovery([], 60, 10), null);
    // a stray failure in a bucket that still makes 99%: ignored
    const many: Outcome[] = Array.from({ length: 1000 }, (_, i) => ({
      group: 'z',
      index: i,
      kind: 'read',
      startS: 60 + i / 50,
      latencyMs: 1,
      ok: i !== 500,
      attempts: 1,
    }));
    assert.equal(recovery(many, 60, 10), 0);
  });
});
