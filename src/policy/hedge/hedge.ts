/**
 * Hedging: when the first attempt is slow, start a second one and take whichever answers first
 * ("The Tail at Scale", Dean & Barroso, 2013; gRPC hedging, gRFC A6). Each attempt gets its own
 * context (attempt number, own AbortSignal); the losers are aborted with `FS_ERR_RACE_LOST` as
 * soon as one succeeds. The race itself is core's `staggeredRace()` (shared with hedged DNS
 * upstreams and Happy Eyeballs); this file adds the delay, the classifier, the budget and events.
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
import type { Clock } from '../../core/clock.js';
import { staggeredRace } from '../../core/staggered-race.js';
import type { RaceAttempt } from '../../core/staggered-race.js';
import { Emitter } from '../../core/events.js';
import { func, invalid, nonNegativeInteger, nonNegativeNumber } from '../../core/validate.js';
import type { RetryBudget, RetryBudgetSnapshot, RetryCause } from '../budget/budget.js';
import { classifyError } from '../errors/classify.js';
import { toVerdict } from '../errors/classify.js';
import type { RetryVerdict } from '../errors/classify.js';
import { neverAborted } from '../core/context.js';
import { callNext, kRunChain } from '../core/fast-path.js';
import { LatencyWindow } from './latency-window.js';
import { budgetOption, policyOptions } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
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
export interface HedgeSnapshot extends PolicySnapshot {
  readonly kind: 'hedge';
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

/** The context of one hedged attempt: the race's attempt (number, lazy signal) and the caller's deadline and name. */
class HedgeAttempt implements PolicyContext {
  constructor(
    readonly race: RaceAttempt,
    readonly deadline: number,
    readonly dependency: string | undefined,
  ) {}

  get attempt(): number {
    return this.race.attempt;
  }

  get signal(): AbortSignal {
    return this.race.signal;
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

  #calls = 0;
  #hedges = 0;
  #hedgeWins = 0;
  #denied = 0;
  #failures = 0;

  constructor(input: HedgeOptions) {
    const options = policyOptions(input, KNOWN_OPTIONS, true);
    super('hedge', options);
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
  }

  /** The hedge delay a call starting now would use, in ms (Infinity: no hedge on delay). */
  currentDelay(): number {
    if (this.#delay !== undefined) return this.#delay;
    const w = this.#latencies!;
    if (w.count < Math.max(1, this.#minSamples)) return Infinity;
    return Math.max(this.#min, w.value());
  }

  /**
   * @internal The policy's step (see policy-base.ts): a staggered race (core/staggered-race.ts)
   * whose next attempt starts after the hedge delay or at once on a retryable failure, admitted by
   * the deadline and the budget; losers are aborted with `FS_ERR_RACE_LOST`.
   */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    this.#calls++;
    const clock = this.clock;
    const start = clock.now();
    const budget = this.#budget;
    budget?.recordRequest(start);
    const parentSignal = ctx.signal;
    const deadline = ctx.deadline;
    const dependency = ctx.dependency ?? this.dependency;
    // The budget cause each attempt was charged under (index: attempt number), and the last failure's.
    const causes: (RetryCause | undefined)[] = [];
    let failureCause: RetryCause | undefined;
    let started = 0;

    const report = (attempt: number, ok: boolean): void => {
      if (!this.onResult.hasListeners && !this.channel.hasSubscribers) return;
      const event: HedgeResultEvent = { attempt, latency: clock.now() - start, ok, dependency };
      this.announce(this.onResult, 'result', event);
    };

    return staggeredRace<T>((race) => callNext(chain, next, fn, new HedgeAttempt(race, deadline, dependency)), {
      attempts: this.maxHedges + 1,
      delay: this.currentDelay(),
      clock,
      signal: parentSignal === neverAborted ? undefined : parentSignal,
      admit: (_n, trigger) => {
        const now = clock.now();
        if (now >= deadline) return false;
        const cause = trigger === 'failure' ? failureCause : undefined;
        if (budget !== undefined && !budget.tryAcquire(now, cause)) {
          this.#denied++;
          return false;
        }
        causes[started + 1] = cause;
        return true;
      },
      onStart: (race) => {
        started = race.attempt;
        if (race.attempt === 1) return;
        this.#hedges++;
        if (this.onHedge.hasListeners || this.channel.hasSubscribers) {
          const trigger = race.trigger === 'failure' ? 'failure' : 'delay';
          const event: HedgeEvent = { attempt: race.attempt, trigger, elapsed: race.started - start, dependency };
          this.announce(this.onHedge, 'hedge', event);
        }
      },
      onFailure: (_race, error) => {
        let verdict: RetryVerdict;
        try {
          verdict = toVerdict(this.#classify(error, clock.now()));
        } catch {
          verdict = { retry: false, cause: 'error' };
        }
        failureCause = verdict.cause;
        return verdict.retry; // a fatal error ends the call: no further hedge
      },
      onWin: (race) => {
        const now = clock.now();
        this.#latencies?.record(now - race.started);
        if (race.attempt > 1) this.#hedgeWins++;
        budget?.recordSuccess(now, race.attempt > 1, causes[race.attempt]);
        report(race.attempt, true);
      },
      toError: (failures, stopped) => {
        this.#failures++;
        // A fatal error is the answer; when every attempt failed, the primary's error is.
        const last = failures[failures.length - 1]!;
        const primary = failures.find((f) => f.attempt === 1) ?? last;
        report(stopped ? last.attempt : started, false);
        return stopped ? last.error : primary.error;
      },
    });
  }

  protected snapshotFields(): Omit<HedgeSnapshot, keyof PolicySnapshot> {
    const delay = this.currentDelay();
    return {
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
