import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FailsmallError, isFailsmallError, type ErrorCode } from '../core/errors.js';
import { VirtualClock } from '../core/clock.js';
import { constantBackoff } from './retry/backoff.js';
import { circuitBreaker } from './breaker/breaker.js';
import { fallback } from './fallback.js';
import { pipeline } from './core/pipeline.js';
import { retry } from './retry/retry.js';
import type { Policy } from './core/types.js';

const open = (): FailsmallError => new FailsmallError('FS_ERR_BREAKER_OPEN', 'open');

describe('fallback', () => {
  it('passes successes through untouched', async () => {
    const policy = fallback({ value: 'stale' });
    assert.equal(policy.kind, 'fallback');
    assert.equal(await policy.execute(() => 'fresh'), 'fresh');
    assert.equal(await policy.execute(async () => 'fresh'), 'fresh');
  });

  it('answers a fixed value on failure', async () => {
    const policy = fallback({ value: 'stale' });
    const v: string = await policy.execute<string>(() => {
      throw open();
    });
    assert.equal(v, 'stale');
  });

  it('answers fn(error, ctx) on failure, async allowed', async () => {
    const policy = fallback({ fn: async (error, ctx) => `${(error as FailsmallError).code}@${ctx.attempt}` });
    assert.equal(await policy.execute(() => Promise.reject(open())), 'FS_ERR_BREAKER_OPEN@1');
  });

  it('replaces only the errors `when` accepts (serve stale data when the breaker is open)', async () => {
    const policy = fallback({ value: 'stale' }, { when: (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') });
    assert.equal(await policy.execute(() => Promise.reject(open())), 'stale');
    await assert.rejects(
      policy.execute(() => Promise.reject(new FailsmallError('FS_ERR_TIMEOUT', 't'))),
      { code: 'FS_ERR_TIMEOUT' },
    );
  });

  it('never replaces the caller abort', async () => {
    const policy = fallback({ value: 'stale' });
    const controller = new AbortController();
    const p = policy.execute(
      (ctx) =>
        new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error))),
      controller.signal,
    );
    controller.abort(new FailsmallError('FS_ERR_ABORTED', 'left'));
    await assert.rejects(p, { code: 'FS_ERR_ABORTED' });
    await assert.rejects(
      policy.execute(() => 1, controller.signal),
      { code: 'FS_ERR_ABORTED' },
    );
  });

  it('rejects with the substitute error when the fallback fn fails too', async () => {
    const policy = fallback({
      fn: () => {
        throw new FailsmallError('FS_ERR_CACHE_EMPTY' as ErrorCode, 'nothing cached');
      },
    });
    await assert.rejects(
      policy.execute(() => Promise.reject(open())),
      { code: 'FS_ERR_CACHE_EMPTY' },
    );
    assert.equal(policy.snapshot().sourceFailures, 1);
  });

  it('emits onFallback and counts in snapshot()', async () => {
    const policy = fallback({ value: 0 }, { dependency: 'dynamodb' });
    const events: unknown[] = [];
    policy.onFallback.on((e) => events.push(e));
    const error = open();
    await policy.execute(() => Promise.reject(error));
    await policy.execute(() => 1);
    assert.deepEqual(events, [{ error, dependency: 'dynamodb' }]);
    const snap = policy.snapshot();
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), snap);
    assert.deepEqual([snap.calls, snap.fallbacks], [2, 1]);
  });

  it('is a Policy (usable in a pipeline)', async () => {
    const p: Policy = fallback({ value: 'stale' });
    assert.equal(await p.execute(() => Promise.reject(open())), 'stale');
  });

  it('validates at construction with exact messages', () => {
    const code = { code: 'FS_ERR_INVALID_ARGUMENT' };
    assert.throws(() => fallback(null as never), {
      ...code,
      message: 'Expected `source` to be an object with `value` or `fn`, got null',
    });
    assert.throws(() => fallback({} as never), {
      ...code,
      message: 'Expected `source` to be an object with exactly one of `value` and `fn`, got object',
    });
    assert.throws(() => fallback({ value: 1, fn: () => 2 } as never), code);
    assert.throws(() => fallback({ fn: 'x' } as never), {
      ...code,
      message: 'Expected `fn` to be a function, got "x"',
    });
    assert.throws(() => fallback({ value: 1 }, { when: 1 as never }), code);
    assert.throws(() => fallback({ value: 1 }, { dependency: 1 as never }), code);
    assert.throws(() => fallback({ value: 1 }, { dependency: '' }), code);
  });

  it('rejects a non-function fn with FS_ERR_INVALID_ARGUMENT', async () => {
    await assert.rejects(fallback({ value: 1 }).execute(undefined as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });

  it('in a pipeline: serves stale data once retries hit an open breaker', async () => {
    const clock = new VirtualClock();
    const policy = pipeline(
      fallback({ value: 'stale' }, { when: (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') }),
      retry({ clock, maxAttempts: 3, backoff: constantBackoff(10) }),
      circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 2 }, halfOpenAfter: 10_000 }),
    );
    let calls = 0;
    const down = async (): Promise<string> => {
      calls++;
      throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    };
    const pending = policy.execute(down);
    for (let i = 0; i < 5; i++) await clock.advance(10);
    assert.equal(await pending, 'stale');
    assert.equal(calls, 2); // the third attempt was rejected by the breaker without a call
  });
});
