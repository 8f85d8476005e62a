/**
 * The slow-start curve: how much of its full share a target (or a server back from a restart)
 * takes while it warms up, so that returning capacity is not hit by the whole load at once.
 *
 * The shape is Envoy's (`slow_start_config`: window, aggression, minimum weight):
 * `weight = max(minWeight, (elapsed / window) ^ (1 / aggression))` while `elapsed < window`, then 1.
 * An aggression of 1 ramps linearly; above 1 the ramp is steeper at the start.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/load_balancing/slow_start
 */
import { invalid, nonNegativeNumber, positiveNumber, ratio } from './validate.js';

/** Options of {@link slowStartCurve}. */
export interface SlowStartOptions {
  /** How long the ramp lasts, in milliseconds. Required. */
  readonly window: number;
  /** Shape of the ramp, > 0; default 1 (linear). */
  readonly aggression?: number;
  /** Share taken from the first moment, in (0, 1]; default 0.1 (Envoy's default of 10 %). */
  readonly minWeight?: number;
}

/** A validated slow-start curve. */
export interface SlowStartCurve {
  readonly window: number;
  readonly aggression: number;
  readonly minWeight: number;
}

/** Validates {@link SlowStartOptions} (unknown keys are an error). */
export function slowStartCurve(options: SlowStartOptions, prefix = ''): SlowStartCurve {
  if (typeof options !== 'object' || options === null) invalid(`${prefix}slowStart`, 'an object', options);
  for (const key of Object.keys(options)) {
    if (key !== 'window' && key !== 'aggression' && key !== 'minWeight')
      invalid(`${prefix}${key}`, 'a known option', key);
  }
  const minWeight = ratio(`${prefix}minWeight`, options.minWeight ?? 0.1);
  if (minWeight === 0) invalid(`${prefix}minWeight`, 'a number in (0, 1]', minWeight);
  return {
    window: nonNegativeNumber(`${prefix}window`, options.window),
    aggression: positiveNumber(`${prefix}aggression`, options.aggression ?? 1),
    minWeight,
  };
}

/**
 * The weight in [minWeight, 1] of something that started `elapsed` ms ago.
 *
 * @example
 * const curve = slowStartCurve({ window: 60_000 });
 * slowStartWeight(curve, 30_000); // 0.5
 * slowStartWeight(curve, 0); // 0.1
 */
export function slowStartWeight(curve: SlowStartCurve, elapsed: number): number {
  if (!(elapsed < curve.window)) return 1;
  if (elapsed <= 0) return curve.minWeight;
  return Math.max(curve.minWeight, Math.pow(elapsed / curve.window, 1 / curve.aggression));
}
