/**
 * The error codes of `dns/` and how each maps onto the code Node's own `dns.lookup` would give, so
 * that `resolver.lookup` fails exactly like `dns.lookup` (`err.code === 'ENOTFOUND'`) while the
 * failsmall code stays available in `err.details.code`.
 */
import { FailsmallError, type ErrorCode } from '../core/errors.js';

/** Every code `dns/` throws or reports. The table with what to do is in docs/errors.md. */
export const DnsErrorCodes = {
  /** The host name is not a valid DNS name (RFC 1035/1123 lengths and labels). */
  INVALID_HOSTNAME: 'FS_ERR_DNS_INVALID_HOSTNAME',
  /** The name does not exist (NXDOMAIN) and never resolved before. */
  NOT_FOUND: 'FS_ERR_DNS_NOT_FOUND',
  /** The name exists but has no address of the requested family (NOERROR with an empty answer). */
  NO_DATA: 'FS_ERR_DNS_NO_DATA',
  /** The upstream answered SERVFAIL. */
  SERVFAIL: 'FS_ERR_DNS_SERVFAIL',
  /** The upstream answered REFUSED. */
  REFUSED: 'FS_ERR_DNS_REFUSED',
  /** The upstream answered another error rcode (FORMERR, NOTIMP, …). */
  RCODE: 'FS_ERR_DNS_RCODE',
  /** No matching answer arrived within the upstream's timeout. */
  TIMEOUT: 'FS_ERR_DNS_TIMEOUT',
  /** Only unparseable or inconsistent responses arrived before the timeout. */
  MALFORMED: 'FS_ERR_DNS_MALFORMED',
  /** A socket error: the upstream port is closed (ICMP unreachable), a TCP reset, … */
  NETWORK: 'FS_ERR_DNS_NETWORK',
  /** A CNAME chain is longer than the limit or loops. */
  CNAME_CHAIN: 'FS_ERR_DNS_CNAME_CHAIN',
  /** The resolver was closed while the lookup waited. */
  CLOSED: 'FS_ERR_DNS_CLOSED',
  /** The last-known-good file could not be read or written (reported as an event, never thrown). */
  LKG_FILE: 'FS_ERR_DNS_LKG_FILE',
  /** The label for an error that is not a failsmall error (a custom upstream threw a plain Error); never thrown. */
  UNKNOWN: 'FS_ERR_DNS_UNKNOWN',
} as const satisfies Record<string, ErrorCode>;

/** One of {@link DnsErrorCodes}. */
export type DnsErrorCode = (typeof DnsErrorCodes)[keyof typeof DnsErrorCodes];

/** The `code` and `errno` Node's `dns.lookup` (getaddrinfo) would report for each failsmall code. */
const LOOKUP_CODES: Record<string, readonly [string, number]> = {
  FS_ERR_DNS_INVALID_HOSTNAME: ['ENOTFOUND', -3008],
  FS_ERR_DNS_NOT_FOUND: ['ENOTFOUND', -3008],
  FS_ERR_DNS_NO_DATA: ['ENOTFOUND', -3008],
  FS_ERR_DNS_CNAME_CHAIN: ['EAI_FAIL', -3004],
  FS_ERR_DNS_CLOSED: ['EAI_CANCELED', -3003],
};

/**
 * Builds a dns error.
 *
 * @example
 * throw dnsError('FS_ERR_DNS_TIMEOUT', 'no answer within 2000 ms', { server: '10.0.0.2:53' });
 */
export function dnsError(
  code: DnsErrorCode,
  message: string,
  details?: Record<string, unknown>,
  cause?: unknown,
): FailsmallError {
  // The request to the dependency was never sent: its name did not resolve. A DNS timeout is a
  // timeout, a closed resolver is fatal, anything else may pass on another try.
  const kind = code === 'FS_ERR_DNS_TIMEOUT' ? 'timeout' : code === 'FS_ERR_DNS_CLOSED' ? 'fatal' : 'transient';
  return new FailsmallError(code, message, {
    details: { kind, neverSent: true, ...details },
    ...(cause === undefined ? {} : { cause }),
  });
}

/**
 * An error shaped like the one `dns.lookup` gives (`code`, `errno`, `syscall: 'getaddrinfo'`,
 * `hostname`), with the failsmall code in `details.code` and the original error as `cause`.
 */
export interface LookupError extends Error {
  code: string;
  errno: number;
  syscall: 'getaddrinfo';
  hostname: string;
  details: { code: string } & Record<string, unknown>;
}

/**
 * Converts any error into a {@link LookupError} for `hostname`.
 *
 * @example
 * callback(toLookupError(dnsError('FS_ERR_DNS_NOT_FOUND', 'no such name'), 'x.test')); // err.code 'ENOTFOUND'
 */
export function toLookupError(error: unknown, hostname: string): LookupError {
  const fsCode = error instanceof FailsmallError ? error.code : 'FS_ERR_DNS_UNKNOWN';
  // Temporary failures (SERVFAIL, REFUSED, timeouts, network) are EAI_AGAIN, as getaddrinfo reports them.
  const [code, errno] = LOOKUP_CODES[fsCode] ?? ['EAI_AGAIN', -3001];
  const lookupError = new Error(`getaddrinfo ${code} ${hostname}`, { cause: error }) as LookupError;
  lookupError.code = code;
  lookupError.errno = errno;
  lookupError.syscall = 'getaddrinfo';
  lookupError.hostname = hostname;
  lookupError.details = {
    ...(error instanceof FailsmallError ? error.details : undefined),
    code: fsCode,
  };
  return lookupError;
}
