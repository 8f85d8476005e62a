/**
 * The lab's lease manager, modelled on EC2's DropletWorkflow Manager (DWFM) of 2025-10-20: every host
 * holds a lease the manager stores in the table service; re-establishing a lease is a unit of work
 * with a real cost on the manager (`concurrency` workers, `workMs` each: the lab's {@link Capacity},
 * as the table service's nodes, whose work goes on when its caller leaves); and the
 * work has a fixed timeout counted from its arrival: work that finishes later than `workTimeoutMs`
 * after it arrived is wasted (the lease offer expired while it waited) and answered as timed out.
 *
 * As such managers are usually written (`admission` absent): one FIFO queue without bound in front of
 * the workers, and no look at a piece of work's age before it is started. When every lease timed out
 * at once (02:25 on the day), the queue holds more than the workers can do within the timeout, every
 * piece of work waits longer than the timeout, and the manager spends all its capacity on work that
 * times out (congestive collapse) while the hosts re-queue it. {@link LeaseManager.intervene} is what
 * the operators did at 04:14: throttle incoming work (a bound on the queue) and restart (drop what
 * waits).
 *
 * Behind `admit/` (`admission` given): the same workers, but work first passes an {@link Admission}
 * (its limit the workers' count, queue-size throttling, CoDel with adaptive LIFO, the caller's
 * deadline, waves); shed work is rejected with admit's errors (`FS_ERR_ADMIT_SHED`,
 * `FS_ERR_ADMIT_DEADLINE`), which the HTTP shell answers with `answerFor`.
 *
 * Time comes from the injected clock: tests drive it with a `VirtualClock`, the replay's link with the
 * system clock (real milliseconds, compressed only when reported).
 */
import { systemClock, validate } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { Admission, Permit, WorkItem } from '../admit/index.js';
import { Capacity } from './capacity.js';

/** Options of {@link LeaseManager}. */
export interface LeaseManagerOptions {
  /** Leases worked on at once (the manager's workers); default 8. */
  readonly concurrency?: number;
  /** The cost of re-establishing one lease, in ms of a worker's time; default 20. */
  readonly workMs?: number;
  /** The fixed work timeout, in ms from the work's arrival; default 1,000 (50 work costs). */
  readonly workTimeoutMs?: number;
  /** Writes the lease of `host` (the table service's `PutItem` in the lab); default none. */
  readonly store?: (host: string) => Promise<void>;
  /** The gate in front of the workers (failsmall); absent for the manager as usually written. */
  readonly admission?: Admission;
  /** The queue in front of the workers, a bound or Infinity (the default: FIFO without bound). */
  readonly maxQueue?: number;
  readonly clock?: Clock;
}

/**
 * What one request to re-establish a lease came to.
 * - `held`: the work finished within the timeout and the lease was stored;
 * - `timed-out`: the work was done, but later than the timeout (wasted);
 * - `throttled`: the queue was at its bound (after the operators' intervention);
 * - `restarted`: it was waiting when the manager was restarted;
 * - `store-failed`: the work was done but the lease could not be written.
 */
export type LeaseAnswer =
  | { readonly kind: 'held' }
  | { readonly kind: 'timed-out' }
  | { readonly kind: 'throttled'; readonly retryAfterMs: number }
  | { readonly kind: 'restarted' }
  | { readonly kind: 'store-failed' };

/** Counters of a {@link LeaseManager}, plain JSON. */
export interface LeaseManagerSnapshot {
  readonly concurrency: number;
  readonly workMs: number;
  readonly workTimeoutMs: number;
  readonly maxQueue: number;
  /** Requests to re-establish a lease that reached the manager. */
  readonly requests: number;
  /** Work started (a worker spent its cost). */
  readonly started: number;
  /** Work started and then timed out: capacity spent for nothing. */
  readonly wasted: number;
  /** Distinct hosts whose lease is held. */
  readonly held: number;
  readonly throttled: number;
  readonly restarted: number;
  /** Requests refused before they were started: shed by the admission, or abandoned by their caller. */
  readonly refused: number;
  /** Work waiting now (the admission's queue and the workers'). */
  readonly queued: number;
  readonly peakQueue: number;
  readonly inService: number;
  /** Times the operators intervened. */
  readonly interventions: number;
}

/** The least time in which `hosts` leases can be re-established: hosts × work cost ÷ workers, in ms. */
export function lowerBoundMs(hosts: number, workMs: number, concurrency: number): number {
  return (hosts * workMs) / concurrency;
}

const RESTARTED = Symbol('restarted');

/**
 * A lease manager with finite capacity; see the file comment.
 *
 * @example
 * const manager = new LeaseManager({ concurrency: 8, workMs: 20, workTimeoutMs: 1_000 });
 * const answer = await manager.establish('host-1'); // { kind: 'held' }
 */
export class LeaseManager {
  readonly concurrency: number;
  readonly workMs: number;
  readonly workTimeoutMs: number;
  readonly #clock: Clock;
  readonly #workers: Capacity;
  readonly #store: ((host: string) => Promise<void>) | undefined;
  readonly #admission: Admission | undefined;
  readonly #held = new Map<string, number>();
  #requests = 0;
  #wasted = 0;
  #restarted = 0;
  #refused = 0;
  #peakQueue = 0;
  #interventions = 0;

  constructor(options: LeaseManagerOptions = {}) {
    this.concurrency = validate.positiveInteger('concurrency', options.concurrency ?? 8);
    this.workMs = validate.positiveNumber('workMs', options.workMs ?? 20);
    this.workTimeoutMs = validate.positiveNumber('workTimeoutMs', options.workTimeoutMs ?? 1_000);
    this.#clock = options.clock ?? systemClock;
    this.#store = options.store === undefined ? undefined : validate.func('store', options.store);
    this.#admission = options.admission;
    this.#workers = new Capacity({
      concurrency: this.concurrency,
      queue: options.maxQueue ?? Infinity,
      serviceTimeMs: this.workMs,
      clock: this.#clock,
      abortInService: false,
    });
  }

  /** The hosts whose lease is held, with the time (on the clock) it was first established. */
  get held(): ReadonlyMap<string, number> {
    return this.#held;
  }

  /** Work waiting now: the admission's queue and the workers'. */
  get queued(): number {
    return this.#workers.queued + (this.#admission?.queued ?? 0);
  }

  /**
   * Re-establishes the lease of `host`: passes the admission (when there is one; its rejections
   * propagate), waits for a worker, spends the work cost, and stores the lease if the work finished
   * within the timeout. `item` is the work item the admission sees (criticality, deadline, wave);
   * `signal` is the caller going away (it leaves the queues; work already started goes on: the
   * manager does not know).
   */
  async establish(host: string, item: WorkItem = {}, signal?: AbortSignal): Promise<LeaseAnswer> {
    const arrived = this.#clock.now();
    this.#requests++;
    let permit: Permit | undefined;
    if (this.#admission !== undefined) {
      const admitted = this.#admission.acquire(item, signal);
      this.#notePeak();
      try {
        permit = await admitted;
      } catch (error) {
        this.#refused++;
        throw error;
      }
    }
    let verdict: 'success' | 'dropped' | 'ignore' = 'ignore';
    try {
      // A worker, or a place in its queue (taken before serve() returns), then the work cost.
      const working = this.#workers.serve(signal);
      this.#notePeak();
      let worked: boolean;
      try {
        worked = await working;
      } catch (error) {
        if (error !== RESTARTED) {
          this.#refused++;
          throw error;
        }
        this.#restarted++;
        return { kind: 'restarted' };
      }
      if (!worked) {
        // The time the queue ahead takes to drain.
        return { kind: 'throttled', retryAfterMs: Math.ceil((this.queued * this.workMs) / this.concurrency) };
      }
      if (this.#clock.now() - arrived > this.workTimeoutMs || signal?.aborted === true) {
        this.#wasted++;
        verdict = 'dropped';
        return { kind: 'timed-out' };
      }
      if (this.#store !== undefined) {
        try {
          await this.#store(host);
        } catch {
          verdict = 'dropped';
          return { kind: 'store-failed' };
        }
      }
      if (!this.#held.has(host)) this.#held.set(host, this.#clock.now());
      verdict = 'success';
      return { kind: 'held' };
    } finally {
      permit?.release(verdict);
    }
  }

  /**
   * The operators' intervention (04:14 on the day): throttle incoming work (the workers' queue gets
   * the bound `maxQueue`; beyond it work is answered `throttled`) and restart (everything waiting for
   * a worker is dropped, answered `restarted`). Returns the work dropped.
   */
  intervene(maxQueue: number): number {
    this.#workers.queueLimit = validate.nonNegativeInteger('maxQueue', maxQueue);
    this.#interventions++;
    return this.#workers.drop(RESTARTED);
  }

  /** Drops everything waiting (the shell is closing); answered `restarted`. */
  close(): void {
    this.#workers.drop(RESTARTED);
  }

  #notePeak(): void {
    const queued = this.queued;
    if (queued > this.#peakQueue) this.#peakQueue = queued;
  }

  /** Plain JSON for metrics. */
  snapshot(): LeaseManagerSnapshot {
    const workers = this.#workers.snapshot();
    return {
      concurrency: this.concurrency,
      workMs: this.workMs,
      workTimeoutMs: this.workTimeoutMs,
      maxQueue: workers.queueLimit,
      requests: this.#requests,
      started: workers.admitted,
      wasted: this.#wasted,
      held: this.#held.size,
      throttled: workers.rejected,
      restarted: this.#restarted,
      refused: this.#refused,
      queued: this.queued,
      peakQueue: this.#peakQueue,
      inService: workers.inService,
      interventions: this.#interventions,
    };
  }
}
