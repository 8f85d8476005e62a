// Resilience policies. Named exports only; types apart from values.

// shared plumbing
export { rootContext, neverAborted } from './core/context.js';
export type { Policy, PolicyContext, PolicyFn } from './core/types.js';
export type { PolicyMessage, PolicySnapshot } from './core/policy-base.js';
export { CoarseTimer, CoarseTimerEntry, coarseTimer } from './timeout/coarse-timer.js';
export type { CoarseTimerOptions, CoarseTimerSnapshot } from './timeout/coarse-timer.js';

// timeout
export { TimeoutPolicy, timeout } from './timeout/timeout.js';
export type { TimeoutEvent, TimeoutOptions, TimeoutSnapshot, TimeoutStrategy } from './timeout/timeout.js';

// circuit breaker
export { CircuitBreaker, circuitBreaker } from './breaker/breaker.js';
export type {
  BreakerBreakEvent,
  BreakerHalfOpenEvent,
  BreakerOptions,
  BreakerResetEvent,
  BreakerSnapshot,
  BreakerStateChange,
  BreakerStrategy,
  ConsecutiveStrategy,
  CountWindowStrategy,
  SlowCallOptions,
  TimeWindowStrategy,
} from './breaker/breaker.js';
export type { BreakerReason, BreakerStateJSON, BreakerStateName } from './breaker/state.js';

// bulkhead
export { Bulkhead, bulkhead } from './limit/bulkhead.js';
export type { BulkheadOptions, BulkheadRejectEvent, BulkheadSnapshot } from './limit/bulkhead.js';

// composition
export { Pipeline, pipeline } from './core/pipeline.js';
export type { PipelineSnapshot } from './core/pipeline.js';

// backoff
export {
  constantBackoff,
  exponentialBackoff,
  fullJitter,
  equalJitter,
  decorrelatedJitter,
  defaultBackoff,
} from './retry/backoff.js';
export type { Backoff, ExponentialOptions } from './retry/backoff.js';
export { MAX_RETRY_DELAY } from './retry/backoff.js';
export { nextRetry, throttleBackoffFor, defaultThrottleBackoff } from './retry/decision.js';
export type { RetryDecision, RetryInput, RetrySchedule } from './retry/decision.js';

// retry
export { RetryPolicy, retry } from './retry/retry.js';
export type {
  RetryOptions,
  RetryEvent,
  RetrySnapshot,
  GiveUpEvent,
  GiveUpReason,
  SuccessEvent,
} from './retry/retry.js';
export {
  Verdict,
  classifyError,
  classifyHttpResult,
  classifyStatus,
  defaultClassifier,
  httpClassifier,
  neverSent,
  NEVER_SENT_CODES,
  retryAfterOf,
  headerOf,
  toVerdict,
  verdictOf,
} from './errors/classify.js';
export { describeFailure, describeHttpResult, MAX_CAUSE_DEPTH, NO_RETRY_HEADER } from './errors/describe-failure.js';
export { FAILURE_TABLE, PROGRAMMING_ERROR_NAMES, statusKind } from './errors/failure-table.js';
export type { FailureTableEntry } from './errors/failure-table.js';
export { FAILURE_KINDS } from './errors/failure.js';
export type { FailureDescription, FailureKind, RejectionDetails } from './errors/failure.js';
export type { Classifier, RetryVerdict, VerdictLike } from './errors/classify.js';
export { parseRetryAfter, parseHttpDate } from './errors/retry-after.js';

// retry budgets
export type { RetryBudget, RetryBudgetSnapshot, RetryCause } from './budget/budget.js';
export { TokenBucketBudget, tokenBucketBudget, sdkRetries2026Costs } from './budget/token-bucket.js';
export type { TokenBucketBudgetOptions, TokenBucketBudgetSnapshot } from './budget/token-bucket.js';
export { RatioBudget, ratioBudget } from './budget/ratio.js';
export type { RatioBudgetOptions, RatioBudgetSnapshot } from './budget/ratio.js';
export { GrpcRetryBudget, grpcRetryBudget } from './budget/grpc.js';
export type { GrpcRetryBudgetOptions, GrpcRetryBudgetSnapshot } from './budget/grpc.js';

// hedging
export { HedgePolicy, hedge } from './hedge/hedge.js';
export type { HedgeOptions, HedgePercentile, HedgeEvent, HedgeResultEvent, HedgeSnapshot } from './hedge/hedge.js';
export { LatencyWindow } from './hedge/latency-window.js';

// fallback
export { FallbackPolicy, fallback } from './fallback.js';
export type { FallbackOptions, FallbackSource, FallbackEvent, FallbackSnapshot } from './fallback.js';

// observe: every call measured (outcome, latency), nothing changed
export { ObservePolicy, observe } from './observe.js';
export type { CallEvent, CallOutcome, ObserveOptions, ObserveSnapshot } from './observe.js';

// overload signals (shared by throttle, rate limiter and limits)
export { isOverloadError, isThrottlingError, isTimeoutError } from './errors/overload.js';
export type { Outcome } from './errors/overload.js';

// adaptive client-side throttling (SRE book)
export { AdaptiveThrottle, AdaptiveThrottleState, adaptiveThrottle } from './throttle/adaptive.js';
export type {
  AdaptiveThrottleOptions,
  AdaptiveThrottleSnapshot,
  AdaptiveThrottleStateOptions,
  ThrottleLevelEvent,
  ThrottleRejectEvent,
} from './throttle/adaptive.js';

// CUBIC rate limiter (AWS SDK adaptive mode)
export { CubicRateLimiter, CubicRateState, cubicRateLimiter } from './throttle/cubic.js';
export type {
  CubicRateLimiterOptions,
  CubicRateLimiterSnapshot,
  CubicRateOptions,
  RateRejectEvent,
  RateThrottleEvent,
} from './throttle/cubic.js';

// adaptive concurrency limits
export { BaseLimit, checkSample, fixedLimit, limitChannel, resolveBounds } from './limit/limit.js';
export type { Limit, LimitBounds, LimitChange, LimitSample, LimitSnapshot } from './limit/limit.js';
export { aimd } from './limit/aimd.js';
export type { AimdLimitOptions } from './limit/aimd.js';
export { gradient2 } from './limit/gradient2.js';
export type { Gradient2Options } from './limit/gradient2.js';
export { log10Root, vegas } from './limit/vegas.js';
export type { VegasOptions, VegasThreshold } from './limit/vegas.js';
export { windowedLimit } from './limit/windowed.js';
export type { WindowedLimitOptions } from './limit/windowed.js';
export { ConcurrencyLimiter, concurrencyLimiter } from './limit/limiter.js';
export type {
  ConcurrencyLimiterOptions,
  ConcurrencyLimiterSnapshot,
  LimitRejectEvent,
  LimitVerdict,
} from './limit/limiter.js';
