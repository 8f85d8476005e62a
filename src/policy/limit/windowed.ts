/**
 * Feeds a {@link Limit} one aggregate per time window instead of every sample, as Netflix's
 * `WindowedLimit` does: the window's average RTT, its largest in-flight count, and whether any
 * call in it was dropped. Latency algorithms (Gradient2, Vegas) then react to a trend, not to one
 * slow call, and a busy service revises its limit about once a second whatever its request rate.
 *
 * A window closes at the first sample past its end; it lasts twice the smallest RTT it saw,
 * clamped to [minWindow, maxWindow]. A window with fewer than `minSamples` samples is discarded.
 * Samples faster than `minRtt` (cache hits, immediate rejections) are ignored.
 *
 * @see https://github.com/Netflix/concurrency-limits/blob/main/concurrency-limits-core/src/main/java/com/netflix/concurrency/limits/limit/WindowedLimit.java
 */
import type { Emitter } from '../../core/events.js';
import { invalid, nonNegativeNumber, positiveInteger, positiveNumber, withMethods } from '../../core/validate.js';
import { checkSample, optionsObject } from './limit.js';
import type { Limit, LimitChange, LimitSample, LimitSnapshot } from './limit.js';

/** Options of {@link windowedLimit}. */
export interface WindowedLimitOptions {
  /** The shortest window, in ms; default 1 s (Netflix). */
  readonly minWindow?: number;
  /** The longest window, in ms; default 1 s (Netflix). */
  readonly maxWindow?: number;
  /** Windows with fewer samples are discarded; default 10 (Netflix `windowSize`). */
  readonly minSamples?: number;
  /** Samples with a smaller RTT are ignored, in ms; default 0.1 ms (Netflix: 100 µs). */
  readonly minRtt?: number;
}

const DEFAULT_WINDOW = 1_000; // Netflix: min and max window time 1 s.
const DEFAULT_MIN_SAMPLES = 10; // Netflix `DEFAULT_WINDOW_SIZE`.
const DEFAULT_MIN_RTT = 0.1; // Netflix `DEFAULT_MIN_RTT_THRESHOLD`: 100 µs.

class WindowedLimit implements Limit {
  readonly kind: string;
  readonly minWindow: number;
  readonly maxWindow: number;
  readonly minSamples: number;
  readonly minRtt: number;
  readonly #inner: Limit;
  #nextUpdate = -Infinity;
  #count = 0;
  #sum = 0;
  #minRttSeen = Infinity;
  #maxInflight = 0;
  #dropped = false;
  /** A reused sample object: `onSample` is synchronous, so the inner limit cannot keep it. */
  readonly #aggregate = { now: 0, rtt: 0, inflight: 0, dropped: false };

  constructor(inner: Limit, options: WindowedLimitOptions) {
    this.#inner = withMethods<Limit>('limit', inner, ['onSample'], 'a Limit');
    this.kind = `windowed(${inner.kind})`;
    this.minWindow = positiveNumber('minWindow', options.minWindow ?? DEFAULT_WINDOW);
    this.maxWindow = positiveNumber('maxWindow', options.maxWindow ?? Math.max(DEFAULT_WINDOW, this.minWindow));
    if (this.maxWindow < this.minWindow)
      invalid('maxWindow', `a number >= minWindow (${this.minWindow})`, this.maxWindow);
    this.minSamples = positiveInteger('minSamples', options.minSamples ?? DEFAULT_MIN_SAMPLES);
    this.minRtt = nonNegativeNumber('minRtt', options.minRtt ?? DEFAULT_MIN_RTT);
  }

  get limit(): number {
    return this.#inner.limit;
  }

  get minLimit(): number {
    return this.#inner.minLimit;
  }

  get maxLimit(): number {
    return this.#inner.maxLimit;
  }

  get onChange(): Emitter<LimitChange> {
    return this.#inner.onChange;
  }

  onSample(sample: LimitSample): number {
    checkSample(sample);
    const rtt = sample.rtt;
    if (rtt < this.minRtt) return this.#inner.limit;
    this.#count++;
    this.#sum += rtt;
    if (rtt < this.#minRttSeen) this.#minRttSeen = rtt;
    if (sample.inflight > this.#maxInflight) this.#maxInflight = sample.inflight;
    if (sample.dropped) this.#dropped = true;
    if (!(sample.now > this.#nextUpdate)) return this.#inner.limit;

    const span = Math.min(Math.max(this.#minRttSeen * 2, this.minWindow), this.maxWindow);
    this.#nextUpdate = sample.now + span;
    const ready = this.#count >= this.minSamples;
    const aggregate = this.#aggregate;
    aggregate.now = sample.now;
    aggregate.rtt = this.#sum / this.#count;
    aggregate.inflight = this.#maxInflight;
    aggregate.dropped = this.#dropped;
    this.#count = 0;
    this.#sum = 0;
    this.#minRttSeen = Infinity;
    this.#maxInflight = 0;
    this.#dropped = false;
    return ready ? this.#inner.onSample(aggregate) : this.#inner.limit;
  }

  snapshot(): LimitSnapshot {
    return {
      ...this.#inner.snapshot(),
      kind: this.kind,
      window: {
        samples: this.#count,
        nextUpdate: Number.isFinite(this.#nextUpdate) ? this.#nextUpdate : null,
        minWindow: this.minWindow,
        maxWindow: this.maxWindow,
      },
    };
  }
}

/**
 * Wraps `limit` so that it sees one aggregate sample per window (average RTT, peak in-flight,
 * any drop) instead of every call.
 *
 * @param limit - the algorithm to feed.
 * @param options - `minWindow`/`maxWindow` (ms, default 1 s), `minSamples` (10), `minRtt` (ms, 0.1).
 * @example
 * const limiter = concurrencyLimiter({ limit: windowedLimit(gradient2()) });
 * @see https://github.com/Netflix/concurrency-limits
 */
export function windowedLimit(limit: Limit, options?: WindowedLimitOptions): Limit {
  return new WindowedLimit(limit, optionsObject(options));
}
