/**
 * A sliding window of the latest latencies and a cached percentile, for percentile-based hedging.
 * Recording is O(1); the percentile is recomputed (a sort of at most `size` numbers) only after
 * `size / 16` new samples, so its amortised cost per call stays small and constant.
 */
import { invalid, positiveInteger } from '../../core/validate.js';

/**
 * The latest `size` latencies and their `p`-quantile.
 *
 * @example
 * const w = new LatencyWindow(0.95, 1000);
 * w.record(12.5);
 * w.value(); // 12.5
 */
export class LatencyWindow {
  readonly size: number;
  readonly p: number;
  readonly #samples: Float64Array;
  readonly #scratch: Float64Array;
  readonly #refreshEvery: number;
  #next = 0;
  #count = 0;
  #sinceRefresh = 0;
  #cached = NaN;

  /**
   * @param p - the quantile, in (0, 1], e.g. 0.95.
   * @param size - how many latest samples to keep, an integer ≥ 1.
   */
  constructor(p: number, size: number) {
    if (typeof p !== 'number' || !(p > 0 && p <= 1)) invalid('percentile.p', 'a number in (0, 1]', p);
    this.p = p;
    this.size = positiveInteger('percentile.window', size);
    this.#samples = new Float64Array(size);
    this.#scratch = new Float64Array(size);
    this.#refreshEvery = Math.max(1, Math.floor(size / 16));
  }

  /** How many samples the window holds (at most `size`). */
  get count(): number {
    return this.#count;
  }

  /** Adds a latency in milliseconds; non-finite or negative values are ignored. */
  record(ms: number): void {
    if (!(ms >= 0 && ms < Infinity)) return;
    this.#samples[this.#next] = ms;
    this.#next = (this.#next + 1) % this.size;
    if (this.#count < this.size) this.#count++;
    this.#sinceRefresh++;
  }

  /** The `p`-quantile (nearest rank) of the window, NaN when empty. */
  value(): number {
    if (this.#count === 0) return NaN;
    if (this.#sinceRefresh >= this.#refreshEvery || Number.isNaN(this.#cached)) {
      const view = this.#scratch.subarray(0, this.#count);
      view.set(this.#samples.subarray(0, this.#count));
      view.sort();
      this.#cached = view[Math.min(this.#count - 1, Math.max(0, Math.ceil(this.p * this.#count) - 1))]!;
      this.#sinceRefresh = 0;
    }
    return this.#cached;
  }
}
