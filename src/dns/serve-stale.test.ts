import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultServeStaleConfig, inFailureRecheck, serveStaleConfig, withinMaxStale } from './serve-stale.js';

describe('serve-stale', () => {
  it('has the RFC 8767 defaults', () => {
    assert.deepEqual(defaultServeStaleConfig, {
      enabled: true,
      staleAnswerTtl: 30,
      clientResponseTimer: 1_800,
      failureRecheck: 30_000,
      maxStale: 86_400_000,
    });
  });

  it('allows stale data up to maxStale past expiry, and only when enabled', () => {
    const config = serveStaleConfig({ maxStale: 1_000 });
    assert.equal(withinMaxStale(10_000, 11_000, config), true);
    assert.equal(withinMaxStale(10_000, 11_001, config), false);
    assert.equal(withinMaxStale(10_000, 10_500, serveStaleConfig({ enabled: false })), false);
  });

  it('answers stale without asking for the failure recheck time after a failure', () => {
    const config = serveStaleConfig();
    assert.equal(inFailureRecheck(-Infinity, 0, config), false);
    assert.equal(inFailureRecheck(1_000, 30_999, config), true);
    assert.equal(inFailureRecheck(1_000, 31_000, config), false);
  });

  it('validates', () => {
    assert.throws(() => serveStaleConfig({ staleAnswerTtl: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => serveStaleConfig({ failureRecheck: NaN }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.equal(serveStaleConfig({ maxStale: Infinity }).maxStale, Infinity);
  });
});
