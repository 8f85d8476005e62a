/**
 * Fallback: graceful degradation. When the wrapped call fails (and `when` agrees), answer with a
 * substitute instead: a fixed value, or one computed from the error, such as the last good answer
 * from a cache while the breaker is open. Put it outermost in a pipeline so it sees the final
 * error after retries, breakers and timeouts have done their work.
 *
 * A caller's abort is never replaced by a fallback: when the context's signal has aborted, the
 * error goes through unchanged (the caller asked to stop, not for a substitute).
 */
import type { Clock } from '../core/clock.js';
import { Emitter } from '../core/events.js';
import { func, invalid } from '../core/validate.js';
import { callNext, kRunChain } from './core/fast-path.js';
import { policyOptions } from './core/options.js';
import { PolicyBase } from './core/policy-base.js';
import type { PolicySnapshot } from './core/policy-base.js';
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
  /** Where the time of published messages comes from; default {@link systemClock}. */
  readonly clock?: Clock;
}

const KNOWN_OPTIONS: readonly (keyof FallbackOptions)[] = ['when', 'dependency', 'clock'];

/** Plain numbers for metrics: see {@link FallbackPolicy.snapshot}. */
export interface FallbackSnapshot extends PolicySnapshot {
  readonly kind: 'fallback';
  /** Calls started. */
  readonly calls: number;
  /** Calls the substitute answered. */
  readonly fallbacks: number;
  /** Substitutes that failed too (their error was the answer). */
  readonly sourceFailures: number;
}

/** Emitted when a fallback answers in place of the call. */
export interface FallbackEvent {
  /** The error that was replaced. */
  readonly error: unknown;
  readonly dependency: string | undefined;
}

/**
 * A {@link Policy} that replaces failures with a substitute of type `V`; build it with
 * {@link fallback}. Called directly, `execute` is typed `Promise<T | V>`; inside a pipeline it
 * is seen as a plain {@link Policy}.
 *
 * @example
 * const policy = new FallbackPolicy({ value: [] as Item[] });
 * const items = await policy.execute(() => listItems()); // [] when listItems() fails
 */
export class FallbackPolicy<V> extends PolicyBase<FallbackSnapshot> {
  /** When the substitute answers. */
  readonly onFallback = new Emitter<FallbackEvent>();
  readonly #source: FallbackSource<V>;
  readonly #hasValue: boolean;
  readonly #when: ((error: unknown) => boolean) | undefined;
  #calls = 0;
  #fallbacks = 0;
  #sourceFailures = 0;

  constructor(source: FallbackSource<V>, input?: FallbackOptions) {
    const options = policyOptions(input, KNOWN_OPTIONS);
    super('fallback', options);
    if (typeof source !== 'object' || source === null) invalid('source', 'an object with `value` or `fn`', source);
    const hasValue = 'value' in source;
    const hasFn = 'fn' in source;
    if (hasValue === hasFn) invalid('source', 'an object with exactly one of `value` and `fn`', source);
    if (hasFn) func('fn', (source as { fn: unknown }).fn);
    this.#source = source;
    this.#hasValue = hasValue;
    this.#when = options.when === undefined ? undefined : func('when', options.when);
  }

  override execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T | V>;
  override execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T>;
  override execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T | V> {
    return super.execute<T | V>(fn, signal);
  }

  override run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T | V>;
  override run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T>;
  override run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T | V> {
    return super.run<T | V>(fn, ctx);
  }

  /** @internal The policy's step (see policy-base.ts). */
  async [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    this.#calls++;
    try {
      return await callNext(chain, next, fn, ctx);
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      if (this.#when !== undefined && !this.#when(error)) throw error;
      this.#fallbacks++;
      if (this.onFallback.hasListeners || this.channel.hasSubscribers) {
        const event: FallbackEvent = { error, dependency: ctx.dependency ?? this.dependency };
        this.announce(this.onFallback, 'fallback', event);
      }
      // Inside a pipeline a fallback is seen as a plain Policy: the substitute stands in for T.
      if (this.#hasValue) return (this.#source as { value: V }).value as unknown as T;
      try {
        return (await (this.#source as { fn: (e: unknown, c: PolicyContext) => V | PromiseLike<V> }).fn(
          error,
          ctx,
        )) as unknown as T;
      } catch (sourceError) {
        this.#sourceFailures++; // the substitute failed too: its error is the answer
        throw sourceError;
      }
    }
  }

  protected snapshotFields(): Omit<FallbackSnapshot, keyof PolicySnapshot> {
    return {
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
