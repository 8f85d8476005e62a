import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runLeaseLink } from './lease-link.js';
import { formatLeaseSummary, leaseSection, leaseSummary } from './lease-report.js';

describe('lease-manager link (real sockets, small scale)', () => {
  it('runs both groups from the same state and reports per group', async () => {
    const lines: string[] = [];
    // 80 hosts, 2 workers x 20 ms (100 leases per real second): a lower bound of 0.8 real s, 288 scenario s.
    const result = await runLeaseLink({
      hosts: 80,
      concurrency: 2,
      workMs: 20,
      workTimeoutMs: 300,
      speed: 360,
      interventionS: 720, // 2 real seconds
      horizonS: 3_600, // 10 real seconds at most per group
      startS: 10_620,
      onEvent: (line) => lines.push(line),
    });
    assert.equal(result.lower_bound_s, 288);
    assert.equal(result.phase.from_s, 10_620);
    for (const g of [result.baseline, result.failsmall]) {
      for (const key of ['all_leases_s', 'wasted_work', 'peak_queue', 'goodput', 'requests'] as const) {
        assert.ok(key in g, key);
      }
      assert.ok(g.held <= 80);
      assert.ok(g.requests >= g.held);
    }
    assert.equal(result.failsmall.held, 80, JSON.stringify(result.failsmall));
    assert.equal(result.failsmall.intervened_at_s, null);
    assert.ok(result.timeline.failsmall.length > 1 && result.timeline.baseline.length > 1);
    assert.ok(lines.some((l) => /lease manager, failsmall/.test(l)));
    const summary = leaseSummary(result);
    assert.ok(!('timeline' in summary));
    assert.match(formatLeaseSummary(summary), /time until every lease is held/);
    assert.match(leaseSection(result), /<canvas id="lease-held"><\/canvas>/);
  });

  it('stops at once when aborted, and rejects bad options', async () => {
    const result = await runLeaseLink({ hosts: 10, signal: AbortSignal.abort() });
    assert.ok(result.failsmall.held <= 10);
    await assert.rejects(runLeaseLink({ hosts: 0 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });
});
