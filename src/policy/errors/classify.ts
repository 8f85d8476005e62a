/**
 * Which outcomes deserve a retry, why, and whether the request ever left the process.
 *
 * A {@link Classifier} looks at errors and, optionally, at results (an HTTP 503 response is a
 * result, not an error) and returns a {@link RetryVerdict}: retry or not, the cause
 * (`error`, `timeout`, `throttle`: budgets charge them differently) and the server's
 * `Retry-After` hint. {@link neverSent} tells whether an error proves the request was never sent,
 * which is the only case where a non-idempotent call may be retried.
 */
import { isFailsmallError } from '../../core/errors.js';
import type { RetryCause } from '../budget/budget.js';
import { THROTTLING_ERROR_NAMES, TIMEOUT_ERROR_CODES, TIMEOUT_ERROR_NAMES } from './overload.js';
import { parseRetryAfter } from './retry-after.js';

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

/** Error `code`s of transient network and DNS failures (Node, undici). */
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'ENODATA',
  'ESERVFAIL',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT',
]);

/** Error names of AWS SDK v3 transient errors. */
const TRANSIENT_NAMES = new Set(['InternalError', 'ServiceUnavailable', 'ServiceUnavailableException']);

/** Errors that are bugs in the caller, not transient faults (unless a cause says otherwise). */
const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError', 'SyntaxError', 'ReferenceError']);

/**
 * Error `code`s that prove the request never left the process: the connection was refused or
 * never established, or the name never resolved. See {@link neverSent}.
 */
export const NEVER_SENT_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_NONAME',
  'EAI_FAIL',
  'ENODATA',
  'ESERVFAIL',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
]);

/**
 * Prefixes of failsmall codes raised by a policy that refused the call before running it: an open
 * breaker, a full bulkhead, a throttle or concurrency limit, a failed name resolution.
 */
export const NEVER_SENT_PREFIXES: readonly string[] = Object.freeze([
  'FS_ERR_BREAKER_',
  'FS_ERR_BULKHEAD_',
  'FS_ERR_THROTTLE',
  'FS_ERR_RATE_LIMIT',
  'FS_ERR_LIMIT_',
  'FS_ERR_DNS_',
]);

/** How deep to follow `error.cause` (fetch wraps the socket error: `TypeError: fetch failed`). */
const MAX_DEPTH = 5;

type Bag = Record<string, unknown>;

function asBag(value: unknown): Bag | undefined {
  return typeof value === 'object' && value !== null ? (value as Bag) : undefined;
}

/**
 * The header `name` from a `Headers` instance or a plain object (any letter case); `undefined` if
 * absent.
 *
 * @example
 * headerOf({ 'Retry-After': '3' }, 'retry-after'); // '3'
 */
export function headerOf(headers: unknown, name: string): unknown {
  const bag = asBag(headers);
  if (bag === undefined) return undefined;
  if (typeof bag.get === 'function') {
    try {
      return (bag.get as (n: string) => unknown).call(bag, name) ?? undefined;
    } catch {
      return undefined;
    }
  }
  if (name in bag) return bag[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(bag)) if (key.toLowerCase() === lower) return bag[key];
  return undefined;
}

/**
 * The `Retry-After` hint carried by an error or a response, in milliseconds: a `retry-after` (or
 * `retry-after-ms`) header on `headers`, `response.headers` or `$response.headers` (AWS SDK), or
 * `details.retryAfter` (ms) on a failsmall error.
 *
 * @param now - epoch milliseconds, for HTTP-dates.
 * @example
 * retryAfterOf({ status: 503, headers: { 'retry-after': '2' } }, Date.now()); // 2000
 */
export function retryAfterOf(source: unknown, now: number): number | undefined {
  const bag = asBag(source);
  if (bag === undefined) return undefined;
  const details = asBag(bag.details);
  if (details !== undefined && typeof details.retryAfter === 'number' && details.retryAfter >= 0) {
    return Number.isFinite(details.retryAfter) ? details.retryAfter : undefined;
  }
  for (const holder of [bag, asBag(bag.response), asBag(bag.$response)]) {
    if (holder === undefined || holder.headers === undefined) continue;
    const ms = Number(headerOf(holder.headers, 'retry-after-ms'));
    if (headerOf(holder.headers, 'retry-after-ms') !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
    const parsed = parseRetryAfter(headerOf(holder.headers, 'retry-after'), now);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

/**
 * The verdict for an HTTP status code, or `undefined` for a status that is not retried: 429 is a
 * throttle, 408 a timeout, 500/502/503/504 transient errors.
 *
 * @example
 * classifyStatus(429); // Verdict.throttle
 * classifyStatus(404); // undefined
 */
export function classifyStatus(status: number): RetryVerdict | undefined {
  if (status === 429) return Verdict.throttle;
  if (status === 408) return Verdict.timeout;
  if (status === 500 || status === 502 || status === 503 || status === 504) return Verdict.error;
  return undefined;
}

function withRetryAfter(verdict: RetryVerdict, source: unknown, now: number): RetryVerdict {
  const retryAfter = retryAfterOf(source, now);
  return retryAfter === undefined ? verdict : { retry: true, cause: verdict.cause, retryAfter };
}

/** The verdict from one level of an error chain, or `undefined` when this level says nothing. */
function classifyOne(error: Bag, now: number): RetryVerdict | undefined {
  const code = error.code;
  const name = typeof error.name === 'string' ? error.name : '';
  if (isFailsmallError(error)) {
    const c = error.code;
    if (c === 'FS_ERR_ABORTED' || c === 'FS_ERR_INVALID_ARGUMENT') return Verdict.fail;
    if (c.includes('TIMEOUT')) return Verdict.timeout;
    if (c.includes('THROTTL') || c.includes('RATE_LIMIT')) return withRetryAfter(Verdict.throttle, error, now);
    return withRetryAfter(Verdict.error, error, now);
  }
  if (name === 'AbortError') return Verdict.fail; // the caller (or an outer policy) gave up
  if (typeof code === 'string') {
    if (TIMEOUT_ERROR_CODES.has(code)) return Verdict.timeout;
    if (TRANSIENT_CODES.has(code)) return Verdict.error;
  }
  // AWS SDK v3 service errors: `$retryable`, the error name, then the HTTP status.
  const retryable = asBag(error.$retryable);
  if (retryable !== undefined) {
    return withRetryAfter(retryable.throttling === true ? Verdict.throttle : Verdict.error, error, now);
  }
  if (THROTTLING_ERROR_NAMES.has(name)) return withRetryAfter(Verdict.throttle, error, now);
  if (TIMEOUT_ERROR_NAMES.has(name)) return Verdict.timeout;
  if (TRANSIENT_NAMES.has(name)) return withRetryAfter(Verdict.error, error, now);
  const status =
    asBag(error.$metadata)?.httpStatusCode ??
    error.status ??
    error.statusCode ??
    asBag(error.response)?.status ??
    asBag(error.response)?.statusCode;
  if (typeof status === 'number' && status >= 100 && status < 600) {
    const verdict = classifyStatus(status);
    return verdict === undefined ? Verdict.fail : withRetryAfter(verdict, error, now);
  }
  if (error.$fault === 'client') return Verdict.fail;
  return undefined;
}

/**
 * The default error classifier. It follows `error.cause` (fetch wraps socket errors) and retries:
 * - network and DNS failures (`ECONNRESET`, `ECONNREFUSED`, `ENOTFOUND`, `EAI_AGAIN`, undici
 *   socket errors …) as `error`, and timeouts (`ETIMEDOUT`, undici timeouts, `TimeoutError`,
 *   failsmall `…TIMEOUT…` codes) as `timeout`;
 * - AWS SDK errors marked `$retryable`, throttling names (`ThrottlingException` …) as `throttle`;
 * - HTTP statuses 429 (`throttle`), 408 (`timeout`), 500, 502, 503, 504 (`error`), with the
 *   `Retry-After` hint when present;
 * - failsmall rejections (an open breaker, a full bulkhead), and any other unknown error.
 *
 * It does not retry: aborts (`AbortError`, `FS_ERR_ABORTED`), invalid arguments, other 4xx
 * statuses, AWS client faults, and programming errors (`TypeError`, `RangeError`, `SyntaxError`,
 * `ReferenceError`) whose causes say nothing more.
 *
 * @param now - epoch milliseconds, for `Retry-After` dates.
 * @example
 * classifyError(Object.assign(new Error('x'), { code: 'ECONNRESET' }), Date.now()); // { retry: true, cause: 'error' }
 */
export function classifyError(error: unknown, now: number): RetryVerdict {
  try {
    return classifyChain(error, now);
  } catch {
    return Verdict.fail; // a hostile error object (a throwing getter): do not retry what we cannot read
  }
}

function classifyChain(error: unknown, now: number): RetryVerdict {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const bag = asBag(current);
    if (bag === undefined) break;
    const verdict = classifyOne(bag, now);
    if (verdict !== undefined) return verdict;
    current = bag.cause;
  }
  const top = asBag(error);
  if (top !== undefined && typeof top.name === 'string' && PROGRAMMING_ERRORS.has(top.name)) return Verdict.fail;
  return Verdict.error;
}

/**
 * A result classifier for HTTP responses: anything with a numeric `status` (fetch `Response`) or
 * `statusCode` (undici `request`, `http.IncomingMessage`). Retries 429 (`throttle`), 408
 * (`timeout`), 500, 502, 503 and 504 (`error`), with the `Retry-After` hint from its headers.
 *
 * @example
 * const policy = retry({ classify: { error: classifyError, result: classifyHttpResult } });
 * const res = await policy.execute(() => fetch(url)); // a 503 is retried, its body discarded
 */
export function classifyHttpResult(value: unknown, now: number): RetryVerdict | undefined {
  const bag = asBag(value);
  if (bag === undefined) return undefined;
  const status = bag.status ?? bag.statusCode;
  if (typeof status !== 'number') return undefined;
  const verdict = classifyStatus(status);
  return verdict === undefined ? undefined : withRetryAfter(verdict, bag, now);
}

/** The default classifier of {@link retry}: {@link classifyError}, results always succeed. */
export const defaultClassifier: Classifier = Object.freeze({ error: classifyError });

/** {@link classifyError} plus {@link classifyHttpResult}: for fetch / undici calls returning responses. */
export const httpClassifier: Classifier = Object.freeze({ error: classifyError, result: classifyHttpResult });

/**
 * True when `error` proves the request never left the process, so even a non-idempotent call may
 * be retried safely. It follows `error.cause` and answers true for:
 * - a system error from `connect` or a name lookup (`syscall` `connect`, `getaddrinfo`, `query…`),
 * - a code in {@link NEVER_SENT_CODES} (`ECONNREFUSED`, `ENOTFOUND`, `EAI_AGAIN`, `EHOSTUNREACH`,
 *   `UND_ERR_CONNECT_TIMEOUT` …),
 * - a failsmall rejection whose code starts with one of {@link NEVER_SENT_PREFIXES}
 *   (`FS_ERR_BREAKER_…`, `FS_ERR_BULKHEAD_…`, throttles and limits, `FS_ERR_DNS_…`),
 * - any error with `details.neverSent === true` (how other modules say so).
 * Ambiguous failures (`ECONNRESET`, `ETIMEDOUT`, an HTTP status) answer false. Extend it through
 * the `neverSent` option of {@link retry}.
 *
 * @example
 * retry({ idempotent: false, neverSent: (e) => neverSent(e) || e instanceof MyQueueFullError });
 */
export function neverSent(error: unknown): boolean {
  try {
    return neverSentChain(error);
  } catch {
    return false;
  }
}

function neverSentChain(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const bag = asBag(current);
    if (bag === undefined) return false;
    if (asBag(bag.details)?.neverSent === true) return true;
    if (isFailsmallError(bag)) {
      const code = bag.code;
      if (NEVER_SENT_PREFIXES.some((p) => code.startsWith(p))) return true;
    } else {
      if (typeof bag.code === 'string' && NEVER_SENT_CODES.has(bag.code)) return true;
      const syscall = bag.syscall;
      if (
        syscall === 'connect' ||
        syscall === 'getaddrinfo' ||
        (typeof syscall === 'string' && syscall.startsWith('query'))
      ) {
        return true;
      }
    }
    current = bag.cause;
  }
  return false;
}
