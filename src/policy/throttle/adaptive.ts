/**
 * Adaptive client-side throttling, from the Google SRE book (chapter 21, "Handling Overload"). Each
 * client counts, over a sliding window, the `requests` its application attempted and the `accepts`
 * the backend actually accepted. While the backend is healthy the two are equal. When it starts
 * refusing work (throttles, 503s), accepts fall behind, and once requests exceed `K · accepts` the
 * client rejects new calls itself, before they cost the backend anything, with probability
 *
 * ```
 * p = max(0, (requests − K · accepts) / (requests + 1))
 * ```
 *
 * Locally rejected calls still count as requests, so p keeps rising while the backend keeps
 * refusing, and falls as soon as it accepts again. A call that goes through is counted when its
 * outcome is known, so a burst of calls in flight does not raise p by itself. p is always in [0, 1): a trickle of calls always
 * goes through to notice the recovery.
 *
 * Recovery is gradual on purpose: because local rejections count as requests, once the backend
 * accepts again p shrinks roughly as `p' = 2p − 1` (K = 2) per window, so the share of calls let
 * through about doubles each window; a client that saw a long outage needs several windows to
 * forget it. Pick the window for your traffic (the book's 2 minutes suits steady, busy clients),
 * or set `countRejected: false` to count only calls that reached the backend.
 *
 * {@link AdaptiveThrottleState} is the decision as a pure state machine (time and randomness passed
 * in); {@link AdaptiveThrottle} is the {@link Policy} shell around it.
 *
 * @see https://sre.google/sre-book/handling-overload/#eq2101
 */
import type { Clock } from '../../core/clock.js';
import { Emitter } from '../../core/events.js';
import type { Random } from '../../core/random.js';
import { func, invalid, positiveInteger, positiveNumber } from '../../core/validate.js';
import { BucketRing } from '../../core/bucket-ring.js';
import { callNext, kRunChain } from '../core/fast-path.js';
import { isOverloadError } from '../errors/overload.js';
import type { Outcome } from '../errors/overload.js';
import { policyOptions, randomOption } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/** Options of {@link AdaptiveThrottleState}. */
export interface AdaptiveThrottleStateOptions {
  /**
   * The multiplier K: requests may reach K times the accepts before the client rejects locally.
   * A number ≥ 1; default 2, the book's value ("K = 2"). Lower is more aggressive; 1 rejects as
   * soon as one call is refused.
   */
  readonly k?: number;
  /** The length of the sliding window, in milliseconds; default 2 minutes, the book's "two minutes of history". */
  readonly window?: number;
  /**
   * How many buckets the window is cut into; default 120 (one bucket per second with the default
   * window). More buckets forget old history more smoothly; each costs two numbers of memory.
   */
  readonly buckets?: number;
  /**
   * Whether locally rejected calls count as requests; default true, as in the book. With false only
   * calls that reached the backend count: during an outage the backend then sees about √(2n)
   * calls per window of n instead of about ln n, but p falls to 0 within a few accepted calls once
   * it recovers, instead of over several windows.
   */
  readonly countRejected?: boolean;
}

const DEFAULT_K = 2; // The SRE book: "K = 2".
const DEFAULT_WINDOW = 120_000; // 2 min: the SRE book's window.
const DEFAULT_BUCKETS = 120; // 1 s buckets with the default window.
const MAX_BUCKETS = 100_000; // BucketRing's bound
const REQUESTS = 0;
const ACCEPTS = 1;

/**
 * The SRE book's client-side throttle as a pure state machine: counts of requests and accepts
 * over a bucketed sliding window, and the rejection probability they imply. Every method takes
 * `now` (milliseconds on any clock); nothing reads time or randomness by itself.
 *
 * @example
 * const state = new AdaptiveThrottleState({ k: 2 });
 * for (let i = 0; i < 10; i++) state.recordRequest(0); // ten requests, no accepts
 * state.probability(0); // (10 − 2·0) / 11 ≈ 0.909
 * @see https://sre.google/sre-book/handling-overload/#eq2101
 */
export class AdaptiveThrottleState {
  /** The multiplier K. */
  readonly k: number;
  /** The window, in milliseconds. */
  readonly window: number;
  /** The number of buckets. */
  readonly buckets: number;
  /** Whether local rejections count as requests. */
  readonly countRejected: boolean;
  /** The width of one bucket, in milliseconds. */
  readonly bucketWidth: number;
  /** Requests (series 0) and accepts (series 1) over the window: core's one bucketed sliding window. */
  readonly #ring: BucketRing;

  constructor(options: AdaptiveThrottleStateOptions = {}) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    const k = options.k ?? DEFAULT_K;
    if (typeof k !== 'number' || !Number.isFinite(k) || k < 1) invalid('k', 'a finite number >= 1', k);
    this.k = k;
    this.window = positiveNumber('window', options.window ?? DEFAULT_WINDOW);
    const buckets = positiveInteger('buckets', options.buckets ?? DEFAULT_BUCKETS);
    if (buckets > MAX_BUCKETS) invalid('buckets', `a positive integer <= ${MAX_BUCKETS}`, buckets);
    this.buckets = buckets;
    this.bucketWidth = this.window / buckets;
    const countRejected = options.countRejected ?? true;
    if (typeof countRejected !== 'boolean') invalid('countRejected', 'a boolean', countRejected);
    this.countRejected = countRejected;
    this.#ring = new BucketRing({ buckets, width: this.bucketWidth, series: 2 });
  }

  /** `max(0, (requests − K · accepts) / (requests + 1))` for the given counts. */
  static probabilityOf(requests: number, accepts: number, k: number): number {
    const p = (requests - k * accepts) / (requests + 1);
    return p > 0 ? p : 0;
  }

  /** The requests counted in the window at `now` (including locally rejected ones). */
  requests(now: number): number {
    return this.#ring.sum(now, REQUESTS);
  }

  /** The accepts counted in the window at `now`. */
  accepts(now: number): number {
    return this.#ring.sum(now, ACCEPTS);
  }

  /** The probability, in [0, 1), that a call made at `now` is rejected locally. */
  probability(now: number): number {
    const ring = this.#ring;
    ring.advance(now);
    return AdaptiveThrottleState.probabilityOf(ring.total(REQUESTS), ring.total(ACCEPTS), this.k);
  }

  /** Counts one request at `now` (call it for every call the application attempts). */
  recordRequest(now: number): void {
    this.#ring.add(now, REQUESTS);
  }

  /**
   * Counts a call that went to the backend, once its outcome is known: a request, and an accept
   * if `accepted`. Returns the rejection probability that follows.
   */
  recordOutcome(now: number, accepted: boolean): number {
    const ring = this.#ring;
    ring.add(now, REQUESTS);
    if (accepted) ring.add(now, ACCEPTS);
    return AdaptiveThrottleState.probabilityOf(ring.total(REQUESTS), ring.total(ACCEPTS), this.k);
  }

  /**
   * Decides a call at `now`: draws from `random` against the current probability (no draw at
   * p = 0) and returns true when the call must be rejected locally, counting it as a request
   * (unless `countRejected` is false). A
   * call let through is counted later, by {@link recordOutcome}, so calls in flight never raise p
   * (counted at start, a cold burst of 100 concurrent first calls would see p = 99/100).
   */
  shouldReject(now: number, random: Random): boolean {
    const ring = this.#ring;
    ring.advance(now);
    const p = AdaptiveThrottleState.probabilityOf(ring.total(REQUESTS), ring.total(ACCEPTS), this.k);
    if (!(p > 0 && random.next() < p)) return false;
    if (this.countRejected) ring.add(now, REQUESTS);
    return true;
  }

  /** Plain JSON for metrics: the counts and probability at `now`. */
  snapshot(now: number): AdaptiveThrottleStateSnapshot {
    const ring = this.#ring;
    ring.advance(now);
    const requests = ring.total(REQUESTS);
    const accepts = ring.total(ACCEPTS);
    return {
      k: this.k,
      window: this.window,
      requests,
      accepts,
      probability: AdaptiveThrottleState.probabilityOf(requests, accepts, this.k),
    };
  }
}

/** Options of {@link adaptiveThrottle}. */
export interface AdaptiveThrottleOptions extends AdaptiveThrottleStateOptions {
  /**
   * Decides whether the backend accepted a call. Default: every success, and every error that is
   * not an overload error ({@link isOverloadError}: HTTP 429/503, AWS throttling errors). A normal
   * application error (404, validation) IS an accept: the backend did the work.
   */
  readonly isAccepted?: (outcome: Outcome) => boolean;
  /**
   * Probability thresholds, ascending, each in [0, 1): `onLevel` fires whenever the probability
   * crosses one, up or down. Default `[0, 0.25, 0.5, 0.75]` (0: throttling starts or stops).
   */
  readonly thresholds?: readonly number[];
  /** The clock; default {@link systemClock}. */
  readonly clock?: Clock;
  /** The source of the rejection draws; default {@link mathRandom}. */
  readonly random?: Random;
  /** The dependency's name, for events and errors, when the context carries none. */
  readonly dependency?: string;
}

/** Emitted when the rejection probability crosses a threshold. */
export interface ThrottleLevelEvent {
  /** How many thresholds the probability now exceeds (0: not throttling). */
  readonly level: number;
  readonly previousLevel: number;
  /** The threshold crossed: the highest one now exceeded going up, the lowest one fallen below going down. */
  readonly threshold: number;
  readonly probability: number;
  /** In ms on the policy's clock. */
  readonly now: number;
  readonly dependency: string | undefined;
}

/** Emitted for each call rejected locally. */
export interface ThrottleRejectEvent {
  readonly probability: number;
  readonly now: number;
  readonly dependency: string | undefined;
}

/** Plain numbers for metrics: see {@link AdaptiveThrottleState.snapshot}. */
export interface AdaptiveThrottleStateSnapshot {
  readonly k: number;
  /** In ms. */
  readonly window: number;
  /** Requests in the window, local rejections included. */
  readonly requests: number;
  /** Accepts in the window. */
  readonly accepts: number;
  /** The rejection probability now, in [0, 1). */
  readonly probability: number;
}

/** Plain numbers for metrics: see {@link AdaptiveThrottle.snapshot}. */
export interface AdaptiveThrottleSnapshot extends PolicySnapshot, AdaptiveThrottleStateSnapshot {
  readonly kind: 'throttle';
  /** How many thresholds the probability exceeded at the last call. */
  readonly level: number;
  /** Calls rejected locally since construction. */
  readonly rejected: number;
}

const DEFAULT_THRESHOLDS: readonly number[] = Object.freeze([0, 0.25, 0.5, 0.75]);
const KNOWN_OPTIONS: readonly (keyof AdaptiveThrottleOptions)[] = [
  'k',
  'window',
  'buckets',
  'countRejected',
  'isAccepted',
  'thresholds',
  'clock',
  'random',
  'dependency',
];

/**
 * The adaptive throttle as a {@link Policy}. Build it with {@link adaptiveThrottle}; share one
 * instance across every call site of one dependency.
 */
export class AdaptiveThrottle extends PolicyBase<AdaptiveThrottleSnapshot> {
  /** The rejection probability crossed a threshold (also on `failsmall:policy:throttle`). */
  readonly onLevel = new Emitter<ThrottleLevelEvent>();
  /** A call was rejected locally (also on `failsmall:policy:throttle`). */
  readonly onReject = new Emitter<ThrottleRejectEvent>();
  /** The pure state machine underneath. */
  readonly state: AdaptiveThrottleState;
  readonly thresholds: readonly number[];
  readonly #random: Random;
  readonly #isAccepted: ((outcome: Outcome) => boolean) | undefined;
  #level = 0;
  #rejected = 0;

  constructor(given?: AdaptiveThrottleOptions) {
    const options = policyOptions(given, KNOWN_OPTIONS);
    super('throttle', options);
    this.state = new AdaptiveThrottleState(options);
    this.#random = randomOption(options.random);
    this.#isAccepted = options.isAccepted === undefined ? undefined : func('isAccepted', options.isAccepted);
    this.thresholds = validThresholds(options.thresholds ?? DEFAULT_THRESHOLDS);
  }

  /** The current rejection probability, in [0, 1). */
  get probability(): number {
    return this.state.probability(this.clock.now());
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const now = this.clock.now();
    if (this.state.shouldReject(now, this.#random)) return Promise.reject(this.#refuse(now, ctx));
    return this.#call(chain, next, fn, ctx, now);
  }

  // The outcome is counted at the call's start time: one clock read per call, and a bucket off by
  // at most the call's duration (a call that outlives its bucket counts into the newest one).
  async #call<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    start: number,
  ): Promise<T> {
    let value: T;
    try {
      value = await callNext(chain, next, fn, ctx);
    } catch (error) {
      this.#outcome(
        start,
        this.#isAccepted === undefined ? !isOverloadError(error) : this.#isAccepted({ ok: false, error }),
        ctx,
      );
      throw error;
    }
    this.#outcome(start, this.#isAccepted === undefined || this.#isAccepted({ ok: true, value }), ctx);
    return value;
  }

  #outcome(now: number, accepted: boolean, ctx: PolicyContext): void {
    this.#checkLevel(this.state.recordOutcome(now, accepted), now, ctx);
  }

  #refuse(now: number, ctx: PolicyContext): Error {
    this.#rejected++;
    const probability = this.state.probability(now);
    const dependency = ctx.dependency ?? this.dependency;
    if (this.onReject.hasListeners || this.channel.hasSubscribers) {
      const event: ThrottleRejectEvent = { probability, now, dependency };
      this.announce(this.onReject, 'rejected', event);
    }
    this.#checkLevel(probability, now, ctx);
    return this.reject(
      'FS_ERR_THROTTLED_LOCALLY',
      'Rejected locally by adaptive throttling',
      ` (rejection probability ${probability.toFixed(3)})`,
      {
        kind: 'throttle',
        neverSent: true,
        probability,
        requests: this.state.requests(now),
        accepts: this.state.accepts(now),
      },
      dependency,
    );
  }

  /** Fires `onLevel` when the probability crossed a threshold since the last check. */
  #checkLevel(probability: number, now: number, ctx: PolicyContext): void {
    const thresholds = this.thresholds;
    let level = 0;
    while (level < thresholds.length && probability > thresholds[level]!) level++;
    const previousLevel = this.#level;
    if (level === previousLevel) return;
    this.#level = level;
    if (!this.onLevel.hasListeners && !this.channel.hasSubscribers) return;
    const threshold = level > previousLevel ? thresholds[level - 1]! : thresholds[level]!;
    const dependency = ctx.dependency ?? this.dependency;
    const event: ThrottleLevelEvent = { level, previousLevel, threshold, probability, now, dependency };
    this.announce(this.onLevel, 'level', event);
  }

  protected snapshotFields(): Omit<AdaptiveThrottleSnapshot, keyof PolicySnapshot> {
    return {
      ...this.state.snapshot(this.clock.now()),
      level: this.#level,
      rejected: this.#rejected,
    };
  }
}

function validThresholds(value: unknown): readonly number[] {
  const expected = 'an ascending array of numbers in [0, 1)';
  if (!Array.isArray(value)) invalid('thresholds', expected, value);
  let previous = -Infinity;
  for (const t of value as unknown[]) {
    if (typeof t !== 'number' || !(t >= 0 && t < 1) || t <= previous) invalid('thresholds', expected, value);
    previous = t;
  }
  return Object.freeze([...(value as number[])]);
}

/**
 * Adaptive client-side throttling (Google SRE book): rejects calls locally, with
 * `FS_ERR_THROTTLED_LOCALLY`, with probability `max(0, (requests − K·accepts) / (requests + 1))` over
 * a sliding window, so a client stops spending a refusing backend's capacity on work it will refuse.
 *
 * @param options - K (default 2), window (default 2 min), buckets (default 120), the accept
 *   classifier, event thresholds, clock and random.
 * @example
 * const throttle = adaptiveThrottle({ k: 2, window: 60_000 });
 * try {
 *   const item = await throttle.execute(() => table.get(key));
 * } catch (error) {
 *   if (isFailsmallError(error, 'FS_ERR_THROTTLED_LOCALLY')) return cached(key);
 *   throw error;
 * }
 * @see https://sre.google/sre-book/handling-overload/#eq2101
 */
export function adaptiveThrottle(options?: AdaptiveThrottleOptions): AdaptiveThrottle {
  return new AdaptiveThrottle(options);
}
