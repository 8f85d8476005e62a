import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { constantBackoff } from '../retry/backoff.js';
import { circuitBreaker } from '../breaker/breaker.js';
import { bulkhead } from '../limit/bulkhead.js';
import { rootContext } from './context.js';
import { pipeline } from './pipeline.js';
import { retry } from '../retry/retry.js';
import { timeout } from '../timeout/timeout.js';
import type { Policy, PolicyContext, PolicyFn } from './types.js';

/** A policy that logs when calls enter and leave it. */
function tracer(name: string, log: string[]): Policy {
  return {
    kind: name,
    execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T> {
      return this.run(fn, rootContext(signal));
    },
    async run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
      log.push(`>${name}`);
      try {
        return await fn(ctx);
      } finally {
        log.push(`<${name}`);
      }
    },
  };
}

const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

describe('pipeline', () => {
  it('a wraps b wraps c wraps the call', async () => {
    const log: string[] = [];
    const p = pipeline(tracer('a', log), tracer('b', log), tracer('c', log));
    assert.equal(
      await p.execute(() => {
        log.push('fn');
        return 7;
      }),
      7,
    );
    assert.deepEqual(log, ['>a', '>b', '>c', 'fn', '<c', '<b', '<a']);
    assert.equal(p.kind, 'pipeline');
  });

  it('rejects an invalid piece when it is built, with its position', () => {
    assert.throws(() => pipeline(timeout(10), {} as never), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `policies[1]` to be a policy (an object with run() and execute()), got object',
    });
    assert.throws(() => pipeline({ kind: 'x', execute: () => undefined } as never), {
      message: 'Expected `policies[0]` to be a policy (an object with run() and execute()), got object',
    });
    assert.throws(() => pipeline(null as never), {
      message: 'Expected `policies[0]` to be a policy (an object with run() and execute()), got null',
    });
    // The options-object form is gone: an object that is not a policy is an invalid piece.
    assert.throws(() => pipeline({ dependency: 'db' } as never, timeout(10)), {
      message: 'Expected `policies[0]` to be a policy (an object with run() and execute()), got object',
    });
    assert.throws(() => pipeline().named(''), {
      message: 'Expected `name` to be a non-empty string, got ""',
    });
  });

  it('names the dependency for every layer with .named()', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 1 } });
    const named = pipeline(breaker, timeout(100, { clock })).named('dynamodb');
    assert.equal(await named.execute((ctx) => ctx.dependency), 'dynamodb');
    await assert.rejects(named.execute(() => Promise.reject(new Error('down'))));
    await assert.rejects(
      named.execute(() => 'x'),
      (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') && e.details?.dependency === 'dynamodb',
    );
    const renamed = pipeline(timeout(100, { clock })).named('sts');
    assert.equal(renamed.dependency, 'sts');
    assert.equal(await renamed.execute((ctx) => ctx.dependency), 'sts');
    // run() inside an outer context renames without touching the rest
    const outer: PolicyContext = { attempt: 3, deadline: 50, signal: rootContext(undefined).signal, dependency: 'x' };
    assert.deepEqual(await renamed.run((c) => [c.attempt, c.deadline, c.dependency], outer), [3, 50, 'sts']);
  });

  it('runs the call directly when empty, and flattens unnamed nested pipelines', async () => {
    assert.equal(await pipeline().execute(() => 'bare'), 'bare');
    await assert.rejects(
      pipeline().execute(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
    const a = timeout(10);
    const b = timeout(20);
    const c = timeout(30);
    assert.deepEqual(pipeline(a, pipeline(b, c)).policies, [a, b, c]);
    const inner = pipeline(b, c).named('db');
    assert.deepEqual(pipeline(a, inner).policies, [a, inner]);
  });

  it('keeps result types (compile-time) and rejects at once on an aborted signal', async () => {
    const p = pipeline(timeout(1_000, { clock: new VirtualClock() }));
    const n: number = await p.execute(() => 1);
    const s: string = await p.execute(async () => 'x');
    assert.deepEqual([n, s], [1, 'x']);
    let called = false;
    await assert.rejects(
      p.execute(() => (called = true), AbortSignal.abort(new Error('gone'))),
      /gone/,
    );
    assert.equal(called, false);
  });

  it('retry + breaker + timeout: a timed-out attempt is retried and the call succeeds', async () => {
    const clock = new VirtualClock();
    const perAttempt = timeout(100, { clock });
    const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 5 } });
    const p = pipeline(retry({ maxAttempts: 3, backoff: constantBackoff(10), clock }), breaker, perAttempt);
    const attempts: number[] = [];
    const call = p.execute(async (ctx) => {
      attempts.push(ctx.attempt);
      if (ctx.attempt === 1) return untilAborted(ctx.signal); // hangs until the timeout aborts it
      return 'item';
    });
    await clock.advance(200);
    assert.equal(await call, 'item');
    assert.deepEqual(attempts, [1, 2]);
    assert.equal(perAttempt.snapshot().timeouts, 1);
    assert.equal(breaker.snapshot().failures, 0, 'the success reset the run of failures');
  });

  it("an overall timeout bounds every attempt: retry gives up at the caller's deadline", async () => {
    const clock = new VirtualClock();
    const p = pipeline(
      timeout(250, { clock }),
      retry({ maxAttempts: 10, backoff: constantBackoff(10), clock }),
      timeout(100, { clock }),
    );
    const deadlines: number[] = [];
    const call = p.execute((ctx) => {
      deadlines.push(ctx.deadline - clock.now());
      return untilAborted(ctx.signal);
    });
    const outcome = assert.rejects(call, (e) => isFailsmallError(e, 'FS_ERR_TIMEOUT'));
    await clock.advance(400);
    await outcome;
    assert.deepEqual(deadlines, [100, 100, 30]);
  });

  it('the breaker opens under a failing dependency, and retry stops at its fast rejection', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 2 }, halfOpenAfter: 60_000 });
    const p = pipeline(retry({ maxAttempts: 5, backoff: constantBackoff(0), clock, maxRetryAfter: 0 }), breaker);
    let calls = 0;
    const call = p.execute(() => {
      calls++;
      return Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    });
    const outcome = assert.rejects(call, (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'));
    await clock.advance(0);
    await outcome;
    assert.equal(calls, 2, 'the dependency saw two calls, the breaker absorbed the rest');
    // An open breaker fails fast: retry() does not retry its rejection (doNotRetry), so the first
    // rejection ends the call.
    assert.equal(breaker.snapshot().rejected, 1);
  });

  it('snapshot() lists every piece', () => {
    const p = pipeline(bulkhead({ maxConcurrent: 2 }), tracer('t', [])).named('db');
    const snap = p.snapshot();
    assert.equal(snap.dependency, 'db');
    assert.deepEqual(
      snap.policies.map((s) => s.kind),
      ['bulkhead', 't'],
    );
  });
});
