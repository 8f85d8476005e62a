// Resilience policies. Named exports only; types apart from values.

// shared plumbing
export { rootContext, neverAborted } from './core/context.js';
export * from './core/types.js';
export type { PolicyMessage, PolicySnapshot } from './core/policy-base.js';
export * from './timeout/coarse-timer.js';

// timeout
export * from './timeout/timeout.js';

// circuit breaker
export * from './breaker/breaker.js';
export type { BreakerReason, BreakerStateJSON, BreakerStateName } from './breaker/state.js';

// bulkhead
export * from './limit/bulkhead.js';

// composition
export * from './core/pipeline.js';

// backoff
export * from './retry/backoff.js';
export { nextRetry, throttleBackoffFor, defaultThrottleBackoff } from './retry/decision.js';
export type { RetryDecision, RetryInput, RetrySchedule } from './retry/decision.js';

// retry
export * from './retry/retry.js';
export * from './errors/classify.js';
export { describeFailure, describeHttpResult, MAX_CAUSE_DEPTH, NO_RETRY_HEADER } from './errors/describe-failure.js';
export { FAILURE_TABLE, PROGRAMMING_ERROR_NAMES, statusKind } from './errors/failure-table.js';
export type { FailureTableEntry } from './errors/failure-table.js';
export * from './errors/failure.js';
export * from './errors/retry-after.js';

// retry budgets
export * from './budget/budget.js';
export * from './budget/token-bucket.js';
export * from './budget/ratio.js';
export * from './budget/grpc.js';

// hedging
export * from './hedge/hedge.js';
export * from './hedge/latency-window.js';

// fallback
export * from './fallback.js';

// observe: every call measured (outcome, latency), nothing changed
export { ObservePolicy, observe } from './observe.js';
export type { CallEvent, CallOutcome, ObserveOptions, ObserveSnapshot } from './observe.js';

// overload signals (shared by throttle, rate limiter and limits)
export { isOverloadError, isThrottlingError, isTimeoutError } from './errors/overload.js';
export type { Outcome } from './errors/overload.js';

// adaptive client-side throttling (SRE book)
export * from './throttle/adaptive.js';

// CUBIC rate limiter (AWS SDK adaptive mode)
export * from './throttle/cubic.js';

// adaptive concurrency limits
export { BaseLimit, checkSample, fixedLimit, limitChannel, resolveBounds } from './limit/limit.js';
export type { Limit, LimitBounds, LimitChange, LimitSample, LimitSnapshot } from './limit/limit.js';
export * from './limit/aimd.js';
export * from './limit/gradient2.js';
export * from './limit/vegas.js';
export * from './limit/windowed.js';
export * from './limit/limiter.js';
