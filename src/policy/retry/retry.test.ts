import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { VirtualClock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import { constantBackoff, exponentialBackoff } from './backoff.js';
import { httpClassifier, neverSent } from '../errors/classify.js';
import { rootContext } from '../core/context.js';
import { drive } from '../../test-support/policy.js';
import { ratioBudget } from '../budget/ratio.js';
import { retry } from './retry.js';
import type { GiveUpEvent, RetryEvent } from './retry.js';
import { tokenBucketBudget } from '../budget/token-bucket.js';
import type { PolicyContext } from '../core/types.js';

function sysError(code: string, syscall?: string): Error {
  return Object.assign(new Error(code), { code, ...(syscall === undefined ? {} : { syscall }) });
}

function failing(
  errors: unknown[],
  then: unknown = 'ok',
): { fn: (ctx: PolicyContext) => Promise<unknown>; seen: PolicyContext[] } {
  const seen: PolicyContext[] = [];
  let i = 0;
  return {
    seen,
    fn: async (ctx) => {
      seen.push(ctx);
      if (i < errors.length) throw errors[i++];
      return then;
    },
  };
}

describe('retry: basics', () => {
  it('succeeds at once without a timer, passing the root context through', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock });
    const ctx = rootContext(undefined, 'db');
    let seen: PolicyContext | undefined;
    assert.equal(
      await policy.run((c) => {
        seen = c;
        return 42;
      }, ctx),
      42,
    );
    assert.equal(seen, ctx);
    assert.equal(clock.pending, 0);
    assert.equal(policy.kind, 'retry');
  });

  it('retries transient errors with the backoff, incrementing ctx.attempt', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, maxAttempts: 4, backoff: constantBackoff(100) });
    const times: number[] = [];
    const { fn, seen } = failing([sysError('ECONNRESET'), sysError('ETIMEDOUT')]);
    const r = await drive(
      clock,
      policy.execute((ctx) => {
        times.push(clock.now());
        return fn(ctx);
      }),
    );
    assert.deepEqual(r, { ok: true, value: 'ok' });
    assert.deepEqual(
      seen.map((c) => c.attempt),
      [1, 2, 3],
    );
    assert.deepEqual(times, [0, 100, 200]);
    assert.equal(seen[1]!.deadline, Infinity);
  });

  it('gives up after maxAttempts and rethrows the last error unchanged', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, maxAttempts: 3, backoff: constantBackoff(10) });
    const errors = [sysError('ECONNRESET'), sysError('ECONNRESET'), sysError('EPIPE'), sysError('EPIPE')];
    const giveUps: GiveUpEvent[] = [];
    policy.onGiveUp.on((e) => giveUps.push(e));
    const r = await drive(clock, policy.execute(failing(errors).fn));
    assert.equal(r.ok, false);
    assert.equal(!r.ok && r.error, errors[2]);
    assert.deepEqual(
      giveUps.map((e) => [e.attempt, e.reason]),
      [[3, 'attempts']],
    );
  });

  it('does not retry what the classifier rejects (a TypeError, an abort, a 400)', async () => {
    for (const error of [
      new TypeError('x is not a function'),
      new FailsmallError('FS_ERR_ABORTED', 'aborted'),
      Object.assign(new Error('bad'), { $metadata: { httpStatusCode: 400 } }),
    ]) {
      const clock = new VirtualClock();
      const policy = retry({ clock });
      const { fn, seen } = failing([error]);
      const r = await drive(clock, policy.execute(fn));
      assert.equal(!r.ok && r.error, error);
      assert.equal(seen.length, 1);
      assert.deepEqual((policy.snapshot().giveUps as Record<string, number>)['not-retryable'], 1);
    }
  });

  it('survives huge attempt counts with an exponential backoff (no NaN delay)', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, maxAttempts: 1_100, backoff: exponentialBackoff({ base: 1, cap: 2 }) });
    const delays: number[] = [];
    policy.onRetry.on((e) => delays.push(e.delay));
    const r = await drive(
      clock,
      policy.execute(failing(Array.from({ length: 1_099 }, () => sysError('ECONNRESET'))).fn),
    );
    assert.deepEqual(r, { ok: true, value: 'ok' });
    assert.equal(delays.length, 1_099);
    assert.ok(delays.every((d) => d === 1 || d === 2));
  });
});

describe('retry: results', () => {
  const response = (status: number, headers: Record<string, string> = {}): Record<string, unknown> => ({
    status,
    headers,
    body: {
      cancelled: false,
      cancel() {
        (this as { cancelled: boolean }).cancelled = true;
        return Promise.resolve();
      },
    },
  });

  it('retries a retryable result (HTTP 503) and discards its body', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, classify: httpClassifier, backoff: constantBackoff(5) });
    const first = response(503);
    const results = [first, response(200)];
    let i = 0;
    const r = await drive(
      clock,
      policy.execute(() => results[i++]),
    );
    assert.equal(r.ok && (r.value as { status: number }).status, 200);
    assert.equal((first.body as { cancelled: boolean }).cancelled, true);
  });

  it('returns the last retryable result when it gives up', async () => {
    const clock = new VirtualClock();
    const discarded: unknown[] = [];
    const policy = retry({
      clock,
      maxAttempts: 2,
      classify: httpClassifier,
      backoff: constantBackoff(5),
      discardResult: (v) => discarded.push(v),
    });
    const giveUps: GiveUpEvent[] = [];
    policy.onGiveUp.on((e) => giveUps.push(e));
    const last = response(502);
    const results = [response(503), last];
    let i = 0;
    const r = await drive(
      clock,
      policy.execute(() => results[i++]),
    );
    assert.deepEqual(r, { ok: true, value: last });
    assert.equal(discarded.length, 1);
    assert.equal(giveUps[0]!.result, last);
    assert.equal(giveUps[0]!.reason, 'attempts');
  });
});

describe('retry: custom classifiers', () => {
  it('accepts a plain function answering booleans or verdicts', async () => {
    class Quota extends Error {}
    const clock = new VirtualClock();
    const policy = retry({
      clock,
      backoff: constantBackoff(1),
      classify: (e) =>
        e instanceof Quota ? { retry: true, cause: 'throttle', retryAfter: 50 } : e instanceof RangeError,
    });
    const events: RetryEvent[] = [];
    policy.onRetry.on((e) => events.push(e));
    const r = await drive(clock, policy.execute(failing([new RangeError('odd'), new Quota('q')]).fn));
    assert.deepEqual(r, { ok: true, value: 'ok' });
    assert.deepEqual(
      events.map((e) => [e.cause, e.delay]),
      [
        ['error', 1],
        ['throttle', 50],
      ],
    );
    const { fn, seen } = failing([sysError('ECONNRESET')]);
    await drive(clock, policy.execute(fn)); // false for anything else: not retried
    assert.equal(seen.length, 1);
  });

  it('accepts a result classifier answering true', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, backoff: constantBackoff(1), classify: { result: (v) => v === 'partial' } });
    const values = ['partial', 'full'];
    let i = 0;
    assert.deepEqual(
      await drive(
        clock,
        policy.execute(() => values[i++]),
      ),
      { ok: true, value: 'full' },
    );
  });
});

describe('retry: idempotency gate', () => {
  it('retries a non-idempotent call only when the error proves the request was never sent', async () => {
    const cases: [unknown, boolean][] = [
      [sysError('ECONNREFUSED', 'connect'), true],
      [sysError('ENOTFOUND', 'getaddrinfo'), true],
      [sysError('EAI_AGAIN'), true],
      [new TypeError('fetch failed', { cause: sysError('ECONNREFUSED') }), true],
      // failsmall rejections say they never sent the call through details (an open breaker or a
      // full bulkhead are not retried at all: see the describe-failure table test).
      [new FailsmallError('FS_ERR_RATE_LIMITED', 'wait', { details: { kind: 'throttle', neverSent: true } }), true],
      [new FailsmallError('FS_ERR_DNS_SERVFAIL', 'x', { details: { kind: 'transient', neverSent: true } }), true],
      [sysError('ECONNRESET', 'read'), false],
      [sysError('ETIMEDOUT'), false],
      [Object.assign(new Error('503'), { status: 503 }), false],
    ];
    for (const [error, retried] of cases) {
      const clock = new VirtualClock();
      const policy = retry({ clock, idempotent: false, backoff: constantBackoff(1) });
      const { fn, seen } = failing([error]);
      const r = await drive(clock, policy.execute(fn));
      assert.equal(r.ok, retried, String(error));
      assert.equal(seen.length, retried ? 2 : 1);
      if (!retried) assert.equal((policy.snapshot().giveUps as Record<string, number>)['not-idempotent'], 1);
    }
  });

  it('never retries a result of a non-idempotent call (it was sent)', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, idempotent: false, classify: httpClassifier });
    let calls = 0;
    const r = await drive(
      clock,
      policy.execute(() => (calls++, { status: 503 })),
    );
    assert.deepEqual(r, { ok: true, value: { status: 503 } });
    assert.equal(calls, 1);
  });

  it('lets the user extend neverSent', async () => {
    class QueueFull extends Error {}
    const clock = new VirtualClock();
    const policy = retry({
      clock,
      idempotent: false,
      backoff: constantBackoff(1),
      neverSent: (e) => neverSent(e) || e instanceof QueueFull,
    });
    const { fn, seen } = failing([new QueueFull('full')]);
    assert.deepEqual(await drive(clock, policy.execute(fn)), { ok: true, value: 'ok' });
    assert.equal(seen.length, 2);
  });
});

describe('retry: Retry-After and throttling', () => {
  const epoch = Date.parse('2025-10-20T06:48:00Z');

  it('waits at least the Retry-After delta-seconds', async () => {
    const clock = new VirtualClock(epoch);
    const policy = retry({ clock, backoff: constantBackoff(10) });
    const events: RetryEvent[] = [];
    policy.onRetry.on((e) => events.push(e));
    const err = Object.assign(new Error('busy'), { status: 503, headers: { 'Retry-After': '3' } });
    const times: number[] = [];
    const { fn } = failing([err]);
    await drive(
      clock,
      policy.execute((c) => (times.push(clock.now() - epoch), fn(c))),
    );
    assert.deepEqual(times, [0, 3_000]);
    assert.equal(events[0]!.retryAfter, 3_000);
    assert.equal(events[0]!.delay, 3_000);
  });

  it('honours an HTTP-date, and caps any hint at maxRetryAfter', async () => {
    const clock = new VirtualClock(epoch);
    const policy = retry({ clock, backoff: constantBackoff(10), maxRetryAfter: 5_000 });
    const delays: number[] = [];
    policy.onRetry.on((e) => delays.push(e.delay));
    const date = new Date(epoch + 2_000).toUTCString();
    const errors = [
      Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': date } }),
      Object.assign(new Error('slow down'), { status: 429, headers: { 'retry-after': '3600' } }),
    ];
    const r = await drive(clock, policy.execute(failing(errors).fn));
    assert.equal(r.ok, true);
    assert.deepEqual(delays, [2_000, 5_000]);
  });

  it('uses the throttle backoff and charges the budget as a throttle for throttling errors', async () => {
    const clock = new VirtualClock();
    const budget = tokenBucketBudget({ throttleCost: 1 });
    const policy = retry({ clock, backoff: constantBackoff(10), throttleBackoff: constantBackoff(500), budget });
    const events: RetryEvent[] = [];
    policy.onRetry.on((e) => events.push(e));
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: { httpStatusCode: 400 },
    });
    await drive(clock, policy.execute(failing([throttled]).fn));
    assert.deepEqual(
      events.map((e) => [e.cause, e.delay]),
      [['throttle', 500]],
    );
    assert.equal(budget.tokens, 500); // took 1, refunded 1 on success
  });
});

describe('retry: deadline and abort', () => {
  it('never sleeps past the caller deadline: stops and rethrows the last error', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, backoff: constantBackoff(1_000) });
    const error = sysError('ECONNRESET');
    const giveUps: GiveUpEvent[] = [];
    policy.onGiveUp.on((e) => giveUps.push(e));
    const ctx: PolicyContext = { ...rootContext(undefined), deadline: 500 };
    const r = await drive(clock, policy.run(failing([error]).fn, ctx));
    assert.equal(!r.ok && r.error, error);
    assert.equal(giveUps[0]!.reason, 'deadline');
    assert.equal(clock.now(), 0); // no sleep at all
  });

  it('an AbortSignal cancels a pending sleep at once with its reason', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, backoff: constantBackoff(60_000) });
    const controller = new AbortController();
    const p = policy.execute(failing([sysError('ECONNRESET')]).fn, controller.signal);
    const settled = p.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await clock.advance(1);
    assert.equal(clock.pending, 1);
    controller.abort();
    const error = await settled;
    assert.equal((error as { name: string }).name, 'AbortError');
    assert.equal(clock.pending, 0);
    assert.equal(clock.now(), 1);
  });

  it('rejects with FS_ERR_ABORTED from the signal reason, and at once when already aborted', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock });
    const controller = new AbortController();
    controller.abort(new FailsmallError('FS_ERR_ABORTED', 'caller left'));
    let calls = 0;
    await assert.rejects(
      policy.execute(() => calls++, controller.signal),
      { code: 'FS_ERR_ABORTED' },
    );
    assert.equal(calls, 0);
  });
});

describe('retry: budgets', () => {
  it('stops retrying when the shared token bucket runs dry', async () => {
    const clock = new VirtualClock();
    const budget = tokenBucketBudget({ initialTokens: 10 });
    const a = retry({ clock, maxAttempts: 5, backoff: constantBackoff(1), budget });
    const b = retry({ clock, maxAttempts: 5, backoff: constantBackoff(1), budget });
    const alwaysDown = async (): Promise<never> => {
      throw sysError('ECONNREFUSED');
    };
    let calls = 0;
    const count = (): Promise<never> => (calls++, alwaysDown());
    await drive(clock, a.execute(count));
    await drive(clock, b.execute(count));
    assert.equal(calls, 3 + 1); // a: two retries of 5 tokens each; b: none left
    assert.equal((a.snapshot().giveUps as Record<string, number>).budget, 1);
    assert.equal((b.snapshot().giveUps as Record<string, number>).budget, 1);
  });

  it('a ratio budget caps retries across call sites at ratio x requests', async () => {
    const clock = new VirtualClock(1_000_000);
    const budget = ratioBudget({ ratio: 0.1, minRetriesPerSecond: 0 });
    const policies = [
      retry({ clock, budget, backoff: constantBackoff(1) }),
      retry({ clock, budget, backoff: constantBackoff(1) }),
    ];
    let attempts = 0;
    for (let i = 0; i < 100; i++) {
      await drive(
        clock,
        policies[i % 2]!.execute(async () => {
          attempts++;
          throw sysError('ECONNRESET');
        }),
      );
    }
    // 100 requests: 10 retries at most, instead of 200.
    assert.ok(attempts <= 110, `${attempts} attempts`);
    assert.ok(attempts >= 105);
  });

  it('refunds the budget on success and records first-attempt successes', async () => {
    const clock = new VirtualClock();
    const budget = tokenBucketBudget();
    const policy = retry({ clock, budget, backoff: constantBackoff(1) });
    await drive(clock, policy.execute(failing([sysError('ETIMEDOUT')]).fn));
    assert.equal(budget.tokens, 500); // 10 taken for the timeout, 10 refunded
    budget.tryAcquire(0);
    await policy.execute(() => 1);
    assert.equal(budget.tokens, 496);
  });

  it('property: attempts never exceed requests x maxAttempts, nor requests + granted retries', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.boolean(), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 5 }),
        async (outcomes, maxAttempts) => {
          const clock = new VirtualClock(1_000_000);
          const budget = ratioBudget({ ratio: 0.2, minRetriesPerSecond: 0.1 });
          const policy = retry({ clock, budget, maxAttempts, backoff: constantBackoff(3), random: seededRandom(1) });
          let attempts = 0;
          let k = 0;
          for (let i = 0; i < 10; i++) {
            await drive(
              clock,
              policy.execute(async () => {
                attempts++;
                if (outcomes[k++ % outcomes.length]!) return 'ok';
                throw sysError('ECONNRESET');
              }),
            );
          }
          const granted = budget.snapshot().granted;
          assert.equal(attempts, 10 + granted);
          assert.ok(attempts <= 10 * maxAttempts);
          assert.ok(granted <= 0.2 * 10 + 1 + 1e-9);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('retry: events, diagnostics and snapshot', () => {
  it('emits onRetry, onSuccess and publishes on failsmall:policy:retry', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, backoff: constantBackoff(7), dependency: 'dynamodb' });
    const retries: RetryEvent[] = [];
    const successes: unknown[] = [];
    const published: unknown[] = [];
    policy.onRetry.on((e) => retries.push(e));
    policy.onSuccess.on((e) => successes.push(e));
    const onMessage = (m: unknown): void => void published.push(m);
    diagnostics.subscribe('failsmall:policy:retry', onMessage);
    try {
      const error = sysError('ECONNRESET');
      await drive(clock, policy.execute(failing([error]).fn));
      assert.deepEqual(retries, [
        { attempt: 2, delay: 7, error, cause: 'error', retryAfter: undefined, dependency: 'dynamodb' },
      ]);
      assert.deepEqual(successes, [{ attempt: 2, dependency: 'dynamodb' }]);
      assert.deepEqual(
        published.map((m) => (m as { type: string }).type),
        ['retry', 'success'],
      );
    } finally {
      diagnostics.unsubscribe('failsmall:policy:retry', onMessage);
    }
  });

  it('snapshot() is plain JSON with counters', async () => {
    const clock = new VirtualClock();
    const policy = retry({ clock, backoff: constantBackoff(1), budget: tokenBucketBudget() });
    await policy.execute(() => 1);
    await drive(clock, policy.execute(failing([sysError('ECONNRESET')]).fn));
    const snap = policy.snapshot();
    // `dependency` is undefined (as in every policy), so JSON drops it.
    const { dependency, ...rest } = snap;
    assert.equal(dependency, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), rest);
    assert.equal(snap.calls, 2);
    assert.equal(snap.successes, 2);
    assert.equal(snap.retries, 1);
    assert.equal(snap.budget?.kind, 'token-bucket');
  });
});

describe('retry: option validation', () => {
  const code = { code: 'FS_ERR_INVALID_ARGUMENT' };
  it('rejects bad options at construction with exact messages', () => {
    assert.throws(() => retry({ maxAttempts: -1 }), {
      ...code,
      message: 'Expected `maxAttempts` to be a positive integer, got -1',
    });
    assert.throws(() => retry({ maxAttempts: 1.5 }), code);
    assert.throws(() => retry({ backoff: 100 as never }), {
      ...code,
      message: 'Expected `backoff` to be a Backoff (an object with next()), got 100',
    });
    assert.throws(() => retry({ throttleBackoff: {} as never }), code);
    assert.throws(() => retry({ classify: 5 as never }), {
      message: 'Expected `classify` to be a Classifier or a function, got 5',
    });
    assert.throws(() => retry({ classify: { error: 1 as never } }), {
      message: 'Expected `classify.error` to be a function, got 1',
    });
    assert.throws(() => retry({ idempotent: 'no' as never }), {
      message: 'Expected `idempotent` to be a boolean, got "no"',
    });
    assert.throws(() => retry({ neverSent: true as never }), code);
    assert.throws(() => retry({ budget: {} as never }), {
      message: 'Expected `budget` to be a RetryBudget, got object',
    });
    assert.throws(() => retry({ clock: 5 as never }), code);
    assert.throws(() => retry({ random: {} as never }), code);
    assert.throws(() => retry({ maxRetryAfter: -1 }), {
      message: 'Expected `maxRetryAfter` to be a finite number >= 0, got -1',
    });
    assert.throws(() => retry({ dependency: 3 as never }), code);
    // The shared checks of policy-options.ts: null is an error, not a crash; no empty dependency.
    assert.throws(() => retry({ clock: null as never }), code);
    assert.throws(() => retry({ random: null as never }), code);
    assert.throws(() => retry({ dependency: '' }), code);
    assert.throws(() => retry('x' as never), code);
  });

  it('rejects a non-function fn with FS_ERR_INVALID_ARGUMENT', async () => {
    await assert.rejects(retry().execute(5 as never), code);
  });
});
