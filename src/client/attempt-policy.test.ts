import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { drive } from '../test-support/policy.js';
import { attemptPolicy, isFailureResponse } from './attempt-policy.js';

describe('attemptPolicy', () => {
  it('builds breaker then timeout by default, named after the dependency', () => {
    const policy = attemptPolicy({ clock: new VirtualClock(), dependency: 'db' }) as unknown as {
      snapshot(): { dependency: string; policies: { kind: string }[] };
    };
    const snap = policy.snapshot();
    assert.equal(snap.dependency, 'db');
    assert.deepEqual(
      snap.policies.map((p) => p.kind),
      ['breaker', 'timeout'],
    );
    assert.equal(attemptPolicy({ breaker: false, attemptTimeout: Infinity }), undefined);
  });

  it('times out an attempt after attemptTimeout (default 5 s)', async () => {
    const clock = new VirtualClock();
    const policy = attemptPolicy({ clock, breaker: false })!;
    const r = await drive(
      clock,
      policy.execute(
        (ctx) =>
          new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
          ),
      ),
    );
    assert.ok(!r.ok && isFailsmallError(r.error, 'FS_ERR_TIMEOUT'));
    assert.equal(clock.now(), 5_000);
  });

  it('the default breaker counts 5xx responses as failures; a given breaker is used as is', async () => {
    const clock = new VirtualClock();
    const policy = attemptPolicy({ clock, attemptTimeout: Infinity })!;
    for (let i = 0; i < 5; i++) await policy.execute(() => Promise.resolve(new Response(null, { status: 502 })));
    await assert.rejects(
      policy.execute(() => 'x'),
      (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'),
    );
    const breaker = circuitBreaker({ clock });
    const mine = attemptPolicy({ clock, breaker, attemptTimeout: Infinity })!;
    for (let i = 0; i < 6; i++) await mine.execute(() => Promise.resolve(new Response(null, { status: 502 })));
    assert.equal(await mine.execute(() => 'still closed'), 'still closed');
  });

  it('isFailureResponse: 500, 502, 503, 504 only', () => {
    for (const status of [500, 502, 503, 504]) assert.equal(isFailureResponse({ status }), true, String(status));
    for (const status of [200, 301, 400, 404, 408, 429, 501])
      assert.equal(isFailureResponse({ status }), false, String(status));
    for (const value of [undefined, null, 'x', { status: '503' }]) assert.equal(isFailureResponse(value), false);
  });

  it('rejects bad options with FS_ERR_INVALID_ARGUMENT', () => {
    for (const options of [{ attemptTimeout: -1 }, { isFailureResult: 1 as never }, null as never]) {
      assert.throws(
        () => attemptPolicy(options),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});
