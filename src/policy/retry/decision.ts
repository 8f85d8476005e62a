/**
 * The one retry decision, shared by `retry()` (RetryPolicy) and the AWS SDK retry strategy
 * (client/aws-retry-strategy.ts): after a failed attempt, retry after a delay or give up, and why.
 *
 * The order of checks is the contract:
 * 1. the verdict says "not retryable" → `not-retryable`;
 * 2. the call may not be sent again (not idempotent, and not proved never sent) → `not-idempotent`;
 * 3. `maxAttempts` reached → `attempts`;
 * 4. the delay (the backoff, or the throttle backoff after a throttle, raised to the server's
 *    `Retry-After` capped by `maxRetryAfter`) would end at or past the deadline → `deadline`;
 * 5. the budget refuses → `budget` (checked last, so a refused retry costs no token).
 * Pure apart from the budget it is handed (the only state a grant changes): time is `now`,
 * jitter is `random`.
 */
import type { Random } from '../../core/random.js';
import type { RetryBudget } from '../budget/budget.js';
import type { RetryVerdict } from '../errors/classify.js';
import { fullJitter, MAX_RETRY_DELAY, type Backoff } from './backoff.js';

/** Why a retry policy stopped retrying. */
export type GiveUpReason = 'not-retryable' | 'not-idempotent' | 'attempts' | 'deadline' | 'budget';

/** What {@link nextRetry} answers: retry after `delay` ms, or give up for `reason`. */
export type RetryDecision =
  { readonly retry: true; readonly delay: number } | { readonly retry: false; readonly reason: GiveUpReason };

/** The settings of the decision, fixed per policy or strategy. */
export interface RetrySchedule {
  /** Attempts in all, the first included (≥ 1). */
  readonly maxAttempts: number;
  /** The delay before a retry after an error or a timeout. */
  readonly backoff: Backoff;
  /** The delay before a retry after a throttle. */
  readonly throttleBackoff: Backoff;
  /** The longest `Retry-After` honoured, in ms (a longer hint is cut to it). */
  readonly maxRetryAfter: number;
  /** The retry budget to draw from; none when undefined. */
  readonly budget?: RetryBudget | undefined;
}

/** The facts of one failed attempt. */
export interface RetryInput {
  /** The attempt that just failed, 1 for the first. */
  readonly attempt: number;
  /** The classification of its outcome (a projection of `describeFailure`). */
  readonly verdict: RetryVerdict;
  /** False when the call must not run again (not idempotent, and not proved never sent); default true. */
  readonly mayResend?: boolean;
  /** The current time, in the clock's milliseconds. */
  readonly now: number;
  /** When the caller stops waiting, in the same clock's ms; `Infinity` for no deadline. */
  readonly deadline: number;
  /** The delay slept before the failed attempt, in ms (0 before the first retry): decorrelated jitter reads it. */
  readonly previousDelay: number;
  /** The source of jitter. */
  readonly random: Random;
}

/** The default delay before a retry after a throttle: full jitter, base 500 ms (the AWS SDK's throttling base), cap 20 s. */
export const defaultThrottleBackoff: Backoff = fullJitter({ base: 500, cap: MAX_RETRY_DELAY });

/**
 * The backoff after a throttle when none is given: the given `backoff` when the user chose one
 * (their schedule is honoured everywhere), else {@link defaultThrottleBackoff}. Both shells use it.
 *
 * @example
 * const throttle = throttleBackoffFor(options.backoff, options.throttleBackoff);
 */
export function throttleBackoffFor(backoff: Backoff | undefined, throttleBackoff: Backoff | undefined): Backoff {
  return throttleBackoff ?? backoff ?? defaultThrottleBackoff;
}

const NOT_RETRYABLE: RetryDecision = Object.freeze({ retry: false, reason: 'not-retryable' });
const NOT_IDEMPOTENT: RetryDecision = Object.freeze({ retry: false, reason: 'not-idempotent' });
const ATTEMPTS: RetryDecision = Object.freeze({ retry: false, reason: 'attempts' });
const DEADLINE: RetryDecision = Object.freeze({ retry: false, reason: 'deadline' });
const BUDGET: RetryDecision = Object.freeze({ retry: false, reason: 'budget' });
const NOW: RetryDecision = Object.freeze({ retry: true, delay: 0 });

/**
 * The delay before the next attempt, or why there is none. See the module comment for the order.
 * The delay is always finite and ≥ 0: a backoff returning junk counts as 0, and a `Retry-After`
 * raises it to at most `maxRetryAfter`. It never ends at or past `deadline`. On a grant the budget
 * has paid one retry of the verdict's cause; on a refusal nothing was taken.
 *
 * @example
 * const d = nextRetry({ attempt: 1, verdict, now, deadline: Infinity, previousDelay: 0, random }, schedule);
 * if (d.retry) await clock.sleep(d.delay);
 */
export function nextRetry(input: RetryInput, schedule: RetrySchedule): RetryDecision {
  const verdict = input.verdict;
  if (!verdict.retry) return NOT_RETRYABLE;
  if (input.mayResend === false) return NOT_IDEMPOTENT;
  if (!(input.attempt < schedule.maxAttempts)) return ATTEMPTS;
  const backoff = verdict.cause === 'throttle' ? schedule.throttleBackoff : schedule.backoff;
  let delay = backoff.next(input.attempt, input.previousDelay, input.random);
  if (!(delay >= 0 && delay < Infinity)) delay = 0; // a user-supplied backoff misbehaved
  const retryAfter = verdict.retryAfter;
  if (retryAfter !== undefined && retryAfter >= 0)
    delay = Math.max(delay, Math.min(retryAfter, schedule.maxRetryAfter));
  if (!(input.now + delay < input.deadline)) return DEADLINE;
  const budget = schedule.budget;
  if (budget !== undefined && !budget.tryAcquire(input.now, verdict.cause)) return BUDGET;
  return delay === 0 ? NOW : { retry: true, delay };
}
