/**
 * Which outcomes deserve a retry, why, and whether the request ever left the process.
 *
 * A {@link Classifier} looks at errors and, optionally, at results (an HTTP 503 response is a
 * result, not an error) and returns a {@link RetryVerdict}: retry or not, the cause
 * (`error`, `timeout`, `throttle`: budgets charge them differently) and the server's
 * `Retry-After` hint. {@link neverSent} tells whether an error proves the request was never sent,
 * which is the only case where a non-idempotent call may be retried.
 */
import type { RetryCause } from '../budget/budget.js';
import { describeFailure, describeHttpResult } from './describe-failure.js';
import type { FailureDescription } from './failure.js';
import { FAILURE_TABLE, statusKind } from './failure-table.js';

export { headerOf, retryAfterOf } from './describe-failure.js';

/** The answer of a {@link Classifier}. */
export interface RetryVerdict {
  /** Whether the outcome is worth another attempt. */
  readonly retry: boolean;
  /** Why: budgets charge a timeout more than an error, and throttles may use another backoff. */
  readonly cause: RetryCause;
  /** The delay the server asked for (`Retry-After`), in milliseconds, if any. */
  readonly retryAfter?: number | undefined;
}

/**
 * Shared verdicts, so that classifying allocates nothing unless a `Retry-After` is present.
 *
 * @example
 * const classify = { error: (e: unknown) => (e instanceof QuotaError ? Verdict.throttle : Verdict.fail) };
 */
export const Verdict = Object.freeze({
  /** Do not retry. */
  fail: Object.freeze<RetryVerdict>({ retry: false, cause: 'error' }),
  /** Retry: a transient error. */
  error: Object.freeze<RetryVerdict>({ retry: true, cause: 'error' }),
  /** Retry: the attempt timed out. */
  timeout: Object.freeze<RetryVerdict>({ retry: true, cause: 'timeout' }),
  /** Retry: the server throttled the call. */
  throttle: Object.freeze<RetryVerdict>({ retry: true, cause: 'throttle' }),
});

/**
 * What a classifier may answer: a {@link RetryVerdict}, or a plain boolean (`true` is
 * `Verdict.error`, `false` is `Verdict.fail`); for results, `undefined` also means success.
 */
export type VerdictLike = RetryVerdict | boolean | undefined;

/**
 * Normalises a classifier's answer: `true` → `Verdict.error`, `false`/`undefined`/`null` →
 * `Verdict.fail`, a verdict object → itself (an unknown `cause` becomes `error`).
 *
 * @example
 * toVerdict(true); // Verdict.error
 */
export function toVerdict(answer: unknown): RetryVerdict {
  if (answer === true) return Verdict.error;
  if (typeof answer === 'object' && answer !== null && (answer as RetryVerdict).retry === true) {
    const v = answer as RetryVerdict;
    return v.cause === 'error' || v.cause === 'timeout' || v.cause === 'throttle' ? v : { ...v, cause: 'error' };
  }
  return Verdict.fail;
}

/**
 * Decides which errors and results are retried.
 *
 * @example
 * const classify: Classifier = {
 *   error: classifyError,
 *   result: (v, now) => classifyHttpResult(v, now) ?? ((v as Item).partial ? Verdict.error : undefined),
 * };
 */
export interface Classifier {
  /** Classifies a thrown error; default {@link classifyError}. */
  readonly error?: (error: unknown, now: number) => RetryVerdict | boolean;
  /**
   * Classifies a returned value; `undefined` or a verdict with `retry: false` means success.
   * Default: none (every result is a success). See {@link classifyHttpResult}.
   */
  readonly result?: (value: unknown, now: number) => VerdictLike;
}

/**
 * The retry view of a {@link FailureDescription}: not retried when it is `fatal`, `aborted` or
 * `doNotRetry` (an open breaker, a full bulkhead, a concurrency limit: they fail fast on purpose);
 * `throttle` and `timeout` keep their cause (budgets charge them differently); `overload` and
 * `transient` are `error`. The `Retry-After` hint is kept.
 *
 * @example
 * verdictOf(describeFailure(error, Date.now()));
 */
export function verdictOf(description: FailureDescription): RetryVerdict {
  const kind = description.kind;
  if (kind === 'fatal' || kind === 'aborted' || description.doNotRetry === true) return Verdict.fail;
  const verdict = kind === 'throttle' ? Verdict.throttle : kind === 'timeout' ? Verdict.timeout : Verdict.error;
  const retryAfter = description.retryAfter;
  return retryAfter === undefined ? verdict : { retry: true, cause: verdict.cause, retryAfter };
}

/**
 * The verdict for an HTTP status code, or `undefined` for a status that is not retried: 429 is a
 * throttle, 408 and 504 timeouts, 500/502/503 transient errors.
 *
 * @example
 * classifyStatus(429); // Verdict.throttle
 * classifyStatus(404); // undefined
 */
export function classifyStatus(status: number): RetryVerdict | undefined {
  const kind = statusKind(status);
  if (kind === undefined || kind === 'fatal') return undefined;
  return verdictOf({ kind, neverSent: false });
}

/**
 * The default error classifier: the retry view ({@link verdictOf}) of {@link describeFailure}.
 * It retries network and DNS failures, timeouts (`ETIMEDOUT`, undici timeouts, `TimeoutError`, a
 * failsmall timeout, HTTP 408/504), throttles (HTTP 429, AWS throttling names and codes,
 * `$retryable.throttling`), HTTP 500/502/503, local throttle rejections and unknown errors, with
 * the `Retry-After` hint when present. It does not retry aborts, fatal errors (other 4xx/5xx
 * statuses, AWS client faults, programming errors whose causes say nothing, failsmall errors that
 * are not rejections such as `FS_ERR_INVALID_ARGUMENT`), and local overload rejections (an open
 * breaker, a full bulkhead, a concurrency limit: failing fast is their job).
 *
 * @param now - epoch milliseconds, for `Retry-After` dates.
 * @example
 * classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), Date.now()); // { retry: true, cause: 'error' }
 */
export function classifyError(error: unknown, now: number): RetryVerdict {
  return verdictOf(describeFailure(error, now));
}

/**
 * A result classifier for HTTP responses: the retry view of {@link describeHttpResult}. Retries
 * 429 (`throttle`), 408 and 504 (`timeout`), 500, 502 and 503 (`error`), with the `Retry-After`
 * hint from its headers; any other status is a success for retry.
 *
 * @example
 * const policy = retry({ classify: { error: classifyError, result: classifyHttpResult } });
 * const res = await policy.execute(() => fetch(url)); // a 503 is retried, its body discarded
 */
export function classifyHttpResult(value: unknown, now: number): RetryVerdict | undefined {
  const description = describeHttpResult(value, now);
  if (description === undefined || description.kind === 'fatal') return undefined;
  return verdictOf(description);
}

/**
 * Error `code`s that prove the request never left the process (from the one failure table):
 * the connection was refused or never established, or the name never resolved. See {@link neverSent}.
 */
export const NEVER_SENT_CODES: ReadonlySet<string> = new Set(
  [...FAILURE_TABLE].filter(([, entry]) => entry.neverSent).map(([code]) => code),
);

/** The default classifier of {@link retry}: {@link classifyError}, results always succeed. */
export const defaultClassifier: Classifier = Object.freeze({ error: classifyError });

/** {@link classifyError} plus {@link classifyHttpResult}: for fetch / undici calls returning responses. */
export const httpClassifier: Classifier = Object.freeze({ error: classifyError, result: classifyHttpResult });

/**
 * True when `error` proves the request never left the process, so even a non-idempotent call may
 * be retried safely: the `neverSent` of {@link describeFailure}. True for a refused or unresolved
 * connection (`ECONNREFUSED`, `ENOTFOUND`, `EAI_AGAIN`, `EHOSTUNREACH`, `UND_ERR_CONNECT_TIMEOUT`,
 * a `syscall` of `connect`/`getaddrinfo`/`query…`), also inside `TypeError: fetch failed`, and for
 * a failsmall rejection with `details.neverSent` (breaker, bulkhead, limits, throttles, DNS).
 * Ambiguous failures (`ECONNRESET`, `ETIMEDOUT` on a read, an HTTP status) answer false. Extend it
 * through the `neverSent` option of {@link retry}.
 *
 * @example
 * retry({ idempotent: false, neverSent: (e) => neverSent(e) || e instanceof MyQueueFullError });
 */
export function neverSent(error: unknown): boolean {
  return describeFailure(error).neverSent;
}
