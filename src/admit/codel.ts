/**
 * CoDel (controlled delay) on the queueing delay of admitted work, in the variant Facebook runs in
 * front of its servers ("Fail at Scale"), with adaptive LIFO.
 *
 * A queue is good when it absorbs a burst and drains; it is bad when it stands. CoDel tells them
 * apart by the *minimum* delay over an interval: while some work leaves the queue after waiting less
 * than `target` (5 ms), the queue drains and nothing is shed; once every piece of work has waited at
 * least `target` for a whole `interval` (100 ms), a standing queue has formed. Then:
 * - work that has waited longer than `target` is shed instead of started (Facebook's short timeout),
 *   so the queue cannot hold a backlog older than a few milliseconds;
 * - the queue is served last-in first-out, so the freshest work (whose caller is still waiting)
 *   goes first while the stale end is shed.
 * Once the queue empties, or work again leaves it under `target`, the queue is back to normal: FIFO
 * and the long age bound (`interval`, or the caller's `maxAge`).
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
  /** When the delay first stayed above target in the current episode (ms), or null. */
  readonly aboveSince: number | null;
  /** How many times the queue became standing. */
  readonly episodes: number;
}

const DEFAULT_TARGET = 5; // ms: CoDel's and Facebook's target.
const DEFAULT_INTERVAL = 100; // ms: CoDel's and Facebook's interval.

/** The CoDel state of one queue; see the module comment. */
export class CodelState {
  readonly target: number;
  readonly interval: number;
  #aboveSince: number | undefined;
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
   * Records that work left the queue (to start) after waiting `delay` ms. Returns true when this
   * made the queue standing.
   */
  onDequeue(now: number, delay: number): boolean {
    if (delay < this.target) {
      this.#aboveSince = undefined;
      this.#standing = false;
      return false;
    }
    if (this.#aboveSince === undefined) {
      this.#aboveSince = now;
      return false;
    }
    if (!this.#standing && now - this.#aboveSince >= this.interval) {
      this.#standing = true;
      this.#episodes++;
      return true;
    }
    return false;
  }

  /**
   * Records the oldest waiting work's age without dequeuing (a queue blocked on a full limit still
   * stands even when nothing leaves it). Same verdict as {@link onDequeue}.
   */
  onHead(now: number, age: number): boolean {
    return this.onDequeue(now, age);
  }

  /** Records that the queue is empty: a queue that drains is a good queue. */
  onEmpty(): void {
    this.#aboveSince = undefined;
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
      aboveSince: this.#aboveSince ?? null,
      episodes: this.#episodes,
    };
  }
}
