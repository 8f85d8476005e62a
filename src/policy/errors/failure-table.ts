/**
 * The one table of failure identifiers: error `name`s (AWS SDK v3, the platform) and error `code`s
 * (Node system errors, c-ares, undici) with the {@link FailureKind} each one means, and the kind of
 * each HTTP status. `describeFailure()` is its only reader; every view of a failure (retry, hedge,
 * throttles, limiters, the AWS retry strategy) derives from that function, so they cannot drift.
 *
 * failsmall's own codes are NOT in this table: a failsmall rejection says what it is through
 * `details.kind` and `details.neverSent` (see failure.ts).
 *
 * The throttling names follow the AWS SDK v3 service error classification (`THROTTLING_ERROR_CODES`),
 * so the same error the SDK treats as throttling is treated as throttling here.
 *
 * @see https://github.com/smithy-lang/smithy-typescript/blob/main/packages/service-error-classification/src/constants.ts
 */
import type { FailureKind } from './failure.js';

/** What one name or code means. */
export interface FailureTableEntry {
  readonly kind: FailureKind;
  /** True when the identifier proves the request never left the process (refused, never resolved). */
  readonly neverSent: boolean;
}

const throttle: FailureTableEntry = Object.freeze({ kind: 'throttle', neverSent: false });
const overload: FailureTableEntry = Object.freeze({ kind: 'overload', neverSent: false });
const timeout: FailureTableEntry = Object.freeze({ kind: 'timeout', neverSent: false });
const connectTimeout: FailureTableEntry = Object.freeze({ kind: 'timeout', neverSent: true });
const transient: FailureTableEntry = Object.freeze({ kind: 'transient', neverSent: false });
const unsent: FailureTableEntry = Object.freeze({ kind: 'transient', neverSent: true });
const aborted: FailureTableEntry = Object.freeze({ kind: 'aborted', neverSent: false });

/**
 * Error names and codes → what they mean. An error's `name` and its `code` are both looked up
 * (`code: 'ThrottlingException'` means the same as `name: 'ThrottlingException'`).
 */
export const FAILURE_TABLE: ReadonlyMap<string, FailureTableEntry> = new Map<string, FailureTableEntry>([
  // Throttling: the AWS SDK v3's THROTTLING_ERROR_CODES.
  ['BandwidthLimitExceeded', throttle],
  ['EC2ThrottledException', throttle],
  ['LimitExceededException', throttle],
  ['PriorRequestNotComplete', throttle],
  ['ProvisionedThroughputExceededException', throttle],
  ['RequestLimitExceeded', throttle],
  ['RequestThrottled', throttle],
  ['RequestThrottledException', throttle],
  ['SlowDown', throttle],
  ['ThrottledException', throttle],
  ['Throttling', throttle],
  ['ThrottlingException', throttle],
  ['TooManyRequestsException', throttle],
  ['TransactionInProgressException', throttle],
  // Overloaded or unavailable, without asking to slow down.
  ['ServiceUnavailable', overload],
  ['ServiceUnavailableException', overload],
  // Timeouts: the platform's (AbortSignal.timeout()), the AWS SDK's, Node's, c-ares', undici's.
  ['TimeoutError', timeout],
  ['RequestTimeout', timeout],
  ['RequestTimeoutException', timeout],
  ['ETIMEDOUT', timeout],
  ['ESOCKETTIMEDOUT', timeout],
  ['ETIMEOUT', timeout],
  ['UND_ERR_CONNECT_TIMEOUT', connectTimeout],
  ['UND_ERR_HEADERS_TIMEOUT', timeout],
  ['UND_ERR_BODY_TIMEOUT', timeout],
  ['UND_ERR_RESPONSE_TIMEOUT', timeout],
  // Transient server-side errors of the AWS SDK.
  ['InternalError', transient],
  ['InternalFailure', transient],
  ['InternalServerError', transient],
  // Network failures after (possibly) sending.
  ['ECONNRESET', transient],
  ['ECONNABORTED', transient],
  ['EPIPE', transient],
  ['UND_ERR_SOCKET', transient],
  ['UND_ERR_CLOSED', transient],
  // Never sent: refused, unreachable, or the name never resolved.
  ['ECONNREFUSED', unsent],
  ['ENOTFOUND', unsent],
  ['EAI_AGAIN', unsent],
  ['EAI_NONAME', unsent],
  ['EAI_FAIL', unsent],
  ['ENODATA', unsent],
  ['ESERVFAIL', unsent],
  ['ENETUNREACH', unsent],
  ['ENETDOWN', unsent],
  ['EHOSTUNREACH', unsent],
  ['EHOSTDOWN', unsent],
  ['EADDRNOTAVAIL', unsent],
  ['UND_ERR_CONNECT', unsent],
  // The caller gave up.
  ['AbortError', aborted],
]);

/**
 * Error names of programming errors: `fatal`, but only when nothing in the `cause` chain says
 * more (`TypeError: fetch failed` wraps the real socket error in `cause`).
 */
export const PROGRAMMING_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TypeError',
  'RangeError',
  'SyntaxError',
  'ReferenceError',
]);

/**
 * The kind of an HTTP status of a failed response, or `undefined` for a success (below 400):
 * 429 `throttle`; 408 and 504 `timeout`; 503 `overload`; 500 and 502 `transient`; any other 4xx
 * or 5xx `fatal` (another attempt gets the same answer: 400, 404, 501 …).
 *
 * @example
 * statusKind(504); // 'timeout'
 * statusKind(200); // undefined
 */
export function statusKind(status: number): FailureKind | undefined {
  if (status < 400) return undefined;
  switch (status) {
    case 429:
      return 'throttle';
    case 408:
    case 504:
      return 'timeout';
    case 503:
      return 'overload';
    case 500:
    case 502:
      return 'transient';
    default:
      return 'fatal';
  }
}

/** The names of one kind in the table (for lists kept for compatibility and for tests). */
export function namesOfKind(kind: FailureKind): ReadonlySet<string> {
  const names = new Set<string>();
  for (const [name, entry] of FAILURE_TABLE) if (entry.kind === kind) names.add(name);
  return names;
}
