// Resilience policies. Named exports only; types apart from values.

// shared plumbing
export { rootContext, neverAborted } from './context.js';
export type { Policy, PolicyContext, PolicyFn } from './types.js';
export { CoarseTimer, CoarseTimerEntry, coarseTimer } from './coarse-timer.js';
export type { CoarseTimerOptions, CoarseTimerSnapshot } from './coarse-timer.js';

// timeout
export { TimeoutPolicy, timeout } from './timeout.js';
export type { TimeoutEvent, TimeoutOptions, TimeoutSnapshot, TimeoutStrategy } from './timeout.js';

// circuit breaker
export { CircuitBreaker, circuitBreaker } from './breaker.js';
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
} from './breaker.js';
export * as breakerMachine from './breaker-machine.js';
export type { BreakerReason, BreakerStateJSON, BreakerStateName } from './breaker-machine.js';

// bulkhead
export { Bulkhead, bulkhead } from './bulkhead.js';
export type { BulkheadOptions, BulkheadRejectEvent, BulkheadSnapshot } from './bulkhead.js';

// composition
export { Pipeline, pipeline } from './pipeline.js';
export type { PipelineOptions } from './pipeline.js';

// backoff
export {
  constantBackoff,
  exponentialBackoff,
  fullJitter,
  equalJitter,
  decorrelatedJitter,
  defaultBackoff,
} from './backoff.js';
export type { Backoff, ExponentialOptions } from './backoff.js';

// retry
export { RetryPolicy, retry } from './retry.js';
export type { RetryOptions, RetryEvent, GiveUpEvent, GiveUpReason, SuccessEvent } from './retry.js';
export {
  Verdict,
  classifyError,
  classifyHttpResult,
  classifyStatus,
  defaultClassifier,
  httpClassifier,
  neverSent,
  NEVER_SENT_CODES,
  NEVER_SENT_PREFIXES,
  retryAfterOf,
  headerOf,
  toVerdict,
} from './classify.js';
export type { Classifier, RetryVerdict, VerdictLike } from './classify.js';
export { parseRetryAfter, parseHttpDate } from './retry-after.js';

// retry budgets
export type { RetryBudget, RetryCause } from './budget.js';
export { TokenBucketBudget, tokenBucketBudget, sdkRetries2026Costs } from './token-bucket-budget.js';
export type { TokenBucketBudgetOptions } from './token-bucket-budget.js';
export { RatioBudget, ratioBudget } from './ratio-budget.js';
export type { RatioBudgetOptions } from './ratio-budget.js';
export { GrpcThrottle, grpcThrottle } from './grpc-throttle.js';
export type { GrpcThrottleOptions } from './grpc-throttle.js';

// hedging
export { HedgePolicy, hedge } from './hedge.js';
export type { HedgeOptions, HedgePercentile, HedgeEvent, HedgeResultEvent } from './hedge.js';
export { LatencyWindow } from './hedge-latency.js';

// fallback
export { FallbackPolicy, fallback } from './fallback.js';
export type { FallbackOptions, FallbackSource, FallbackEvent } from './fallback.js';

// overload signals (shared by throttle, rate limiter and limits)
export { isOverloadError, isThrottlingError, isTimeoutError } from './overload-error.js';
export type { Outcome } from './overload-error.js';

// adaptive client-side throttling (SRE book)
export { AdaptiveThrottle, AdaptiveThrottleState, adaptiveThrottle } from './adaptive-throttle.js';
export type {
  AdaptiveThrottleOptions,
  AdaptiveThrottleSnapshot,
  AdaptiveThrottleStateOptions,
  ThrottleLevelEvent,
  ThrottleRejectEvent,
} from './adaptive-throttle.js';

// CUBIC rate limiter (AWS SDK adaptive mode)
export { CubicRateLimiter, CubicRateState, cubicRateLimiter } from './cubic-rate-limiter.js';
export type {
  CubicRateLimiterOptions,
  CubicRateLimiterSnapshot,
  CubicRateOptions,
  RateRejectEvent,
  RateThrottleEvent,
} from './cubic-rate-limiter.js';

// adaptive concurrency limits
export { BaseLimit, checkSample, fixedLimit, limitChannel, resolveBounds } from './concurrency-limit.js';
export type { Limit, LimitBounds, LimitChange, LimitSample } from './concurrency-limit.js';
export { aimd } from './aimd-limit.js';
export type { AimdLimitOptions } from './aimd-limit.js';
export { gradient2 } from './gradient2-limit.js';
export type { Gradient2Options } from './gradient2-limit.js';
export { log10Root, vegas } from './vegas-limit.js';
export type { VegasOptions, VegasThreshold } from './vegas-limit.js';
export { windowedLimit } from './windowed-limit.js';
export type { WindowedLimitOptions } from './windowed-limit.js';
export { ConcurrencyLimiter, concurrencyLimit } from './concurrency-limiter.js';
export type {
  ConcurrencyLimitOptions,
  ConcurrencyLimiterSnapshot,
  LimitRejectEvent,
  LimitVerdict,
} from './concurrency-limiter.js';
