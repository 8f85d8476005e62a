/**
 * Vegas: the delay-based concurrency limit of Netflix's `VegasLimit`, after TCP Vegas. It keeps the
 * lowest RTT seen (`rttNoLoad`) and estimates the queue a sample waited behind as
 *
 * ```
 * queue = ⌈limit · (1 − rttNoLoad / rtt)⌉
 * ```
 *
 * then grows fast while there is no queue (`queue ≤ threshold`: + beta), slowly while it is small
 * (`< alpha`: + log10 limit), shrinks when it is large (`> beta`: − log10 limit) or on a drop,
 * and holds in between. With the defaults alpha = 3·log10(limit), beta = 6·log10(limit),
 * threshold = log10(limit) (each at least 1 per log10 step). Every `probeMultiplier · limit`
 * samples (jittered by 0.5–1×, from the injected {@link Random}) it forgets `rttNoLoad` and takes
 * the next sample as the new baseline, so a lasting change in latency is learned.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/VegasLimit.java
 * @see Brakmo, Peterson, "TCP Vegas: end to end congestion avoidance on a global Internet", 1995
 */
import type { Random } from '../../core/random.js';
import { func, invalid, nonNegativeNumber, positiveInteger } from '../../core/validate.js';
import { BaseLimit, optionsObject, resolveBounds } from './limit.js';
import type { Limit, LimitBounds, LimitSample, LimitSnapshot } from './limit.js';
import { randomOption } from '../core/options.js';

/** A queue-size threshold: a fixed number of calls, or a function of the current integer limit. */
export type VegasThreshold = number | ((limit: number) => number);

/** Options of {@link vegas}. */
export interface VegasOptions extends LimitBounds {
  /** Below this queue size the limit grows by log10(limit); default `3 · log10(limit)` (Netflix). */
  readonly alpha?: VegasThreshold;
  /** Above this queue size the limit shrinks; also the step when there is no queue; default `6 · log10(limit)` (Netflix). */
  readonly beta?: VegasThreshold;
  /** At or below this queue size the limit grows by beta; default `log10(limit)` (Netflix). */
  readonly threshold?: VegasThreshold;
  /** How far each change moves the limit, in (0, 1]; default 1 (Netflix: no smoothing). */
  readonly smoothing?: number;
  /** Re-probe `rttNoLoad` every `probeMultiplier · limit` samples (jittered); default 30 (Netflix). */
  readonly probeMultiplier?: number;
  /** Draws the probe jitter; default `mathRandom`. */
  readonly random?: Random;
}

/**
 * Netflix's `Log10RootFunction`: `max(1, ⌊log10 limit⌋)` below 1000, `⌊√limit⌋` from 1000 on
 * (the original's lookup-table boundary, kept so limits evolve the same way).
 */
export function log10Root(limit: number): number {
  if (limit < 1000) {
    const log = Math.floor(Math.log10(limit));
    return log > 1 ? log : 1;
  }
  return Math.floor(Math.sqrt(limit));
}

const DEFAULTS = {
  initialLimit: 20, // Netflix.
  minLimit: 1, // Netflix's floor: `Math.max(1, …)`.
  maxLimit: 1000, // Netflix `maxConcurrency`.
};
const DEFAULT_SMOOTHING = 1; // Netflix.
const DEFAULT_PROBE_MULTIPLIER = 30; // Netflix.

function threshold(name: string, value: VegasThreshold | undefined, fallback: (limit: number) => number) {
  if (value === undefined) return fallback;
  if (typeof value === 'function') return func<(limit: number) => number>(name, value);
  const fixed = nonNegativeNumber(name, value);
  return () => fixed;
}

class VegasLimit extends BaseLimit {
  readonly kind = 'vegas';
  readonly smoothing: number;
  readonly probeMultiplier: number;
  readonly #alpha: (limit: number) => number;
  readonly #beta: (limit: number) => number;
  readonly #threshold: (limit: number) => number;
  readonly #random: Random;
  #estimated: number;
  #rttNoLoad = 0;
  #probeCount = 0;
  #probeJitter: number;

  constructor(options: VegasOptions) {
    const bounds = resolveBounds(options, DEFAULTS);
    super(bounds);
    this.#estimated = bounds.initialLimit;
    this.#alpha = threshold('alpha', options.alpha, (limit) => 3 * log10Root(limit));
    this.#beta = threshold('beta', options.beta, (limit) => 6 * log10Root(limit));
    this.#threshold = threshold('threshold', options.threshold, log10Root);
    const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
    if (typeof smoothing !== 'number' || !(smoothing > 0 && smoothing <= 1)) {
      invalid('smoothing', 'a number in (0, 1]', smoothing);
    }
    this.smoothing = smoothing;
    this.probeMultiplier = positiveInteger('probeMultiplier', options.probeMultiplier ?? DEFAULT_PROBE_MULTIPLIER);
    this.#random = randomOption(options.random);
    this.#probeJitter = this.#jitter();
  }

  /** The baseline RTT, in ms (0 before the first sample). */
  get rttNoLoad(): number {
    return this.#rttNoLoad;
  }

  #jitter(): number {
    const r = this.#random.next();
    return 0.5 + 0.5 * (r >= 0 && r < 1 ? r : 0);
  }

  protected update(sample: LimitSample): number {
    const estimated = this.#estimated;
    const rtt = sample.rtt;
    this.#probeCount++;
    if (this.#probeJitter * this.probeMultiplier * estimated <= this.#probeCount) {
      this.#probeJitter = this.#jitter();
      this.#probeCount = 0;
      this.#rttNoLoad = rtt;
      return estimated;
    }
    if (this.#rttNoLoad === 0 || rtt < this.#rttNoLoad) {
      this.#rttNoLoad = rtt;
      return estimated;
    }

    const limit = Math.floor(estimated);
    const decrease = estimated - log10Root(limit);
    let next: number;
    if (sample.dropped) {
      next = decrease;
    } else if (sample.inflight * 2 < estimated) {
      return estimated; // app-limited: no evidence about capacity
    } else {
      const queue = Math.ceil(estimated * (1 - this.#rttNoLoad / rtt));
      const beta = this.#beta(limit);
      if (queue <= this.#threshold(limit)) next = estimated + beta;
      else if (queue < this.#alpha(limit)) next = estimated + log10Root(limit);
      else if (queue > beta) next = decrease;
      else return estimated;
    }
    // `!(>=)` also catches NaN from a misbehaving alpha/beta/threshold function.
    if (!(next >= this.minLimit)) next = this.minLimit;
    else if (next > this.maxLimit) next = this.maxLimit;
    next = (1 - this.smoothing) * estimated + this.smoothing * next;
    this.#estimated = next;
    return next;
  }

  override snapshot(): LimitSnapshot {
    return { ...super.snapshot(), estimatedLimit: this.#estimated, rttNoLoad: this.#rttNoLoad };
  }
}

/**
 * A Vegas concurrency limit (Netflix, after TCP Vegas): grows while the RTT stays at its no-load
 * baseline, shrinks as a queue builds up or on a drop.
 *
 * @param options - bounds (initial 20, min 1, max 1000), `alpha`, `beta`, `threshold`,
 *   `smoothing` (1), `probeMultiplier` (30), `random`.
 * @example
 * const limit = vegas({ random: seededRandom(7) });
 * limit.onSample({ now: 0, rtt: 10, inflight: 20, dropped: false }); // first sample: the baseline
 * @see https://github.com/Netflix/concurrency-limits
 */
export function vegas(options?: VegasOptions): Limit {
  return new VegasLimit(optionsObject(options));
}
