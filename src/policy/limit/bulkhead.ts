/**
 * Bulkhead: caps how many calls to one dependency run at once, with a bounded FIFO queue for the
 * overflow, so that a slow dependency ties up a fixed share of the process (sockets, memory, event
 * loop) instead of all of it. A full bulkhead rejects at once with `FS_ERR_BULKHEAD_FULL`.
 *
 * A bulkhead is a fixed concurrency limit with a queue: it is core's {@link SlotQueue} (the one
 * slots-plus-queue mechanism, shared with the lab's capacity model and admission control) wrapped
 * as a policy. Joining, leaving and an aborted waiter leaving from the middle are O(1); a queued
 * call whose signal aborts leaves the queue at once (rejecting with the abort reason), so cancelled
 * callers never hold a slot the others are waiting for. For a limit that adapts to the
 * dependency, see {@link concurrencyLimiter}.
 *
 * @see Michael Nygard, "Release It!" (2nd ed., 2018), ch. 5 "Bulkheads"
 */
import { abortReason } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { Emitter } from '../../core/events.js';
import { nonNegativeInteger, positiveInteger } from '../../core/validate.js';
import { SlotQueue } from '../../core/slot-queue.js';
import { neverAborted } from '../core/context.js';
import { kRunChain, runChain } from '../core/fast-path.js';
import { policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/** Options of {@link bulkhead}. */
export interface BulkheadOptions {
  /** Calls allowed to run at once (required: it depends on the dependency's capacity). */
  readonly maxConcurrent: number;
  /** Calls allowed to wait for a slot; default 0 (reject at once when every slot is busy). */
  readonly maxQueue?: number;
  /** The dependency's name, for events and errors. */
  readonly dependency?: string;
  /** Where the time of published messages comes from; default {@link systemClock}. */
  readonly clock?: Clock;
}

const KNOWN_OPTIONS: readonly (keyof BulkheadOptions)[] = ['maxConcurrent', 'maxQueue', 'dependency', 'clock'];

/** Emitted when a call is turned away because both the slots and the queue are full. */
export interface BulkheadRejectEvent {
  readonly active: number;
  readonly queued: number;
  readonly dependency: string | undefined;
}

/** Plain numbers for metrics: see {@link Bulkhead.snapshot}. */
export interface BulkheadSnapshot extends PolicySnapshot {
  readonly kind: 'bulkhead';
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** Calls rejected since construction (full). */
  readonly rejected: number;
}

/**
 * A concurrency limit with a bounded queue. Build it with {@link bulkhead}.
 */
export class Bulkhead extends PolicyBase<BulkheadSnapshot> {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  readonly #slots: SlotQueue;
  #rejected = 0;
  /** Every call turned away because the bulkhead was full. */
  readonly onReject = new Emitter<BulkheadRejectEvent>();

  constructor(options: BulkheadOptions) {
    const o = policyOptions(options, KNOWN_OPTIONS, true);
    super('bulkhead', o);
    this.maxConcurrent = positiveInteger('maxConcurrent', o.maxConcurrent);
    this.maxQueue = nonNegativeInteger('maxQueue', o.maxQueue ?? 0);
    this.#slots = new SlotQueue({ slots: this.maxConcurrent, maxQueue: this.maxQueue, clock: this.clock });
  }

  /** Calls running now. */
  get active(): number {
    return this.#slots.active;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.#slots.queued;
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const slots = this.#slots;
    if (slots.tryAcquire()) return this.#call(chain, next, fn, ctx);
    const signal = ctx.signal;
    // The shared never-aborting signal gets no listener: thousands of waiters would leak-warn on it.
    const waiting = slots.wait(signal === neverAborted ? undefined : signal);
    if (waiting === undefined) return Promise.reject(this.#full(ctx.dependency));
    return this.#wait(waiting, chain, next, fn, ctx, signal);
  }

  async #call<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    try {
      return await (next === chain.length ? fn(ctx) : runChain(chain, next, fn, ctx));
    } finally {
      this.#slots.release();
    }
  }

  async #wait<T>(
    waiting: Promise<void>,
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    signal: AbortSignal,
  ): Promise<T> {
    await waiting;
    // The slot was handed over to us (it counts in `active`).
    if (signal.aborted) {
      this.#slots.release();
      throw abortReason(signal);
    }
    return this.#call(chain, next, fn, ctx);
  }

  #full(ctxDependency: string | undefined): Error {
    this.#rejected++;
    const dependency = ctxDependency ?? this.dependency;
    const active = this.#slots.active;
    const queued = this.#slots.queued;
    if (this.onReject.hasListeners || this.channel.hasSubscribers) {
      const event: BulkheadRejectEvent = { active, queued, dependency };
      this.announce(this.onReject, 'rejected', event);
    }
    return this.reject(
      'FS_ERR_BULKHEAD_FULL',
      'The bulkhead',
      ` is full (${active} running, ${queued} queued)`,
      {
        kind: 'overload',
        neverSent: true,
        active,
        queued,
        maxConcurrent: this.maxConcurrent,
        maxQueue: this.maxQueue,
      },
      dependency,
    );
  }

  protected snapshotFields(): Omit<BulkheadSnapshot, keyof PolicySnapshot> {
    return {
      maxConcurrent: this.maxConcurrent,
      maxQueue: this.maxQueue,
      active: this.#slots.active,
      queued: this.#slots.queued,
      rejected: this.#rejected,
    };
  }
}

/**
 * A bulkhead policy: at most `maxConcurrent` calls at once, `maxQueue` more waiting in order.
 *
 * @example
 * const limit = bulkhead({ maxConcurrent: 10, maxQueue: 100 });
 * await limit.execute(({ signal }) => fetch(url, { signal }), AbortSignal.timeout(5_000));
 */
export function bulkhead(options: BulkheadOptions): Bulkhead {
  return new Bulkhead(options);
}
