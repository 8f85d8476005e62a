/**
 * Finite capacity for the lab's table service: at most `concurrency` requests in service at once, a
 * bounded FIFO queue in front, a service time per request, and an immediate rejection beyond the
 * queue. This is what makes overload real in the replay: a retry storm fills the queue, latency
 * grows with it, and past it the service answers with throttling errors instead of work.
 *
 * The service time runs on a {@link Clock}, so tests drive it with a `VirtualClock`.
 */
import { FailsmallError, SlotQueue, systemClock, validate } from '../core/index.js';
import type { Cancel, Clock } from '../core/index.js';

/** Options of {@link Capacity}. */
export interface CapacityOptions {
  /** Requests in service at once; default 32 (a small front-end node). */
  readonly concurrency?: number;
  /** Requests waiting beyond `concurrency`, or Infinity (no bound); default 128 (a few service times of backlog). */
  readonly queue?: number;
  /** Time each request spends in service, in milliseconds; default 2 ms. */
  readonly serviceTimeMs?: number;
  /** The clock the service time runs on; default {@link systemClock}. */
  readonly clock?: Clock;
  /**
   * Whether a caller whose signal aborts while in service frees its slot at once: default true (the
   * table's front end stops the work of a caller that went away); false: the work goes on to its end
   * (the lease manager's workers do not know their caller left).
   */
  readonly abortInService?: boolean;
}

/** Counters of one {@link Capacity}, plain JSON. */
export interface CapacitySnapshot {
  readonly concurrency: number;
  readonly queueLimit: number;
  readonly serviceTimeMs: number;
  /** Requests in service now. */
  readonly inService: number;
  /** Requests waiting now. */
  readonly queued: number;
  /** Requests admitted (served or being served), cumulative. */
  readonly admitted: number;
  /** Requests that finished their service time, cumulative. */
  readonly completed: number;
  /** Requests turned away because the queue was full, cumulative. */
  readonly rejected: number;
  /** Requests that left the queue before service (their caller gave up), cumulative. */
  readonly abandoned: number;
  /** Highest queue length seen. */
  readonly peakQueued: number;
}

/**
 * A gate with `concurrency` slots, a bounded queue and a service time: a core {@link SlotQueue} (FIFO)
 * whose holders spend the service time on the clock. The lab's one model of a service's finite
 * capacity: the table service's nodes and the lease manager's workers.
 *
 * @example
 * const gate = new Capacity({ concurrency: 4, queue: 8, serviceTimeMs: 5 });
 * const admitted = await gate.serve(signal); // false: queue full, answer with a throttling error
 */
export class Capacity {
  readonly concurrency: number;
  readonly serviceTimeMs: number;
  readonly #clock: Clock;
  readonly #gate: SlotQueue;
  readonly #abortInService: boolean;
  #admitted = 0;
  #completed = 0;
  #rejected = 0;
  #abandoned = 0;
  #peakQueued = 0;
  #timers = new Map<Cancel, (error: unknown) => void>();
  #closed: FailsmallError | undefined;

  constructor(options: CapacityOptions = {}) {
    this.concurrency = validate.positiveInteger('concurrency', options.concurrency ?? 32);
    const queue = options.queue ?? 128;
    if (queue !== Infinity) validate.nonNegativeInteger('queue', queue);
    this.serviceTimeMs = validate.nonNegativeNumber('serviceTimeMs', options.serviceTimeMs ?? 2);
    this.#clock = options.clock ?? systemClock;
    this.#abortInService = options.abortInService ?? true;
    this.#gate = new SlotQueue({ slots: this.concurrency, maxQueue: queue, clock: this.#clock });
  }

  /** Requests that may wait, or Infinity; may be changed (lowering it does not evict waiters already queued). */
  get queueLimit(): number {
    return this.#gate.maxQueue;
  }

  set queueLimit(value: number) {
    this.#gate.maxQueue = value === Infinity ? value : validate.nonNegativeInteger('queue', value);
  }

  /** Requests waiting now. */
  get queued(): number {
    return this.#gate.queued;
  }

  /**
   * Waits for a slot, spends the service time in it, and frees it. Resolves `true` when served,
   * `false` at once when the queue is full (the caller answers with a throttling error). Rejects with
   * the signal's reason when `signal` aborts while queued or (with `abortInService`) in service, and
   * with the reason given to {@link drop} when the request was waiting then. A request that has to
   * wait is queued before this returns.
   */
  async serve(signal?: AbortSignal): Promise<boolean> {
    if (this.#closed !== undefined) throw new FailsmallError('FS_ERR_LAB_CLOSED', 'The table service is closed');
    if (!this.#gate.tryAcquire()) {
      const waiting = this.#gate.wait(signal);
      if (waiting === undefined) {
        this.#rejected++;
        return false;
      }
      if (this.#gate.queued > this.#peakQueued) this.#peakQueued = this.#gate.queued;
      try {
        await waiting;
      } catch (error) {
        if (signal?.aborted === true && error === signal.reason) this.#abandoned++; // the caller gave up while queued
        throw error;
      }
    }
    this.#admitted++;
    try {
      await this.#serviceTime(this.#abortInService ? signal : undefined);
      this.#completed++;
    } finally {
      this.#gate.release();
    }
    return true;
  }

  #serviceTime(signal: AbortSignal | undefined): Promise<void> {
    if (this.serviceTimeMs === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        cancel();
        this.#timers.delete(cancel);
        reject(signal?.reason ?? new FailsmallError('FS_ERR_ABORTED', 'The request was abandoned'));
      };
      const cancel = this.#clock.setTimer(() => {
        this.#timers.delete(cancel);
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, this.serviceTimeMs);
      this.#timers.set(cancel, (error) => {
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      });
      if (signal?.aborted === true) onAbort();
      else signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /**
   * A restart: every request waiting is dropped, its {@link serve} rejecting with `reason`; returns how
   * many waited. Requests in service go on.
   */
  drop(reason: unknown): number {
    return this.#gate.clear(reason);
  }

  /** Rejects every waiter and cancels every service timer; later calls to {@link serve} throw. */
  close(): void {
    const closed = (this.#closed ??= new FailsmallError('FS_ERR_LAB_CLOSED', 'The table service is closed'));
    const timers = [...this.#timers];
    this.#timers.clear();
    for (const [cancel, reject] of timers) {
      cancel();
      reject(closed);
    }
    this.#gate.clear(closed);
  }

  /** Plain JSON for metrics. */
  snapshot(): CapacitySnapshot {
    return {
      concurrency: this.concurrency,
      queueLimit: this.queueLimit,
      serviceTimeMs: this.serviceTimeMs,
      inService: this.#gate.active,
      queued: this.#gate.queued,
      admitted: this.#admitted,
      completed: this.#completed,
      rejected: this.#rejected,
      abandoned: this.#abandoned,
      peakQueued: this.#peakQueued,
    };
  }
}
