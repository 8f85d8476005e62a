/**
 * Which failures mean "the backend is overloaded": the signal that adaptive throttling, the CUBIC
 * rate limiter and adaptive concurrency limits react to. A normal application error (a 404, a
 * validation error) proves the backend did its work; a throttling error (HTTP 429, an AWS
 * `ThrottlingException`) or an overload error (HTTP 503) proves it did not.
 *
 * Each predicate is a projection of `describeFailure()` (describe-failure.ts), the one classifier.
 */
import { describeFailure } from './describe-failure.js';
import { namesOfKind } from './failure-table.js';

/**
 * The outcome of a wrapped call, handed to classifiers: the value on success, the error on failure.
 *
 * @example
 * const isAccepted = (o: Outcome) => o.ok ? o.value.status !== 429 : !isOverloadError(o.error);
 */
export type Outcome<T = unknown> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Error names and codes that mean "slow down": the AWS SDK v3's `THROTTLING_ERROR_CODES`, read
 * from the one failure table (failure-table.ts).
 */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = namesOfKind('throttle');

/** Error names and codes that mean "the call timed out" (the platform's, the AWS SDK's, Node's, undici's), from the one table. */
export const TIMEOUT_ERROR_NAMES: ReadonlySet<string> = namesOfKind('timeout');

/** The same set as {@link TIMEOUT_ERROR_NAMES}: the table does not tell names from codes (both are looked up). */
export const TIMEOUT_ERROR_CODES: ReadonlySet<string> = TIMEOUT_ERROR_NAMES;

/**
 * True when `error` is a throttling error from the backend: the `throttle` kind of
 * {@link describeFailure} (HTTP 429, `$retryable.throttling`, the AWS SDK's throttling names or
 * codes, also in the `cause` chain), and not a local rejection (a failsmall throttle that never
 * sent the call says nothing about the backend). The signal the CUBIC rate limiter cuts its rate
 * on, exactly as the SDK's adaptive mode does.
 *
 * @example
 * isThrottlingError({ name: 'ThrottlingException' }); // true
 * isThrottlingError({ $metadata: { httpStatusCode: 429 } }); // true
 * isThrottlingError(new Error('not found')); // false
 */
export function isThrottlingError(error: unknown): boolean {
  const d = describeFailure(error);
  return d.kind === 'throttle' && !d.neverSent;
}

/**
 * True when the backend refused work for overload: the `throttle` or `overload` kind of
 * {@link describeFailure} (HTTP 429 and 503, `ServiceUnavailable(Exception)`, throttling names),
 * and not a local rejection (an open breaker, a full bulkhead never reached the backend).
 * Adaptive throttling counts such a call as NOT accepted by the backend.
 *
 * @example
 * isOverloadError({ statusCode: 503 }); // true
 * isOverloadError({ name: 'ValidationException' }); // false: the backend did its job
 */
export function isOverloadError(error: unknown): boolean {
  const d = describeFailure(error);
  return (d.kind === 'throttle' || d.kind === 'overload') && !d.neverSent;
}

/**
 * True when `error` is a timeout: the `timeout` kind of {@link describeFailure} (`TimeoutError`,
 * `ETIMEDOUT`, undici's timeout codes, HTTP 408/504, a failsmall timeout such as `FS_ERR_TIMEOUT`
 * or a DNS timeout, also in the `cause` chain). Concurrency limits count a timed-out call as a drop.
 *
 * @example
 * isTimeoutError({ code: 'ETIMEDOUT' }); // true
 */
export function isTimeoutError(error: unknown): boolean {
  return describeFailure(error).kind === 'timeout';
}
