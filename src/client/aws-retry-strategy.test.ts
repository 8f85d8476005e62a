import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock, FailsmallError, isFailsmallError, seededRandom } from '../core/index.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { rootContext } from '../policy/core/context.js';
import { retry, type RetryEvent } from '../policy/retry/retry.js';
import { drive } from '../test-support/policy.js';
import { ratioBudget } from '../policy/budget/ratio.js';
import { tokenBucketBudget } from '../policy/budget/token-bucket.js';
import { awsRetryStrategy, defaultAwsRetryClassifier, type AwsRetryErrorInfo } from './aws-retry-strategy.js';

const transient: AwsRetryErrorInfo = {
  errorType: 'TRANSIENT',
  error: Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }),
};
const throttled: AwsRetryErrorInfo = {
  errorType: 'THROTTLING',
  error: Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
};

describe('awsRetryStrategy', () => {
  it('draws retries from the budget: at most ratio × requests retries go out', async () => {
    const clock = new VirtualClock(0);
    const strategy = awsRetryStrategy({
      budget: ratioBudget({ ratio: 0.1, minRetriesPerSecond: 0 }),
      backoff: constantBackoff(0),
      throttleBackoff: constantBackoff(0),
      clock,
    });
    let retries = 0;
    for (let i = 0; i < 100; i++) {
      let token = await strategy.acquireInitialRetryToken('');
      // Every attempt fails: retry until the strategy refuses.
      for (;;) {
        try {
          token = await strategy.refreshRetryTokenForRetry(token, throttled);
          retries++;
        } catch {
          break;
        }
      }
    }
    assert.equal(retries, 10);
    const snapshot = strategy.snapshot();
    assert.equal(snapshot.requests, 100);
    assert.equal(snapshot.amplification, 1.1);
    assert.ok((snapshot.refusedBudget as number) >= 90);
  });

  it('stops at maxAttempts and refuses what the SDK would not retry', async () => {
    const strategy = awsRetryStrategy({ maxAttempts: 2, backoff: constantBackoff(0), clock: new VirtualClock() });
    const token = await strategy.acquireInitialRetryToken('');
    const retry = await strategy.refreshRetryTokenForRetry(token, transient);
    assert.equal(retry.getRetryCount(), 1);
    await assert.rejects(strategy.refreshRetryTokenForRetry(retry, transient));
    await assert.rejects(
      strategy.refreshRetryTokenForRetry(token, {
        errorType: 'CLIENT_ERROR',
        error: Object.assign(new Error('x'), { name: 'ValidationException', $fault: 'client' }),
      }),
    );
    await assert.rejects(strategy.refreshRetryTokenForRetry(token, { errorType: 'SERVER_ERROR' }));
    const snapshot = strategy.snapshot();
    assert.equal(snapshot.refusedMaxAttempts, 1);
    assert.equal(snapshot.refusedNotRetryable, 2);
  });

  it('sleeps a jittered backoff on its own clock and tells the SDK not to sleep again', async () => {
    const clock = new VirtualClock();
    const strategy = awsRetryStrategy({ clock, random: seededRandom(1) });
    const token = await strategy.acquireInitialRetryToken('');
    let done = false;
    const next = strategy.refreshRetryTokenForRetry(token, throttled).then((t) => {
      done = true;
      return t;
    });
    await clock.advance(0);
    assert.equal(done, false, 'waits for the backoff');
    await clock.advance(500); // throttling: full jitter with base 500 ms, so the first delay is < 500 ms
    const retry = await next;
    assert.equal(retry.getRetryDelay(), 0);
    const slept = retry.$retryLog!.acquisitionDelay!;
    assert.ok(slept >= 0 && slept < 500, String(slept));
  });

  it('honours a retry-after hint, capped at 20 s', async () => {
    const clock = new VirtualClock();
    const strategy = awsRetryStrategy({ clock, backoff: constantBackoff(10), budget: tokenBucketBudget() });
    const token = await strategy.acquireInitialRetryToken('');
    const hinted = strategy.refreshRetryTokenForRetry(token, {
      ...transient,
      retryAfterHint: new Date(Date.now() + 3_000),
    });
    await clock.advance(5_000);
    const retry = await hinted;
    assert.ok(retry.$retryLog!.acquisitionDelay! > 2_900 && retry.$retryLog!.acquisitionDelay! <= 3_000);
    const capped = strategy.refreshRetryTokenForRetry(token, {
      ...transient,
      retryAfterHint: new Date(Date.now() + 3_600_000),
    });
    await clock.advance(20_000);
    assert.equal((await capped).$retryLog!.acquisitionDelay, 20_000);
  });

  it('gives a token bucket back what a successful retry cost', async () => {
    const clock = new VirtualClock();
    const budget = tokenBucketBudget({ initialTokens: 10, retryCost: 5 });
    const strategy = awsRetryStrategy({ clock, budget, backoff: constantBackoff(0) });
    const token = await strategy.acquireInitialRetryToken('');
    const retry = await strategy.refreshRetryTokenForRetry(token, transient);
    assert.equal(budget.snapshot().tokens, 5);
    strategy.recordSuccess(retry);
    assert.equal(budget.snapshot().tokens, 10);
    assert.equal(strategy.snapshot().successes, 1);
  });

  it("classifies failsmall's own errors: timeouts retry, an open breaker does not", () => {
    const info = (error: unknown): AwsRetryErrorInfo => ({ errorType: 'CLIENT_ERROR', error });
    const timedOut = { details: { kind: 'timeout', neverSent: false } };
    assert.equal(defaultAwsRetryClassifier(info(new FailsmallError('FS_ERR_TIMEOUT', 't', timedOut))), 'timeout');
    assert.equal(
      defaultAwsRetryClassifier(info(new FailsmallError('FS_ERR_CLIENT_CONNECT_TIMEOUT', 't', timedOut))),
      'timeout',
    );
    assert.equal(
      defaultAwsRetryClassifier({
        errorType: 'TRANSIENT',
        error: new FailsmallError('FS_ERR_BREAKER_OPEN', 'open', { details: { kind: 'overload', neverSent: true } }),
      }),
      undefined,
    );
    assert.equal(defaultAwsRetryClassifier(transient), 'error');
    assert.equal(
      defaultAwsRetryClassifier({
        errorType: 'TRANSIENT',
        error: Object.assign(new Error('t'), { name: 'TimeoutError' }),
      }),
      'timeout',
    );
    assert.equal(defaultAwsRetryClassifier(throttled), 'throttle');
    assert.equal(defaultAwsRetryClassifier({ errorType: 'SERVER_ERROR' }), undefined);
  });

  it('rejects bad options with FS_ERR_INVALID_ARGUMENT', () => {
    for (const options of [{ maxAttempts: 0 }, { budget: {} as never }, { classify: 'x' as never }, null as never]) {
      assert.throws(
        () => awsRetryStrategy(options),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});

describe('awsRetryStrategy and retry() share one decision (nextRetry)', () => {
  it('same delays, same budget charges, same refusals for the same failures', async () => {
    const failures: unknown[] = [
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      Object.assign(new Error('slow'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }),
      Object.assign(new Error('late'), { code: 'ETIMEDOUT' }),
      new FailsmallError('FS_ERR_BREAKER_OPEN', 'open', { details: { kind: 'overload', neverSent: true } }),
      Object.assign(new Error('bad'), { name: 'ValidationException', $fault: 'client' }),
    ];
    for (const [i, error] of failures.entries()) {
      for (const seed of [1, 2, 3]) {
        // retry(): default backoffs, a budget, three attempts.
        const clockA = new VirtualClock(0);
        const budgetA = tokenBucketBudget();
        const policy = retry({ clock: clockA, random: seededRandom(seed), budget: budgetA });
        const delaysA: number[] = [];
        policy.onRetry.on((e: RetryEvent) => delaysA.push(e.delay));
        await drive(
          clockA,
          policy.execute(() => Promise.reject(error)),
        );

        // The AWS strategy, the same defaults, fed the same failures.
        const clockB = new VirtualClock(0);
        const budgetB = tokenBucketBudget();
        const strategy = awsRetryStrategy({ clock: clockB, random: seededRandom(seed), budget: budgetB });
        const delaysB: number[] = [];
        let token = await strategy.acquireInitialRetryToken('');
        for (;;) {
          const r = await drive(clockB, strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT', error }));
          if (!r.ok) break;
          token = r.value;
          delaysB.push(token.$retryLog!.acquisitionDelay!);
        }
        assert.equal(delaysA.length, i < 3 ? 2 : 0, `retried twice, or not at all: ${String(error)}`);
        assert.deepEqual(delaysB, delaysA, String(error));
        assert.deepEqual(budgetB.snapshot(), budgetA.snapshot(), String(error));
      }
    }
  });

  it('a ratio budget refuses both shells alike', async () => {
    const error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const budget = ratioBudget({ ratio: 0.1, minRetriesPerSecond: 0 });
    const clock = new VirtualClock(0);
    const policy = retry({ clock, budget, backoff: constantBackoff(0) });
    const strategy = awsRetryStrategy({ clock, budget, backoff: constantBackoff(0) });
    await drive(
      clock,
      policy.execute(() => Promise.reject(error)),
    );
    const token = await strategy.acquireInitialRetryToken('');
    const r = await drive(clock, strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT', error }));
    assert.equal(r.ok, false);
    assert.equal((policy.snapshot().giveUps as Record<string, number>).budget, 1);
    assert.equal(strategy.snapshot().refusedBudget, 1);
  });

  it('both honour a deadline: retry() the caller deadline, the strategy maxElapsed', async () => {
    const error = Object.assign(new Error('reset'), { code: 'ECONNRESET' });
    const clockA = new VirtualClock(0);
    const policy = retry({ clock: clockA, backoff: constantBackoff(1_000) });
    const r = await drive(
      clockA,
      policy.run(() => Promise.reject(error), { ...rootContext(undefined), deadline: 500 }),
    );
    assert.equal(r.ok, false);
    assert.equal((policy.snapshot().giveUps as Record<string, number>).deadline, 1);

    const clockB = new VirtualClock(0);
    const strategy = awsRetryStrategy({ clock: clockB, backoff: constantBackoff(1_000), maxElapsed: 500 });
    const token = await strategy.acquireInitialRetryToken('');
    const refused = await drive(clockB, strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT', error }));
    assert.equal(refused.ok, false);
    assert.equal(strategy.snapshot().refusedDeadline, 1);
    assert.equal(clockB.now(), 0, 'no sleep at all');
  });
});
