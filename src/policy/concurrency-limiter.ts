/**
 * The client-side limiter: a {@link Policy} that lets at most `limit.limit` calls be in flight and
 * rejects the rest at once with `FS_ERR_LIMIT_EXCEEDED` (no queue: a queue in front of an
 * overloaded dependency only adds latency). Every finished call becomes a {@link LimitSample}, so an
 * adaptive {@link Limit} ({@link aimd}, {@link gradient2}, {@link vegas}) learns how much
 * concurrency the dependency takes right now.
 *
 * @see https://github.com/Netflix/concurrency-limits (`SimpleLimiter`)
 */
import { abortReason, systemClock } from '../core/clock.js';
import type { Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { func, invalid } from '../core/validate.js';
import { limitChannel } from './concurrency-limit.js';
import type { Limit } from './concurrency-limit.js';
import { rootContext } from './context.js';
import { isOverloadError, isTimeoutError } from './overload-error.js';
import type { Outcome } from './overload-error.js';
import type { Policy, PolicyContext, PolicyFn } from './types.js';

/**
 * How a finished call feeds the limit: `success` (a normal sample), `dropped` (timed out or
 * refused for overload: the limit backs off) or `ignore` (no sample: the RTT says nothing).
 */
export type LimitVerdict = 'success' | 'dropped' | 'ignore';

/** Options of {@link concurrencyLimit}. */
export interface ConcurrencyLimitOptions {
  /** The limit algorithm, e.g. `aimd()`; required. Share one Limit per dependency. */
  readonly limit: Limit;
  /**
   * Classifies a finished call. Default: a success is `success`; a timeout or overload error
   * ({@link isTimeoutError}, {@link isOverloadError}) is `dropped`; any other error is `ignore`
   * (as Netflix's limiters do: a failed call's RTT is not a capacity measurement).
   */
  readonly classify?: (outcome: Outcome) => LimitVerdict;
  /** The clock the RTT is measured on; default {@link systemClock}. */
  readonly clock?: Clock;
}

/** An event of {@link ConcurrencyLimiter.events}. */
export interface ConcurrencyLimiterEvent {
  /** A call was rejected because the limit was reached. */
  readonly type: 'rejected';
  readonly limit: number;
  readonly inflight: number;
  readonly now: number;
  readonly dependency: string | undefined;
}

/** The default verdict for a failed call. */
function errorVerdict(error: unknown): LimitVerdict {
  return isTimeoutError(error) || isOverloadError(error) ? 'dropped' : 'ignore';
}

/** The limiter {@link Policy}; build it with {@link concurrencyLimit}. */
export class ConcurrencyLimiter implements Policy {
  readonly kind = 'limit';
  /** Rejections (limit changes are on `limit.events`). */
  readonly events = new Emitter<ConcurrencyLimiterEvent>();
  /** The limit algorithm. */
  readonly limit: Limit;
  readonly #clock: Clock;
  readonly #classify: ((outcome: Outcome) => LimitVerdict) | undefined;
  #inflight = 0;
  #rejected = 0;
  #dropped = 0;

  constructor(options: ConcurrencyLimitOptions) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    const limit = options.limit;
    if (typeof limit !== 'object' || limit === null || typeof limit.onSample !== 'function') {
      invalid('limit', 'a Limit (e.g. aimd())', limit);
    }
    this.limit = limit;
    this.#clock = options.clock ?? systemClock;
    this.#classify = options.classify === undefined ? undefined : func('classify', options.classify);
  }

  /** The calls in flight now. */
  get inflight(): number {
    return this.#inflight;
  }

  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T> {
    return this.run(fn, rootContext(signal));
  }

  async run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    if (ctx.signal.aborted) throw abortReason(ctx.signal);
    const limit = this.limit.limit;
    if (this.#inflight >= limit) throw this.#reject(limit, ctx);
    const inflight = ++this.#inflight;
    const start = this.#clock.now();
    let value: T;
    try {
      value = await fn(ctx);
    } catch (error) {
      this.#inflight--;
      this.#sample(
        start,
        inflight,
        this.#classify === undefined ? errorVerdict(error) : this.#classify({ ok: false, error }),
      );
      throw error;
    }
    this.#inflight--;
    this.#sample(start, inflight, this.#classify === undefined ? 'success' : this.#classify({ ok: true, value }));
    return value;
  }

  #sample(start: number, inflight: number, verdict: LimitVerdict): void {
    if (verdict === 'ignore') return;
    const dropped = verdict === 'dropped';
    if (dropped) this.#dropped++;
    const now = this.#clock.now();
    const rtt = now - start;
    // A clock that stepped backwards gives no usable RTT.
    if (!(rtt >= 0)) return;
    this.limit.onSample({ now, rtt, inflight, dropped });
  }

  #reject(limit: number, ctx: PolicyContext): FailsmallError {
    this.#rejected++;
    const inflight = this.#inflight;
    if (this.events.hasListeners || limitChannel.hasSubscribers) {
      const event: ConcurrencyLimiterEvent = {
        type: 'rejected',
        limit,
        inflight,
        now: this.#clock.now(),
        dependency: ctx.dependency,
      };
      this.events.emit(event);
      limitChannel.publish(event);
    }
    return new FailsmallError(
      'FS_ERR_LIMIT_EXCEEDED',
      `Concurrency limit reached: ${inflight} calls in flight, limit ${limit} (${this.limit.kind})`,
      { details: { limit, inflight, algorithm: this.limit.kind, dependency: ctx.dependency } },
    );
  }

  /** Plain JSON for metrics. */
  snapshot(): Record<string, unknown> {
    return {
      kind: this.kind,
      inflight: this.#inflight,
      rejected: this.#rejected,
      dropped: this.#dropped,
      limit: this.limit.snapshot(),
    };
  }
}

/**
 * A client-side adaptive concurrency limiter: at most `limit.limit` calls in flight, the rest
 * rejected at once with `FS_ERR_LIMIT_EXCEEDED`; every finished call adjusts the limit.
 *
 * @example
 * const limiter = concurrencyLimit({ limit: aimd({ initialLimit: 10, maxLimit: 100 }) });
 * const item = await limiter.execute(() => table.get(key));
 * limiter.snapshot(); // { inflight, rejected, limit: { kind: 'aimd', limit: 11, … } }
 * @see https://github.com/Netflix/concurrency-limits
 */
export function concurrencyLimit(options: ConcurrencyLimitOptions): ConcurrencyLimiter {
  return new ConcurrencyLimiter(options);
}
