/**
 * The client-side limiter: a {@link Policy} that lets at most `limit.limit` calls be in flight and
 * rejects the rest at once with `FS_ERR_LIMIT_EXCEEDED` (no queue: a queue in front of an
 * overloaded dependency only adds latency). Every finished call becomes a {@link LimitSample}, so an
 * adaptive {@link Limit} ({@link aimd}, {@link gradient2}, {@link vegas}) learns how much
 * concurrency the dependency takes right now. The in-flight slots are core's `SlotQueue` (the one
 * slots mechanism, also under the bulkhead) with no queue, resized to the estimate on each call.
 *
 * @see https://github.com/Netflix/concurrency-limits (`SimpleLimiter`)
 */
import type { Clock } from '../../core/clock.js';
import { Emitter } from '../../core/events.js';
import { SlotQueue } from '../../core/slot-queue.js';
import { func, withMethods } from '../../core/validate.js';
import { callNext, kRunChain } from '../core/fast-path.js';
import type { Limit, LimitSnapshot } from './limit.js';
import { isOverloadError, isTimeoutError } from '../errors/overload.js';
import type { Outcome } from '../errors/overload.js';
import { policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/**
 * How a finished call feeds the limit: `success` (a normal sample), `dropped` (timed out or
 * refused for overload: the limit backs off) or `ignore` (no sample: the RTT says nothing).
 */
export type LimitVerdict = 'success' | 'dropped' | 'ignore';

/** Options of {@link concurrencyLimiter}. */
export interface ConcurrencyLimiterOptions {
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
  /** The dependency's name, for events and errors, when the context carries none. */
  readonly dependency?: string;
}

const KNOWN_OPTIONS: readonly (keyof ConcurrencyLimiterOptions)[] = ['limit', 'classify', 'clock', 'dependency'];

/** Emitted when a call is rejected because the limit was reached. */
export interface LimitRejectEvent {
  readonly limit: number;
  readonly inflight: number;
  /** In ms on the limiter's clock. */
  readonly now: number;
  readonly dependency: string | undefined;
}

/** Plain numbers for metrics: see {@link ConcurrencyLimiter.snapshot}. */
export interface ConcurrencyLimiterSnapshot extends PolicySnapshot {
  readonly kind: 'limiter';
  /** Calls in flight now. */
  readonly inflight: number;
  /** Calls rejected with `FS_ERR_LIMIT_EXCEEDED` since construction. */
  readonly rejected: number;
  /** Calls classified as dropped since construction. */
  readonly dropped: number;
  /** The limit algorithm's own snapshot (`limit`, bounds, internals). */
  readonly limit: LimitSnapshot;
}

/** The default verdict for a failed call. */
function errorVerdict(error: unknown): LimitVerdict {
  return isTimeoutError(error) || isOverloadError(error) ? 'dropped' : 'ignore';
}

/** The limiter {@link Policy}; build it with {@link concurrencyLimiter}. */
export class ConcurrencyLimiter extends PolicyBase<ConcurrencyLimiterSnapshot> {
  /** A call was rejected (also on `failsmall:policy:limiter`; limit changes are on `limit.onChange`). */
  readonly onReject = new Emitter<LimitRejectEvent>();
  /** The limit algorithm. */
  readonly limit: Limit;
  readonly #classify: ((outcome: Outcome) => LimitVerdict) | undefined;
  /** The calls in flight, on core's one slots mechanism (no queue: `maxQueue` 0). */
  readonly #slots: SlotQueue;
  #rejected = 0;
  #dropped = 0;

  constructor(given: ConcurrencyLimiterOptions) {
    const options = policyOptions(given, KNOWN_OPTIONS, true);
    super('limiter', options);
    const limit = withMethods<Limit>('limit', options.limit, ['onSample'], 'a Limit (e.g. aimd())');
    this.limit = limit;
    this.#slots = new SlotQueue({ slots: limit.limit, clock: this.clock });
    this.#classify = options.classify === undefined ? undefined : func('classify', options.classify);
  }

  /** The calls in flight now. */
  get inflight(): number {
    return this.#slots.active;
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const limit = this.limit.limit;
    const slots = this.#slots;
    if (slots.slots !== limit) slots.slots = limit; // the estimate moved since the last call
    if (!slots.tryAcquire()) return Promise.reject(this.#refuse(limit, ctx));
    return this.#call(chain, next, fn, ctx, slots.active);
  }

  async #call<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    inflight: number,
  ): Promise<T> {
    const start = this.clock.now();
    let value: T;
    try {
      value = await callNext(chain, next, fn, ctx);
    } catch (error) {
      this.#slots.release();
      this.#sample(
        start,
        inflight,
        this.#classify === undefined ? errorVerdict(error) : this.#classify({ ok: false, error }),
      );
      throw error;
    }
    this.#slots.release();
    this.#sample(start, inflight, this.#classify === undefined ? 'success' : this.#classify({ ok: true, value }));
    return value;
  }

  #sample(start: number, inflight: number, verdict: LimitVerdict): void {
    if (verdict === 'ignore') return;
    const dropped = verdict === 'dropped';
    if (dropped) this.#dropped++;
    const now = this.clock.now();
    const rtt = now - start;
    // A clock that stepped backwards gives no usable RTT.
    if (!(rtt >= 0)) return;
    this.limit.onSample({ now, rtt, inflight, dropped });
  }

  #refuse(limit: number, ctx: PolicyContext): Error {
    this.#rejected++;
    const inflight = this.#slots.active;
    const dependency = ctx.dependency ?? this.dependency;
    if (this.onReject.hasListeners || this.channel.hasSubscribers) {
      const event: LimitRejectEvent = { limit, inflight, now: this.clock.now(), dependency };
      this.announce(this.onReject, 'rejected', event);
    }
    return this.reject(
      'FS_ERR_LIMIT_EXCEEDED',
      'Concurrency limit reached',
      `: ${inflight} calls in flight, limit ${limit} (${this.limit.kind})`,
      { kind: 'overload', neverSent: true, limit, inflight, algorithm: this.limit.kind },
      dependency,
    );
  }

  protected snapshotFields(): Omit<ConcurrencyLimiterSnapshot, keyof PolicySnapshot> {
    return {
      inflight: this.#slots.active,
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
 * const limiter = concurrencyLimiter({ limit: aimd({ initialLimit: 10, maxLimit: 100 }) });
 * const item = await limiter.execute(() => table.get(key));
 * limiter.snapshot(); // { inflight, rejected, limit: { kind: 'aimd', limit: 11, … } }
 * @see https://github.com/Netflix/concurrency-limits
 */
export function concurrencyLimiter(options: ConcurrencyLimiterOptions): ConcurrencyLimiter {
  return new ConcurrencyLimiter(options);
}
