import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import {
  CRITICALITIES,
  DEFAULT_SHARES,
  nextPartition,
  parseCriticality,
  rankOf,
  resolveShares,
} from './criticality.js';

describe('criticality', () => {
  it('has the four SRE-book levels, highest first', () => {
    assert.deepEqual(CRITICALITIES, ['critical-plus', 'critical', 'sheddable-plus', 'sheddable']);
    assert.equal(rankOf('critical-plus'), 0);
    assert.equal(rankOf('sheddable'), 3);
  });

  it('parses names in any case and gRPC spelling; unknown ones throw FS_ERR_ADMIT_UNKNOWN_CRITICALITY', () => {
    assert.equal(parseCriticality('CRITICAL_PLUS'), 'critical-plus');
    assert.equal(parseCriticality(' Sheddable '), 'sheddable');
    for (const bad of ['urgent', '', 3, undefined, null, 'critical--plus']) {
      assert.throws(
        () => parseCriticality(bad),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_ADMIT_UNKNOWN_CRITICALITY'),
      );
    }
  });

  it('validates shares: known levels, [0, 1] each, sum <= 1', () => {
    assert.equal(resolveShares(undefined), DEFAULT_SHARES);
    assert.deepEqual(resolveShares({ critical: 0.5 }), {
      'critical-plus': 0,
      critical: 0.5,
      'sheddable-plus': 0,
      sheddable: 0,
    });
    for (const bad of [{ urgent: 0.1 }, { critical: 1.5 }, { critical: 0.6, sheddable: 0.6 }, 'x', [0.1]]) {
      assert.throws(
        () => resolveShares(bad),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });

  it('serves a level under its share first, then the most critical level waiting', () => {
    // limit 10, default shares: guarantees 4 / 3 / 2 / 1
    assert.equal(nextPartition(10, DEFAULT_SHARES, [4, 3, 0, 0], [5, 5, 5, 5]), 2);
    assert.equal(nextPartition(10, DEFAULT_SHARES, [4, 3, 2, 1], [5, 5, 5, 5]), 0);
    assert.equal(nextPartition(10, DEFAULT_SHARES, [9, 0, 0, 0], [0, 0, 0, 1]), 3);
    assert.equal(nextPartition(10, DEFAULT_SHARES, [0, 0, 0, 0], [0, 0, 0, 0]), -1);
  });

  it('property: under full contention every level keeps its share; alone a level takes every slot', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200 }),
        fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 4 }),
        fc.integer({ min: 0, max: 3 }),
        (limit, raw, alone) => {
          const sum = raw.reduce((a, b) => a + b, 0) || 1;
          const shares = resolveShares(Object.fromEntries(CRITICALITIES.map((c, i) => [c, raw[i]! / sum / 1.000001])));
          // Fill `limit` slots with every level always waiting.
          const inflight = [0, 0, 0, 0];
          for (let i = 0; i < limit; i++) {
            const rank = nextPartition(limit, shares, inflight, [1, 1, 1, 1]);
            inflight[rank]!++;
          }
          // every lower level holds exactly its guarantee; the most critical level takes the rest
          let rest = limit;
          CRITICALITIES.forEach((c, rank) => {
            if (rank === 0) return;
            assert.equal(inflight[rank], Math.floor(shares[c] * limit));
            rest -= inflight[rank]!;
          });
          assert.equal(inflight[0], rest);
          assert.ok(rest >= Math.floor(shares['critical-plus'] * limit));
          // alone: one level waiting takes all slots
          const solo = [0, 0, 0, 0];
          const waiting = [0, 0, 0, 0];
          waiting[alone] = 1;
          for (let i = 0; i < limit; i++) solo[nextPartition(limit, shares, solo, waiting)]!++;
          assert.equal(solo[alone], limit);
        },
      ),
    );
  });
});
