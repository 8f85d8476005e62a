/**
 * Bulkhead: caps how many calls to one dependency run at once, with a bounded FIFO queue for the
 * overflow, so that a slow dependency ties up a fixed share of the process (sockets, memory, event
 * loop) instead of all of it. A full bulkhead rejects at once with `FS_ERR_BULKHEAD_FULL`.
 *
 * The queue is a doubly linked list: enqueue, dequeue and leaving from the middle are O(1). A queued
 * call whose signal aborts leaves the queue at once (rejecting with the abort reason), so cancelled
 * callers never hold a slot the others are waiting for.
 *
 * @see Michael Nygard, "Release It!" (2nd ed., 2018), ch. 5 "Bulkheads"
 */
import { abortReason } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { Emitter } from '../../core/events.js';
import { nonNegativeInteger, positiveInteger } from '../../core/validate.js';
import { kRunChain, runChain } from '../core/fast-path.js';
import { clockOption, dependencyOption, policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
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
export interface BulkheadSnapshot {
  readonly kind: 'bulkhead';
  readonly dependency: string | undefined;
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  /** Calls running now. */
  readonly active: number;
  /** Calls waiting now. */
  readonly queued: number;
  /** Calls rejected since construction (full). */
  readonly rejected: number;
}

/** A queued call: a list node that is also its signal's `abort` listener. */
class Waiter {
  prev: Waiter | null = null;
  next: Waiter | null = null;
  queued = true;
  constructor(
    readonly owner: Bulkhead,
    readonly signal: AbortSignal,
    readonly resolve: () => void,
    readonly reject: (reason: unknown) => void,
  ) {}

  handleEvent(): void {
    this.owner.leave(this);
  }
}

/**
 * A concurrency limit with a bounded queue. Build it with {@link bulkhead}.
 */
export class Bulkhead extends PolicyBase<BulkheadSnapshot> {
  readonly maxConcurrent: number;
  readonly maxQueue: number;
  #active = 0;
  #queued = 0;
  #rejected = 0;
  #head: Waiter | null = null;
  #tail: Waiter | null = null;
  /** Every call turned away because the bulkhead was full. */
  readonly onReject = new Emitter<BulkheadRejectEvent>();

  constructor(options: BulkheadOptions) {
    const o = policyOptions(options, KNOWN_OPTIONS, true);
    const dependency = dependencyOption(o.dependency);
    const clock = clockOption(o.clock);
    super('bulkhead', dependency, clock);
    this.maxConcurrent = positiveInteger('maxConcurrent', o.maxConcurrent);
    this.maxQueue = nonNegativeInteger('maxQueue', o.maxQueue ?? 0);
  }

  /** Calls running now. */
  get active(): number {
    return this.#active;
  }

  /** Calls waiting now. */
  get queued(): number {
    return this.#queued;
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    if (this.#active < this.maxConcurrent) {
      this.#active++;
      return this.#call(chain, next, fn, ctx);
    }
    if (this.#queued >= this.maxQueue) return Promise.reject(this.#full(ctx.dependency));
    const signal = ctx.signal;
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return this.#wait(chain, next, fn, ctx, signal);
  }

  async #call<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    try {
      return await (next === chain.length ? fn(ctx) : runChain(chain, next, fn, ctx));
    } finally {
      this.#release();
    }
  }

  async #wait<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    signal: AbortSignal,
  ): Promise<T> {
    await new Promise<void>((resolve, reject) => this.#enqueue(new Waiter(this, signal, resolve, reject)));
    // The slot was handed over to us (#active already counts it).
    if (signal.aborted) {
      this.#release();
      throw abortReason(signal);
    }
    return this.#call(chain, next, fn, ctx);
  }

  #enqueue(waiter: Waiter): void {
    waiter.prev = this.#tail;
    if (this.#tail === null) this.#head = waiter;
    else this.#tail.next = waiter;
    this.#tail = waiter;
    this.#queued++;
    waiter.signal.addEventListener('abort', waiter);
  }

  #unlink(waiter: Waiter): void {
    const { prev, next } = waiter;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    waiter.prev = waiter.next = null;
    waiter.queued = false;
    this.#queued--;
    waiter.signal.removeEventListener('abort', waiter);
  }

  /** @internal A queued call's signal aborted: it leaves at once. */
  leave(waiter: Waiter): void {
    if (!waiter.queued) return;
    this.#unlink(waiter);
    waiter.reject(abortReason(waiter.signal));
  }

  /** A slot freed: hand it to the oldest waiter, or give it back. */
  #release(): void {
    const next = this.#head;
    if (next === null) {
      this.#active--;
      return;
    }
    this.#unlink(next);
    next.resolve();
  }

  #full(ctxDependency: string | undefined): Error {
    this.#rejected++;
    const dependency = ctxDependency ?? this.dependency;
    if (this.onReject.hasListeners || this.channel.hasSubscribers) {
      const event: BulkheadRejectEvent = { active: this.#active, queued: this.#queued, dependency };
      this.onReject.emit(event);
      this.publish('rejected', event, dependency);
    }
    return this.reject(
      'FS_ERR_BULKHEAD_FULL',
      'The bulkhead',
      ` is full (${this.#active} running, ${this.#queued} queued)`,
      {
        kind: 'overload',
        neverSent: true,
        active: this.#active,
        queued: this.#queued,
        maxConcurrent: this.maxConcurrent,
        maxQueue: this.maxQueue,
      },
      dependency,
    );
  }

  /** Plain numbers for metrics. */
  snapshot(): BulkheadSnapshot {
    return {
      kind: 'bulkhead',
      dependency: this.dependency,
      maxConcurrent: this.maxConcurrent,
      maxQueue: this.maxQueue,
      active: this.#active,
      queued: this.#queued,
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
