/**
 * The contract every policy implements. A policy wraps a call: `execute(fn, signal)` runs `fn` under
 * the policy's rules; `run(fn, ctx)` does the same inside a context handed down by an outer policy,
 * which is how {@link pipeline} composes them without allocating a new context at every layer.
 */

/**
 * What the wrapped function sees about the call it is part of. Policies that change a field (retry
 * the attempt, timeout the deadline and signal) hand the inner layers a derived context; others pass
 * it through unchanged.
 */
export interface PolicyContext {
  /** The attempt number, 1 for the first try, 2 for the first retry (or hedge), and so on. */
  readonly attempt: number;
  /** The absolute time (on the policy's clock, in ms) by which the call must finish; Infinity if none. */
  readonly deadline: number;
  /** Aborts when the caller gives up or a timeout fires. Read it only when needed: it may be built lazily. */
  readonly signal: AbortSignal;
  /** The name of the dependency being called (e.g. `dynamodb`), for events and metrics; may be undefined. */
  readonly dependency: string | undefined;
}

/** The function a policy wraps. */
export type PolicyFn<T> = (ctx: PolicyContext) => T | PromiseLike<T>;

/** A resilience policy: retry, breaker, timeout, bulkhead, hedge, fallback, throttle, limit or a pipeline. */
export interface Policy {
  /** A short name for events and errors: `retry`, `breaker`, `timeout`, … */
  readonly kind: string;
  /**
   * Runs `fn` under this policy. `signal` cancels the call: a pending sleep or queue wait ends at
   * once and the promise rejects with the signal's reason.
   */
  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T>;
  /** Runs `fn` inside an existing context (used by composition; `execute` builds a root context). */
  run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T>;
}
