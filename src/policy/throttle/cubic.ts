/**
 * A client-side rate limiter whose rate follows CUBIC, as in the AWS SDKs' "adaptive" retry mode
 * (`DefaultRateLimiter` in the JavaScript SDK v3, `ClientRateLimiter` in botocore). It stays out of
 * the way until the first throttling error. From then on every call takes a token from a bucket
 * whose fill rate (tokens per second):
 *
 * - on a throttling error drops to `β · rate` (β = 0.7), where `rate` is the measured sending rate
 *   (capped by the current fill rate once engaged), remembered as `W_max`;
 * - on any other response grows along the CUBIC curve `C · (t − t_throttle − K)³ + W_max` with
 *   `K = ∛(W_max · (1 − β) / C)` (C = 0.4, t in seconds): fast back to `W_max`, flat around it,
 *   then probing faster;
 * - never exceeds twice the measured sending rate, never falls below `minFillRate` (0.5/s).
 *
 * The measured sending rate counts responses in 0.5 s buckets, smoothed with an exponential moving
 * average (weight 0.8 on the newest bucket).
 *
 * One difference from the SDK, on purpose: a waiting call reserves its token (the bucket may go
 * into debt) and sleeps exactly once, so waiters leave in arrival order and no wake-up storm
 * happens under load; the SDK re-polls the bucket. A call whose wait would pass its deadline (or
 * `maxWait`) is rejected at once with `FS_ERR_RATE_LIMITED` instead of waiting in vain.
 *
 * {@link CubicRateState} is the pure state machine (time passed in, in ms); {@link CubicRateLimiter}
 * the {@link Policy} shell that sleeps on the injected clock.
 *
 * @see https://github.com/smithy-lang/smithy-typescript/blob/main/packages/util-retry/src/DefaultRateLimiter.ts
 * @see https://github.com/boto/botocore/blob/develop/botocore/retries/adaptive.py
 * @see Ha, Rhee, Xu, "CUBIC: a new TCP-friendly high-speed TCP variant", SIGOPS 2008; RFC 9438
 */
import { abortReason } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { Emitter } from '../../core/events.js';
import { duration, func, invalid, positiveNumber } from '../../core/validate.js';
import { callNext, kRunChain } from '../core/fast-path.js';
import { neverAborted } from '../core/context.js';
import { isThrottlingError } from '../errors/overload.js';
import type { Outcome } from '../errors/overload.js';
import { policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/** Options of {@link CubicRateState}: the SDK's constants, all overridable. */
export interface CubicRateOptions {
  /** Multiplicative decrease on a throttling error, in (0, 1); default 0.7 (the SDK's `beta`). */
  readonly beta?: number;
  /** The CUBIC scale constant C, > 0; default 0.4 (the SDK's `scaleConstant`). */
  readonly scaleConstant?: number;
  /** Weight of the newest bucket in the measured sending rate, in (0, 1]; default 0.8 (the SDK's `smooth`). */
  readonly smoothing?: number;
  /** The lowest fill rate, in tokens per second, > 0; default 0.5 (the SDK's `minFillRate`). */
  readonly minFillRate?: number;
  /** The smallest bucket capacity, in tokens, > 0; default 1 (the SDK's `minCapacity`). */
  readonly minCapacity?: number;
  /** The width of a bucket of the measured sending rate, in ms, > 0; default 500 ms (the SDK's half-second buckets). */
  readonly bucketDuration?: number;
  /** The fill rate never exceeds this multiple of the measured sending rate, > 0; default 2 (botocore's `_MAX_RATE_ADJUST_SCALE`). */
  readonly maxRateScale?: number;
}

const DEFAULT_BETA = 0.7; // SDK `beta`: keep 70 % of the rate after a throttle.
const DEFAULT_SCALE = 0.4; // SDK `scaleConstant`: CUBIC's C.
const DEFAULT_SMOOTHING = 0.8; // SDK `smooth`.
const DEFAULT_MIN_FILL_RATE = 0.5; // SDK `minFillRate`: one call every 2 s at worst.
const DEFAULT_MIN_CAPACITY = 1; // SDK `minCapacity`.
const DEFAULT_BUCKET = 500; // SDK: `Math.floor(t * 2) / 2`, half-second buckets.
const DEFAULT_MAX_RATE_SCALE = 2; // SDK: `Math.min(calculatedRate, 2 * this.measuredTxRate)`.

/**
 * The AWS SDK adaptive-mode rate limiter as a pure state machine. Times are milliseconds on any
 * clock; rates are tokens (calls) per second; the CUBIC curve runs in seconds as in the SDK.
 *
 * @example
 * const state = new CubicRateState({}, 0);
 * for (let t = 0; t < 2_000; t += 100) state.record(t, false); // 10 calls/s, all fine
 * state.record(2_000, true); // throttled: the bucket engages at 0.7 × the measured rate
 * state.reserve(2_000); // ms to wait before sending (0 when a token is there)
 */
export class CubicRateState {
  readonly beta: number;
  readonly scaleConstant: number;
  readonly smoothing: number;
  readonly minFillRate: number;
  readonly minCapacity: number;
  readonly bucketDuration: number;
  readonly maxRateScale: number;
  #enabled = false;
  #tokens = 0;
  #lastRefill = NaN;
  #fillRate: number;
  #maxCapacity: number;
  #lastMaxRate = 0;
  #measuredRate = 0;
  #requestCount = 0;
  /** Seconds. */
  #lastThrottle: number;
  /** Seconds. */
  #lastBucket: number;
  /** Seconds: CUBIC's K, the time from a throttle until the curve is back at W_max. */
  #timeWindow = 0;

  /**
   * @param options - the constants; defaults are the SDK's.
   * @param start - the time of creation in ms (the CUBIC curve starts from it, as the SDK's does).
   */
  constructor(options: CubicRateOptions = {}, start = 0) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    const beta = options.beta ?? DEFAULT_BETA;
    if (typeof beta !== 'number' || !(beta > 0 && beta < 1))
      invalid('beta', 'a number between 0 and 1 (exclusive)', beta);
    this.beta = beta;
    this.scaleConstant = positiveNumber('scaleConstant', options.scaleConstant ?? DEFAULT_SCALE);
    const smoothing = options.smoothing ?? DEFAULT_SMOOTHING;
    if (typeof smoothing !== 'number' || !(smoothing > 0 && smoothing <= 1)) {
      invalid('smoothing', 'a number in (0, 1]', smoothing);
    }
    this.smoothing = smoothing;
    this.minFillRate = positiveNumber('minFillRate', options.minFillRate ?? DEFAULT_MIN_FILL_RATE);
    this.minCapacity = positiveNumber('minCapacity', options.minCapacity ?? DEFAULT_MIN_CAPACITY);
    this.bucketDuration = positiveNumber('bucketDuration', options.bucketDuration ?? DEFAULT_BUCKET);
    this.maxRateScale = positiveNumber('maxRateScale', options.maxRateScale ?? DEFAULT_MAX_RATE_SCALE);
    if (typeof start !== 'number' || !Number.isFinite(start)) invalid('start', 'a finite number', start);
    this.#fillRate = this.minFillRate;
    this.#maxCapacity = this.minCapacity;
    this.#lastThrottle = start / 1000;
    this.#lastBucket = this.#bucketOf(start);
  }

  /** True once a throttling error has been seen: from then on calls take tokens. */
  get enabled(): boolean {
    return this.#enabled;
  }

  /** The token fill rate, in tokens per second (≥ `minFillRate`). */
  get fillRate(): number {
    return this.#fillRate;
  }

  /** The bucket's capacity, in tokens (≥ `minCapacity`). */
  get maxCapacity(): number {
    return this.#maxCapacity;
  }

  /** The tokens in the bucket at the last refill; negative while waiting calls hold reservations. */
  get tokens(): number {
    return this.#tokens;
  }

  /** The measured sending rate, in calls per second (an EMA over `bucketDuration` buckets). */
  get measuredRate(): number {
    return this.#measuredRate;
  }

  /** W_max: the rate at the last throttling error, in calls per second. */
  get lastMaxRate(): number {
    return this.#lastMaxRate;
  }

  /** CUBIC's K, in seconds: how long after a throttle the curve is back at W_max. */
  get timeWindow(): number {
    return this.#timeWindow;
  }

  /** The time of the last throttling error (or of creation), in ms. */
  get lastThrottleTime(): number {
    return this.#lastThrottle * 1000;
  }

  /** The start (in seconds) of the measured-rate bucket that holds `now` (ms). */
  #bucketOf(now: number): number {
    return (Math.floor(now / this.bucketDuration) * this.bucketDuration) / 1000;
  }

  #refill(now: number): void {
    const t = now / 1000;
    if (Number.isNaN(this.#lastRefill)) {
      this.#lastRefill = t;
      return;
    }
    const elapsed = t - this.#lastRefill;
    if (elapsed > 0) {
      const tokens = this.#tokens + elapsed * this.#fillRate;
      this.#tokens = tokens < this.#maxCapacity ? tokens : this.#maxCapacity;
      this.#lastRefill = t;
    }
  }

  /**
   * The CUBIC curve at `now` (ms): `C · (t − t_throttle − K)³ + W_max`, in calls per second, before
   * the `maxRateScale · measuredRate` cap and the `minFillRate` floor.
   */
  cubicRate(now: number): number {
    const dt = now / 1000 - this.#lastThrottle - this.#timeWindow;
    return this.scaleConstant * dt * dt * dt + this.#lastMaxRate;
  }

  /**
   * How long a call at `now` would wait for a token, in ms, without taking one: 0 when the bucket
   * is not engaged or holds a whole token.
   */
  waitTime(now: number): number {
    if (!this.#enabled) return 0;
    this.#refill(now);
    return this.#tokens >= 1 ? 0 : ((1 - this.#tokens) / this.#fillRate) * 1000;
  }

  /**
   * Reserves a token for a call at `now` and returns how long the call must wait before sending,
   * in ms (0: send now). When the wait would exceed `maxWait`, reserves nothing and returns -1.
   * Not engaged: always 0, nothing taken.
   */
  reserve(now: number, maxWait = Infinity): number {
    if (!this.#enabled) return 0;
    const wait = this.waitTime(now);
    if (wait > maxWait) return -1;
    this.#tokens -= 1;
    return wait;
  }

  /** Gives back a token reserved by {@link reserve} for a call that gave up waiting. */
  release(now: number): void {
    if (!this.#enabled) return;
    this.#refill(now);
    const tokens = this.#tokens + 1;
    this.#tokens = tokens < this.#maxCapacity ? tokens : this.#maxCapacity;
  }

  /**
   * Records a response at `now` (ms): `throttled` when the backend throttled the call. Updates the
   * measured rate, the CUBIC state and the bucket, and returns the new fill rate (tokens/s).
   * The SDK's `updateClientSendingRate`.
   */
  record(now: number, throttled: boolean): number {
    this.#measure(now);
    const t = now / 1000;
    let rate: number;
    if (throttled) {
      const rateToUse = this.#enabled ? Math.min(this.#measuredRate, this.#fillRate) : this.#measuredRate;
      this.#lastMaxRate = rateToUse;
      this.#timeWindow = Math.cbrt((rateToUse * (1 - this.beta)) / this.scaleConstant);
      this.#lastThrottle = t;
      rate = rateToUse * this.beta;
      this.#enabled = true;
    } else {
      rate = this.cubicRate(now);
    }
    const cap = this.maxRateScale * this.#measuredRate;
    if (!(rate <= cap)) rate = cap; // also replaces a NaN rate with the cap
    this.#refill(now);
    this.#fillRate = rate > this.minFillRate ? rate : this.minFillRate;
    this.#maxCapacity = rate > this.minCapacity ? rate : this.minCapacity;
    if (this.#tokens > this.#maxCapacity) this.#tokens = this.#maxCapacity;
    return this.#fillRate;
  }

  /** The SDK's `updateMeasuredRate`: responses per bucket, smoothed. */
  #measure(now: number): void {
    const bucket = this.#bucketOf(now);
    this.#requestCount++;
    if (bucket > this.#lastBucket) {
      const current = this.#requestCount / (bucket - this.#lastBucket);
      this.#measuredRate = current * this.smoothing + this.#measuredRate * (1 - this.smoothing);
      this.#requestCount = 0;
      this.#lastBucket = bucket;
    }
  }

  /** Plain JSON for metrics. */
  snapshot(): CubicRateStateSnapshot {
    return {
      enabled: this.#enabled,
      fillRate: this.#fillRate,
      maxCapacity: this.#maxCapacity,
      tokens: this.#tokens,
      measuredRate: this.#measuredRate,
      lastMaxRate: this.#lastMaxRate,
      timeWindow: this.#timeWindow,
    };
  }
}

/** Options of {@link cubicRateLimiter}. */
export interface CubicRateLimiterOptions extends CubicRateOptions {
  /**
   * Decides whether a response was a throttle. Default: an error for which
   * {@link isThrottlingError} holds (HTTP 429, AWS throttling error names), as in the SDK.
   */
  readonly isThrottled?: (outcome: Outcome) => boolean;
  /**
   * The longest a call waits for a token, in ms; default Infinity (bounded only by the call's
   * deadline). A call that would wait longer is rejected at once with `FS_ERR_RATE_LIMITED`.
   */
  readonly maxWait?: number;
  /** The clock to measure and sleep on; default {@link systemClock}. */
  readonly clock?: Clock;
  /** The dependency's name, for events and errors, when the context carries none. */
  readonly dependency?: string;
}

/** Emitted on every throttling response: the rate was cut. */
export interface RateThrottleEvent {
  /** True the first time: the token bucket turns on. */
  readonly engaged: boolean;
  /** Tokens per second, after and before the cut. */
  readonly fillRate: number;
  readonly previousFillRate: number;
  /** Calls per second. */
  readonly measuredRate: number;
  /** In ms on the policy's clock. */
  readonly now: number;
  readonly dependency: string | undefined;
}

/** Emitted when a call is rejected because its wait for a token would pass its deadline or `maxWait`. */
export interface RateRejectEvent {
  /** The wait the call would have needed, in ms. */
  readonly wait: number;
  readonly fillRate: number;
  readonly now: number;
  readonly dependency: string | undefined;
}

/** Plain numbers for metrics: see {@link CubicRateState.snapshot}. */
export interface CubicRateStateSnapshot {
  /** True once a throttle engaged the bucket. */
  readonly enabled: boolean;
  /** Tokens per second. */
  readonly fillRate: number;
  readonly maxCapacity: number;
  /** Negative while waiting calls hold reservations. */
  readonly tokens: number;
  /** Calls per second. */
  readonly measuredRate: number;
  /** W_max, calls per second. */
  readonly lastMaxRate: number;
  /** CUBIC's K, in seconds. */
  readonly timeWindow: number;
}

/** Plain numbers for metrics: see {@link CubicRateLimiter.snapshot}. */
export interface CubicRateLimiterSnapshot extends PolicySnapshot, CubicRateStateSnapshot {
  readonly kind: 'rate-limiter';
  /** Throttling responses seen. */
  readonly throttles: number;
  /** Calls that waited for a token. */
  readonly waited: number;
  /** Calls rejected with `FS_ERR_RATE_LIMITED`. */
  readonly rejected: number;
}

const KNOWN_OPTIONS: readonly (keyof CubicRateLimiterOptions)[] = [
  'beta',
  'scaleConstant',
  'smoothing',
  'minFillRate',
  'minCapacity',
  'bucketDuration',
  'maxRateScale',
  'isThrottled',
  'maxWait',
  'clock',
  'dependency',
];

/**
 * The CUBIC rate limiter as a {@link Policy}. Build it with {@link cubicRateLimiter}; share one per
 * dependency (the SDK keeps one per client). Put it inside retry so each attempt takes a token.
 */
export class CubicRateLimiter extends PolicyBase<CubicRateLimiterSnapshot> {
  /** A throttling response cut the rate (also on `failsmall:policy:rate-limiter`). */
  readonly onThrottle = new Emitter<RateThrottleEvent>();
  /** A call was rejected with `FS_ERR_RATE_LIMITED` (also on `failsmall:policy:rate-limiter`). */
  readonly onReject = new Emitter<RateRejectEvent>();
  /** The pure state machine underneath. */
  readonly state: CubicRateState;
  /** The longest wait for a token, in ms. */
  readonly maxWait: number;
  readonly #isThrottled: ((outcome: Outcome) => boolean) | undefined;
  #rejected = 0;
  #throttles = 0;
  #waited = 0;

  constructor(given?: CubicRateLimiterOptions) {
    const options = policyOptions(given, KNOWN_OPTIONS);
    super('rate-limiter', options);
    this.state = new CubicRateState(options, this.clock.now());
    this.maxWait = duration('maxWait', options.maxWait ?? Infinity, true);
    this.#isThrottled = options.isThrottled === undefined ? undefined : func('isThrottled', options.isThrottled);
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    if (!this.state.enabled) return this.#call(chain, next, fn, ctx);
    const now = this.clock.now();
    const wait = this.state.reserve(now, Math.min(this.maxWait, ctx.deadline - now));
    if (wait === 0) return this.#call(chain, next, fn, ctx);
    if (wait < 0) return Promise.reject(this.#refuse(now, ctx));
    return this.#waitThenCall(wait, chain, next, fn, ctx);
  }

  async #waitThenCall<T>(
    wait: number,
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
  ): Promise<T> {
    this.#waited++;
    const signal = ctx.signal;
    if (signal.aborted) {
      this.state.release(this.clock.now());
      throw abortReason(signal);
    }
    try {
      // The shared never-aborting signal gets no listener: thousands of waiters would leak-warn on it.
      await this.clock.sleep(wait, signal === neverAborted ? undefined : signal);
    } catch (error) {
      this.state.release(this.clock.now());
      throw error;
    }
    return this.#call(chain, next, fn, ctx);
  }

  async #call<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    let value: T;
    try {
      value = await callNext(chain, next, fn, ctx);
    } catch (error) {
      this.#record(
        this.#isThrottled === undefined ? isThrottlingError(error) : this.#isThrottled({ ok: false, error }),
        ctx,
      );
      throw error;
    }
    this.#record(this.#isThrottled !== undefined && this.#isThrottled({ ok: true, value }), ctx);
    return value;
  }

  #refuse(now: number, ctx: PolicyContext): Error {
    this.#rejected++;
    const wait = this.state.waitTime(now);
    const fillRate = this.state.fillRate;
    const dependency = ctx.dependency ?? this.dependency;
    if (this.onReject.hasListeners || this.channel.hasSubscribers) {
      const event: RateRejectEvent = { wait, fillRate, now, dependency };
      this.announce(this.onReject, 'rejected', event);
    }
    // `retryAfter` (ms) is the hint retry() honours: the token is that far away.
    return this.reject(
      'FS_ERR_RATE_LIMITED',
      'Rate limited',
      `: the next token is ${Math.ceil(wait)} ms away, past the call's deadline or maxWait`,
      {
        kind: 'throttle',
        neverSent: true,
        wait,
        retryAfter: wait,
        fillRate,
        deadline: ctx.deadline,
        maxWait: this.maxWait,
      },
      dependency,
    );
  }

  #record(throttled: boolean, ctx: PolicyContext): void {
    const now = this.clock.now();
    const engaged = !this.state.enabled;
    const previousFillRate = this.state.fillRate;
    const fillRate = this.state.record(now, throttled);
    if (!throttled) return;
    this.#throttles++;
    if (this.onThrottle.hasListeners || this.channel.hasSubscribers) {
      const event: RateThrottleEvent = {
        engaged,
        fillRate,
        previousFillRate,
        measuredRate: this.state.measuredRate,
        now,
        dependency: ctx.dependency ?? this.dependency,
      };
      this.announce(this.onThrottle, 'throttled', event);
    }
  }

  protected snapshotFields(): Omit<CubicRateLimiterSnapshot, keyof PolicySnapshot> {
    return {
      ...this.state.snapshot(),
      throttles: this.#throttles,
      waited: this.#waited,
      rejected: this.#rejected,
    };
  }
}

/**
 * The AWS SDK "adaptive" retry mode's client-side rate limiter: a token bucket whose fill rate
 * follows CUBIC, engaged by the first throttling error. Calls wait for a token on the injected
 * clock (honouring their signal), or fail fast with `FS_ERR_RATE_LIMITED` when the wait would pass
 * the call's deadline.
 *
 * @param options - the SDK constants (β 0.7, C 0.4, smoothing 0.8, min fill rate 0.5/s …), the
 *   throttle classifier, `maxWait` and the clock.
 * @example
 * const limiter = cubicRateLimiter();
 * const item = await limiter.execute(() => ddb.send(new GetItemCommand(input)));
 * limiter.snapshot(); // { enabled, fillRate, measuredRate, … }
 * @see https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
 */
export function cubicRateLimiter(options?: CubicRateLimiterOptions): CubicRateLimiter {
  return new CubicRateLimiter(options);
}
