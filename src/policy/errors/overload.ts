/**
 * Which failures mean "the backend is overloaded": the signal that adaptive throttling, the CUBIC
 * rate limiter and adaptive concurrency limits react to. A normal application error (a 404, a
 * validation error) proves the backend did its work; a throttling error (HTTP 429, an AWS
 * `ThrottlingException`) or an overload error (HTTP 503) proves it did not.
 *
 * The lists follow the AWS SDK v3 service error classification (`THROTTLING_ERROR_CODES`), so the
 * same error the SDK treats as throttling is treated as throttling here.
 *
 * @see https://github.com/smithy-lang/smithy-typescript/blob/main/packages/service-error-classification/src/constants.ts
 */

/**
 * The outcome of a wrapped call, handed to classifiers: the value on success, the error on failure.
 *
 * @example
 * const isAccepted = (o: Outcome) => o.ok ? o.value.status !== 429 : !isOverloadError(o.error);
 */
export type Outcome<T = unknown> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/**
 * Error names (AWS `error.name` / botocore `Error.Code`) that mean "slow down": the AWS SDK v3's
 * `THROTTLING_ERROR_CODES`. The one copy of the list: `classifyError` (classify.ts) reads it
 * too, so retries and the overload signal agree on what a throttle is.
 */
export const THROTTLING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
  'TransactionInProgressException',
]);

/** Error names that mean "overloaded / unavailable" without being a throttle. */
const OVERLOAD_NAMES: ReadonlySet<string> = new Set(['ServiceUnavailable', 'ServiceUnavailableException']);

/** Error names that mean "the call timed out" (the platform's, the AWS SDK's); classify.ts reads it too. */
export const TIMEOUT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Error `code`s that mean "the call timed out" (Node, c-ares, undici); classify.ts reads it too. */
export const TIMEOUT_ERROR_CODES: ReadonlySet<string> = new Set([
  'ETIMEDOUT',
  'ESOCKETTIMEDOUT',
  'ETIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_RESPONSE_TIMEOUT',
]);

/** Either list: an error's `name` or `code` may carry either kind. */
const TIMEOUT_NAMES: ReadonlySet<string> = new Set([...TIMEOUT_ERROR_NAMES, ...TIMEOUT_ERROR_CODES]);

/** How deep `cause` chains are followed: a wrapped error (e.g. retries exhausted) keeps its signal. */
const MAX_CAUSE_DEPTH = 5;

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly status?: unknown;
  readonly statusCode?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown } | null;
  readonly $retryable?: { readonly throttling?: unknown } | null;
  readonly cause?: unknown;
}

/** The HTTP status an error carries: AWS `$metadata.httpStatusCode`, undici `statusCode`, or `status`. */
function httpStatus(e: ErrorShape): unknown {
  return e.$metadata?.httpStatusCode ?? e.statusCode ?? e.status;
}

function matches(error: unknown, test: (e: ErrorShape) => boolean): boolean {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (typeof current !== 'object' || current === null) return false;
    const e = current as ErrorShape;
    if (test(e)) return true;
    current = e.cause;
  }
  return false;
}

function throttling(e: ErrorShape): boolean {
  return (
    e.$retryable?.throttling === true ||
    httpStatus(e) === 429 ||
    (typeof e.name === 'string' && THROTTLING_ERROR_NAMES.has(e.name)) ||
    (typeof e.code === 'string' && THROTTLING_ERROR_NAMES.has(e.code))
  );
}

function overload(e: ErrorShape): boolean {
  return (
    throttling(e) ||
    httpStatus(e) === 503 ||
    (typeof e.name === 'string' && OVERLOAD_NAMES.has(e.name)) ||
    (typeof e.code === 'string' && OVERLOAD_NAMES.has(e.code))
  );
}

function timeout(e: ErrorShape): boolean {
  const status = httpStatus(e);
  return (
    status === 408 ||
    status === 504 ||
    (typeof e.name === 'string' && TIMEOUT_NAMES.has(e.name)) ||
    (typeof e.code === 'string' && (TIMEOUT_NAMES.has(e.code) || /^FS_ERR_\w*TIME(D_)?OUT/.test(e.code)))
  );
}

/**
 * True when `error` (or an error in its `cause` chain, up to 5 deep) is a throttling error: HTTP
 * 429, `$retryable.throttling`, or one of the AWS SDK's throttling error names
 * (`ThrottlingException`, `ProvisionedThroughputExceededException`, `SlowDown`, …). The signal the
 * CUBIC rate limiter cuts its rate on, exactly as the SDK's adaptive mode does.
 *
 * @example
 * isThrottlingError({ name: 'ThrottlingException' }); // true
 * isThrottlingError({ $metadata: { httpStatusCode: 429 } }); // true
 * isThrottlingError(new Error('not found')); // false
 */
export function isThrottlingError(error: unknown): boolean {
  return matches(error, throttling);
}

/**
 * True when `error` means the backend refused work for overload: a throttling error
 * ({@link isThrottlingError}), HTTP 503 or `ServiceUnavailable(Exception)`, also found in the
 * `cause` chain. Adaptive throttling counts such a call as NOT accepted by the backend.
 *
 * @example
 * isOverloadError({ statusCode: 503 }); // true
 * isOverloadError({ name: 'ValidationException' }); // false: the backend did its job
 */
export function isOverloadError(error: unknown): boolean {
  return matches(error, overload);
}

/**
 * True when `error` is a timeout: `TimeoutError`, `ETIMEDOUT`, undici's timeout codes, HTTP 408/504,
 * or a failsmall code with `TIMEOUT` in it (e.g. from the timeout policy), also in the `cause` chain.
 * Concurrency limits count a timed-out call as a drop.
 *
 * @example
 * isTimeoutError({ code: 'ETIMEDOUT' }); // true
 */
export function isTimeoutError(error: unknown): boolean {
  return matches(error, timeout);
}
