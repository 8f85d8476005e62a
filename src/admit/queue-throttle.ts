/**
 * Throttling by the size of the waiting queue: AWS's fix after the lease manager's collapse on
 * 2025-10-20 ("throttle incoming work by queue size"). The probability that new work is accepted
 * into the queue falls linearly from 1, once the queue holds `start × maxQueue` items, to 0 at
 * `maxQueue`, so arrivals slow down before the queue is full instead of all at once when it is (as
 * RED does for packets). Lower criticalities reach 0 earlier: each level sees the queue as if it were
 * `weight` times as long, so sheddable work stops queueing first.
 *
 * @see https://aws.amazon.com/message/101925/ (the post-event summary)
 * @see Floyd, Jacobson, "Random Early Detection Gateways for Congestion Avoidance", 1993
 */
import { invalid, ratio } from '../core/validate.js';
import type { Criticality } from './criticality.js';
import { CRITICALITIES } from './criticality.js';

/** Options of the queue-size throttle. */
export interface QueueThrottleOptions {
  /** The fraction of `maxQueue` at which throttling starts, in [0, 1]; default 0.25. */
  readonly start?: number;
  /**
   * How much longer the queue looks to each level (≥ 1), default 1 / 1.33 / 2 / 4: sheddable work
   * sees a queue four times as long, so it is throttled from `start / 4` and refused from a quarter full.
   */
  readonly weights?: Partial<Record<Criticality, number>>;
}

/** The resolved throttle: see {@link resolveQueueThrottle}. */
export interface QueueThrottle {
  readonly start: number;
  readonly weights: Readonly<Record<Criticality, number>>;
}

const DEFAULT_START = 0.25; // throttle from a quarter full: room for a burst, none for a backlog.
const DEFAULT_WEIGHTS: Readonly<Record<Criticality, number>> = Object.freeze({
  'critical-plus': 1,
  critical: 4 / 3,
  'sheddable-plus': 2,
  sheddable: 4,
});

/** Validates the throttle options. */
export function resolveQueueThrottle(value: QueueThrottleOptions | undefined): QueueThrottle {
  if (value === undefined) return { start: DEFAULT_START, weights: DEFAULT_WEIGHTS };
  if (typeof value !== 'object' || value === null) invalid('throttle', 'an object', value);
  const start = ratio('throttle.start', value.start ?? DEFAULT_START);
  const weights: Record<string, number> = { ...DEFAULT_WEIGHTS };
  if (value.weights !== undefined) {
    if (typeof value.weights !== 'object' || value.weights === null) {
      invalid('throttle.weights', 'an object', value.weights);
    }
    for (const [key, weight] of Object.entries(value.weights)) {
      if (!(CRITICALITIES as readonly string[]).includes(key)) invalid(`throttle.weights.${key}`, 'a criticality', key);
      if (typeof weight !== 'number' || !(weight >= 1 && weight < Infinity)) {
        invalid(`throttle.weights.${key}`, 'a finite number >= 1', weight);
      }
      weights[key] = weight;
    }
  }
  return { start, weights: Object.freeze(weights as Record<Criticality, number>) };
}

/**
 * The probability in [0, 1] that work of `criticality` is accepted into a queue that holds `length`
 * items out of `maxQueue`.
 *
 * @example
 * acceptProbability(resolveQueueThrottle(undefined), 'critical-plus', 50, 100); // 0.666…
 */
export function acceptProbability(
  throttle: QueueThrottle,
  criticality: Criticality,
  length: number,
  maxQueue: number,
): number {
  if (maxQueue <= 0) return 0;
  const seen = (length * throttle.weights[criticality]) / maxQueue;
  if (seen >= 1) return 0;
  if (seen <= throttle.start) return 1;
  return (1 - seen) / (1 - throttle.start);
}
