/**
 * Retry budgets: a limit on retries (and hedges) shared by every call site of one dependency, so
 * that retries calm a storm instead of feeding it. When a dependency fails for everyone, per-call
 * `maxAttempts` still multiplies the load by `maxAttempts`; a budget caps the extra load at a
 * fraction of the real traffic (or a fixed token pool), whatever the number of callers.
 *
 * Three kinds share this interface: {@link tokenBucketBudget} (AWS SDK v3 standard mode),
 * {@link ratioBudget} (Finagle / Envoy) and {@link grpcRetryBudget} (gRFC A6). Decisions are pure
 * functions of the calls made and the `now` passed in.
 *
 * @see https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 */

/** Why a retry is wanted: token buckets charge timeouts more, throttles may cost less. */
export type RetryCause = 'error' | 'timeout' | 'throttle';

/**
 * A retry budget, shared by many call sites of one dependency. `now` is in milliseconds on the
 * caller's clock.
 *
 * @example
 * const budget = ratioBudget({ ratio: 0.1 });
 * const a = retry({ maxAttempts: 3, budget });
 * const b = retry({ maxAttempts: 5, budget }); // both draw from the same 10 %
 */
export interface RetryBudget {
  /** `token-bucket`, `ratio` or `grpc` (for a budget of your own, any other name). */
  readonly kind: string;
  /** Records a first attempt (a request). */
  recordRequest(now: number): void;
  /** May a retry or hedge go out now? Consumes budget when it answers true. */
  tryAcquire(now: number, cause?: RetryCause): boolean;
  /**
   * A call (first attempt or retry) succeeded. `cause` (optional, an extension of the shared
   * contract) is the cause of the last retry the call acquired, so a token bucket refunds exactly
   * what that retry cost, as the AWS SDK does.
   */
  recordSuccess(now: number, wasRetry: boolean, cause?: RetryCause): void;
  /** Plain JSON for metrics. */
  snapshot(): RetryBudgetSnapshot;
}

/**
 * What every budget snapshot holds. The built-in ones are typed exactly:
 * {@link TokenBucketBudgetSnapshot}, {@link RatioBudgetSnapshot}, {@link GrpcRetryBudgetSnapshot}.
 */
export interface RetryBudgetSnapshot {
  /** The budget's kind, as `budget.kind`. */
  readonly kind: string;
  /** Retries (and hedges) the budget allowed since construction. */
  readonly granted: number;
  /** Retries (and hedges) it refused since construction. */
  readonly denied: number;
}
