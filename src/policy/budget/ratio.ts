/**
 * A ratio retry budget: retries may add at most `ratio` of the real traffic, measured over a
 * sliding window, plus a small floor so that a quiet client can still retry at all. This is
 * Finagle's `RetryBudget` (deposit `ratio` per request, withdraw 1 per retry, a reserve of
 * `minRetriesPerSecond · window`) and the idea behind Envoy's retry budgets.
 *
 * The window is a ring of fixed slots (default 10, one second each for a 10 s window): each call
 * is O(1), memory is constant, and the answer is a pure function of the calls made and the `now`
 * passed in. Because a slot ages out as a whole, the window actually covered is between
 * `window - window/slots` and `window`.
 *
 * @see https://twitter.github.io/finagle/guide/Clients.html#retries
 * @see https://www.envoyproxy.io/docs/envoy/latest/api-v3/config/cluster/v3/circuit_breaker.proto
 */
import {
  invalid,
  nonNegativeNumber,
  positiveInteger,
  positiveNumber,
  ratio as ratioCheck,
} from '../../core/validate.js';
import { BucketRing } from '../../core/bucket-ring.js';
import { policyOptions } from '../core/options.js';
import type { RetryBudget, RetryBudgetSnapshot } from './budget.js';

/** Options of {@link ratioBudget}. */
export interface RatioBudgetOptions {
  /** Retries allowed per request over the window, in [0, 1]; default 0.1 (10 %: a storm adds at most 10 % load). */
  readonly ratio?: number;
  /** The sliding window, in milliseconds; default 10 s (Finagle's TTL). */
  readonly window?: number;
  /** Retries allowed per second whatever the traffic, ≥ 0; default 10 (Finagle's default): lets a quiet client retry. */
  readonly minRetriesPerSecond?: number;
  /** Slots in the window ring, an integer in [1, 1000]; default 10. More slots, a smoother window. */
  readonly slots?: number;
}

/** Tolerance for float sums such as 0.1 · 3. */
const EPSILON = 1e-9;

/** Plain numbers for metrics: see {@link RatioBudget.snapshot}. */
export interface RatioBudgetSnapshot extends RetryBudgetSnapshot {
  readonly kind: 'ratio';
  readonly ratio: number;
  /** In ms. */
  readonly window: number;
  readonly minRetriesPerSecond: number;
  /** Requests in the window at the last update. */
  readonly requests: number;
  /** Retries in the window at the last update. */
  readonly retries: number;
}

const REQUESTS = 0;
const RETRIES = 1;

/**
 * A {@link RetryBudget} capping retries at a ratio of requests; see {@link ratioBudget}.
 *
 * @example
 * const budget = new RatioBudget({ ratio: 0.2, minRetriesPerSecond: 0 });
 * for (let i = 0; i < 10; i++) budget.recordRequest(now);
 * budget.available(now); // 2
 */
export class RatioBudget implements RetryBudget {
  readonly kind = 'ratio';
  readonly ratio: number;
  readonly window: number;
  readonly minRetriesPerSecond: number;
  readonly slots: number;
  readonly #reserve: number;
  /** Requests (series 0) and retries (series 1) over the window: core's one bucketed sliding window. */
  readonly #ring: BucketRing;
  #granted = 0;
  #denied = 0;

  constructor(given?: RatioBudgetOptions) {
    const options = policyOptions(given, ['ratio', 'window', 'minRetriesPerSecond', 'slots']);
    this.ratio = ratioCheck('ratio', options.ratio ?? 0.1);
    this.window = positiveNumber('window', options.window ?? 10_000);
    this.minRetriesPerSecond = nonNegativeNumber('minRetriesPerSecond', options.minRetriesPerSecond ?? 10);
    this.slots = positiveInteger('slots', options.slots ?? 10);
    if (this.slots > 1000) invalid('slots', 'an integer between 1 and 1000', this.slots);
    this.#reserve = (this.minRetriesPerSecond * this.window) / 1000;
    this.#ring = new BucketRing({ buckets: this.slots, width: this.window / this.slots, series: 2 });
  }

  /** Retries still allowed in the window at `now` (may be fractional). */
  available(now: number): number {
    const ring = this.#ring;
    ring.advance(now);
    return Math.max(0, this.ratio * ring.total(REQUESTS) + this.#reserve - ring.total(RETRIES));
  }

  recordRequest(now: number): void {
    if (!Number.isFinite(now)) return;
    this.#ring.add(now, REQUESTS);
  }

  tryAcquire(now: number): boolean {
    if (!Number.isFinite(now)) return false;
    const ring = this.#ring;
    ring.advance(now);
    if (ring.total(RETRIES) + 1 > this.ratio * ring.total(REQUESTS) + this.#reserve + EPSILON) {
      this.#denied++;
      return false;
    }
    ring.add(now, RETRIES);
    this.#granted++;
    return true;
  }

  recordSuccess(): void {
    // The ratio counts requests and retries, not outcomes.
  }

  snapshot(): RatioBudgetSnapshot {
    return {
      kind: this.kind,
      ratio: this.ratio,
      window: this.window,
      minRetriesPerSecond: this.minRetriesPerSecond,
      requests: this.#ring.total(REQUESTS),
      retries: this.#ring.total(RETRIES),
      granted: this.#granted,
      denied: this.#denied,
    };
  }
}

/**
 * A retry budget that lets retries add at most `ratio` × requests over a sliding `window`, plus
 * `minRetriesPerSecond` (Finagle's RetryBudget, Envoy's retry budget). With the defaults a
 * dependency that fails for everyone sees at most 10 % extra load, not 3× (three attempts each).
 *
 * @example
 * const budget = ratioBudget({ ratio: 0.1, window: 10_000, minRetriesPerSecond: 10 });
 * const policy = retry({ maxAttempts: 3, budget, clock });
 * @see https://twitter.github.io/finagle/docs/com/twitter/finagle/service/RetryBudget$.html
 */
export function ratioBudget(options?: RatioBudgetOptions): RatioBudget {
  return new RatioBudget(options);
}
