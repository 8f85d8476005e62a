/**
 * What the HTTP adapters share: reading a {@link WorkItem} from a request, and the answer clients
 * understand when work is shed.
 *
 * - Shed work gets **503** (429 when the queue-size throttle refused it: the client should slow
 *   down) with **`Retry-After`** in whole seconds (at least 1) and a JSON body
 *   `{ "code", "reason", "retryAfterMs" }`.
 * - When the shed reason is one of the admission's `noRetry` reasons the answer also carries
 *   **`x-failsmall-no-retry: 1`**: "do not retry this request, anywhere". failsmall's client
 *   classifier reads it as `doNotRetry` (the retry budget spends nothing on it); other clients can
 *   honour it with one header check.
 * - A malformed deadline header or an unknown criticality gets **400** with the error's code; the
 *   server keeps serving.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { isFailsmallError } from '../core/errors.js';
import { func, invalid, nonNegativeNumber } from '../core/validate.js';
import { NO_RETRY_HEADER } from '../policy/errors/describe-failure.js';
import type { Admission, Permit, ReleaseVerdict, WorkItem } from './admission.js';
import type { Criticality } from './criticality.js';
import { parseCriticality } from './criticality.js';
import { remainingFromHeaders } from './deadline.js';

/** The response header that tells a client not to retry: `x-failsmall-no-retry: 1` (defined where the classifier reads it). */
export { NO_RETRY_HEADER };
/** The request header a caller names its criticality in (`critical-plus`, `critical`, `sheddable-plus`, `sheddable`). */
export const CRITICALITY_HEADER = 'x-failsmall-criticality';

/** Options every HTTP adapter takes. */
export interface HttpAdmitOptions {
  /**
   * The criticality of a request: a fixed level, or a function of the request (return undefined for
   * the admission's default). Default: the `x-failsmall-criticality` header, else the default level.
   */
  readonly criticality?: Criticality | ((req: IncomingMessage) => Criticality | string | undefined);
  /** The time a request has when it carries no deadline header, in ms; default none (no deadline). */
  readonly timeout?: number;
  /** Marks re-establishment requests (admitted in waves); default none. */
  readonly wave?: (req: IncomingMessage) => boolean;
  /**
   * How a finished response feeds the limit, from its status; default `dropped` for 503, 504 and 429
   * (the handler's own dependency refused or timed out), else `success`. A response the client
   * abandoned is `ignore`.
   */
  readonly verdict?: (status: number) => ReleaseVerdict;
}

/** An answer to write: status, headers, body. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

const KNOWN = new Set(['criticality', 'timeout', 'wave', 'verdict']);

/** Validates adapter options (unknown keys are an error). */
export function resolveHttpOptions(
  options: HttpAdmitOptions | undefined,
  extra: readonly string[] = [],
): HttpAdmitOptions {
  if (options === undefined) return {};
  if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key) && !extra.includes(key))
      invalid(key, 'a known option of the admit adapter', 'an unknown option');
  }
  if (options.criticality !== undefined && typeof options.criticality !== 'function') {
    parseCriticality(options.criticality);
  }
  if (options.timeout !== undefined) nonNegativeNumber('timeout', options.timeout);
  if (options.wave !== undefined) func('wave', options.wave);
  if (options.verdict !== undefined) func('verdict', options.verdict);
  return options;
}

/**
 * The work item of a request: its criticality and the time its caller has left. Throws
 * `FS_ERR_ADMIT_BAD_DEADLINE` or `FS_ERR_ADMIT_UNKNOWN_CRITICALITY` for bad headers.
 */
export function workItemOf(req: IncomingMessage, options: HttpAdmitOptions, epochNow = Date.now()): WorkItem {
  const headers: IncomingHttpHeaders = req.headers;
  const option = options.criticality;
  let criticality: Criticality | string | undefined;
  if (typeof option === 'function') criticality = option(req);
  else if (option !== undefined) criticality = option;
  else {
    const header = headers[CRITICALITY_HEADER];
    criticality = Array.isArray(header) ? header.join(',') : header;
  }
  const remaining = remainingFromHeaders(headers, epochNow) ?? options.timeout;
  return {
    criticality: criticality === undefined ? undefined : parseCriticality(criticality),
    timeout: remaining,
    wave: options.wave?.(req) === true,
  };
}

/** The answer to a rejection from {@link Admission.acquire} or {@link workItemOf}, or undefined if it is not one. */
export function answerFor(error: unknown): HttpAnswer | undefined {
  if (!isFailsmallError(error)) return undefined;
  const code = error.code;
  if (code === 'FS_ERR_ADMIT_BAD_DEADLINE' || code === 'FS_ERR_ADMIT_UNKNOWN_CRITICALITY') {
    return {
      status: 400,
      headers: { 'content-type': 'application/json', [NO_RETRY_HEADER]: '1' },
      body: JSON.stringify({ code, message: error.message }),
    };
  }
  if (code !== 'FS_ERR_ADMIT_SHED' && code !== 'FS_ERR_ADMIT_DEADLINE') return undefined;
  const details = error.details ?? {};
  const retryAfterMs = typeof details['retryAfter'] === 'number' ? details['retryAfter'] : 1_000;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'retry-after': String(Math.max(1, Math.ceil(retryAfterMs / 1_000))),
  };
  if (details['doNotRetry'] === true) headers[NO_RETRY_HEADER] = '1';
  return {
    status: details['reason'] === 'throttled' ? 429 : 503,
    headers,
    body: JSON.stringify({ code, reason: details['reason'], retryAfterMs }),
  };
}

/** The default verdict of a finished response. */
export function defaultVerdict(status: number): ReleaseVerdict {
  return status === 503 || status === 504 || status === 429 ? 'dropped' : 'success';
}

/**
 * Admits one request: reads its work item, waits for a permit (leaving the queue when the client
 * goes away), and releases the permit when the response finishes or the connection closes. Resolves
 * with the permit, or with the {@link HttpAnswer} to send instead (the request was shed or
 * malformed). Rejects only for an unexpected error.
 */
export async function admitExchange(
  admission: Admission,
  req: IncomingMessage,
  res: ServerResponse,
  options: HttpAdmitOptions,
): Promise<Permit | HttpAnswer> {
  let item: WorkItem;
  try {
    item = workItemOf(req, options);
  } catch (error) {
    const answer = answerFor(error);
    if (answer === undefined) throw error;
    return answer;
  }
  const abandoned = new AbortController();
  const onClose = (): void => abandoned.abort();
  res.once('close', onClose);
  let permit: Permit;
  try {
    permit = await admission.acquire(item, abandoned.signal);
  } catch (error) {
    res.removeListener('close', onClose);
    const answer = answerFor(error);
    if (answer !== undefined) return answer;
    if (abandoned.signal.aborted) return { status: 499, headers: {}, body: '' };
    throw error;
  }
  res.removeListener('close', onClose);
  const verdict = options.verdict ?? defaultVerdict;
  const onFinish = (): void => permit.release(verdict(res.statusCode));
  res.once('finish', onFinish);
  res.once('close', () => {
    res.removeListener('finish', onFinish);
    permit.release(res.writableFinished ? verdict(res.statusCode) : 'ignore');
  });
  return permit;
}

/** True when `value` is an {@link HttpAnswer} rather than a permit. */
export function isAnswer(value: Permit | HttpAnswer): value is HttpAnswer {
  return 'status' in value;
}

/** Writes an answer on a bare `ServerResponse` (when headers are not sent yet). */
export function writeAnswer(res: ServerResponse, answer: HttpAnswer): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(answer.body) });
  res.end(answer.body);
}
