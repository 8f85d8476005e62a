/**
 * Adaptive concurrency limits: the shared shape. A {@link Limit} estimates how many calls may be in
 * flight at once and revises the estimate from each finished call's sample (its round-trip time,
 * the calls in flight when it started, and whether it was dropped). The estimate is a pure state
 * machine: it never reads a clock, it is handed `now` in each sample.
 *
 * The same limits serve a client-side limiter ({@link concurrencyLimiter}) and server-side admission
 * control, so nothing here knows about policies.
 *
 * Algorithms, after Netflix's concurrency-limits library: {@link aimd} (loss based),
 * {@link gradient2} (latency gradient), {@link vegas} (TCP Vegas), {@link fixedLimit}, and
 * {@link windowedLimit} to feed any of them per-window aggregates instead of single samples.
 *
 * @see https://github.com/Netflix/concurrency-limits
 * @see https://netflixtechblog.medium.com/performance-under-load-3e6fa9a60581
 */
import { channel, Emitter } from '../../core/events.js';
import { invalid, positiveInteger } from '../../core/validate.js';

/** One finished call, as a limit sees it. */
export interface LimitSample {
  /** When the call finished, in ms on the caller's clock. */
  readonly now: number;
  /** The call's round-trip time, in ms (a finite number ≥ 0). */
  readonly rtt: number;
  /** The calls in flight when this one started, itself included (an integer ≥ 0). */
  readonly inflight: number;
  /** True when the call was dropped: timed out, or refused by an overloaded backend. */
  readonly dropped: boolean;
}

/** Emitted by {@link Limit.onChange} when the limit changes. */
export interface LimitChange {
  readonly type: 'limit';
  /** The algorithm: `aimd`, `gradient2`, `vegas`, `fixed`, `windowed(…)`. */
  readonly kind: string;
  readonly limit: number;
  readonly previous: number;
  /** The `now` of the sample that changed it, in ms. */
  readonly now: number;
}

/** An adaptive concurrency limit: a pure estimator of how many calls may be in flight. */
export interface Limit {
  /** `aimd`, `gradient2`, `vegas`, `fixed`, … */
  readonly kind: string;
  /** The current limit: an integer within [minLimit, maxLimit]. */
  readonly limit: number;
  /** The lowest limit this estimator ever returns. */
  readonly minLimit: number;
  /** The highest limit this estimator ever returns. */
  readonly maxLimit: number;
  /**
   * Revises the limit from one finished call and returns the new limit. Throws
   * `FS_ERR_INVALID_ARGUMENT` for a malformed sample (NaN rtt, negative inflight …).
   */
  onSample(sample: LimitSample): number;
  /** Limit changes (also published on `failsmall:policy:limit`). */
  readonly onChange: Emitter<LimitChange>;
  /** Plain JSON for metrics. */
  snapshot(): LimitSnapshot;
}

/** What every {@link Limit} snapshot holds; an algorithm adds its own internals. */
export interface LimitSnapshot {
  /** The algorithm: `aimd`, `gradient2`, `vegas`, `fixed`, … */
  readonly kind: string;
  readonly limit: number;
  readonly minLimit: number;
  readonly maxLimit: number;
  /** The algorithm's internals (e.g. gradient2's RTTs), numbers for metrics. */
  readonly [internal: string]: unknown;
}

/**
 * `failsmall:policy:limit`: limit changes of every estimator (`{ type: 'limit', kind, limit,
 * previous, now }`). The limiter's own rejections are on `failsmall:policy:limiter`.
 */
export const limitChannel = channel('policy', 'limit');

/** Options every bounded limit shares. */
export interface LimitBounds {
  /** The starting limit, an integer in [minLimit, maxLimit]. */
  readonly initialLimit?: number;
  /** The lowest limit, an integer ≥ 1. */
  readonly minLimit?: number;
  /** The highest limit, an integer ≥ minLimit. */
  readonly maxLimit?: number;
}

/**
 * Validates bounds against the algorithm's defaults and returns them resolved. A default bound
 * makes room for an explicit one (`initialLimit: 5` lowers a default `minLimit` of 20 to 5);
 * explicit bounds that contradict each other throw.
 */
export function resolveBounds(
  options: LimitBounds,
  defaults: { initialLimit: number; minLimit: number; maxLimit: number },
): { initialLimit: number; minLimit: number; maxLimit: number } {
  const given = options.initialLimit;
  if (given !== undefined) positiveInteger('initialLimit', given);
  const minLimit = positiveInteger('minLimit', options.minLimit ?? Math.min(defaults.minLimit, given ?? Infinity));
  const maxLimit = positiveInteger('maxLimit', options.maxLimit ?? Math.max(defaults.maxLimit, minLimit, given ?? 0));
  if (maxLimit < minLimit) invalid('maxLimit', `an integer >= minLimit (${minLimit})`, maxLimit);
  const initialLimit = given ?? Math.min(Math.max(defaults.initialLimit, minLimit), maxLimit);
  if (initialLimit < minLimit || initialLimit > maxLimit) {
    invalid('initialLimit', `an integer in [minLimit, maxLimit] ([${minLimit}, ${maxLimit}])`, initialLimit);
  }
  return { initialLimit, minLimit, maxLimit };
}

/** Checks an options argument is an object (or undefined). */
export function optionsObject<T extends object>(options: T | undefined): T {
  if (options === undefined) return {} as T;
  if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
  return options;
}

/**
 * Checks a sample on the hot path (a few comparisons); throws `FS_ERR_INVALID_ARGUMENT` naming the
 * bad field.
 */
export function checkSample(sample: LimitSample): void {
  if (typeof sample !== 'object' || sample === null) invalid('sample', 'an object', sample);
  const { now, rtt, inflight, dropped } = sample;
  if (typeof now !== 'number' || !Number.isFinite(now)) invalid('sample.now', 'a finite number', now);
  if (typeof rtt !== 'number' || !(rtt >= 0 && rtt < Infinity)) invalid('sample.rtt', 'a finite number >= 0', rtt);
  if (typeof inflight !== 'number' || !Number.isSafeInteger(inflight) || inflight < 0) {
    invalid('sample.inflight', 'a non-negative integer', inflight);
  }
  if (typeof dropped !== 'boolean') invalid('sample.dropped', 'a boolean', dropped);
}

/**
 * The base of the bounded limits: checks each sample, asks {@link update} for the next limit,
 * clamps it into [minLimit, maxLimit] and reports changes on {@link onChange} and the
 * `failsmall:policy:limit` diagnostics channel.
 */
export abstract class BaseLimit implements Limit {
  abstract readonly kind: string;
  readonly onChange = new Emitter<LimitChange>();
  readonly minLimit: number;
  readonly maxLimit: number;
  #limit: number;

  protected constructor(bounds: { initialLimit: number; minLimit: number; maxLimit: number }) {
    this.minLimit = bounds.minLimit;
    this.maxLimit = bounds.maxLimit;
    this.#limit = bounds.initialLimit;
  }

  get limit(): number {
    return this.#limit;
  }

  onSample(sample: LimitSample): number {
    checkSample(sample);
    const proposed = Math.floor(this.update(sample));
    // `!(a >= b)` also catches NaN: a broken estimate never escapes the bounds.
    const next = !(proposed >= this.minLimit) ? this.minLimit : proposed > this.maxLimit ? this.maxLimit : proposed;
    const previous = this.#limit;
    if (next !== previous) {
      this.#limit = next;
      if (this.onChange.hasListeners || limitChannel.hasSubscribers) {
        const event: LimitChange = { type: 'limit', kind: this.kind, limit: next, previous, now: sample.now };
        this.onChange.emit(event);
        if (limitChannel.hasSubscribers) limitChannel.publish(event);
      }
    }
    return next;
  }

  /** The algorithm: the next limit (any number; the base floors and clamps it). */
  protected abstract update(sample: LimitSample): number;

  snapshot(): LimitSnapshot {
    return { kind: this.kind, limit: this.#limit, minLimit: this.minLimit, maxLimit: this.maxLimit };
  }
}

class FixedLimit extends BaseLimit {
  readonly kind = 'fixed';

  constructor(limit: number) {
    const n = positiveInteger('limit', limit);
    super({ initialLimit: n, minLimit: n, maxLimit: n });
  }

  protected update(): number {
    return this.limit;
  }
}

/**
 * A limit that never changes: a plain semaphore size, for comparison or when the capacity is known.
 *
 * @param limit - the number of calls allowed in flight, an integer ≥ 1.
 * @example
 * const limiter = concurrencyLimiter({ limit: fixedLimit(10) });
 */
export function fixedLimit(limit: number): Limit {
  return new FixedLimit(limit);
}
