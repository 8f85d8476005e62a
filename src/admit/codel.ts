/**
 * CoDel (controlled delay) on the queueing delay of admitted work, in the variant Facebook runs in
 * front of its servers ("Fail at Scale"), with adaptive LIFO.
 *
 * A queue is good when it absorbs a burst and drains; it is bad when it stands. Facebook's rule tells
 * them apart by whether the queue has emptied recently: while it has been empty at some moment of the
 * last `interval` (100 ms), work may wait up to `interval` (or the caller's `maxAge`) and is served
 * first-in first-out. Once it has held work for a whole `interval` without emptying, a standing
 * queue has formed, and then:
 * - work that has waited longer than `target` (5 ms) is shed instead of started, so the queue cannot
 *   hold a backlog older than a few milliseconds;
 * - the queue is served last-in first-out (adaptive LIFO), so the freshest work, whose caller is
 *   still waiting, goes first while the stale end is shed.
 * The rule reads the queue's emptiness, not the delay of the work that leaves it, so serving fresh
 * work in LIFO order does not switch the standing state off; only a queue that drains does.
 *
 * The state is pure: every method is handed `now` (ms).
 *
 * @see https://queue.acm.org/detail.cfm?id=2839461 (Maurer, "Fail at Scale", 2015: CoDel + adaptive LIFO)
 * @see https://queue.acm.org/detail.cfm?id=2209336 (Nichols, Jacobson, "Controlling Queue Delay", 2012)
 * @see RFC 8289
 */
import { positiveNumber, invalid } from '../core/validate.js';

/** Options of {@link CodelState}. */
export interface CodelOptions {
  /** The acceptable standing queue delay, in ms; default 5 ms (CoDel, Facebook). */
  readonly target?: number;
  /** How long the delay must stay above `target` before the queue counts as standing, in ms; default 100 ms. */
  readonly interval?: number;
}

/** The serving order a {@link CodelState} asks for. */
export type QueueOrder = 'fifo' | 'lifo';

/** Plain JSON of a {@link CodelState}. */
export interface CodelSnapshot {
  readonly target: number;
  readonly interval: number;
  /** True while a standing queue has been detected (LIFO, short age bound). */
  readonly standing: boolean;
  /** Since when the queue has held work without emptying (ms), or null while it is empty. */
  readonly busySince: number | null;
  /** How many times the queue became standing. */
  readonly episodes: number;
}

const DEFAULT_TARGET = 5; // ms: CoDel's and Facebook's target.
const DEFAULT_INTERVAL = 100; // ms: CoDel's and Facebook's interval.

/** The CoDel state of one queue; see the module comment. */
export class CodelState {
  readonly target: number;
  readonly interval: number;
  #busySince: number | undefined;
  #standing = false;
  #episodes = 0;

  constructor(options: CodelOptions = {}) {
    if (typeof options !== 'object' || options === null) invalid('codel', 'an object', options);
    this.target = positiveNumber('codel.target', options.target ?? DEFAULT_TARGET);
    this.interval = positiveNumber('codel.interval', options.interval ?? DEFAULT_INTERVAL);
    if (this.interval < this.target) invalid('codel.interval', `a number >= target (${this.target})`, this.interval);
  }

  /** True while the queue is standing: serve LIFO, shed work older than `target`. */
  get standing(): boolean {
    return this.#standing;
  }

  /** The serving order now. */
  get order(): QueueOrder {
    return this.#standing ? 'lifo' : 'fifo';
  }

  /**
   * Records that the queue holds work at `now` (call it whenever work is queued or is still waiting)
   * and re-evaluates the state. Returns true when this made the queue standing.
   */
  onBusy(now: number): boolean {
    if (this.#busySince === undefined) {
      this.#busySince = now;
      return false;
    }
    if (!this.#standing && now - this.#busySince >= this.interval) {
      this.#standing = true;
      this.#episodes++;
      return true;
    }
    return false;
  }

  /** Records that the queue is empty: a queue that drains is a good queue. */
  onEmpty(): void {
    this.#busySince = undefined;
    this.#standing = false;
  }

  /**
   * The longest a piece of work may wait, in ms: `target` while standing, else `maxAge`.
   *
   * @param maxAge - the normal age bound (ms).
   */
  maxWait(maxAge: number): number {
    return this.#standing ? Math.min(this.target, maxAge) : maxAge;
  }

  /** Plain JSON for metrics. */
  snapshot(): CodelSnapshot {
    return {
      target: this.target,
      interval: this.interval,
      standing: this.#standing,
      busySince: this.#busySince ?? null,
      episodes: this.#episodes,
    };
  }
}
