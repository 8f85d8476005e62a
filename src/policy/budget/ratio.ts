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
  readonly #width: number;
  readonly #reserve: number;
  readonly #requests: Float64Array;
  readonly #retries: Float64Array;
  #slot = -Infinity; // the absolute slot number (floor(now / width)) of the newest slot
  #sumRequests = 0;
  #sumRetries = 0;
  #granted = 0;
  #denied = 0;

  constructor(given?: RatioBudgetOptions) {
    const options = policyOptions(given, ['ratio', 'window', 'minRetriesPerSecond', 'slots']);
    this.ratio = ratioCheck('ratio', options.ratio ?? 0.1);
    this.window = positiveNumber('window', options.window ?? 10_000);
    this.minRetriesPerSecond = nonNegativeNumber('minRetriesPerSecond', options.minRetriesPerSecond ?? 10);
    this.slots = positiveInteger('slots', options.slots ?? 10);
    if (this.slots > 1000) invalid('slots', 'an integer between 1 and 1000', this.slots);
    this.#width = this.window / this.slots;
    this.#reserve = (this.minRetriesPerSecond * this.window) / 1000;
    this.#requests = new Float64Array(this.slots);
    this.#retries = new Float64Array(this.slots);
  }

  /** Ages out the slots that left the window by `now`. A clock that steps back keeps the newest slot. */
  #advance(now: number): number {
    const slot = Math.floor(now / this.#width);
    if (!(slot > this.#slot)) return this.#index(this.#slot);
    if (slot - this.#slot >= this.slots || this.#slot === -Infinity) {
      this.#requests.fill(0);
      this.#retries.fill(0);
      this.#sumRequests = 0;
      this.#sumRetries = 0;
    } else {
      for (let s = this.#slot + 1; s <= slot; s++) {
        const i = this.#index(s);
        this.#sumRequests -= this.#requests[i]!;
        this.#sumRetries -= this.#retries[i]!;
        this.#requests[i] = 0;
        this.#retries[i] = 0;
      }
    }
    this.#slot = slot;
    return this.#index(slot);
  }

  #index(slot: number): number {
    const i = slot % this.slots;
    return i < 0 ? i + this.slots : i;
  }

  /** Retries still allowed in the window at `now` (may be fractional). */
  available(now: number): number {
    this.#advance(now);
    return Math.max(0, this.ratio * this.#sumRequests + this.#reserve - this.#sumRetries);
  }

  recordRequest(now: number): void {
    if (!Number.isFinite(now)) return;
    const i = this.#advance(now);
    this.#requests[i]!++;
    this.#sumRequests++;
  }

  tryAcquire(now: number): boolean {
    if (!Number.isFinite(now)) return false;
    const i = this.#advance(now);
    if (this.#sumRetries + 1 > this.ratio * this.#sumRequests + this.#reserve + EPSILON) {
      this.#denied++;
      return false;
    }
    this.#retries[i]!++;
    this.#sumRetries++;
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
      requests: this.#sumRequests,
      retries: this.#sumRetries,
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
