/**
 * Circuit breaker: stops calling a dependency that keeps failing, so that a broken dependency costs
 * a fast local rejection instead of a slow remote failure, and gets room to recover. After
 * `halfOpenAfter` the breaker lets a few probe calls through; if they succeed it closes.
 *
 * This file is the thin shell around the pure state machine in state.ts: it reads the
 * clock, arms ONE timer per opening (so open → half-open happens on time even when no call arrives,
 * and `onHalfOpen` fires then), classifies outcomes and emits events. The hot path (closed state,
 * a success) reads the clock only when the strategy needs it and allocates nothing but the promise.
 *
 * @see Michael Nygard, "Release It!" (2nd ed., 2018), ch. 5 "Circuit Breaker"
 * @see https://learn.microsoft.com/azure/architecture/patterns/circuit-breaker
 */
import type { Cancel, Clock } from '../../core/clock.js';
import type { FailsmallError } from '../../core/errors.js';
import { Emitter } from '../../core/events.js';
import type { Disposable } from '../../core/events.js';
import type { Random } from '../../core/random.js';
import { func, invalid } from '../../core/validate.js';
import type { Backoff } from '../retry/backoff.js';
// The shell drives the state machine module as one namespace: `machine.record(...)`, `machine.tick(...)`.
import * as machine from './state.js';
import type {
  Admission,
  BreakerConfig,
  BreakerMachine,
  BreakerReason,
  BreakerStateJSON,
  BreakerStateName,
  CallOutcome,
} from './state.js';
import { isQuietRoot, rootContext } from '../core/context.js';
import { kRunChain, offerObserver, runChain, wasObserved } from '../core/fast-path.js';
import type { Observer } from '../core/fast-path.js';
import { policyOptions, randomOption } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/** Open after `failures` failures in a row (default 5). Cheapest: no clock read on success. */
export interface ConsecutiveStrategy {
  readonly kind: 'consecutive';
  /** Failures in a row that open the breaker; default 5 (cockatiel's and opossum's usual value). */
  readonly failures?: number;
}

/** Open when the failure rate over the last `size` calls reaches `failureRate`. */
export interface CountWindowStrategy {
  readonly kind: 'count';
  /** Calls in the window; default 100 (resilience4j). */
  readonly size?: number;
  /** Failure rate in (0, 1] that opens; default 0.5. */
  readonly failureRate?: number;
  /** Calls the window must hold before a rate counts; default `size` (a half-empty window is noise). */
  readonly minimumCalls?: number;
}

/** Open when the failure rate over the last `duration` ms reaches `failureRate` (a bucketed sliding window). */
export interface TimeWindowStrategy {
  readonly kind: 'time';
  /** The window, in milliseconds; default 60 s (resilience4j). */
  readonly duration?: number;
  /** Buckets the window slides by; default 10 (the window forgets in steps of duration / buckets). */
  readonly buckets?: number;
  /** Failure rate in (0, 1] that opens; default 0.5. */
  readonly failureRate?: number;
  /** Calls the window must hold before a rate counts (the minimum throughput); default 10. */
  readonly minimumCalls?: number;
}

/** When the breaker opens. */
export type BreakerStrategy = ConsecutiveStrategy | CountWindowStrategy | TimeWindowStrategy;

/** Slow-call detection (count and time windows only): a slow dependency is a failing one. */
export interface SlowCallOptions {
  /** A call longer than this many milliseconds is slow. */
  readonly duration: number;
  /** Slow-call rate in (0, 1] that opens the breaker; default 0.5 (the same bar as failures). */
  readonly rate?: number;
}

/** Options of {@link circuitBreaker}. */
export interface BreakerOptions {
  /** When to open; default `{ kind: 'consecutive', failures: 5 }`. */
  readonly strategy?: BreakerStrategy;
  /** Count slow calls too (count and time windows only). Off by default. */
  readonly slowCall?: SlowCallOptions;
  /**
   * How long to stay open before probing, in milliseconds, or a {@link Backoff} fed the number of
   * openings since the breaker last closed (so a dependency that stays down is probed less often).
   * Default 30 s: long enough for a failing service to shed its backlog, short enough to notice
   * recovery within a minute.
   */
  readonly halfOpenAfter?: number | Backoff;
  /** Half-open: probe calls allowed at once; default 1. */
  readonly probes?: number;
  /** Half-open: probe successes needed to close; default 1. */
  readonly successThreshold?: number;
  /**
   * Which errors count as failures; default all. An error it rejects counts as a success (the
   * dependency answered, e.g. a 404). A call whose caller's signal aborted counts as neither.
   */
  readonly isFailure?: (error: unknown) => boolean;
  /** Which results count as failures (e.g. an HTTP 503 response); default none. */
  readonly isFailureResult?: (value: unknown) => boolean;
  /** The dependency's name, for events and errors (a pipeline's name is used when absent). */
  readonly dependency?: string;
  /** Where time and the half-open timer come from; default {@link systemClock}. */
  readonly clock?: Clock;
  /** Jitter for a `halfOpenAfter` backoff; default `Math.random`. */
  readonly random?: Random;
  /** A state saved with `toJSON()`, to survive a restart. Invalid input throws `FS_ERR_INVALID_ARGUMENT`. */
  readonly state?: BreakerStateJSON;
}

/** Every transition. */
export interface BreakerStateChange {
  readonly from: BreakerStateName;
  readonly to: BreakerStateName;
  readonly reason: BreakerReason;
  readonly dependency: string | undefined;
  /** Clock time of the transition, in ms. */
  readonly at: number;
}

/** The breaker opened (or was isolated). */
export interface BreakerBreakEvent {
  readonly reason: BreakerReason;
  /** Openings since it was last closed (0 for an isolation). */
  readonly opens: number;
  /** Milliseconds until a probe is allowed; Infinity while isolated. */
  readonly retryAfter: number;
  readonly dependency: string | undefined;
}

/** The breaker closed. */
export interface BreakerResetEvent {
  readonly reason: BreakerReason;
  readonly dependency: string | undefined;
}

/** The breaker went half-open: the next calls are probes. */
export interface BreakerHalfOpenEvent {
  readonly dependency: string | undefined;
}

/** Plain numbers for metrics: see {@link CircuitBreaker.snapshot}. */
export interface BreakerSnapshot extends PolicySnapshot {
  readonly kind: 'breaker';
  readonly state: BreakerStateName;
  readonly reason: BreakerReason;
  /** Clock time the current state began, ms. */
  readonly since: number;
  /** Openings since last closed. */
  readonly opens: number;
  /** Milliseconds until a probe is allowed (0 unless open; Infinity while isolated). */
  readonly retryAfter: number;
  /** Probes in flight (half-open). */
  readonly probes: number;
  /** Closed: calls, failures and slow calls in the window (consecutive: failures in a row). */
  readonly calls: number;
  readonly failures: number;
  readonly slow: number;
  /** Calls rejected since construction. */
  readonly rejected: number;
  /** isolate() handles held. */
  readonly isolations: number;
}

const KNOWN_OPTIONS: readonly (keyof BreakerOptions)[] = [
  'strategy',
  'slowCall',
  'halfOpenAfter',
  'probes',
  'successThreshold',
  'isFailure',
  'isFailureResult',
  'dependency',
  'clock',
  'random',
  'state',
];

const identity = (value: unknown): unknown => value;
const rethrow = (error: unknown): never => {
  throw error;
};

/**
 * A circuit breaker. Build it with {@link circuitBreaker}.
 */
export class CircuitBreaker extends PolicyBase<BreakerSnapshot> {
  readonly #config: BreakerConfig;
  readonly #m: BreakerMachine;
  /** Read the clock around each call (slow-call detection needs the duration). */
  readonly #timed: boolean;
  /** A success in the closed state needs no clock (consecutive strategy, no slow calls). */
  readonly #cheapSuccess: boolean;
  readonly #isFailure: ((error: unknown) => boolean) | undefined;
  readonly #isFailureResult: ((value: unknown) => boolean) | undefined;
  /** Every transition: `{ from, to, reason }`. */
  readonly onStateChange = new Emitter<BreakerStateChange>();
  /** Openings and isolations. */
  readonly onBreak = new Emitter<BreakerBreakEvent>();
  /** Closings (probes succeeded, released, reset). */
  readonly onReset = new Emitter<BreakerResetEvent>();
  /** Half-open transitions, fired by the timer on time. */
  readonly onHalfOpen = new Emitter<BreakerHalfOpenEvent>();
  #cancelTimer: Cancel | undefined;
  #rejected = 0;
  readonly #onTimer = (): void => {
    this.#cancelTimer = undefined;
    const m = this.#m;
    const now = this.clock.now();
    const from = m.state;
    const gen = m.gen;
    machine.tick(m, now);
    if (m.gen !== gen) this.#transitioned(from, now, undefined);
    else if (m.state === 'open') this.#arm(now); // the timer fired early
  };

  constructor(given?: BreakerOptions) {
    const options = policyOptions(given, KNOWN_OPTIONS);
    super('breaker', options);
    this.#config = machine.breakerConfig(options, randomOption(options.random));
    this.#isFailure = options.isFailure === undefined ? undefined : func('isFailure', options.isFailure);
    this.#isFailureResult =
      options.isFailureResult === undefined ? undefined : func('isFailureResult', options.isFailureResult);
    this.#timed = this.#config.slowCallDuration !== Infinity;
    this.#cheapSuccess = this.#config.strategy === 'consecutive' && !this.#timed;
    const now = this.clock.now();
    if (options.state === undefined) this.#m = machine.createMachine(this.#config, now);
    else {
      const m = machine.machineFromJSON(this.#config, options.state, now);
      if (m === undefined) invalid('state', 'a breaker state from toJSON()', options.state);
      this.#m = m;
      machine.tick(m, now);
      if (m.state === 'open') this.#arm(now);
    }
  }

  /** The current state. */
  get state(): BreakerStateName {
    return this.#m.state;
  }

  /**
   * Runs `fn` under the breaker (see {@link PolicyBase.execute}). A call without a signal while the
   * closed state's fast path is on ({@link #fastGen}) goes straight to {@link #fastCall}: no context
   * to pick and no step to dispatch, a few field reads before `fn`.
   */
  override execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T> {
    if (signal === undefined && this.#m.gen === this.#fastGen && typeof fn === 'function') {
      return this.#fastCall(fn, this.#quiet);
    }
    return super.execute(fn, signal);
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const m = this.#m;
    if (m.gen !== this.#fastGen) {
      if (m.state !== 'closed') {
        const now = this.clock.now();
        const from = m.state;
        const gen = m.gen;
        const admission = machine.acquire(this.#config, m, now);
        if (m.gen !== gen) this.#transitioned(from, now, ctx.dependency);
        if (admission === machine.Admit.REJECT_OPEN || admission === machine.Admit.REJECT_ISOLATED) {
          return Promise.reject(this.#rejection(admission, ctx.dependency, now));
        }
      } else if (!this.#timed) this.#fastHandlers(m.gen);
    }
    // The fast path, closed with no call to time and a context whose signal never aborts: one
    // reaction on fn's promise with handlers shared by every call of the generation (no async frame,
    // no closure per call).
    if (m.gen === this.#fastGen && ctx.dependency === this.dependency && isQuietRoot(ctx)) {
      if (next === chain.length) return this.#fastCall(fn, ctx);
      let result: Promise<T>;
      try {
        // The next step may run this generation's handlers in its own reaction (see Observer).
        offerObserver(chain[next]!, this.#fastObserver);
        result = runChain(chain, next, fn, ctx);
        if (wasObserved()) return result;
      } catch (error) {
        wasObserved();
        return this.#syncFailure(error, ctx);
      }
      return Promise.resolve(result).then(this.#fastOk as (value: T) => T, this.#fastFail as (error: unknown) => never);
    }
    return this.#call(chain, next, fn, ctx, m.gen);
  }

  /** The generation the shared fast-path handlers belong to (-1: none yet); only ever a closed one. */
  #fastGen = -1;
  #fastOk: (value: unknown) => unknown = identity;
  #fastFail: (error: unknown) => never = rethrow;
  #fastObserver: Observer = { ok: identity, fail: rethrow };
  /** The root context of {@link execute}'s fast path (a quiet root, as PolicyBase's own). */
  readonly #quiet: PolicyContext = rootContext(undefined, this.dependency);

  /**
   * Builds the fast path's handlers for closed generation `gen` (once per state change, not per
   * call). Every strategy takes the fast path unless slow calls are detected (a duration needs the
   * call's start, hence a frame per call: {@link #call}).
   */
  #fastHandlers(gen: number): void {
    this.#fastGen = gen;
    const m = this.#m;
    const isFailureResult = this.#isFailureResult;
    if (this.#cheapSuccess && isFailureResult === undefined) {
      this.#fastOk = (value) => {
        // As #done: a success in the closed state of the call's generation ends a run of failures.
        if (m.gen === gen) m.consecutive = 0;
        return value;
      };
    } else {
      // As #call: a result the classifier flags is a failure (a throwing classifier rejects the call).
      this.#fastOk = (value) => {
        const failed = isFailureResult !== undefined && isFailureResult(value);
        this.#done(gen, 0, failed ? machine.Outcome.FAILURE : machine.Outcome.SUCCESS, this.dependency);
        return value;
      };
    }
    this.#fastFail = (error) => {
      this.#done(gen, 0, this.#classifyError(error), this.dependency);
      throw error;
    };
    this.#fastObserver = { ok: this.#fastOk, fail: this.#fastFail };
  }

  /** The fast path's call of `fn` itself (the last step), under a quiet `ctx` of this dependency. */
  #fastCall<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    let result: T | PromiseLike<T>;
    try {
      result = fn(ctx);
    } catch (error) {
      return this.#syncFailure(error, ctx);
    }
    // Promise.resolve hands a native promise back as it is, and adopts anything else.
    return Promise.resolve(result).then(this.#fastOk as (value: T) => T, this.#fastFail as (error: unknown) => never);
  }

  /** The fast path's `fn` (or the rest of the chain) threw instead of returning a promise. */
  #syncFailure(error: unknown, ctx: PolicyContext): Promise<never> {
    this.#done(this.#m.gen, 0, this.#classifyError(error), ctx.dependency);
    return Promise.reject(error);
  }

  /**
   * How an error counts, by `isFailure` (a throwing `isFailure` counts it as a failure; without
   * one, every error is). For a context whose signal never aborts; see {@link #classify}.
   */
  #classifyError(error: unknown): CallOutcome {
    const isFailure = this.#isFailure;
    if (isFailure === undefined) return machine.Outcome.FAILURE;
    try {
      return isFailure(error) ? machine.Outcome.FAILURE : machine.Outcome.SUCCESS;
    } catch {
      return machine.Outcome.FAILURE;
    }
  }

  async #call<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext, gen: number): Promise<T> {
    const start = this.#timed ? this.clock.now() : 0;
    let value: T;
    try {
      value = await (next === chain.length ? fn(ctx) : runChain(chain, next, fn, ctx));
    } catch (error) {
      this.#done(gen, start, this.#classify(error, ctx), ctx.dependency);
      throw error;
    }
    const isFailureResult = this.#isFailureResult;
    this.#done(
      gen,
      start,
      isFailureResult !== undefined && isFailureResult(value) ? machine.Outcome.FAILURE : machine.Outcome.SUCCESS,
      ctx.dependency,
    );
    return value;
  }

  #classify(error: unknown, ctx: PolicyContext): CallOutcome {
    // The caller gave up: not the dependency's fault.
    return ctx.signal.aborted ? machine.Outcome.IGNORED : this.#classifyError(error);
  }

  #done(gen: number, start: number, outcome: CallOutcome, dependency: string | undefined): void {
    const m = this.#m;
    if (gen !== m.gen) return; // the breaker moved on while the call ran
    if (this.#cheapSuccess && outcome === machine.Outcome.SUCCESS && m.state === 'closed') {
      m.consecutive = 0;
      return;
    }
    const now = this.clock.now();
    const from = m.state;
    machine.record(this.#config, m, now, gen, outcome, this.#timed ? now - start : 0);
    if (m.gen !== gen) this.#transitioned(from, now, dependency);
  }

  /** Runs a manual step (isolate, release, reset). */
  #step(now: number, step: (m: BreakerMachine, now: number) => void): void {
    const m = this.#m;
    const from = m.state;
    const gen = m.gen;
    step(m, now);
    if (m.gen !== gen) this.#transitioned(from, now, undefined);
  }

  /** After a transition: re-arms or cancels the half-open timer and tells listeners. */
  #transitioned(from: BreakerStateName, now: number, dependency: string | undefined): void {
    if (this.#m.state === 'open') this.#arm(now);
    else if (this.#cancelTimer !== undefined) {
      this.#cancelTimer();
      this.#cancelTimer = undefined;
    }
    this.#emit(from, now, dependency ?? this.dependency);
  }

  #arm(now: number): void {
    this.#cancelTimer?.();
    this.#cancelTimer = this.clock.setTimer(this.#onTimer, this.#m.halfOpenAt - now, { unref: true });
  }

  #emit(from: BreakerStateName, now: number, dependency: string | undefined): void {
    const m = this.#m;
    const to = m.state;
    const reason = m.reason;
    if (this.onStateChange.hasListeners || this.channel.hasSubscribers) {
      const event: BreakerStateChange = { from, to, reason, dependency, at: now };
      this.announce(this.onStateChange, 'state-change', event);
    }
    if (to === 'open' || to === 'isolated') {
      if (this.onBreak.hasListeners) {
        const retryAfter = to === 'open' ? m.halfOpenAt - now : Infinity;
        this.onBreak.emit({ reason, opens: m.opens, retryAfter, dependency });
      }
    } else if (to === 'closed') {
      if (this.onReset.hasListeners) this.onReset.emit({ reason, dependency });
    } else if (this.onHalfOpen.hasListeners) this.onHalfOpen.emit({ dependency });
  }

  #retryAfter(now: number): number {
    const m = this.#m;
    if (m.state === 'isolated') return Infinity;
    return m.state === 'open' ? Math.max(0, m.halfOpenAt - now) : 0;
  }

  #rejection(admission: Admission, ctxDependency: string | undefined, now: number): FailsmallError {
    this.#rejected++;
    const dependency = ctxDependency ?? this.dependency;
    const state = this.#m.state;
    if (admission === machine.Admit.REJECT_ISOLATED) {
      return this.reject(
        'FS_ERR_BREAKER_ISOLATED',
        'The circuit breaker',
        ' is isolated',
        { kind: 'overload', neverSent: true, state },
        dependency,
      );
    }
    const retryAfter = this.#retryAfter(now);
    const rest =
      state === 'open'
        ? ` is open; retry after ${Math.ceil(retryAfter)} ms`
        : ' is half-open and every probe slot is taken';
    return this.reject(
      'FS_ERR_BREAKER_OPEN',
      'The circuit breaker',
      rest,
      { kind: 'overload', neverSent: true, retryAfter, state },
      dependency,
    );
  }

  /**
   * Holds the breaker open by hand (an operator's kill switch): every call rejects with
   * `FS_ERR_BREAKER_ISOLATED` until every handle is released, then the breaker closes.
   *
   * @example
   * const handle = breaker.isolate();
   * // … maintenance …
   * handle.dispose();
   */
  isolate(): Disposable {
    let held = true;
    const now = this.clock.now();
    this.#step(now, machine.isolate);
    const gen = this.#m.gen;
    return {
      dispose: () => {
        if (!held) return;
        held = false;
        // A reset() since then already dropped this isolation.
        if (this.#m.state !== 'isolated' || this.#m.gen !== gen) return;
        this.#step(this.clock.now(), machine.release);
      },
    };
  }

  /** Closes the breaker, empties its window and drops every isolation. */
  reset(): void {
    const now = this.clock.now();
    this.#step(now, machine.reset);
  }

  /** The state to save and hand back as `state` after a restart (plain JSON). */
  toJSON(): BreakerStateJSON {
    return machine.machineToJSON(this.#config, this.#m);
  }

  protected snapshotFields(): Omit<BreakerSnapshot, keyof PolicySnapshot> {
    const m = this.#m;
    const now = this.clock.now();
    const window = machine.rates(this.#config, m, now);
    const consecutive = this.#config.strategy === 'consecutive';
    return {
      state: m.state,
      reason: m.reason,
      since: m.since,
      opens: m.opens,
      retryAfter: this.#retryAfter(now),
      probes: m.inFlight,
      calls: window.calls,
      failures: consecutive ? m.consecutive : window.failures,
      slow: window.slow,
      rejected: this.#rejected,
      isolations: m.isolations,
    };
  }
}

/**
 * A circuit breaker policy.
 *
 * @example
 * const breaker = circuitBreaker({
 *   strategy: { kind: 'count', size: 50, failureRate: 0.5, minimumCalls: 20 },
 *   slowCall: { duration: 2_000, rate: 0.8 },
 *   halfOpenAfter: 10_000,
 * });
 * breaker.onBreak.on(({ reason, retryAfter }) => log.warn({ reason, retryAfter }, 'dynamodb breaker open'));
 * await breaker.execute(() => ddb.send(cmd)); // rejects FS_ERR_BREAKER_OPEN while open
 */
export function circuitBreaker(options?: BreakerOptions): CircuitBreaker {
  return new CircuitBreaker(options);
}
