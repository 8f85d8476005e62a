/**
 * Retry with backoff, a classifier, an idempotency gate, `Retry-After`, the caller's deadline and
 * an optional shared retry budget.
 *
 * The order of checks after a failed attempt is the contract:
 * 1. the caller aborted → reject with the signal's reason;
 * 2. the classifier says "not retryable" → give up (by default: fatal errors, aborts, and local
 *    overload rejections — an open breaker, a full bulkhead, a concurrency limit fail fast);
 * 3. the call is not idempotent and the error does not prove the request was never sent → give up;
 * 4. `maxAttempts` reached → give up;
 * 5. the delay (backoff, raised to the server's `Retry-After` capped by `maxRetryAfter`) would
 *    end past the caller's deadline → give up (never sleep past it);
 * 6. the budget refuses → give up (checked last, so a refused retry costs no token);
 * 7. sleep (cancelled at once by the signal), then try again.
 * Steps 2-6 are {@link nextRetry} (decision.ts), the decision the AWS retry strategy uses too.
 * Giving up rethrows the last error unchanged, or returns the last result when results were
 * being retried (the caller sees the final 503 response).
 *
 * The success path (first attempt succeeds) allocates nothing beyond the async frame: no closure,
 * no AbortController, no timer, no event object unless someone listens.
 *
 * @see https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 */
import { abortReason } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';
import { Emitter } from '../../core/events.js';
import type { Random } from '../../core/random.js';
import { func, invalid, nonNegativeNumber, positiveInteger, withMethods } from '../../core/validate.js';
import { defaultBackoff, MAX_RETRY_DELAY } from './backoff.js';
import type { Backoff } from './backoff.js';
import { nextRetry, throttleBackoffFor, type GiveUpReason, type RetrySchedule } from './decision.js';
import type { RetryBudget, RetryBudgetSnapshot, RetryCause } from '../budget/budget.js';
import { classifyError, neverSent as defaultNeverSent } from '../errors/classify.js';
import { toVerdict } from '../errors/classify.js';
import type { Classifier, RetryVerdict, VerdictLike } from '../errors/classify.js';
import { isQuietRoot, neverAborted } from '../core/context.js';
import { callNext, kRunChain } from '../core/fast-path.js';
import { budgetOption, policyOptions, randomOption } from '../core/options.js';
import { PolicyBase } from '../core/policy-base.js';
import type { PolicySnapshot } from '../core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from '../core/types.js';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Attempts in all, the first included, an integer ≥ 1; default 3 (the AWS SDK's default). */
  readonly maxAttempts?: number;
  /** The delay before each retry; default full jitter, base 100 ms, cap 20 s (AWS SDK standard mode). */
  readonly backoff?: Backoff;
  /**
   * The delay before a retry after a throttling error; default `backoff` when given, else full
   * jitter, base 500 ms (the AWS SDK's throttling base), cap 20 s: the same default as the AWS
   * retry strategy's.
   */
  readonly throttleBackoff?: Backoff;
  /**
   * Which errors and results to retry: a {@link Classifier} `{ error?, result? }`, or a function
   * of the error alone; answers are verdicts or booleans. Default {@link classifyError} on errors,
   * and every result succeeds.
   */
  readonly classify?: Classifier | ((error: unknown, now: number) => RetryVerdict | boolean);
  /**
   * Whether the call may run twice; default true (as the AWS SDK and most retry libraries assume).
   * When false, an error is retried only if it proves the request was never sent ({@link neverSent}),
   * and a retryable result (which proves it was) is never retried.
   */
  readonly idempotent?: boolean;
  /** The never-sent predicate of the idempotency gate; default {@link neverSent}. */
  readonly neverSent?: (error: unknown) => boolean;
  /** A retry budget shared with other call sites of the same dependency; default none. */
  readonly budget?: RetryBudget;
  /**
   * Time source for delays, deadlines and budgets; default `systemClock`. An HTTP-date
   * `Retry-After` is compared with `clock.now()`, so give a clock on epoch time to honour dates.
   */
  readonly clock?: Clock;
  /** Jitter source; default `Math.random`. */
  readonly random?: Random;
  /**
   * The longest `Retry-After` honoured, in ms; default 20 s (the AWS SDK's longest backoff). A
   * longer hint is cut to this: the retry goes out after 20 s (unless the deadline forbids it).
   */
  readonly maxRetryAfter?: number;
  /** The dependency name for events and metrics, when the context carries none. */
  readonly dependency?: string;
  /**
   * Releases a retryable result that is dropped for a retry (e.g. an HTTP response whose body would
   * hold a socket). Default: cancels `value.body` (web stream) or dumps it (undici), ignoring errors.
   */
  readonly discardResult?: (value: unknown) => void;
}

export type { GiveUpReason } from './decision.js';

/** Emitted before each retry sleeps. */
export interface RetryEvent {
  /** The attempt about to be made: 2 for the first retry. */
  readonly attempt: number;
  /** The sleep before it, in ms. */
  readonly delay: number;
  /** The error of the failed attempt; `undefined` when a result was retried. */
  readonly error: unknown;
  /** The retried result, when a result (not an error) was retried. */
  readonly result?: unknown;
  /** Why it is retried. */
  readonly cause: RetryCause;
  /** The server's `Retry-After`, in ms, when it sent one. */
  readonly retryAfter: number | undefined;
  readonly dependency: string | undefined;
}

/** Emitted when the policy stops and hands back the last error or result. */
export interface GiveUpEvent {
  /** The attempt that failed last. */
  readonly attempt: number;
  readonly reason: GiveUpReason;
  /** The last error; `undefined` when the last outcome was a retryable result. */
  readonly error: unknown;
  readonly result?: unknown;
  readonly dependency: string | undefined;
}

/** Emitted when a call succeeds. */
export interface SuccessEvent {
  /** The attempt that succeeded: 1 when no retry was needed. */
  readonly attempt: number;
  readonly dependency: string | undefined;
}

const KNOWN_OPTIONS: readonly (keyof RetryOptions)[] = [
  'maxAttempts',
  'backoff',
  'throttleBackoff',
  'classify',
  'idempotent',
  'neverSent',
  'budget',
  'clock',
  'random',
  'maxRetryAfter',
  'dependency',
  'discardResult',
];

/** Plain numbers for metrics: see {@link RetryPolicy.snapshot}. */
export interface RetrySnapshot extends PolicySnapshot {
  readonly kind: 'retry';
  readonly maxAttempts: number;
  /** The backoff's kind (`full-jitter`, `constant`, …). */
  readonly backoff: string;
  readonly idempotent: boolean;
  /** Calls started. */
  readonly calls: number;
  /** Calls that succeeded (on any attempt). */
  readonly successes: number;
  /** Retries made. */
  readonly retries: number;
  /** Calls ended by the caller's abort. */
  readonly aborted: number;
  /** Calls given up, by reason. */
  readonly giveUps: Readonly<Record<GiveUpReason, number>>;
  /** The shared budget's snapshot, or null without a budget. */
  readonly budget: RetryBudgetSnapshot | null;
}

/**
 * The context of attempt ≥ 2: the attempt number changes, everything else is read through from
 * the caller's context when asked (its signal may be built lazily).
 */
class AttemptContext implements PolicyContext {
  readonly #parent: PolicyContext;
  readonly attempt: number;
  constructor(parent: PolicyContext, attempt: number) {
    this.#parent = parent;
    this.attempt = attempt;
  }
  get deadline(): number {
    return this.#parent.deadline;
  }
  get signal(): AbortSignal {
    return this.#parent.signal;
  }
  get dependency(): string | undefined {
    return this.#parent.dependency;
  }
}

/** Default of `discardResult`: free an HTTP body so its socket returns to the pool. */
function discardBody(value: unknown): void {
  const body = typeof value === 'object' && value !== null ? (value as { body?: unknown }).body : undefined;
  if (typeof body !== 'object' || body === null) return;
  const b = body as { cancel?: () => Promise<unknown>; dump?: () => Promise<unknown>; locked?: boolean };
  try {
    if (typeof b.cancel === 'function' && b.locked !== true) void b.cancel().catch(() => undefined);
    else if (typeof b.dump === 'function') void b.dump().catch(() => undefined);
  } catch {
    // best effort
  }
}

/**
 * A {@link Policy} that retries; build it with {@link retry}.
 *
 * @example
 * const policy = new RetryPolicy({ maxAttempts: 3 });
 * await policy.execute((ctx) => call({ attempt: ctx.attempt }));
 */
export class RetryPolicy extends PolicyBase<RetrySnapshot> {
  /** Before each retry sleeps. */
  readonly onRetry = new Emitter<RetryEvent>();
  /** When the policy stops retrying and hands back the last error or result. */
  readonly onGiveUp = new Emitter<GiveUpEvent>();
  /** When a call succeeds. */
  readonly onSuccess = new Emitter<SuccessEvent>();

  readonly maxAttempts: number;
  readonly maxRetryAfter: number;
  readonly idempotent: boolean;
  readonly #backoff: Backoff;
  readonly #schedule: RetrySchedule;
  readonly #classifyError: (error: unknown, now: number) => RetryVerdict | boolean;
  readonly #classifyResult: ((value: unknown, now: number) => VerdictLike) | undefined;
  readonly #neverSent: (error: unknown) => boolean;
  readonly #budget: RetryBudget | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #discard: (value: unknown) => void;

  #calls = 0;
  #successes = 0;
  #retries = 0;
  #giveUps: Record<GiveUpReason, number> = {
    'not-retryable': 0,
    'not-idempotent': 0,
    attempts: 0,
    deadline: 0,
    budget: 0,
  };
  #aborted = 0;

  constructor(input?: RetryOptions) {
    const options = policyOptions(input, KNOWN_OPTIONS);
    super('retry', options);
    this.maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 3); // 3: the AWS SDK default
    this.#backoff = backoffOption('backoff', options.backoff ?? defaultBackoff);
    const throttleBackoff = backoffOption(
      'throttleBackoff',
      throttleBackoffFor(options.backoff === undefined ? undefined : this.#backoff, options.throttleBackoff),
    );
    const given = options.classify ?? {};
    const classify: Classifier = typeof given === 'function' ? { error: given } : given;
    if (typeof classify !== 'object' || classify === null) {
      invalid('classify', 'a Classifier or a function', classify);
    }
    this.#classifyError = classify.error === undefined ? classifyError : func('classify.error', classify.error);
    this.#classifyResult = classify.result === undefined ? undefined : func('classify.result', classify.result);
    const idempotent = options.idempotent ?? true;
    if (typeof idempotent !== 'boolean') invalid('idempotent', 'a boolean', idempotent);
    this.idempotent = idempotent;
    this.#neverSent = options.neverSent === undefined ? defaultNeverSent : func('neverSent', options.neverSent);
    this.#budget = options.budget === undefined ? undefined : budgetOption(options.budget);
    this.#clock = this.clock;
    this.#random = randomOption(options.random);
    this.maxRetryAfter = nonNegativeNumber('maxRetryAfter', options.maxRetryAfter ?? MAX_RETRY_DELAY);
    this.#schedule = {
      maxAttempts: this.maxAttempts,
      backoff: this.#backoff,
      throttleBackoff,
      maxRetryAfter: this.maxRetryAfter,
      budget: this.#budget,
    };
    this.#discard = options.discardResult === undefined ? discardBody : func('discardResult', options.discardResult);
  }

  /** @internal The policy's step (see policy-base.ts). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    this.#calls++;
    const budget = this.#budget;
    // One clock read serves the whole fast path (Date.now() is not free at this scale).
    const start = budget !== undefined ? this.#clock.now() : 0;
    if (budget !== undefined) budget.recordRequest(start);
    let result: T | PromiseLike<T>;
    try {
      result = callNext(chain, next, fn, ctx.attempt === 1 ? ctx : new AttemptContext(ctx, 1));
    } catch (error) {
      return this.#retry(chain, next, fn, ctx, error, undefined, undefined);
    }
    // No async frame: one reaction on the first attempt's promise. Its success handler is shared
    // when it needs nothing of the call (no result classifier, no budget, the policy's own
    // dependency for events); only the failure handler closes over the call, to retry it.
    if (this.#classifyResult === undefined && budget === undefined && ctx.dependency === this.dependency) {
      return Promise.resolve(result).then(
        this.#firstSucceeded as (value: T) => T,
        this.#onFailure(chain, next, fn, ctx) as (error: unknown) => Promise<T>,
      );
    }
    const onFailure = (error: unknown): Promise<T> => this.#retry(chain, next, fn, ctx, error, undefined, undefined);
    return Promise.resolve(result).then((value) => this.#firstSettled(chain, next, fn, ctx, value, start), onFailure);
  }

  /** The call whose failure handler {@link #failureHandler} holds. */
  #lastChain: readonly Policy[] | undefined = undefined;
  #lastNext = -1;
  #lastFn: PolicyFn<unknown> | undefined = undefined;
  #lastCtx: PolicyContext | undefined = undefined;
  #failureHandler: (error: unknown) => Promise<unknown> = (error) => Promise.reject(error);

  /**
   * The handler that retries a call whose first attempt failed. It closes over the call (`fn` and
   * its context), so it is one closure per call, except for calls of the same `fn` in the same
   * context (a function passed again and again, under a root context without a caller signal,
   * which is shared): they share the last one built, instead of a closure each. The policy holds
   * the last such `fn` until another one comes.
   */
  #onFailure<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
  ): (error: unknown) => Promise<unknown> {
    if (fn === this.#lastFn && ctx === this.#lastCtx && chain === this.#lastChain && next === this.#lastNext) {
      return this.#failureHandler;
    }
    if (!isQuietRoot(ctx)) return (error) => this.#retry(chain, next, fn, ctx, error, undefined, undefined);
    this.#lastChain = chain;
    this.#lastNext = next;
    this.#lastFn = fn as PolicyFn<unknown>;
    this.#lastCtx = ctx;
    return (this.#failureHandler = (error) => this.#retry(chain, next, fn, ctx, error, undefined, undefined));
  }

  /** The first attempt succeeded, of a call under the policy's own dependency: count it, tell. */
  readonly #firstSucceeded = (value: unknown): unknown => {
    this.#successes++;
    if (this.onSuccess.hasListeners || this.channel.hasSubscribers) this.#succeeded(1, this.dependency);
    return value;
  };

  /** The first attempt returned `value`: classify it (a retryable result retries), count, tell. */
  #firstSettled<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    value: T,
    start: number,
  ): T | Promise<T> {
    const budget = this.#budget;
    if (this.#classifyResult !== undefined) {
      const answer = this.#classifyResult(value, budget !== undefined ? start : this.#clock.now());
      if (answer !== undefined && answer !== false) {
        const verdict = toVerdict(answer);
        if (verdict.retry) return this.#retry(chain, next, fn, ctx, undefined, value, verdict);
      }
    }
    this.#successes++;
    if (budget !== undefined) budget.recordSuccess(start, false);
    if (this.onSuccess.hasListeners || this.channel.hasSubscribers) this.#succeeded(1, ctx.dependency);
    return value;
  }

  /** The slow path: attempt 1 failed (error) or returned a retryable result (verdict set). */
  async #retry<T>(
    chain: readonly Policy[],
    next: number,
    fn: PolicyFn<T>,
    ctx: PolicyContext,
    error: unknown,
    value: T | undefined,
    verdict: RetryVerdict | undefined,
  ): Promise<T> {
    const clock = this.#clock;
    let attempt = 1;
    let previousDelay = 0;
    for (;;) {
      const now = clock.now();
      const signal = ctx.signal;
      if (signal.aborted) {
        this.#aborted++;
        throw abortReason(signal);
      }
      const isResult = verdict !== undefined;
      const v = verdict ?? toVerdict(this.#classifyError(error, now));
      const decision = nextRetry(
        {
          attempt,
          verdict: v,
          // Evaluated only when the verdict allows a retry (the never-sent test may walk a cause chain).
          mayResend: this.idempotent || !v.retry || (!isResult && this.#neverSent(error)),
          now,
          deadline: ctx.deadline,
          previousDelay,
          random: this.#random,
        },
        this.#schedule,
      );
      if (!decision.retry) return this.#giveUp(decision.reason, attempt, ctx, error, value, isResult);
      const delay = decision.delay;

      this.#retries++;
      if (this.onRetry.hasListeners || this.channel.hasSubscribers) {
        const event: RetryEvent = {
          attempt: attempt + 1,
          delay,
          error,
          cause: v.cause,
          retryAfter: v.retryAfter,
          dependency: ctx.dependency ?? this.dependency,
          ...(isResult ? { result: value } : {}),
        };
        this.announce(this.onRetry, 'retry', event);
      }
      if (isResult) this.#discard(value);
      if (delay > 0) {
        try {
          await clock.sleep(delay, signal === neverAborted ? undefined : signal);
        } catch (reasonForAbort) {
          this.#aborted++;
          throw reasonForAbort;
        }
      }
      attempt++;
      previousDelay = delay;
      const cause = v.cause;
      verdict = undefined;
      try {
        value = await callNext(chain, next, fn, new AttemptContext(ctx, attempt));
      } catch (e) {
        error = e;
        value = undefined;
        continue;
      }
      error = undefined;
      if (this.#classifyResult !== undefined) {
        const answer = this.#classifyResult(value, clock.now());
        if (answer !== undefined && answer !== false) {
          const rv = toVerdict(answer);
          if (rv.retry) {
            verdict = rv;
            continue;
          }
        }
      }
      this.#successes++;
      if (this.#budget !== undefined) this.#budget.recordSuccess(clock.now(), true, cause);
      if (this.onSuccess.hasListeners || this.channel.hasSubscribers) this.#succeeded(attempt, ctx.dependency);
      return value;
    }
  }

  #giveUp<T>(
    reason: GiveUpReason,
    attempt: number,
    ctx: PolicyContext,
    error: unknown,
    value: T | undefined,
    isResult: boolean,
  ): T {
    this.#giveUps[reason]++;
    if (this.onGiveUp.hasListeners || this.channel.hasSubscribers) {
      const event: GiveUpEvent = {
        attempt,
        reason,
        error,
        dependency: ctx.dependency ?? this.dependency,
        ...(isResult ? { result: value } : {}),
      };
      this.announce(this.onGiveUp, 'give-up', event);
    }
    if (isResult) return value as T;
    throw error;
  }

  #succeeded(attempt: number, dependency: string | undefined): void {
    const event: SuccessEvent = { attempt, dependency: dependency ?? this.dependency };
    this.announce(this.onSuccess, 'success', event);
  }

  protected snapshotFields(): Omit<RetrySnapshot, keyof PolicySnapshot> {
    return {
      maxAttempts: this.maxAttempts,
      backoff: this.#backoff.kind,
      idempotent: this.idempotent,
      calls: this.#calls,
      successes: this.#successes,
      retries: this.#retries,
      aborted: this.#aborted,
      giveUps: { ...this.#giveUps },
      budget: this.#budget?.snapshot() ?? null,
    };
  }
}

function backoffOption(name: string, value: unknown): Backoff {
  return withMethods<Backoff>(name, value, ['next'], 'a Backoff (an object with next())');
}

/**
 * Builds a retry policy. See the module comment for the order of checks; the defaults match the
 * AWS SDK v3 standard mode (3 attempts, full jitter 100 ms … 20 s) without its token bucket, which
 * you add with `budget: tokenBucketBudget()`.
 *
 * @example
 * const policy = retry({
 *   maxAttempts: 4,
 *   backoff: fullJitter({ base: 100, cap: 5_000 }),
 *   budget: ratioBudget({ ratio: 0.1 }),
 *   dependency: 'dynamodb',
 * });
 * policy.onRetry.on((e) => console.log(`retry ${e.attempt} in ${e.delay} ms`, e.error));
 * const item = await policy.execute((ctx) => getItem(key, { signal: ctx.signal }), request.signal);
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function retry(options?: RetryOptions): RetryPolicy {
  return new RetryPolicy(options);
}
