/**
 * Server-side admission control: the gate in front of work a server (or a lease manager, or any
 * in-process worker pool) takes on, built so that the server being recovered into cannot be driven
 * into congestive collapse by its own backlog.
 *
 * - **Concurrency** is bounded by an adaptive {@link Limit} (AIMD, Gradient2, Vegas, fixed) that
 *   learns from every released permit; a {@link SlowStart} ramps the limit after a restart or when the
 *   overload signal clears.
 * - **Partitions by criticality**: each of the four levels is guaranteed a share of the limit, borrows
 *   whatever the others leave idle, and the lowest levels are shed first (they are throttled sooner,
 *   evicted first from a full queue, and refused while the overload signal is on).
 * - **A queue that cannot hold a backlog**: work that finds every slot busy waits in one slot queue
 *   per level, under {@link CodelState} (LIFO and a 5 ms age bound once a queue stands), a bound on
 *   length (`maxQueue`) and on age (`maxAge`), and the caller's deadline: work that cannot finish in
 *   time is shed before it starts.
 * - **Throttling by queue size**: the probability that new work may queue falls as the queue grows
 *   ({@link acceptProbability}), AWS's fix after the lease manager's collapse.
 * - **Waves** for re-establishment work (`wave: true`): at most `waves.size` per wave.
 *
 * The API is in-process (`acquire(item)` → a permit you `release()`), so an HTTP server, a queue
 * consumer or a lease manager can sit behind it; the adapters in this folder map it to HTTP.
 *
 * @see https://sre.google/sre-book/handling-overload/
 * @see https://queue.acm.org/detail.cfm?id=2839461 (Fail at Scale)
 * @see https://aws.amazon.com/message/101925/
 */
import { abortReason } from '../core/clock.js';
import type { Cancel, Clock } from '../core/clock.js';
import { channel, Emitter } from '../core/events.js';
import type { Random } from '../core/random.js';
import { SlotQueue } from '../core/slot-queue.js';
import type { SlotWaiter } from '../core/slot-queue.js';
import { duration, invalid, nonNegativeInteger, oneOf, withMethods } from '../core/validate.js';
import { clockOption, randomOption } from '../policy/core/options.js';
import { stacklessError } from '../policy/core/stackless-error.js';
import type { RejectionDetails } from '../policy/errors/failure.js';
import { isOverloadError, isTimeoutError } from '../policy/errors/overload.js';
import { vegas } from '../policy/limit/vegas.js';
import type { Limit } from '../policy/limit/limit.js';
import { CodelState } from './codel.js';
import type { CodelOptions, CodelSnapshot } from './codel.js';
import { CRITICALITIES, nextPartition, parseCriticality, rankOf, resolveShares } from './criticality.js';
import type { Criticality, CriticalityShares } from './criticality.js';
import { acceptProbability, resolveQueueThrottle } from './queue-throttle.js';
import type { QueueThrottle, QueueThrottleOptions } from './queue-throttle.js';
import { SlowStart } from './slow-start.js';
import type { SlowStartOptions, SlowStartSnapshot } from './slow-start.js';
import { WaveGate } from './waves.js';
import type { WaveOptions, WaveSnapshot } from './waves.js';

/** Anything that says whether the process is overloaded, such as an {@link EventLoopSignal}. */
export interface OverloadSignal {
  /** True while overloaded. */
  readonly overloaded: boolean;
}

/** Why work was shed. */
export type ShedReason =
  /** the queue holds `maxQueue` items and none of lower criticality could be evicted */
  | 'queue-full'
  /** the queue-size throttle refused it (the acceptance rate falls as the queue grows) */
  | 'throttled'
  /** it waited longer than the age bound (`maxAge`, or CoDel's `target` once the queue stands) */
  | 'queue-delay'
  /** its caller's deadline would pass before it could finish */
  | 'deadline'
  /** the overload signal is on and its criticality is shed while it is */
  | 'overload'
  /** it was queued, and work of higher criticality took its place in a full queue */
  | 'evicted'
  /** the current wave of re-establishment work is full */
  | 'wave';

/** Every {@link ShedReason}. */
export const SHED_REASONS: readonly ShedReason[] = Object.freeze([
  'queue-full',
  'throttled',
  'queue-delay',
  'deadline',
  'overload',
  'evicted',
  'wave',
]);

/** How a finished piece of work feeds the limit: see {@link Permit.release}. */
export type ReleaseVerdict = 'success' | 'dropped' | 'ignore';

/** One piece of work asking to be admitted. */
export interface WorkItem {
  /** Its criticality (a {@link Criticality}, or a string parsed by {@link parseCriticality}); default the admission's `criticality`. */
  readonly criticality?: Criticality | string | undefined;
  /** The caller's deadline on the admission's clock, in ms. */
  readonly deadline?: number | undefined;
  /** The time the caller has left, in ms from now (the tighter of `deadline` and `timeout` wins). */
  readonly timeout?: number | undefined;
  /** Re-establishment work (a lease, a reconnect, a cache refill): admitted in waves when `waves` is set. */
  readonly wave?: boolean | undefined;
}

/** The right to run one piece of work; release it exactly once when the work is done. */
export interface Permit {
  readonly criticality: Criticality;
  /** How long the work waited in the queue, in ms (0 when admitted at once). */
  readonly waited: number;
  /** The deadline the work must meet on the admission's clock (ms), or Infinity. */
  readonly deadline: number;
  /**
   * Frees the slot and feeds the limit: `success` (default; the run time is a sample), `dropped`
   * (the work timed out or its dependency refused it: the limit backs off) or `ignore` (no sample).
   * A second call does nothing.
   */
  release(verdict?: ReleaseVerdict): void;
}

/** Options of {@link admission}. */
export interface AdmissionOptions {
  /** The concurrency limit; default `vegas()` (Netflix's server-side default: it backs off as soon as a queue forms behind the limit). One Limit per admission. */
  readonly limit?: Limit;
  /** The guaranteed share of the limit per level; default 0.4 / 0.3 / 0.2 / 0.1 ({@link DEFAULT_SHARES}). */
  readonly shares?: Partial<Record<Criticality, number>>;
  /** The criticality of work that names none; default `critical` (the SRE book's default). */
  readonly criticality?: Criticality;
  /** The most work that may wait, over all levels; default 100. 0 admits or sheds at once. */
  readonly maxQueue?: number;
  /** The longest work may wait while the queue is not standing, in ms; default CoDel's `interval` (100 ms, Facebook's N). */
  readonly maxAge?: number;
  /** CoDel's `target` (5 ms) and `interval` (100 ms). */
  readonly codel?: CodelOptions;
  /** The queue-size throttle (start at a quarter full, per-level weights). */
  readonly throttle?: QueueThrottleOptions;
  /** Ramp the limit after construction and each time the overload signal clears; off when absent. */
  readonly slowStart?: SlowStartOptions;
  /** Admit `wave: true` work in bounded waves; unbounded when absent. */
  readonly waves?: WaveOptions;
  /** An overload signal (e.g. `eventLoopSignal().start()`); while it is on, levels up to `shedOnSignal` are shed. */
  readonly signal?: OverloadSignal;
  /** The most critical level shed while the signal is on; default `sheddable-plus` (both sheddable levels). */
  readonly shedOnSignal?: Criticality;
  /**
   * The shed reasons whose answer tells the client not to retry (`details.doNotRetry`, the
   * `x-failsmall-no-retry` header); default `deadline`, `queue-delay`, `overload` (a retry cannot
   * meet the deadline, or lands on a server that is shedding a standing queue).
   */
  readonly noRetry?: readonly ShedReason[];
  /** The clock waits and run times are measured on; default the system clock. */
  readonly clock?: Clock;
  /** The source of the throttle's coin flips; default `Math.random`. */
  readonly random?: Random;
  /** A name for events, errors and metrics (e.g. the service). */
  readonly name?: string;
}

/** Emitted on `onShed` and `failsmall:admit:admission` for each shed piece of work. */
export interface ShedEvent {
  readonly type: 'shed';
  readonly reason: ShedReason;
  readonly criticality: Criticality;
  /** ms on the admission's clock. */
  readonly now: number;
  readonly inflight: number;
  readonly queued: number;
  readonly limit: number;
  readonly name: string | undefined;
}

/**
 * Published on `failsmall:admit:admission` (only there: no emitter, the hot path stays free) for each
 * piece of work admitted, at once or from the queue.
 */
export interface AdmitEvent {
  readonly type: 'admit';
  readonly criticality: Criticality;
  /** Whether it waited in the queue. */
  readonly queued: boolean;
  /** ms spent waiting for its slot (0 when admitted at once). */
  readonly waited: number;
  /** ms on the admission's clock. */
  readonly now: number;
  /** Work in flight, this one included. */
  readonly inflight: number;
  readonly name: string | undefined;
}

/** Emitted when the queue starts or stops standing (CoDel). */
export interface QueueStateEvent {
  readonly type: 'queue';
  readonly standing: boolean;
  readonly now: number;
  readonly name: string | undefined;
}

/** Per-level numbers of {@link AdmissionSnapshot}. */
export interface PartitionSnapshot {
  readonly share: number;
  readonly inflight: number;
  readonly queued: number;
  readonly admitted: number;
  readonly shed: number;
}

/** Plain numbers for metrics: see {@link Admission.snapshot}. */
export interface AdmissionSnapshot {
  readonly kind: 'admission';
  readonly name: string | undefined;
  /** The limit in force now (after slow start). */
  readonly limit: number;
  /** The estimator's own snapshot. */
  readonly estimator: Record<string, unknown>;
  readonly inflight: number;
  readonly queued: number;
  readonly maxQueue: number;
  /** Work admitted since construction (at once or from the queue). */
  readonly admitted: number;
  /** Work shed since construction, by reason. */
  readonly shed: Readonly<Record<ShedReason, number>>;
  /** The moving average of the run time of successful work, in ms (0 until known). */
  readonly serviceTime: number;
  readonly order: 'fifo' | 'lifo';
  readonly codel: CodelSnapshot;
  readonly slowStart: SlowStartSnapshot | null;
  readonly waves: WaveSnapshot | null;
  /** Whether the overload signal is on, or null without one. */
  readonly overloaded: boolean | null;
  readonly partitions: Readonly<Record<Criticality, PartitionSnapshot>>;
}

/** `failsmall:admit:admission`: admissions, sheds and queue state changes. */
export const admissionChannel = channel('admit', 'admission');

const DEFAULT_MAX_QUEUE = 100; // enough for a burst of a few hundred ms at typical limits; never a backlog.
const DEFAULT_NO_RETRY: readonly ShedReason[] = Object.freeze(['deadline', 'queue-delay', 'overload']);
const SERVICE_EWMA = 0.1; // weight of the newest run time in the service-time estimate.
const MIN_RETRY_AFTER = 10; // ms.

const KNOWN_OPTIONS = new Set([
  'limit',
  'shares',
  'criticality',
  'maxQueue',
  'maxAge',
  'codel',
  'throttle',
  'slowStart',
  'waves',
  'signal',
  'shedOnSignal',
  'noRetry',
  'clock',
  'random',
  'name',
]);

/** The admission gate; build it with {@link admission}. */
export class Admission {
  readonly kind = 'admission';
  /** Shed work (also on `failsmall:admit:admission`). */
  readonly onShed = new Emitter<ShedEvent>();
  /** The queue started or stopped standing (also on `failsmall:admit:admission`). */
  readonly onQueueState = new Emitter<QueueStateEvent>();
  readonly limit: Limit;
  readonly name: string | undefined;
  readonly maxQueue: number;
  readonly maxAge: number;
  readonly shares: CriticalityShares;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #codel: CodelState;
  readonly #throttle: QueueThrottle;
  readonly #slowStart: SlowStart | undefined;
  readonly #waves: WaveGate | undefined;
  readonly #signal: OverloadSignal | undefined;
  readonly #shedRank: number;
  readonly #noRetry: ReadonlySet<ShedReason>;
  readonly #criticality: Criticality;
  /** One slot queue per level, used as its waiting line: the admission's limit owns the slots and grants them. */
  readonly #queues: SlotQueue[];
  readonly #inflight = [0, 0, 0, 0];
  readonly #admittedBy = [0, 0, 0, 0];
  readonly #shedBy = [0, 0, 0, 0];
  readonly #shed: Record<ShedReason, number>;
  #total = 0;
  #admitted = 0;
  #evict: SlotWaiter | undefined;
  #serviceTime = 0;
  #wasOverloaded = false;
  #timer: Cancel | undefined;
  #timerAt = Infinity;

  constructor(options: AdmissionOptions = {}) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (!KNOWN_OPTIONS.has(key)) invalid(key, 'a known option of admission()', 'an unknown option');
    }
    const limit = withMethods<Limit>('limit', options.limit ?? vegas(), ['onSample'], 'a Limit (e.g. aimd())');
    this.limit = limit;
    this.shares = resolveShares(options.shares);
    this.#criticality =
      options.criticality === undefined ? 'critical' : oneOf('criticality', options.criticality, CRITICALITIES);
    this.maxQueue = nonNegativeInteger('maxQueue', options.maxQueue ?? DEFAULT_MAX_QUEUE);
    this.#codel = new CodelState(options.codel);
    this.maxAge = duration('maxAge', options.maxAge ?? this.#codel.interval, true);
    this.#throttle = resolveQueueThrottle(options.throttle);
    this.#slowStart = options.slowStart === undefined ? undefined : new SlowStart(options.slowStart);
    this.#waves = options.waves === undefined ? undefined : new WaveGate(options.waves);
    const signal = options.signal;
    if (signal !== undefined && (typeof signal !== 'object' || signal === null || !('overloaded' in signal))) {
      invalid('signal', 'an OverloadSignal (with `overloaded`)', signal);
    }
    this.#signal = signal;
    this.#shedRank = rankOf(
      options.shedOnSignal === undefined
        ? 'sheddable-plus'
        : oneOf('shedOnSignal', options.shedOnSignal, CRITICALITIES),
    );
    const noRetry = options.noRetry ?? DEFAULT_NO_RETRY;
    if (!Array.isArray(noRetry)) invalid('noRetry', 'an array of shed reasons', noRetry);
    noRetry.forEach((reason, i) => oneOf(`noRetry[${i}]`, reason, SHED_REASONS));
    this.#noRetry = new Set(noRetry);
    this.#clock = clockOption(options.clock);
    this.#random = randomOption(options.random);
    if (options.name !== undefined && (typeof options.name !== 'string' || options.name === '')) {
      invalid('name', 'a non-empty string', options.name);
    }
    this.name = options.name;
    this.#shed = Object.fromEntries(SHED_REASONS.map((r) => [r, 0])) as Record<ShedReason, number>;
    this.#queues = CRITICALITIES.map((_, rank) => {
      const queue = new SlotQueue({
        slots: 1,
        maxQueue: Infinity, // the admission bounds the sum over all levels
        clock: this.#clock,
        order: 'fifo',
        shouldDrop: (waiter, now) => this.#dropReason(rank, waiter, now),
      });
      // Its one slot is held for good, so the queue never hands out a slot by itself: waiters leave
      // it only through grant() (the admission's dispatch), a drop or an abort.
      queue.tryAcquire();
      return queue;
    });
    this.#slowStart?.start(this.#clock.now());
  }

  /** Work running now. */
  get inflight(): number {
    return this.#total;
  }

  /** Work waiting now. */
  get queued(): number {
    let n = 0;
    for (const queue of this.#queues) n += queue.queued;
    return n;
  }

  /** The limit in force at this moment: the estimator's limit, scaled by slow start. */
  get currentLimit(): number {
    return this.#effectiveLimit(this.#clock.now());
  }

  /** Starts a slow-start ramp now (after a restart you did not construct a new admission for). */
  beginSlowStart(): void {
    this.#slowStart?.start(this.#clock.now());
  }

  /**
   * Asks to run one piece of work. Resolves with a {@link Permit} once a slot is free (at once when
   * one is), or rejects with `FS_ERR_ADMIT_SHED` / `FS_ERR_ADMIT_DEADLINE` (details: `reason`,
   * `kind`, `neverSent: true`, `retryAfter` in ms, `doNotRetry`), with
   * `FS_ERR_ADMIT_UNKNOWN_CRITICALITY` or `FS_ERR_INVALID_ARGUMENT` for a malformed item, or with the
   * signal's reason when `signal` aborts while it waits.
   *
   * @example
   * const permit = await admit.acquire({ criticality: 'sheddable', timeout: 2_000 });
   * try { await renewLease(host); permit.release(); }
   * catch (error) { permit.release('dropped'); throw error; }
   */
  acquire(item: WorkItem = {}, signal?: AbortSignal): Promise<Permit> {
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    let criticality: Criticality;
    let deadline: number;
    const now = this.#clock.now();
    try {
      if (typeof item !== 'object' || item === null) invalid('item', 'a WorkItem object', item);
      criticality = item.criticality === undefined ? this.#criticality : parseCriticality(item.criticality);
      deadline = Infinity;
      if (item.deadline !== undefined) {
        if (typeof item.deadline !== 'number' || Number.isNaN(item.deadline)) {
          invalid('item.deadline', 'a number (ms on the clock)', item.deadline);
        }
        deadline = item.deadline;
      }
      if (item.timeout !== undefined) {
        if (typeof item.timeout !== 'number' || Number.isNaN(item.timeout)) {
          invalid('item.timeout', 'a number of ms', item.timeout);
        }
        deadline = Math.min(deadline, now + item.timeout);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const rank = rankOf(criticality);
    const wave = item.wave === true && this.#waves !== undefined;
    this.#checkSignal(now);

    if (deadline - now <= this.#serviceTime) return Promise.reject(this.#reject('deadline', rank, now));
    if (this.#signal?.overloaded === true && rank >= this.#shedRank) {
      return Promise.reject(this.#reject('overload', rank, now));
    }
    if (wave) {
      const wait = this.#waves!.enter(now);
      if (wait > 0) return Promise.reject(this.#reject('wave', rank, now, wait));
    }
    const limit = this.#effectiveLimit(now);
    const queued = this.queued;
    if (this.#total < limit && queued === 0) {
      this.#take(rank);
      return Promise.resolve(this.#permit(rank, criticality, now, deadline, wave, false));
    }
    // Every slot is busy: queue, if the queue may take it.
    if (queued >= this.maxQueue && !this.#evictBelow(rank, now)) {
      if (wave) this.#waves!.leave();
      return Promise.reject(this.#reject('queue-full', rank, now));
    }
    const p = acceptProbability(this.#throttle, criticality, this.queued, this.maxQueue);
    if (p < 1 && !(this.#random.next() < p)) {
      if (wave) this.#waves!.leave();
      return Promise.reject(this.#reject('throttled', rank, now));
    }
    const waiting = this.#queues[rank]!.wait(signal, deadline)!;
    // A limit that grew (slow start, the estimator) may have left slots free behind older waiters.
    if (this.#total < limit) this.#dispatch(now);
    else this.#arm(now);
    return waiting.then(
      () => this.#permit(rank, criticality, now, deadline, wave, true),
      (reason: unknown) => {
        // shed by shouldDrop, or its caller gave up
        if (wave) this.#waves!.leave();
        this.#afterQueueChange(this.#clock.now());
        throw reason;
      },
    );
  }

  /**
   * Runs `fn` under a permit: acquires, runs, releases (`success` when it resolves, `dropped` when it
   * rejects with a timeout or overload, else `ignore`), and returns what `fn` returns.
   *
   * @example
   * const lease = await admit.run(() => reestablish(host), { wave: true, timeout: 30_000 });
   */
  async run<T>(fn: (permit: Permit) => Promise<T>, item?: WorkItem, signal?: AbortSignal): Promise<T> {
    const permit = await this.acquire(item, signal);
    try {
      const value = await fn(permit);
      permit.release('success');
      return value;
    } catch (error) {
      permit.release(isTimeoutError(error) || isOverloadError(error) ? 'dropped' : 'ignore');
      throw error;
    }
  }

  #effectiveLimit(now: number): number {
    const limit = this.limit.limit;
    return this.#slowStart === undefined ? limit : this.#slowStart.scale(limit, now);
  }

  /** Restarts slow start when the overload signal has just cleared. */
  #checkSignal(now: number): void {
    if (this.#signal === undefined) return;
    const on = this.#signal.overloaded;
    if (this.#wasOverloaded && !on) this.#slowStart?.start(now);
    this.#wasOverloaded = on;
  }

  /** Counts a slot taken by level `rank`. */
  #take(rank: number): void {
    this.#total++;
    this.#inflight[rank]!++;
    this.#admitted++;
    this.#admittedBy[rank]!++;
  }

  /** The permit of a slot already counted by {@link #take}. */
  #permit(
    rank: number,
    criticality: Criticality,
    enqueuedAt: number,
    deadline: number,
    wave: boolean,
    queued: boolean,
  ): Permit {
    const inflight = this.#total;
    const startedAt = this.#clock.now();
    let released = false;
    if (admissionChannel.hasSubscribers) {
      const event: AdmitEvent = {
        type: 'admit',
        criticality,
        queued,
        waited: startedAt - enqueuedAt,
        now: startedAt,
        inflight,
        name: this.name,
      };
      admissionChannel.publish(event);
    }
    return {
      criticality,
      waited: startedAt - enqueuedAt,
      deadline,
      release: (verdict: ReleaseVerdict = 'success'): void => {
        if (released) return;
        released = true;
        this.#total--;
        this.#inflight[rank]!--;
        if (queued) this.#queues[rank]!.release(); // back to the slot queue's count (it never pumps: see the constructor)
        if (wave) this.#waves!.leave();
        const end = this.#clock.now();
        const rtt = end - startedAt;
        if (verdict !== 'ignore' && rtt >= 0) {
          const dropped = verdict === 'dropped';
          if (!dropped) {
            this.#serviceTime =
              this.#serviceTime === 0 ? rtt : this.#serviceTime + SERVICE_EWMA * (rtt - this.#serviceTime);
          }
          this.limit.onSample({ now: end, rtt, inflight, dropped });
        }
        this.#dispatch(end);
      },
    };
  }

  /** The slot queues' drop hook: why queued work of level `rank` must not start now, or undefined. */
  #dropReason(rank: number, waiter: SlotWaiter, now: number): Error | undefined {
    if (waiter === this.#evict) return this.#reject('evicted', rank, now);
    if (now - waiter.enqueuedAt >= this.#codel.maxWait(this.maxAge)) return this.#reject('queue-delay', rank, now);
    if (waiter.deadline - now <= this.#serviceTime) return this.#reject('deadline', rank, now);
    if (this.#signal?.overloaded === true && rank >= this.#shedRank) return this.#reject('overload', rank, now);
    return undefined;
  }

  /** Hands free slots to waiting work: the partition rule picks the level, CoDel the end of its queue. */
  #dispatch(now: number): void {
    this.#checkSignal(now);
    const limit = this.#effectiveLimit(now);
    const order = this.#codel.order;
    const waiting = this.#queues.map((q) => q.queued);
    while (this.#total < limit) {
      const rank = nextPartition(limit, this.shares, this.#inflight, waiting);
      if (rank < 0) break;
      const queue = this.#queues[rank]!;
      queue.order = order;
      // grant() drops (through #dropReason) work that waited too long or cannot meet its deadline.
      if (queue.grant()) this.#take(rank);
      waiting[rank] = queue.queued;
    }
    this.#afterQueueChange(now);
  }

  /** Sheds queued work that waited past its bound or its deadline, then hands out free slots. */
  #expire(now: number): void {
    this.#timer = undefined;
    this.#timerAt = Infinity;
    // First hand out slots a grown limit left free, then shed what still waits past its bound.
    this.#dispatch(now);
    for (const queue of this.#queues) if (queue.queued > 0) queue.prune();
    this.#afterQueueChange(now);
  }

  /** Updates CoDel after the queue changed and keeps the age timer armed for the oldest waiter. */
  #afterQueueChange(now: number): void {
    const wasStanding = this.#codel.standing;
    if (this.queued === 0) {
      this.#codel.onEmpty();
      this.#timer?.();
      this.#timer = undefined;
      this.#timerAt = Infinity;
    } else {
      this.#codel.onBusy(now);
      this.#arm(now);
    }
    if (wasStanding !== this.#codel.standing) this.#reportQueue(now);
  }

  /** Arms the age timer for the earliest expiry among the oldest waiters (and CoDel's next check). */
  #arm(now: number): void {
    const wasStanding = this.#codel.standing;
    this.#codel.onBusy(now);
    if (wasStanding !== this.#codel.standing) this.#reportQueue(now);
    const maxWait = this.#codel.maxWait(this.maxAge);
    let at = Infinity;
    for (const queue of this.#queues) {
      const oldest = queue.oldest();
      if (oldest !== undefined) at = Math.min(at, oldest.enqueuedAt + maxWait);
    }
    // While not yet standing, look again when the queue would have stood for an interval.
    const busySince = this.#codel.snapshot().busySince;
    if (!this.#codel.standing && busySince !== null) at = Math.min(at, busySince + this.#codel.interval);
    if (at === Infinity || at >= this.#timerAt) return;
    this.#timer?.();
    this.#timerAt = at;
    this.#timer = this.#clock.setTimer(() => this.#expire(this.#clock.now()), Math.max(0, at - now), { unref: true });
  }

  /** Evicts the oldest waiter of the lowest level below `rank` to make room; false if there is none. */
  #evictBelow(rank: number, now: number): boolean {
    for (let r = CRITICALITIES.length - 1; r > rank; r--) {
      const queue = this.#queues[r]!;
      const oldest = queue.oldest();
      if (oldest === undefined) continue;
      this.#evict = oldest;
      try {
        queue.prune();
      } finally {
        this.#evict = undefined;
      }
      this.#afterQueueChange(now);
      return this.queued < this.maxQueue;
    }
    return false;
  }

  #reportQueue(now: number): void {
    if (!this.onQueueState.hasListeners && !admissionChannel.hasSubscribers) return;
    const event: QueueStateEvent = { type: 'queue', standing: this.#codel.standing, now, name: this.name };
    this.onQueueState.emit(event);
    if (admissionChannel.hasSubscribers) admissionChannel.publish(event);
  }

  /** Builds the rejection of shed work and counts it. */
  #reject(reason: ShedReason, rank: number, now: number, wait?: number): Error {
    this.#shed[reason]++;
    this.#shedBy[rank]!++;
    const criticality = CRITICALITIES[rank]!;
    const limit = this.#effectiveLimit(now);
    const queued = this.queued;
    if (this.onShed.hasListeners || admissionChannel.hasSubscribers) {
      const event: ShedEvent = {
        type: 'shed',
        reason,
        criticality,
        now,
        inflight: this.#total,
        queued,
        limit,
        name: this.name,
      };
      this.onShed.emit(event);
      if (admissionChannel.hasSubscribers) admissionChannel.publish(event);
    }
    // When could it be admitted? The time to drain the queue ahead of it at the current pace.
    const retryAfter = Math.max(
      MIN_RETRY_AFTER,
      Math.round(wait ?? ((queued + 1) * Math.max(this.#serviceTime, 1)) / Math.max(1, limit)),
    );
    const details: RejectionDetails = {
      kind: reason === 'deadline' ? 'timeout' : 'overload',
      neverSent: true,
      retryAfter,
      doNotRetry: this.#noRetry.has(reason),
      reason,
      criticality,
      inflight: this.#total,
      queued,
      limit,
      name: this.name,
    };
    const of = this.name === undefined ? '' : ` by ${this.name}`;
    if (reason === 'deadline') {
      return stacklessError(
        'FS_ERR_ADMIT_DEADLINE',
        `Work shed${of}: its deadline would pass before it could finish (${criticality})`,
        details,
      );
    }
    return stacklessError(
      'FS_ERR_ADMIT_SHED',
      `Work shed${of} (${reason}, ${criticality}): ${this.#total} running, ${queued} queued, limit ${limit}`,
      details,
    );
  }

  /** Plain numbers for metrics. */
  snapshot(): AdmissionSnapshot {
    const now = this.#clock.now();
    const partitions = Object.fromEntries(
      CRITICALITIES.map((c, rank) => [
        c,
        {
          share: this.shares[c],
          inflight: this.#inflight[rank]!,
          queued: this.#queues[rank]!.queued,
          admitted: this.#admittedBy[rank]!,
          shed: this.#shedBy[rank]!,
        },
      ]),
    ) as Record<Criticality, PartitionSnapshot>;
    return {
      kind: this.kind,
      name: this.name,
      limit: this.#effectiveLimit(now),
      estimator: this.limit.snapshot(),
      inflight: this.#total,
      queued: this.queued,
      maxQueue: this.maxQueue,
      admitted: this.#admitted,
      shed: { ...this.#shed },
      serviceTime: this.#serviceTime,
      order: this.#codel.order,
      codel: this.#codel.snapshot(),
      slowStart: this.#slowStart?.snapshot() ?? null,
      waves: this.#waves?.snapshot() ?? null,
      overloaded: this.#signal === undefined ? null : this.#signal.overloaded,
      partitions,
    };
  }
}

/**
 * Server-side admission control: see {@link Admission}.
 *
 * @example
 * const admit = admission({ limit: vegas({ maxLimit: 200 }), maxQueue: 50 });
 * const permit = await admit.acquire({ criticality: 'critical', timeout: 1_000 });
 * try { await handle(); } finally { permit.release(); }
 */
export function admission(options?: AdmissionOptions): Admission {
  return new Admission(options);
}
