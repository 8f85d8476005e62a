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
