import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../../core/random.js';
import { tokenBucketBudget } from '../budget/token-bucket.js';
import { Verdict, type RetryVerdict } from '../errors/classify.js';
import { constantBackoff, equalJitter, exponentialBackoff, fullJitter, MAX_RETRY_DELAY } from './backoff.js';
import { defaultThrottleBackoff, nextRetry, throttleBackoffFor, type RetrySchedule } from './decision.js';

const schedule = (over: Partial<RetrySchedule> = {}): RetrySchedule => ({
  maxAttempts: 3,
  backoff: constantBackoff(100),
  throttleBackoff: constantBackoff(500),
  maxRetryAfter: MAX_RETRY_DELAY,
  ...over,
});
const input = {
  attempt: 1,
  verdict: Verdict.error,
  now: 0,
  deadline: Infinity,
  previousDelay: 0,
  random: seededRandom(1),
};

describe('nextRetry', () => {
  it('checks in order: verdict, idempotency, attempts, deadline, budget', () => {
    const budget = tokenBucketBudget({ initialTokens: 4, retryCost: 5 }); // less than one retry
    assert.deepEqual(nextRetry({ ...input, verdict: Verdict.fail, mayResend: false }, schedule({ budget })), {
      retry: false,
      reason: 'not-retryable',
    });
    assert.deepEqual(nextRetry({ ...input, mayResend: false, attempt: 3 }, schedule({ budget })), {
      retry: false,
      reason: 'not-idempotent',
    });
    assert.deepEqual(nextRetry({ ...input, attempt: 3, deadline: 0 }, schedule({ budget })), {
      retry: false,
      reason: 'attempts',
    });
    assert.deepEqual(nextRetry({ ...input, deadline: 100 }, schedule({ budget })), {
      retry: false,
      reason: 'deadline',
    });
    assert.deepEqual(nextRetry(input, schedule({ budget })), { retry: false, reason: 'budget' });
    assert.deepEqual(nextRetry({ ...input, deadline: 101 }, schedule()), { retry: true, delay: 100 });
  });

  it('uses the throttle backoff after a throttle, and raises the delay to Retry-After capped by maxRetryAfter', () => {
    assert.deepEqual(nextRetry({ ...input, verdict: Verdict.throttle }, schedule()), { retry: true, delay: 500 });
    const hinted = (retryAfter: number): RetryVerdict => ({ retry: true, cause: 'error', retryAfter });
    assert.deepEqual(nextRetry({ ...input, verdict: hinted(3_000) }, schedule()), { retry: true, delay: 3_000 });
    assert.deepEqual(nextRetry({ ...input, verdict: hinted(50) }, schedule()), { retry: true, delay: 100 });
    assert.deepEqual(nextRetry({ ...input, verdict: hinted(3_600_000) }, schedule()), {
      retry: true,
      delay: MAX_RETRY_DELAY,
    });
  });

  it('treats a misbehaving backoff as 0', () => {
    for (const bad of [NaN, -1, Infinity]) {
      const backoff = { kind: 'bad', next: () => bad };
      assert.deepEqual(nextRetry(input, schedule({ backoff })), { retry: true, delay: 0 });
    }
  });

  it('defaults the throttle backoff the same way for every shell', () => {
    const mine = constantBackoff(7);
    assert.equal(throttleBackoffFor(undefined, undefined), defaultThrottleBackoff);
    assert.equal(throttleBackoffFor(mine, undefined), mine);
    assert.equal(throttleBackoffFor(undefined, mine), mine);
    assert.equal(defaultThrottleBackoff.next(1, 0, { next: () => 0.999 }) < 500, true);
  });

  const backoffs = fc.oneof(
    fc.constant(fullJitter()),
    fc.constant(equalJitter({ base: 50, cap: 5_000 })),
    fc.constant(exponentialBackoff({ base: 1, cap: 60_000 })),
    fc.integer({ min: 0, max: 30_000 }).map((ms) => constantBackoff(ms)),
  );
  const verdicts = fc.oneof(
    fc.constantFrom(Verdict.error, Verdict.timeout, Verdict.throttle, Verdict.fail),
    fc
      .record({
        cause: fc.constantFrom('error', 'timeout', 'throttle'),
        retryAfter: fc.double({ min: 0, max: 1e7, noNaN: true }),
      })
      .map((v) => ({ retry: true, ...v }) as RetryVerdict),
  );

  it('property: a granted delay is within [0, max(backoff cap, maxRetryAfter)] and ends before the deadline', () => {
    fc.assert(
      fc.property(
        backoffs,
        verdicts,
        fc.integer({ min: 1, max: 10 }),
        fc.double({ min: 0, max: 1e9, noNaN: true }),
        fc.oneof(fc.constant(Infinity), fc.double({ min: 0, max: 1e5, noNaN: true })),
        fc.integer({ min: 0, max: 60_000 }),
        fc.integer(),
        (backoff, verdict, attempt, now, ahead, maxRetryAfter, seed) => {
          const d = nextRetry(
            { attempt, verdict, now, deadline: now + ahead, previousDelay: 0, random: seededRandom(seed) },
            schedule({ backoff, throttleBackoff: backoff, maxRetryAfter, maxAttempts: 5 }),
          );
          if (!d.retry) return;
          assert.ok(verdict.retry);
          assert.ok(attempt < 5);
          assert.ok(d.delay >= 0 && d.delay <= Math.max(60_000, MAX_RETRY_DELAY, maxRetryAfter), String(d.delay));
          assert.ok(now + d.delay < now + ahead, 'never past the deadline');
        },
      ),
    );
  });

  it('property: the budget is never overspent: grants never exceed what the budget allows', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 50 }),
        fc.array(fc.constantFrom(Verdict.error, Verdict.timeout, Verdict.throttle, Verdict.fail), { maxLength: 200 }),
        (initialTokens, stream) => {
          const budget = tokenBucketBudget({ initialTokens, retryCost: 5, timeoutCost: 10, throttleCost: 5 });
          let spent = 0;
          for (const verdict of stream) {
            const before = budget.tokens;
            const d = nextRetry({ ...input, verdict }, schedule({ budget }));
            if (d.retry) spent += before - budget.tokens;
            else assert.equal(budget.tokens, before, 'a refusal costs nothing');
            assert.ok(budget.tokens >= 0);
          }
          assert.ok(spent <= initialTokens);
        },
      ),
    );
  });
});
