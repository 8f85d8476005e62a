/**
 * An overload flag that does not flap. Tools that shed on one threshold of event-loop delay
 * (@fastify/under-pressure, toobusy-js) switch all-or-nothing on every spike of a spiky loop. This
 * state machine uses the textbook cures together:
 * - a smoothed value: an exponentially weighted moving average of the samples (`smoothing` is the
 *   weight of the newest sample), so one spike moves it only part of the way;
 * - two thresholds: it enters overload when the average reaches `enter` and leaves only once it is
 *   back at or below `exit` (< enter);
 * - a minimum dwell: once switched, it holds its state for at least `minDwell` ms.
 * So the flag switches at most once per `minDwell`, and never on a lone spike below
 * `enter / smoothing`.
 *
 * Pure: handed `now` (ms).
 */
import { invalid, nonNegativeNumber } from '../core/validate.js';

/** Options of {@link Hysteresis}. */
export interface HysteresisOptions {
  /** The smoothed value at or above which the flag turns on; required. */
  readonly enter: number;
  /** The smoothed value at or below which it turns off again; required, < enter. */
  readonly exit: number;
  /** The least time between two switches, in ms; default 1 s. */
  readonly minDwell?: number;
  /** The weight of the newest sample in the moving average, in (0, 1]; default 0.3. 1 is no smoothing. */
  readonly smoothing?: number;
}

/** Plain JSON of a {@link Hysteresis}. */
export interface HysteresisSnapshot {
  readonly on: boolean;
  /** The smoothed value. */
  readonly value: number;
  /** When the flag last switched (ms), or null. */
  readonly since: number | null;
  /** Switches so far. */
  readonly switches: number;
}

const DEFAULT_MIN_DWELL = 1_000; // ms: at most one switch a second.
const DEFAULT_SMOOTHING = 0.3; // a spike moves the average by 30 % of its height.

/** The overload flag; see the module comment. */
export class Hysteresis {
  readonly enter: number;
  readonly exit: number;
  readonly minDwell: number;
  readonly smoothing: number;
  #value = 0;
  #primed = false;
  #on = false;
  #since: number | undefined;
  #switches = 0;

  constructor(options: HysteresisOptions, name = 'hysteresis') {
    if (typeof options !== 'object' || options === null) invalid(name, 'an object', options);
    this.enter = nonNegativeNumber(`${name}.enter`, options.enter);
    this.exit = nonNegativeNumber(`${name}.exit`, options.exit);
    if (!(this.exit < this.enter)) invalid(`${name}.exit`, `a number < enter (${this.enter})`, this.exit);
    this.minDwell = nonNegativeNumber(`${name}.minDwell`, options.minDwell ?? DEFAULT_MIN_DWELL);
    const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
    if (typeof smoothing !== 'number' || !(smoothing > 0 && smoothing <= 1)) {
      invalid(`${name}.smoothing`, 'a number in (0, 1]', smoothing);
    }
    this.smoothing = smoothing;
  }

  /** True while overloaded. */
  get on(): boolean {
    return this.#on;
  }

  /** The smoothed value. */
  get value(): number {
    return this.#value;
  }

  /** Feeds one sample at `now`; returns true when the flag switched. Non-finite samples are ignored. */
  update(now: number, sample: number): boolean {
    if (!Number.isFinite(sample)) return false;
    this.#value = this.#primed ? this.#value + this.smoothing * (sample - this.#value) : sample * this.smoothing;
    this.#primed = true;
    if (this.#since !== undefined && now - this.#since < this.minDwell) return false;
    const next = this.#on ? this.#value > this.exit : this.#value >= this.enter;
    if (next === this.#on) return false;
    this.#on = next;
    this.#since = now;
    this.#switches++;
    return true;
  }

  /** Plain JSON for metrics. */
  snapshot(): HysteresisSnapshot {
    return { on: this.#on, value: this.#value, since: this.#since ?? null, switches: this.#switches };
  }
}
