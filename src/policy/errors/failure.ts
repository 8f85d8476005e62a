/**
 * The vocabulary of a failure, shared by every view of it (retry, hedge, throttles, limiters, the
 * AWS retry strategy). `describeFailure()` (describe-failure.ts) is the one function that turns an
 * error or a result into a {@link FailureDescription}; every other view derives from it.
 *
 * failsmall's own rejections say what they are: a policy that rejects a call stamps
 * `details.kind` (a {@link FailureKind}) and `details.neverSent` on its `FailsmallError`, so that no
 * code is ever parsed by name or substring to know what it means.
 */

/**
 * What kind of failure an outcome is.
 * - `throttle`: the server asked the caller to slow down (HTTP 429, `ThrottlingException`, …).
 * - `overload`: the server or a local policy is shedding load (HTTP 503, breaker open, bulkhead full).
 * - `timeout`: the attempt ran out of time (HTTP 504 counts here, as do socket and policy timeouts).
 * - `transient`: any other failure that another attempt may not see (connection reset, 500, 502).
 * - `fatal`: another attempt will fail the same way (HTTP 400, validation, access denied).
 * - `aborted`: the caller gave up (an AbortSignal fired); never retried, never a dependency failure.
 */
export type FailureKind = 'throttle' | 'overload' | 'timeout' | 'transient' | 'fatal' | 'aborted';

/** Every {@link FailureKind}, in a stable order (for tables and tests). */
export const FAILURE_KINDS: readonly FailureKind[] = Object.freeze([
  'throttle',
  'overload',
  'timeout',
  'transient',
  'fatal',
  'aborted',
]);

/** One failure, described once. */
export interface FailureDescription {
  /** What kind of failure it is. */
  readonly kind: FailureKind;
  /** The HTTP status of the response, when the failure carries one. */
  readonly status?: number | undefined;
  /** The delay the server asked for (`Retry-After` or an equivalent), in milliseconds, if any. */
  readonly retryAfter?: number | undefined;
  /** True when the request provably never left the process (safe to retry even if not idempotent). */
  readonly neverSent: boolean;
  /** True when the other side asked the caller not to retry (e.g. failsmall's admission control). */
  readonly doNotRetry?: boolean | undefined;
}

/**
 * The `details` a failsmall rejection carries so that {@link FailureDescription}s can be read from it
 * without looking at the code: every policy that rejects a call without running it sets these.
 */
export interface RejectionDetails {
  readonly kind: FailureKind;
  readonly neverSent: boolean;
  /** Milliseconds until the rejecting policy may admit the call again, when it knows. */
  readonly retryAfter?: number | undefined;
  readonly [key: string]: unknown;
}
