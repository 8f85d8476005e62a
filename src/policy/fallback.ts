/**
 * Fallback: graceful degradation. When the wrapped call fails (and `when` agrees), answer with a
 * substitute instead: a fixed value, or one computed from the error, such as the last good answer
 * from a cache while the breaker is open. Put it outermost in a pipeline so it sees the final
 * error after retries, breakers and timeouts have done their work.
 *
 * A caller's abort is never replaced by a fallback: when the context's signal has aborted, the
 * error goes through unchanged (the caller asked to stop, not for a substitute).
 */
import { abortReason } from '../core/clock.js';
import { Emitter, channel } from '../core/events.js';
import { func, invalid } from '../core/validate.js';
import { rootContext } from './core/context.js';
import { dependencyOption } from './core/options.js';
import type { Policy, PolicyContext, PolicyFn } from './core/types.js';

/** What to answer instead: a fixed `value`, or `fn(error, ctx)` (may be async). */
export type FallbackSource<V> =
  { readonly value: V } | { readonly fn: (error: unknown, ctx: PolicyContext) => V | PromiseLike<V> };

/** Options of {@link fallback}. */
export interface FallbackOptions {
  /** Which errors to replace; default every error except the caller's abort. */
  readonly when?: (error: unknown) => boolean;
  /** The dependency name for events and metrics, when the context carries none. */
  readonly dependency?: string;
}

/** Emitted when a fallback answers in place of the call. */
export interface FallbackEvent {
  /** The error that was replaced. */
  readonly error: unknown;
  readonly dependency: string | undefined;
}

const diagnostics = channel('policy', 'fallback');

/**
 * A {@link Policy} that replaces failures with a substitute of type `V`; build it with
 * {@link fallback}. Called directly, `execute` is typed `Promise<T | V>`; inside a pipeline it
 * is seen as a plain {@link Policy}.
 *
 * @example
 * const policy = new FallbackPolicy({ value: [] as Item[] });
 * const items = await policy.execute(() => listItems()); // [] when listItems() fails
 */
export class FallbackPolicy<V> implements Policy {
  readonly kind = 'fallback';
  /** When the substitute answers. */
  readonly onFallback = new Emitter<FallbackEvent>();
  readonly dependency: string | undefined;
  readonly #source: FallbackSource<V>;
  readonly #hasValue: boolean;
  readonly #when: ((error: unknown) => boolean) | undefined;
  #calls = 0;
  #fallbacks = 0;
  #sourceFailures = 0;

  constructor(source: FallbackSource<V>, options: FallbackOptions = {}) {
    if (typeof source !== 'object' || source === null) invalid('source', 'an object with `value` or `fn`', source);
    const hasValue = 'value' in source;
    const hasFn = 'fn' in source;
    if (hasValue === hasFn) invalid('source', 'an object with exactly one of `value` and `fn`', source);
    if (hasFn) func('fn', (source as { fn: unknown }).fn);
    this.#source = source;
    this.#hasValue = hasValue;
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    this.#when = options.when === undefined ? undefined : func('when', options.when);
    this.dependency = dependencyOption(options.dependency);
  }

  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T | V>;
  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T>;
  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T | V> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return this.run(fn, rootContext(signal, this.dependency));
  }

  run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T | V>;
  run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T>;
  async run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T | V> {
    if (typeof fn !== 'function') invalid('fn', 'a function', fn);
    this.#calls++;
    try {
      return await fn(ctx);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (this.#when !== undefined && !this.#when(error)) throw error;
      this.#fallbacks++;
      if (this.onFallback.hasListeners || diagnostics.hasSubscribers) {
        const event: FallbackEvent = { error, dependency: ctx.dependency ?? this.dependency };
        this.onFallback.emit(event);
        if (diagnostics.hasSubscribers) diagnostics.publish({ type: 'fallback', ...event });
      }
      if (this.#hasValue) return (this.#source as { value: V }).value;
      try {
        return await (this.#source as { fn: (e: unknown, c: PolicyContext) => V | PromiseLike<V> }).fn(error, ctx);
      } catch (sourceError) {
        this.#sourceFailures++; // the substitute failed too: its error is the answer
        throw sourceError;
      }
    }
  }

  /** Counters as plain JSON, for metrics. */
  snapshot(): Record<string, unknown> {
    return {
      kind: this.kind,
      dependency: this.dependency ?? null,
      calls: this.#calls,
      fallbacks: this.#fallbacks,
      sourceFailures: this.#sourceFailures,
    };
  }
}

/**
 * Builds a fallback policy: on failure (filtered by `when`), answer `value`, or `fn(error, ctx)`.
 *
 * @example
 * const stale = new Map<string, Item>();
 * const policy = pipeline(
 *   fallback({ fn: (_error, _ctx) => stale.get(key) ?? null }, { when: (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') }),
 *   retry({ maxAttempts: 3 }),
 *   breaker,
 * );
 * const item = await policy.execute(() => getItem(key));
 */
export function fallback<V>(source: FallbackSource<V>, options?: FallbackOptions): FallbackPolicy<V> {
  return new FallbackPolicy(source, options);
}
