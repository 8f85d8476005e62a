/**
 * The one failure classifier: {@link describeFailure} turns an error into a
 * {@link FailureDescription}, {@link describeHttpResult} does the same for an HTTP response. Every
 * other view (`classifyError`, `neverSent`, `isThrottlingError`, `isOverloadError`,
 * `isTimeoutError`, the AWS retry strategy's default classifier) is a projection of it.
 *
 * How an error is read, level by level along its `cause` chain (the error itself and at most
 * {@link MAX_CAUSE_DEPTH} causes below it; the first level that says something wins):
 * 1. a failsmall error says what it is through `details.kind`, `details.neverSent` and
 *    `details.retryAfter` (ms); its code is never parsed. A failsmall error without `details.kind`
 *    says nothing itself (its cause may);
 * 2. its `code` in the {@link FAILURE_TABLE} (Node system errors, undici, `code: 'ThrottlingException'`);
 * 3. AWS SDK v3 `$retryable` (`throttling: true` → throttle, else transient);
 * 4. its `name` in the table (AWS service error names, `TimeoutError`, `AbortError`);
 * 5. an HTTP status: `$metadata.httpStatusCode` (AWS), `status`, `statusCode`, `response.status`
 *    (axios), `response.statusCode` — see {@link statusKind};
 * 6. AWS `$fault: 'client'` → fatal.
 * When no level says anything: a programming error (`TypeError`, `RangeError`, …) or a failsmall
 * error is `fatal`; anything else (an unknown error, a string, `undefined`) is `transient`.
 *
 * `neverSent` is true when the level that decided says so: a refused or unresolved connection
 * (`ECONNREFUSED`, `ENOTFOUND`, …, or a `syscall` of `connect`, `getaddrinfo`, `query…`), or a
 * failsmall rejection with `details.neverSent`. `doNotRetry` is true for a local overload
 * rejection (an open breaker, a full bulkhead, a concurrency limit: `kind: 'overload'` with
 * `neverSent: true`): failing fast is their purpose, so no retry view retries them. It is also
 * true when the other side said so: a failsmall rejection with `details.doNotRetry: true` (admit's
 * shed work), or a response carrying {@link NO_RETRY_HEADER} (`x-failsmall-no-retry: 1`, what
 * failsmall's admission control answers when a retry cannot help), on the value itself, on
 * `response` (axios) or on `$response` (AWS SDK v3 service errors).
 *
 * Pure: `now` (epoch ms) is used only to read an HTTP-date `Retry-After`; without it only
 * delta-seconds are read. A hostile error (a throwing getter) is described as `fatal`.
 */
import { isFailsmallError } from '../../core/errors.js';
import { FAILURE_KINDS, type FailureDescription, type FailureKind } from './failure.js';
import { FAILURE_TABLE, PROGRAMMING_ERROR_NAMES, statusKind, type FailureTableEntry } from './failure-table.js';
import { parseRetryAfter } from './retry-after.js';

/**
 * How many causes below the error are examined (the error itself plus 5 causes): enough for
 * `TypeError: fetch failed` → failsmall error → socket error, and a wrapper or two above them.
 */
export const MAX_CAUSE_DEPTH = 5;

/**
 * The response header by which a server asks its clients not to retry: `x-failsmall-no-retry: 1`
 * (failsmall's admission control sends it when it sheds work a retry cannot help: a standing queue,
 * an overload, a deadline that cannot be met). Read by {@link describeFailure} and
 * {@link describeHttpResult} as `doNotRetry`.
 */
export const NO_RETRY_HEADER = 'x-failsmall-no-retry';

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
 * The `Retry-After` hint carried by an error or a response, in milliseconds: `details.retryAfter`
 * (ms) on a failsmall error, or a `retry-after-ms` / `retry-after` header on `headers`,
 * `response.headers` (axios) or `$response.headers` (AWS SDK).
 *
 * @param now - epoch milliseconds, for HTTP-dates; without it only delta-seconds are read.
 * @example
 * retryAfterOf({ status: 503, headers: { 'retry-after': '2' } }, Date.now()); // 2000
 */
export function retryAfterOf(source: unknown, now?: number): number | undefined {
  const bag = asBag(source);
  if (bag === undefined) return undefined;
  if (isFailsmallError(bag)) {
    const ms = asBag(bag.details)?.retryAfter;
    if (typeof ms === 'number' && ms >= 0) return Number.isFinite(ms) ? ms : undefined;
  }
  for (const holder of [bag, asBag(bag.response), asBag(bag.$response)]) {
    if (holder === undefined || holder.headers === undefined) continue;
    const rawMs = headerOf(holder.headers, 'retry-after-ms');
    const ms = Number(rawMs);
    if (rawMs !== undefined && Number.isFinite(ms) && ms >= 0) return ms;
    const parsed = parseRetryAfter(headerOf(holder.headers, 'retry-after'), now ?? Number.NaN);
    if (parsed !== undefined) return parsed;
  }
  return undefined;
}

/** True when `holder` (a response or an error) or its `response`/`$response` carries `x-failsmall-no-retry: 1`. */
function noRetryMarked(holder: Bag | undefined): boolean {
  if (holder === undefined) return false;
  for (const h of [holder, asBag(holder.response), asBag(holder.$response)]) {
    if (h === undefined || h.headers === undefined) continue;
    const raw = headerOf(h.headers, NO_RETRY_HEADER);
    const value = Array.isArray(raw) ? (raw as unknown[])[0] : raw;
    if (value === '1' || value === 1) return true;
  }
  return false;
}

/** The description with `doNotRetry: true` (the other side asked the caller not to retry). */
function withDoNotRetry(description: FailureDescription): FailureDescription {
  return description.doNotRetry === true ? description : { ...description, doNotRetry: true };
}

/** Descriptions without status or Retry-After are shared, so describing allocates nothing. */
const SHARED = new Map<string, FailureDescription>();
for (const kind of FAILURE_KINDS) {
  for (const neverSent of [false, true]) {
    const doNotRetry = kind === 'overload' && neverSent;
    SHARED.set(`${kind}/${neverSent}`, Object.freeze({ kind, neverSent, ...(doNotRetry ? { doNotRetry } : {}) }));
  }
}

function make(kind: FailureKind, neverSent: boolean, status?: number, retryAfter?: number): FailureDescription {
  if (status === undefined && retryAfter === undefined) return SHARED.get(`${kind}/${neverSent}`)!;
  const doNotRetry = kind === 'overload' && neverSent;
  return {
    kind,
    neverSent,
    ...(status === undefined ? {} : { status }),
    ...(retryAfter === undefined ? {} : { retryAfter }),
    ...(doNotRetry ? { doNotRetry } : {}),
  };
}

const FATAL = SHARED.get('fatal/false')!;
const TRANSIENT = SHARED.get('transient/false')!;

function isKind(value: unknown): value is FailureKind {
  return typeof value === 'string' && (FAILURE_KINDS as readonly string[]).includes(value);
}

function syscallNeverSent(bag: Bag): boolean {
  const syscall = bag.syscall;
  return (
    syscall === 'connect' || syscall === 'getaddrinfo' || (typeof syscall === 'string' && syscall.startsWith('query'))
  );
}

/** An AWS error type from `x-amzn-errortype` (`ThrottlingException:http://…`) or a JSON `__type` (`ns#Name`). */
function errorTypeName(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const afterHash = value.slice(value.lastIndexOf('#') + 1);
  const colon = afterHash.indexOf(':');
  return colon === -1 ? afterHash : afterHash.slice(0, colon);
}

/** True when a 503's headers or body name a throttling error (S3 `SlowDown`, `x-amzn-errortype`). */
function saysThrottle(holder: Bag | undefined): boolean {
  if (holder === undefined) return false;
  const names = [
    errorTypeName(headerOf(holder.headers, 'x-amzn-errortype')),
    errorTypeName(headerOf(holder.headers, 'x-amz-error-code')),
  ];
  const body = asBag(holder.data) ?? asBag(holder.body);
  if (body !== undefined && typeof body.getReader !== 'function') {
    names.push(errorTypeName(body.__type), errorTypeName(body.code));
  }
  return names.some((n) => n !== undefined && FAILURE_TABLE.get(n)?.kind === 'throttle');
}

function statusOf(bag: Bag): { status: number; holder: Bag } | undefined {
  const response = asBag(bag.response);
  const candidates: [unknown, Bag | undefined][] = [
    [asBag(bag.$metadata)?.httpStatusCode, asBag(bag.$response) ?? bag],
    [bag.status, bag],
    [bag.statusCode, bag],
    [response?.status, response],
    [response?.statusCode, response],
  ];
  for (const [status, holder] of candidates) {
    if (typeof status === 'number' && status >= 100 && status < 600 && holder !== undefined) return { status, holder };
  }
  return undefined;
}

function fromEntry(entry: FailureTableEntry, bag: Bag, now: number | undefined): FailureDescription {
  const neverSent = entry.neverSent || syscallNeverSent(bag);
  const retry = entry.kind === 'throttle' || entry.kind === 'overload' || entry.kind === 'transient';
  return make(entry.kind, neverSent, statusOf(bag)?.status, retry ? retryAfterOf(bag, now) : undefined);
}

/** The description from one level of an error chain, or `undefined` when this level says nothing. */
function describeOne(bag: Bag, now: number | undefined): FailureDescription | undefined {
  if (isFailsmallError(bag)) {
    const details = asBag(bag.details);
    if (details === undefined || !isKind(details.kind)) return undefined;
    const own = make(details.kind, details.neverSent === true, undefined, retryAfterOf(bag, now));
    return details.doNotRetry === true ? withDoNotRetry(own) : own;
  }
  const code = bag.code;
  if (typeof code === 'string') {
    const entry = FAILURE_TABLE.get(code);
    if (entry !== undefined) return fromEntry(entry, bag, now);
  }
  const retryable = asBag(bag.$retryable);
  if (retryable !== undefined) {
    const kind = retryable.throttling === true ? 'throttle' : 'transient';
    return make(kind, false, statusOf(bag)?.status, retryAfterOf(bag, now));
  }
  const name = bag.name;
  if (typeof name === 'string') {
    const entry = FAILURE_TABLE.get(name);
    if (entry !== undefined) return fromEntry(entry, bag, now);
  }
  const found = statusOf(bag);
  if (found !== undefined) {
    let kind = statusKind(found.status) ?? 'fatal';
    if (kind === 'overload' && saysThrottle(found.holder)) kind = 'throttle';
    const retry = kind === 'throttle' || kind === 'overload' || kind === 'transient' || kind === 'timeout';
    return make(kind, false, found.status, retry ? retryAfterOf(bag, now) : undefined);
  }
  if (bag.$fault === 'client') return FATAL;
  if (syscallNeverSent(bag)) return SHARED.get('transient/true');
  return undefined;
}

function describeChain(error: unknown, now: number | undefined): FailureDescription {
  let current: unknown = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    const bag = asBag(current);
    if (bag === undefined) break;
    const description = describeOne(bag, now);
    if (description !== undefined) return noRetryMarked(bag) ? withDoNotRetry(description) : description;
    current = bag.cause;
  }
  const top = asBag(error);
  if (top === undefined) return TRANSIENT;
  if (isFailsmallError(top)) return FATAL;
  return typeof top.name === 'string' && PROGRAMMING_ERROR_NAMES.has(top.name) ? FATAL : TRANSIENT;
}

/**
 * Describes a thrown error (or a rejection reason of any type): its {@link FailureKind}, HTTP
 * status, `Retry-After` (ms), whether it was never sent and whether it must not be retried. See
 * the module comment for the rules, and failure-table.ts for the names, codes and statuses.
 *
 * @param error - anything that was thrown.
 * @param now - epoch milliseconds, to read an HTTP-date `Retry-After`; optional.
 * @example
 * describeFailure(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })); // { kind: 'transient', neverSent: true }
 * describeFailure({ response: { status: 429, headers: { 'retry-after': '2' } } }); // { kind: 'throttle', status: 429, retryAfter: 2000, neverSent: false }
 */
export function describeFailure(error: unknown, now?: number): FailureDescription {
  try {
    return describeChain(error, now);
  } catch {
    return FATAL; // a hostile error object (a throwing getter): do not retry what we cannot read
  }
}

/**
 * Describes an HTTP result: anything with a numeric `status` (fetch `Response`) or `statusCode`
 * (undici `request`, `http.IncomingMessage`). `undefined` for a success (below 400) or a value
 * that is not a response. 429 throttle; 408 and 504 timeout; 503 overload (throttle when
 * `x-amzn-errortype` names a throttling error); 500 and 502 transient; any other 4xx/5xx fatal.
 * A response with `x-failsmall-no-retry: 1` ({@link NO_RETRY_HEADER}) is `doNotRetry`.
 *
 * @param now - epoch milliseconds, to read an HTTP-date `Retry-After`; optional.
 * @example
 * describeHttpResult(new Response('', { status: 503, headers: { 'retry-after': '1' } })); // { kind: 'overload', status: 503, retryAfter: 1000, neverSent: false }
 */
export function describeHttpResult(value: unknown, now?: number): FailureDescription | undefined {
  try {
    const bag = asBag(value);
    if (bag === undefined) return undefined;
    const status = typeof bag.status === 'number' ? bag.status : bag.statusCode;
    if (typeof status !== 'number') return undefined;
    let kind = statusKind(status);
    if (kind === undefined) return undefined;
    if (kind === 'overload' && saysThrottle(bag)) kind = 'throttle';
    const description = make(kind, false, status, kind === 'fatal' ? undefined : retryAfterOf(bag, now));
    return noRetryMarked(bag) ? withDoNotRetry(description) : description;
  } catch {
    return undefined;
  }
}
