/**
 * Gradient2: the latency-based concurrency limit of Netflix's `Gradient2Limit`. It compares the
 * short-term RTT (the latest sample) with a long-term RTT (an exponential moving average over
 * `longWindow` samples, after a plain average over the first 10), and moves the limit by
 *
 * ```
 * gradient = clamp(tolerance · longRtt / shortRtt, 0.5, 1)      // < 1 means a queue is building
 * target   = limit · gradient + queueSize                        // room to probe upwards
 * limit    = limit · (1 − smoothing) + target · smoothing        // within [minLimit, maxLimit]
 * ```
 *
 * Two guards from the original: when the long RTT exceeds twice the short one (load just went
 * away), the long RTT decays by 5 % per sample instead of waiting for the average; and samples
 * taken while less than half the limit is in use change nothing (the client is app-limited, the
 * sample says nothing about capacity). As in the original, `dropped` is not read: Gradient2 sees
 * only latency. Use {@link aimd} when errors, not latency, carry the overload signal.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/Gradient2Limit.java
 */
import { func, invalid, nonNegativeNumber, positiveInteger } from '../../core/validate.js';
import { BaseLimit, optionsObject, resolveBounds } from './limit.js';
import type { Limit, LimitBounds, LimitSample, LimitSnapshot } from './limit.js';

/** Options of {@link gradient2}. */
export interface Gradient2Options extends LimitBounds {
  /**
   * How far each sample moves the limit towards its target, in (0, 1]; default 0.2 (Netflix).
   * 1 replaces the limit by the target at once.
   */
  readonly smoothing?: number;
  /**
   * How much the limit may grow beyond what the gradient allows, in calls: a number ≥ 0 or a
   * function of the current (integer) limit; default 4 (Netflix).
   */
  readonly queueSize?: number | ((limit: number) => number);
  /** The number of samples the long-term RTT averages over (EMA factor 2/(n+1)); default 600 (Netflix). */
  readonly longWindow?: number;
  /** How many first samples the long-term RTT plainly averages before the EMA; default 10 (Netflix). */
  readonly warmup?: number;
  /** How much slower than the long-term RTT a sample may be before the limit shrinks, ≥ 1; default 1.5 (Netflix). */
  readonly rttTolerance?: number;
}

const DEFAULTS = {
  initialLimit: 20, // Netflix.
  minLimit: 1, // Netflix uses 20; failsmall lets a client back off further (see aimd).
  maxLimit: 200, // Netflix `maxConcurrency`.
};
const DEFAULT_SMOOTHING = 0.2; // Netflix.
const DEFAULT_QUEUE_SIZE = 4; // Netflix: `concurrency -> 4`.
const DEFAULT_LONG_WINDOW = 600; // Netflix.
const DEFAULT_WARMUP = 10; // Netflix: `new ExpAvgMeasurement(longWindow, 10)`.
const DEFAULT_TOLERANCE = 1.5; // Netflix `rttTolerance`.
const LONG_RTT_DECAY = 0.95; // Netflix: long RTT × 0.95 when it exceeds twice the short RTT.

class Gradient2Limit extends BaseLimit {
  readonly kind = 'gradient2';
  readonly smoothing: number;
  readonly longWindow: number;
  readonly warmup: number;
  readonly rttTolerance: number;
  readonly #queueSize: (limit: number) => number;
  readonly #factor: number;
  #estimated: number;
  #longRtt = 0;
  #lastRtt = 0;
  #count = 0;
  #sum = 0;

  constructor(options: Gradient2Options) {
    const bounds = resolveBounds(options, DEFAULTS);
    super(bounds);
    this.#estimated = bounds.initialLimit;
    const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
    if (typeof smoothing !== 'number' || !(smoothing > 0 && smoothing <= 1)) {
      invalid('smoothing', 'a number in (0, 1]', smoothing);
    }
    this.smoothing = smoothing;
    const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (typeof queueSize === 'function') {
      this.#queueSize = func<(limit: number) => number>('queueSize', queueSize);
    } else {
      const fixed = nonNegativeNumber('queueSize', queueSize);
      this.#queueSize = () => fixed;
    }
    this.longWindow = positiveInteger('longWindow', options.longWindow ?? DEFAULT_LONG_WINDOW);
    this.#factor = 2 / (this.longWindow + 1);
    this.warmup = positiveInteger('warmup', options.warmup ?? DEFAULT_WARMUP);
    const tolerance = options.rttTolerance ?? DEFAULT_TOLERANCE;
    if (typeof tolerance !== 'number' || !Number.isFinite(tolerance) || tolerance < 1) {
      invalid('rttTolerance', 'a finite number >= 1', tolerance);
    }
    this.rttTolerance = tolerance;
  }

  /** The long-term RTT, in ms. */
  get longRtt(): number {
    return this.#longRtt;
  }

  /** The estimate before flooring to an integer limit. */
  get estimatedLimit(): number {
    return this.#estimated;
  }

  protected update(sample: LimitSample): number {
    const estimated = this.#estimated;
    const queueSize = this.#queueSize(Math.floor(estimated));
    const shortRtt = sample.rtt;
    this.#lastRtt = shortRtt;
    let longRtt: number;
    if (this.#count < this.warmup) {
      this.#count++;
      this.#sum += shortRtt;
      longRtt = this.#sum / this.#count;
    } else {
      longRtt = this.#longRtt * (1 - this.#factor) + shortRtt * this.#factor;
    }
    this.#longRtt = longRtt;

    // Load just went away: pull the long RTT down faster than the average would.
    if (shortRtt > 0 && longRtt / shortRtt > 2) this.#longRtt = longRtt * LONG_RTT_DECAY;

    // App-limited: too few calls in flight for the sample to say anything about capacity.
    if (sample.inflight < estimated / 2) return estimated;

    // A zero RTT (a virtual clock, a cache hit) shows no queue at all.
    const ratio = shortRtt > 0 ? (this.rttTolerance * longRtt) / shortRtt : 1;
    const gradient = ratio < 0.5 ? 0.5 : ratio > 1 ? 1 : ratio;
    const target = estimated * gradient + queueSize;
    let next = estimated * (1 - this.smoothing) + target * this.smoothing;
    // `!(>=)` also catches NaN from a misbehaving queueSize function.
    if (!(next >= this.minLimit)) next = this.minLimit;
    else if (next > this.maxLimit) next = this.maxLimit;
    this.#estimated = next;
    return next;
  }

  override snapshot(): LimitSnapshot {
    return {
      ...super.snapshot(),
      estimatedLimit: this.#estimated,
      longRtt: this.#longRtt,
      lastRtt: this.#lastRtt,
      smoothing: this.smoothing,
      rttTolerance: this.rttTolerance,
    };
  }
}

/**
 * A Gradient2 concurrency limit (Netflix): shrinks as the latest RTT rises above the long-term RTT
 * (by at most half per step), grows by up to `queueSize` while it does not.
 *
 * @param options - bounds (initial 20, min 1, max 200), `smoothing` (0.2), `queueSize` (4),
 *   `longWindow` (600 samples), `warmup` (10 samples), `rttTolerance` (1.5).
 * @example
 * const limit = gradient2({ initialLimit: 20, maxLimit: 100 });
 * limit.onSample({ now: 0, rtt: 10, inflight: 20, dropped: false }); // grows by ≈ queueSize·smoothing
 * @see https://github.com/Netflix/concurrency-limits
 */
export function gradient2(options?: Gradient2Options): Limit {
  return new Gradient2Limit(optionsObject(options));
}
