/**
 * Slow start: after a restart, or when the server leaves an overload, the share of the limit it
 * admits ramps up over a window instead of jumping to the full limit, so cold caches, fresh
 * connection pools and a backlog of re-establishment work do not knock it over again. The curve is
 * Envoy's, core's `slowStartWeight`: `factor = max(minWeight, (elapsed / window) ^ (1 / aggression))`,
 * 1 after the window; this class adds the ramp's start time.
 * `aggression` 1 is linear; above 1 the ramp is faster at first, below 1 slower.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/slow_start
 */
import { slowStartWeight } from '../core/slow-start.js';
import { invalid, nonNegativeNumber, positiveNumber, ratio } from '../core/validate.js';

/** Options of {@link SlowStart}. */
export interface SlowStartOptions {
  /** How long the ramp lasts, in ms; default 10 s. 0 turns slow start off. */
  readonly window?: number;
  /** The curve's exponent is `1 / aggression`, > 0; default 1 (linear, Envoy's default). */
  readonly aggression?: number;
  /** The lowest factor, in [0, 1]; default 0.1 (Envoy's `min_weight_percent` of 10 %). */
  readonly minWeight?: number;
}

/** Plain JSON of a {@link SlowStart}. */
export interface SlowStartSnapshot {
  readonly window: number;
  readonly aggression: number;
  readonly minWeight: number;
  /** When the current ramp started (ms), or null when none runs. */
  readonly startedAt: number | null;
}

const DEFAULT_WINDOW = 10_000; // ms: long enough to warm caches and pools, short against a restart's cost.
const DEFAULT_AGGRESSION = 1; // Envoy's default: linear.
const DEFAULT_MIN_WEIGHT = 0.1; // Envoy's min_weight_percent: 10 %.

/** The slow-start curve; pure, handed `now` (ms). */
export class SlowStart {
  readonly window: number;
  readonly aggression: number;
  readonly minWeight: number;
  #startedAt: number | undefined;

  constructor(options: SlowStartOptions = {}) {
    if (typeof options !== 'object' || options === null) invalid('slowStart', 'an object', options);
    this.window = nonNegativeNumber('slowStart.window', options.window ?? DEFAULT_WINDOW);
    this.aggression = positiveNumber('slowStart.aggression', options.aggression ?? DEFAULT_AGGRESSION);
    this.minWeight = ratio('slowStart.minWeight', options.minWeight ?? DEFAULT_MIN_WEIGHT);
  }

  /** Starts (or restarts) a ramp at `now`. Does nothing when the window is 0. */
  start(now: number): void {
    if (this.window > 0) this.#startedAt = now;
  }

  /** True while a ramp runs at `now`. */
  active(now: number): boolean {
    return this.#startedAt !== undefined && now - this.#startedAt < this.window;
  }

  /** The factor in [minWeight, 1] applied to the limit at `now`. */
  factor(now: number): number {
    if (this.#startedAt === undefined) return 1;
    const elapsed = now - this.#startedAt;
    if (elapsed >= this.window) {
      this.#startedAt = undefined;
      return 1;
    }
    return slowStartWeight(this, Math.max(0, elapsed));
  }

  /** `limit` scaled by the factor at `now`: an integer ≥ 1. */
  scale(limit: number, now: number): number {
    return Math.max(1, Math.floor(limit * this.factor(now)));
  }

  /** Plain JSON for metrics. */
  snapshot(): SlowStartSnapshot {
    return {
      window: this.window,
      aggression: this.aggression,
      minWeight: this.minWeight,
      startedAt: this.#startedAt ?? null,
    };
  }
}
