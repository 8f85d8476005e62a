import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runRetry } from './retry.js';

describe('runRetry (retry amplification, Brooker 2022)', () => {
  it('no failures: every strategy succeeds with load 1', () => {
    for (const strategy of ['none', 'retry3', 'token-bucket', 'breaker'] as const) {
      const r = runRetry({ p: 0, strategy });
      assert.equal(r.success, 1);
      assert.equal(r.load, 1);
      assert.equal(r.attempts, 100 * 100);
    }
  });

  it('matches the published outcomes at p = 0.5: three retries nearly double the load, the bucket and the breaker do not', () => {
    const none = runRetry({ p: 0.5, strategy: 'none' });
    const retry3 = runRetry({ p: 0.5, strategy: 'retry3' });
    const bucket = runRetry({ p: 0.5, strategy: 'token-bucket' });
    const breaker = runRetry({ p: 0.5, strategy: 'breaker' });
    assert.equal(none.load, 1);
    assert.ok(Math.abs(none.success - 0.5) < 0.03, `none success ${none.success}`);
    // 1 + p + p² + p³ = 1.875 attempts per call, success 1 - p⁴ = 0.9375.
    assert.ok(Math.abs(retry3.load - 1.875) < 0.03, `retry3 load ${retry3.load}`);
    assert.ok(Math.abs(retry3.success - 0.9375) < 0.02, `retry3 success ${retry3.success}`);
    // The bucket refills 0.1 per call: at most 10 % more load (plus the 5 tokens it starts with).
    assert.ok(bucket.load <= 1.16 && bucket.load > 1.08, `bucket load ${bucket.load}`);
    assert.ok(breaker.load < 1.3, `breaker load ${breaker.load}`);
    assert.ok(breaker.success < retry3.success && breaker.success > none.success);
  });

  it('at a low failure rate every retrying strategy retries (success near 1, load near 1 + p)', () => {
    for (const strategy of ['retry3', 'token-bucket', 'breaker'] as const) {
      const r = runRetry({ p: 0.01, strategy });
      assert.ok(r.success > 0.995, `${strategy} success ${r.success}`);
      assert.ok(r.load > 1.005 && r.load < 1.015, `${strategy} load ${r.load}`);
    }
  });

  it('is reproducible from the seed, and carries the cost keys', () => {
    const a = runRetry({ p: 0.3, strategy: 'breaker', seed: 7 });
    const b = runRetry({ p: 0.3, strategy: 'breaker', seed: 7 });
    assert.equal(a.attempts, b.attempts);
    assert.equal(a.success, b.success);
    assert.ok(a.events > 0 && a.wall_s >= 0 && a.events_per_s >= 0);
  });

  it('validates its options', () => {
    const code = { code: 'FS_ERR_INVALID_ARGUMENT' };
    assert.throws(() => runRetry({ p: 1.5 }), code);
    assert.throws(() => runRetry({ strategy: 'x' as never }), code);
    assert.throws(() => runRetry({ clients: 0 }), code);
    assert.throws(() => runRetry({ bogus: 1 } as never), code);
  });
});
