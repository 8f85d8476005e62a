/**
 * Hedging: when the first attempt is slow, start a second one and take whichever answers first
 * ("The Tail at Scale", Dean & Barroso, 2013; gRPC hedging, gRFC A6). Each attempt gets its own
 * context (attempt number, own AbortSignal); the losers are aborted with `FS_ERR_HEDGE_LOST` as
 * soon as one succeeds.
 *
 * Rules, in order:
 * - attempt 1 starts at once; attempt n+1 starts `delay` ms after attempt n (a fixed delay, or
 *   the observed `p`-percentile latency), at most `maxHedges` extra attempts;
 * - an attempt that fails with a retryable error starts the next hedge at once (as gRPC does);
 *   a non-retryable error (per the classifier) ends the call at once with that error;
 * - every hedge draws from the retry budget (no token, no hedge), and none starts past the
 *   caller's deadline;
 * - the first success wins; if every attempt fails, the call rejects with the **primary's**
 *   (attempt 1's) error: what the caller would have seen without hedging.
 * Hedge only idempotent calls: two attempts may both reach the server.
 *
 * @see https://research.google/pubs/the-tail-at-scale/
 * @see https://github.com/grpc/proposal/blob/master/A6-client-retries.md#hedging-policy
 */
import { abortReason } from '../../core/clock.js';
import type { Cancel, Clock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { Emitter } from '../../core/events.js';
import { func, invalid, nonNegativeInteger, nonNegativeNumber } from '../../core/validate.js';
import type { RetryBudget, RetryBudgetSnapshot, RetryCause } from '../budget/budget.js';
import { classifyError } from '../errors/classify.js';
import { toVerdict } from '../errors/classify.js';
import type { RetryVerdict } from '../errors/classify.js';
import { neverAborted } from '../core/context.js';
import { callNext, kRunChain } from '../core/fast-path.js';
import { LatencyWindow } from './latency-window.js';
import { budgetOption, clockOption, dependencyOption, policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/** Percentile-based hedge delay. */
export interface HedgePercentile {
  /** The latency quantile after which to hedge, in (0, 1], e.g. 0.95 for p95. */
  readonly p: number;
  /** How many latest successful latencies to keep; default 1000. */
  readonly window?: number;
  /** The shortest hedge delay, in ms; default 0. Keeps a very fast percentile from hedging everything. */
  readonly min?: number;
  /** Latencies needed before hedging starts at all; default 20 ("no data, no hedge"). */
  readonly minSamples?: number;
}

/** Options of {@link hedge}: exactly one of `delay` and `percentile`. */
export interface HedgeOptions {
  /** A fixed hedge delay in ms. */
  readonly delay?: number;
  /** A hedge delay following the observed latency percentile. */
  readonly percentile?: HedgePercentile;
  /** Extra attempts at most, an integer ≥ 0; default 1 (one hedge: at most twice the load). */
  readonly maxHedges?: number;
  /** The retry budget hedges draw from; default none (only `maxHedges` limits them). */
  readonly budget?: RetryBudget;
  /** Which errors start the next hedge at once (retryable) or end the call (not); default {@link classifyError}. */
  readonly classify?: (error: unknown, now: number) => RetryVerdict | boolean;
  /** Time source for delays and latencies; default `systemClock`. */
  readonly clock?: Clock;
  /** The dependency name for events and metrics, when the context carries none. */
  readonly dependency?: string;
}

/** Emitted when a hedge starts. */
export interface HedgeEvent {
  /** The attempt started: 2 for the first hedge. */
  readonly attempt: number;
  /** `delay` when the previous attempt was slow, `failure` when it failed. */
  readonly trigger: 'delay' | 'failure';
  /** Milliseconds since the call started. */
  readonly elapsed: number;
  readonly dependency: string | undefined;
}

/** Emitted when a call settles. */
export interface HedgeResultEvent {
  /** The winning attempt, or the attempts made when all failed. */
  readonly attempt: number;
  /** Milliseconds since the call started. */
  readonly latency: number;
  readonly ok: boolean;
  readonly dependency: string | undefined;
}

const KNOWN_OPTIONS: readonly (keyof HedgeOptions)[] = [
  'delay',
  'percentile',
  'maxHedges',
  'budget',
  'classify',
  'clock',
  'dependency',
];

/** Plain numbers for metrics: see {@link HedgePolicy.snapshot}. */
export interface HedgeSnapshot {
  readonly kind: 'hedge';
  readonly dependency: string | undefined;
  readonly maxHedges: number;
  /** The hedge delay a call starting now would use, in ms; null while no hedge would start on delay. */
  readonly delay: number | null;
  /** Latency samples held (percentile mode), or null with a fixed delay. */
  readonly samples: number | null;
  /** Calls started. */
  readonly calls: number;
  /** Hedged attempts started. */
  readonly hedges: number;
  /** Calls a hedged attempt won. */
  readonly hedgeWins: number;
  /** Hedges the budget refused. */
  readonly budgetDenied: number;
  /** Calls that failed on every attempt. */
  readonly failures: number;
  /** The shared budget's snapshot, or null without a budget. */
  readonly budget: RetryBudgetSnapshot | null;
}

/** The context of one hedged attempt: its own number and its own, lazily built, AbortSignal. */
class HedgeAttempt implements PolicyContext {
  readonly attempt: number;
  readonly deadline: number;
  readonly dependency: string | undefined;
  readonly started: number;
  /** The cause this attempt was charged to the budget under (hedges only). */
  readonly cause: RetryCause | undefined;
  #controller: AbortController | undefined;
  #reason: unknown;
  #cancelled = false;

  constructor(parent: PolicyContext, attempt: number, started: number, cause: RetryCause | undefined) {
    this.attempt = attempt;
    this.cause = cause;
    this.deadline = parent.deadline;
    this.dependency = parent.dependency;
    this.started = started;
  }

  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/**
 * A {@link Policy} that hedges slow calls; build it with {@link hedge}.
 *
 * @example
 * const policy = new HedgePolicy({ delay: 50 });
 * await policy.execute((ctx) => fetch(url, { signal: ctx.signal }));
 */
export class HedgePolicy extends PolicyBase<HedgeSnapshot> {
  /** When a hedge starts. */
  readonly onHedge = new Emitter<HedgeEvent>();
  /** When a call settles (success or failure). */
  readonly onResult = new Emitter<HedgeResultEvent>();

  readonly maxHedges: number;
  readonly #delay: number | undefined;
  readonly #latencies: LatencyWindow | undefined;
  readonly #min: number;
  readonly #minSamples: number;
  readonly #budget: RetryBudget | undefined;
  readonly #classify: (error: unknown, now: number) => RetryVerdict | boolean;
  readonly #clock: Clock;

  #calls = 0;
  #hedges = 0;
  #hedgeWins = 0;
  #denied = 0;
  #failures = 0;

  constructor(input: HedgeOptions) {
    const options = policyOptions(input, KNOWN_OPTIONS, true);
    const clock = clockOption(options.clock);
    super('hedge', dependencyOption(options.dependency), clock);
    if (options.delay !== undefined && options.percentile !== undefined) {
      invalid('percentile', 'undefined when `delay` is given', options.percentile);
    }
    if (options.percentile !== undefined) {
      const pc = options.percentile;
      if (typeof pc !== 'object' || pc === null) invalid('percentile', 'an object', pc);
      this.#latencies = new LatencyWindow(pc.p, pc.window ?? 1000); // 1000 samples: a stable p99
      this.#min = nonNegativeNumber('percentile.min', pc.min ?? 0);
      this.#minSamples = nonNegativeInteger('percentile.minSamples', pc.minSamples ?? 20); // no data, no hedge
    } else {
      this.#delay = nonNegativeNumber('delay', options.delay);
      this.#min = 0;
      this.#minSamples = 0;
    }
    this.maxHedges = nonNegativeInteger('maxHedges', options.maxHedges ?? 1); // 1: at most twice the load
    this.#budget = options.budget === undefined ? undefined : budgetOption(options.budget);
    this.#classify = options.classify === undefined ? classifyError : func('classify', options.classify);
    this.#clock = clock;
  }

  /** The hedge delay a call starting now would use, in ms (Infinity: no hedge on delay). */
  currentDelay(): number {
    if (this.#delay !== undefined) return this.#delay;
    const w = this.#latencies!;
    if (w.count < Math.max(1, this.#minSamples)) return Infinity;
    return Math.max(this.#min, w.value());
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    this.#calls++;
    const clock = this.#clock;
    const start = clock.now();
    const budget = this.#budget;
    budget?.recordRequest(start);
    const delay = this.currentDelay();
    const parentSignal = ctx.signal;
    const dependency = ctx.dependency ?? this.dependency;

    return new Promise<T>((resolve, reject) => {
      const attempts: HedgeAttempt[] = [];
      let inFlight = 0;
      let settled = false;
      let primaryError: unknown;
      let cancelTimer: Cancel | undefined;

      const finish = (): void => {
        settled = true;
        cancelTimer?.();
        cancelTimer = undefined;
        if (parentSignal !== neverAborted) parentSignal.removeEventListener('abort', onAbort);
      };
      const onAbort = (): void => {
        if (settled) return;
        finish();
        const reason = abortReason(parentSignal);
        for (const a of attempts) a.cancel(reason);
        reject(reason);
      };
      const report = (attempt: number, ok: boolean): void => {
        if (!this.onResult.hasListeners && !this.channel.hasSubscribers) return;
        const event: HedgeResultEvent = { attempt, latency: clock.now() - start, ok, dependency };
        this.onResult.emit(event);
        this.publish('result', event, dependency);
      };
      const failAll = (error: unknown, attempt: number): void => {
        finish();
        this.#failures++;
        if (inFlight > 0) {
          const lost = new FailsmallError(
            'FS_ERR_HEDGE_LOST',
            'The call ended; this hedged attempt is no longer needed',
          );
          for (const a of attempts) a.cancel(lost);
        }
        report(attempt, false);
        reject(error);
      };

      const launch = (trigger: 'delay' | 'failure', cause?: RetryCause): boolean => {
        const n = attempts.length + 1;
        const now = clock.now();
        if (n > 1) {
          if (n > this.maxHedges + 1 || now >= ctx.deadline) return false;
          if (budget !== undefined && !budget.tryAcquire(now, cause)) {
            this.#denied++;
            return false;
          }
          this.#hedges++;
          if (this.onHedge.hasListeners || this.channel.hasSubscribers) {
            const event: HedgeEvent = { attempt: n, trigger, elapsed: now - start, dependency };
            this.onHedge.emit(event);
            this.publish('hedge', event, dependency);
          }
        }
        const attempt = new HedgeAttempt(ctx, n, now, cause);
        attempts.push(attempt);
        inFlight++;
        let result: T | PromiseLike<T>;
        try {
          result = callNext(chain, next, fn, attempt);
        } catch (error) {
          result = Promise.reject(error);
        }
        Promise.resolve(result).then(
          (value) => succeed(attempt, value),
          (error: unknown) => fail(attempt, error),
        );
        return true;
      };

      const schedule = (): void => {
        cancelTimer?.();
        cancelTimer = undefined;
        if (settled || !(delay < Infinity) || attempts.length > this.maxHedges) return;
        cancelTimer = clock.setTimer(() => {
          cancelTimer = undefined;
          if (settled) return;
          if (launch('delay')) schedule();
        }, delay);
      };

      const succeed = (attempt: HedgeAttempt, value: T): void => {
        inFlight--;
        if (settled) return;
        finish();
        const now = clock.now();
        this.#latencies?.record(now - attempt.started);
        if (attempt.attempt > 1) this.#hedgeWins++;
        budget?.recordSuccess(now, attempt.attempt > 1, attempt.cause);
        // Only build the abort reason when someone lost (the common call has one attempt).
        if (attempts.length > 1) {
          const lost = new FailsmallError('FS_ERR_HEDGE_LOST', 'Another hedged attempt answered first', {
            details: { winner: attempt.attempt },
          });
          for (const a of attempts) if (a !== attempt) a.cancel(lost);
        }
        report(attempt.attempt, true);
        resolve(value);
      };

      const fail = (attempt: HedgeAttempt, error: unknown): void => {
        inFlight--;
        if (settled) return;
        if (attempt.attempt === 1) primaryError = error;
        let verdict: RetryVerdict;
        try {
          verdict = toVerdict(this.#classify(error, clock.now()));
        } catch {
          verdict = { retry: false, cause: 'error' };
        }
        if (!verdict.retry) {
          failAll(error, attempt.attempt);
          return;
        }
        // A retryable failure starts the next hedge at once, and the delay restarts from it.
        if (launch('failure', verdict.cause)) {
          schedule();
          return;
        }
        if (inFlight === 0) failAll(attempts.length > 0 ? primaryError : error, attempts.length);
      };

      if (parentSignal !== neverAborted) parentSignal.addEventListener('abort', onAbort, { once: true });
      launch('delay');
      schedule();
    });
  }

  /** Counters and the current delay as plain JSON, for metrics. */
  snapshot(): HedgeSnapshot {
    const delay = this.currentDelay();
    return {
      kind: this.kind,
      dependency: this.dependency,
      maxHedges: this.maxHedges,
      delay: Number.isFinite(delay) ? delay : null,
      samples: this.#latencies?.count ?? null,
      calls: this.#calls,
      hedges: this.#hedges,
      hedgeWins: this.#hedgeWins,
      budgetDenied: this.#denied,
      failures: this.#failures,
      budget: this.#budget?.snapshot() ?? null,
    };
  }
}

/**
 * Builds a hedging policy: a fixed `delay` or a latency `percentile` decides when the next attempt
 * starts; the first success wins and the others are aborted; all failed → the primary's error.
 *
 * @example
 * const budget = ratioBudget({ ratio: 0.05 }); // hedges add at most 5 % load
 * const policy = hedge({ percentile: { p: 0.95, window: 1000, min: 5 }, maxHedges: 1, budget });
 * const item = await policy.execute((ctx) => getItem(key, { signal: ctx.signal }));
 * @see https://research.google/pubs/the-tail-at-scale/
 */
export function hedge(options: HedgeOptions): HedgePolicy {
  return new HedgePolicy(options);
}
