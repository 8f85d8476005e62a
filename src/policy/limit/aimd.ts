/**
 * AIMD (additive increase, multiplicative decrease): the loss-based concurrency limit of TCP Reno,
 * as in Netflix's `AIMDLimit`. Each sample that finished in time, while the limit was at least half
 * used, adds 1; each drop (or a call slower than `timeout`) multiplies the limit by `backoffRatio`.
 * Samples taken while less than half the limit was in use leave it alone, so an idle client does
 * not grow a limit it never tested.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/AIMDLimit.java
 * @see Chiu, Jain, "Analysis of the increase and decrease algorithms for congestion avoidance", 1989
 */
import { duration, invalid } from '../../core/validate.js';
import { BaseLimit, optionsObject, resolveBounds } from './limit.js';
import type { Limit, LimitBounds, LimitSample, LimitSnapshot } from './limit.js';

/** Options of {@link aimd}. */
export interface AimdLimitOptions extends LimitBounds {
  /**
   * The factor applied on a drop, in [0.5, 1); default 0.9 (Netflix). 0.5 is TCP Reno's halving.
   */
  readonly backoffRatio?: number;
  /** A call slower than this counts as a drop, in ms; default 5 s (Netflix). Infinity turns it off. */
  readonly timeout?: number;
}

const DEFAULTS = {
  initialLimit: 20, // Netflix's initial limit.
  minLimit: 1, // Netflix now defaults to 20, which keeps a fresh limiter from ever backing off; TCP's floor is 1.
  maxLimit: 200, // Netflix's maxLimit.
};
const DEFAULT_BACKOFF_RATIO = 0.9; // Netflix AIMDLimit.
const DEFAULT_TIMEOUT = 5_000; // Netflix AIMDLimit: 5 s.

class AimdLimit extends BaseLimit {
  readonly kind = 'aimd';
  readonly backoffRatio: number;
  readonly timeout: number;

  constructor(options: AimdLimitOptions) {
    super(resolveBounds(options, DEFAULTS));
    const ratio = options.backoffRatio ?? DEFAULT_BACKOFF_RATIO;
    if (typeof ratio !== 'number' || !(ratio >= 0.5 && ratio < 1))
      invalid('backoffRatio', 'a number in [0.5, 1)', ratio);
    this.backoffRatio = ratio;
    this.timeout = duration('timeout', options.timeout ?? DEFAULT_TIMEOUT, true);
  }

  protected update(sample: LimitSample): number {
    const limit = this.limit;
    if (sample.dropped || sample.rtt > this.timeout) return Math.floor(limit * this.backoffRatio);
    if (sample.inflight * 2 >= limit) return limit + 1;
    return limit;
  }

  override snapshot(): LimitSnapshot {
    // JSON has no Infinity: a disabled timeout is null.
    return {
      ...super.snapshot(),
      backoffRatio: this.backoffRatio,
      timeout: Number.isFinite(this.timeout) ? this.timeout : null,
    };
  }
}

/**
 * An AIMD concurrency limit: +1 per sample while at least half the limit is in use, × `backoffRatio`
 * per drop or per call slower than `timeout`, within [minLimit, maxLimit].
 *
 * @param options - `initialLimit` (default 20), `minLimit` (default 1), `maxLimit` (default 200),
 *   `backoffRatio` (default 0.9), `timeout` (ms, default 5 s).
 * @example
 * const limit = aimd({ initialLimit: 10, maxLimit: 100 });
 * limit.onSample({ now: 0, rtt: 12, inflight: 10, dropped: false }); // 11
 * limit.onSample({ now: 5, rtt: 12, inflight: 11, dropped: true }); // 9 (⌊11 × 0.9⌋)
 * @see https://github.com/Netflix/concurrency-limits
 */
export function aimd(options?: AimdLimitOptions): Limit {
  return new AimdLimit(optionsObject(options));
}
