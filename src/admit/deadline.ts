/**
 * The caller's deadline, read from request headers so that work which cannot finish in time is never
 * started:
 * - `x-request-deadline`: the absolute deadline as Unix epoch milliseconds (an integer, e.g.
 *   `1764614400000`), set by a caller that knows its own budget; clocks of caller and server must
 *   agree to within the margin you care about.
 * - `grpc-timeout`: the gRPC wire format, a relative timeout of 1 to 8 digits and a unit
 *   (`H` hours, `M` minutes, `S` seconds, `m` ms, `u` µs, `n` ns), e.g. `250m`.
 * When both are present the earlier deadline wins. A malformed value throws
 * `FS_ERR_ADMIT_BAD_DEADLINE` (the adapters answer 400 and keep serving).
 *
 * @see https://github.com/grpc/grpc/blob/master/doc/PROTOCOL-HTTP2.md ("Timeout")
 */
import { FailsmallError } from '../core/errors.js';

/** The header with an absolute deadline in Unix epoch ms. */
export const DEADLINE_HEADER = 'x-request-deadline';
/** The gRPC relative timeout header. */
export const GRPC_TIMEOUT_HEADER = 'grpc-timeout';

const GRPC_UNITS: Readonly<Record<string, number>> = {
  H: 3_600_000,
  M: 60_000,
  S: 1_000,
  m: 1,
  u: 1e-3,
  n: 1e-6,
};

function bad(header: string, value: unknown, why: string): never {
  const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value;
  throw new FailsmallError('FS_ERR_ADMIT_BAD_DEADLINE', `Malformed ${header} header ${shown}: ${why}`, {
    details: { header, value: typeof value === 'string' ? value.slice(0, 64) : typeof value },
  });
}

/**
 * Parses a `grpc-timeout` value into milliseconds.
 *
 * @example
 * parseGrpcTimeout('250m'); // 250
 * parseGrpcTimeout('2S'); // 2000
 */
export function parseGrpcTimeout(value: string): number {
  const match = typeof value === 'string' ? /^\s*(\d{1,8})([HMSmun])\s*$/.exec(value) : null;
  if (match === null) bad(GRPC_TIMEOUT_HEADER, value, 'expected 1 to 8 digits and a unit (H, M, S, m, u, n)');
  return Number(match[1]) * GRPC_UNITS[match[2]!]!;
}

/**
 * Parses an `x-request-deadline` value: Unix epoch milliseconds, a non-negative integer.
 *
 * @example
 * parseRequestDeadline('1764614400000'); // 1764614400000
 */
export function parseRequestDeadline(value: string): number {
  const match = typeof value === 'string' ? /^\s*(\d{1,16})\s*$/.exec(value) : null;
  if (match === null) bad(DEADLINE_HEADER, value, 'expected Unix epoch milliseconds (an integer)');
  return Number(match[1]);
}

/** A header value as Node hands it over. */
export type HeaderValue = string | readonly string[] | number | undefined;

function single(header: string, value: HeaderValue): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  if (value.length === 1) return value[0];
  if (value.length === 0) return undefined;
  return bad(header, value.join(', '), 'the header appears more than once');
}

/**
 * The time the caller has left, in ms (≤ 0 when the deadline has passed), from the request headers,
 * or `undefined` when neither header is present. Throws `FS_ERR_ADMIT_BAD_DEADLINE` for a malformed
 * value.
 *
 * @param headers - the request headers, lower-case names (as `req.headers` in Node).
 * @param epochNow - the current Unix epoch time in ms (`Date.now()`), to read `x-request-deadline`.
 */
export function remainingFromHeaders(
  headers: Readonly<Record<string, HeaderValue>>,
  epochNow: number,
): number | undefined {
  let remaining: number | undefined;
  const grpc = single(GRPC_TIMEOUT_HEADER, headers[GRPC_TIMEOUT_HEADER]);
  if (grpc !== undefined) remaining = parseGrpcTimeout(grpc);
  const deadline = single(DEADLINE_HEADER, headers[DEADLINE_HEADER]);
  if (deadline !== undefined) {
    const left = parseRequestDeadline(deadline) - epochNow;
    remaining = remaining === undefined ? left : Math.min(remaining, left);
  }
  return remaining;
}
