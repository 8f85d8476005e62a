/**
 * An AWS SDK v3 `retryStrategy` (the SDK's `RetryStrategyV2`: `acquireInitialRetryToken`,
 * `refreshRetryTokenForRetry`, `recordSuccess`) backed by a failsmall retry budget and jittered
 * backoff, so that SDK retries cannot amplify a storm.
 *
 * The SDK's standard mode already has a token bucket (500 tokens, 5 per retry), but it is per client
 * instance and lets a fleet of fresh clients retry at full rate for the first 100 failures each. A
 * ratio budget ({@link ratioBudget}, the default) caps retries at a share of the real traffic whatever
 * the number of callers: with `ratio: 0.1`, at most 1.1 attempts per logical request over the window.
 * Delays are slept on failsmall's clock (so a scaled replay compresses them) and the SDK's own sleep is
 * skipped.
 *
 * @see https://aws.amazon.com/builders-library/timeouts-retries-and-backoff-with-jitter/
 * @see https://twitter.github.io/finagle/guide/Clients.html#retries
 */
import { mathRandom, systemClock, validate, type Clock, type Random } from '../core/index.js';
import { defaultBackoff, MAX_RETRY_DELAY, type Backoff } from '../policy/retry/backoff.js';
import { nextRetry, throttleBackoffFor, type RetrySchedule } from '../policy/retry/decision.js';
import type { RetryBudget, RetryCause } from '../policy/budget/budget.js';
import { ratioBudget } from '../policy/budget/ratio.js';
import { describeFailure, retryAfterOf } from '../policy/errors/describe-failure.js';
import { Verdict, verdictOf, type RetryVerdict } from '../policy/errors/classify.js';

/** The SDK's classification of a failed attempt (`RetryErrorType` of `@smithy/types`). */
export type AwsRetryErrorType = 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';

/** What the SDK hands the strategy about a failed attempt (`RetryErrorInfo` of `@smithy/types`). */
export interface AwsRetryErrorInfo {
  readonly error?: unknown;
  readonly errorType: AwsRetryErrorType;
  /** From a `Retry-After` / `x-amz-retry-after` header. */
  readonly retryAfterHint?: Date;
}

/** The token the SDK carries between attempts (`RetryToken` of `@smithy/types`). */
export interface AwsRetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
  $retryLog?: { acquisitionDelay?: number };
}

/** Options of {@link awsRetryStrategy}. */
export interface AwsRetryStrategyOptions {
  /**
   * The retry budget shared by every call of the client (or of several clients of one dependency).
   * Default `ratioBudget({ ratio: 0.1, minRetriesPerSecond: 1 })`: retries add at most 10 % to the
   * traffic (1.1 attempts per request), plus one retry a second so that a quiet client can retry at all.
   * Under a scaled clock that reserve counts scenario seconds (at speed 360, 360 retries per real
   * second): pass a budget with `minRetriesPerSecond: 0` there to keep the cap at `1 + ratio`.
   */
  readonly budget?: RetryBudget;
  /** The most attempts per logical request, first one included; default 3 (the SDK's default). */
  readonly maxAttempts?: number;
  /** The delay before a retry after an error; default full jitter, base 100 ms, cap 20 s (the SDK's schedule). */
  readonly backoff?: Backoff;
  /**
   * The delay before a retry after throttling; default `backoff` when given, else full jitter,
   * base 500 ms (the SDK's throttling base), cap 20 s: the same default as `retry()`'s.
   */
  readonly throttleBackoff?: Backoff;
  /**
   * Honour a server's retry-after hint (the SDK's `retryAfterHint`, else the error's `Retry-After`
   * header or a failsmall rejection's `details.retryAfter`), never beyond 20 s; default true.
   */
  readonly respectRetryAfter?: boolean;
  /**
   * The longest a logical request may take across its retries, in milliseconds from
   * `acquireInitialRetryToken`: no retry is granted whose backoff would end at or past it (the
   * SDK hands the strategy no deadline of its own). Default Infinity.
   */
  readonly maxElapsed?: number;
  /** Where time comes from (budget windows and backoff sleeps); default `systemClock`. */
  readonly clock?: Clock;
  /** The source of jitter; default `Math.random`. */
  readonly random?: Random;
  /**
   * Decides whether a failed attempt may be retried and why; return undefined for no retry.
   * Default {@link defaultAwsRetryClassifier}: the same verdict as `retry()`'s `classifyError`.
   */
  readonly classify?: (info: AwsRetryErrorInfo) => RetryCause | undefined;
}

class Token implements AwsRetryToken {
  $retryLog: { acquisitionDelay?: number };
  constructor(
    readonly count: number,
    readonly cause: RetryCause | undefined,
    readonly delay: number,
    /** When the logical request started, on the strategy's clock. */
    readonly started: number,
  ) {
    this.$retryLog = { acquisitionDelay: delay };
  }
  getRetryCount(): number {
    return this.count;
  }
  getRetryDelay(): number {
    return 0; // the strategy already slept, on its own clock
  }
}

/**
 * The default classification: the retry view of `describeFailure(info.error)`, exactly what
 * `retry()`'s `classifyError` answers (a throttle, a timeout or an error; undefined for fatal
 * errors, aborts and local overload rejections such as an open breaker or a full bulkhead).
 * Only when the SDK hands no error does the SDK's `errorType` decide (THROTTLING and TRANSIENT
 * are retryable, as in the SDK's standard mode).
 *
 * @example
 * defaultAwsRetryClassifier({ errorType: 'THROTTLING', error: { name: 'ThrottlingException' } }); // 'throttle'
 */
export function defaultAwsRetryClassifier(info: AwsRetryErrorInfo): RetryCause | undefined {
  const verdict = awsVerdict(info);
  return verdict.retry ? verdict.cause : undefined;
}

function awsVerdict(info: AwsRetryErrorInfo): RetryVerdict {
  if (info.error !== undefined) return verdictOf(describeFailure(info.error));
  if (info.errorType === 'THROTTLING') return Verdict.throttle;
  return info.errorType === 'TRANSIENT' ? Verdict.error : Verdict.fail;
}

/**
 * An SDK `retryStrategy` drawing every retry from a failsmall {@link RetryBudget}. See the module comment.
 * `snapshot()` reports requests, retries granted and refused (by reason) and the amplification.
 */
export class FailsmallRetryStrategy {
  /** Reported by the SDK in its user agent (`cfg/retry-mode`). */
  readonly mode = 'standard';
  readonly budget: RetryBudget;
  readonly maxAttempts: number;
  readonly #schedule: RetrySchedule;
  readonly #respectRetryAfter: boolean;
  readonly #maxElapsed: number;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #classify: (info: AwsRetryErrorInfo) => RetryCause | undefined;
  readonly #counters = {
    requests: 0,
    retries: 0,
    successes: 0,
    refusedNotRetryable: 0,
    refusedMaxAttempts: 0,
    refusedBudget: 0,
    refusedDeadline: 0,
  };

  constructor(options: AwsRetryStrategyOptions = {}) {
    if (typeof options !== 'object' || options === null) validate.invalid('options', 'an object', options);
    this.budget = options.budget ?? ratioBudget({ ratio: 0.1, minRetriesPerSecond: 1 });
    if (typeof this.budget.tryAcquire !== 'function') validate.invalid('budget', 'a RetryBudget', this.budget);
    this.maxAttempts = validate.positiveInteger('maxAttempts', options.maxAttempts ?? 3);
    const backoff = options.backoff ?? defaultBackoff;
    this.#schedule = {
      maxAttempts: this.maxAttempts,
      backoff,
      throttleBackoff: throttleBackoffFor(options.backoff, options.throttleBackoff),
      maxRetryAfter: MAX_RETRY_DELAY,
      budget: this.budget,
    };
    this.#respectRetryAfter = options.respectRetryAfter ?? true;
    this.#maxElapsed = validate.duration('maxElapsed', options.maxElapsed ?? Infinity, true);
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? mathRandom;
    this.#classify =
      options.classify === undefined ? defaultAwsRetryClassifier : validate.func('classify', options.classify);
  }

  /** Called by the SDK once per logical request: records it in the budget. */
  acquireInitialRetryToken(_retryTokenScope: string): Promise<AwsRetryToken> {
    this.#counters.requests++;
    this.budget.recordRequest(this.#clock.now());
    return Promise.resolve(new Token(0, undefined, 0, this.#clock.now()));
  }

  /**
   * Called by the SDK after a failed attempt: grants a retry (after sleeping the backoff on the
   * strategy's clock) or rejects, which makes the SDK throw the attempt's error.
   */
  async refreshRetryTokenForRetry(token: AwsRetryToken, info: AwsRetryErrorInfo): Promise<AwsRetryToken> {
    const count = token.getRetryCount();
    const cause = this.#classify(info);
    const now = this.#clock.now();
    const own = token instanceof Token ? token : undefined;
    let retryAfter: number | undefined;
    if (this.#respectRetryAfter) {
      // The SDK's hint is wall-clock time from the server; without one, the same Retry-After that
      // retry() reads (a failsmall rejection's details.retryAfter, the response's headers).
      const hinted = info.retryAfterHint instanceof Date ? info.retryAfterHint.getTime() - Date.now() : Number.NaN;
      retryAfter = Number.isFinite(hinted) ? Math.max(0, hinted) : retryAfterOf(info.error, Date.now());
    }
    const decision = nextRetry(
      {
        attempt: count + 1,
        verdict:
          cause === undefined
            ? Verdict.fail
            : retryAfter === undefined
              ? Verdict[cause]
              : { retry: true, cause, retryAfter },
        now,
        deadline: (own?.started ?? now) + this.#maxElapsed,
        previousDelay: own?.delay ?? 0,
        random: this.#random,
      },
      this.#schedule,
    );
    if (!decision.retry) {
      switch (decision.reason) {
        case 'attempts':
          this.#counters.refusedMaxAttempts++;
          throw new Error('failsmall: no attempts left');
        case 'budget':
          this.#counters.refusedBudget++;
          throw new Error('failsmall: retry budget exhausted');
        case 'deadline':
          this.#counters.refusedDeadline++;
          throw new Error('failsmall: the retry would end past maxElapsed');
        default:
          this.#counters.refusedNotRetryable++;
          throw new Error('failsmall: not retryable');
      }
    }
    this.#counters.retries++;
    const delay = decision.delay;
    if (delay > 0) await this.#clock.sleep(delay);
    return new Token(count + 1, cause, delay, own?.started ?? now);
  }

  /** Called by the SDK when a request succeeds (first attempt or retry). */
  recordSuccess(token: AwsRetryToken): void {
    this.#counters.successes++;
    const retried = token.getRetryCount() > 0;
    this.budget.recordSuccess(this.#clock.now(), retried, token instanceof Token ? token.cause : undefined);
  }

  /** Plain JSON for metrics. `amplification` is (requests + retries) / requests. */
  snapshot(): Record<string, unknown> {
    const { requests, retries } = this.#counters;
    return {
      ...this.#counters,
      maxAttempts: this.maxAttempts,
      amplification: requests === 0 ? 0 : (requests + retries) / requests,
      budget: this.budget.snapshot(),
    };
  }
}

/**
 * Builds an AWS SDK v3 `retryStrategy` backed by a failsmall retry budget.
 *
 * @example
 * const retryStrategy = awsRetryStrategy({ budget: ratioBudget({ ratio: 0.1 }) });
 * const client = new DynamoDBClient({ region: 'us-east-1', retryStrategy });
 */
export function awsRetryStrategy(options: AwsRetryStrategyOptions = {}): FailsmallRetryStrategy {
  return new FailsmallRetryStrategy(options);
}
