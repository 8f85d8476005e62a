/**
 * Re-establishment work in bounded waves: after an outage, a manager that must re-establish every
 * lease (reconnect every client, refill every cache) at once is what collapsed on 2025-10-20. A
 * {@link WaveGate} lets at most `size` such items run per wave; the next wave opens when every item of
 * the current one has finished and at least `interval` ms after the current one opened. An item that
 * finds the wave full is told when to come back.
 *
 * Pure: handed `now` (ms).
 */
import { invalid, nonNegativeNumber, positiveInteger } from '../core/validate.js';

/** Options of {@link WaveGate}. */
export interface WaveOptions {
  /** Items per wave, an integer ≥ 1; required. */
  readonly size: number;
  /** The least time between the openings of two waves, in ms; default 0 (as soon as one finishes). */
  readonly interval?: number;
}

/** Plain JSON of a {@link WaveGate}. */
export interface WaveSnapshot {
  readonly size: number;
  readonly interval: number;
  /** Waves opened so far. */
  readonly waves: number;
  /** Items admitted in the current wave. */
  readonly admitted: number;
  /** Items of the current wave still running. */
  readonly running: number;
}

/** A gate admitting re-establishment work in waves of bounded size; see the module comment. */
export class WaveGate {
  readonly size: number;
  readonly interval: number;
  #openedAt = -Infinity;
  #admitted = 0;
  #running = 0;
  #waves = 0;

  constructor(options: WaveOptions) {
    if (typeof options !== 'object' || options === null) invalid('waves', 'an object', options);
    this.size = positiveInteger('waves.size', options.size);
    this.interval = nonNegativeNumber('waves.interval', options.interval ?? 0);
  }

  /**
   * Takes a ticket of the current wave, opening the next one when it may. Returns 0 when admitted
   * (call {@link leave} when the item finishes), else the ms to wait before asking again (at least
   * 1; an estimate when the current wave is still running).
   */
  enter(now: number): number {
    if (this.#admitted >= this.size) {
      if (this.#running > 0) return Math.max(1, this.interval - (now - this.#openedAt));
      const wait = this.#openedAt + this.interval - now;
      if (wait > 0) return Math.max(1, wait);
      this.#admitted = 0;
    }
    if (this.#admitted === 0) {
      this.#openedAt = now;
      this.#waves++;
    }
    this.#admitted++;
    this.#running++;
    return 0;
  }

  /** Returns a ticket taken by {@link enter}. */
  leave(): void {
    if (this.#running > 0) this.#running--;
  }

  /** Plain JSON for metrics. */
  snapshot(): WaveSnapshot {
    return {
      size: this.size,
      interval: this.interval,
      waves: this.#waves,
      admitted: this.#admitted,
      running: this.#running,
    };
  }
}
