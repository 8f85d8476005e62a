/**
 * Host name checks: lengths and labels per RFC 1035 §2.3.4 (name ≤ 253 characters written without
 * the trailing dot, labels 1–63) and RFC 1123 §2.1 (labels of letters, digits and hyphens, not
 * starting or ending with a hyphen; a leading digit allowed). Underscores are accepted too, because
 * real names carry them (`_acme-challenge`, many internal hosts) and `getaddrinfo` accepts them.
 * Names are compared case-insensitively (RFC 4343): the canonical form is lower case without a
 * trailing dot.
 *
 * @see https://www.rfc-editor.org/rfc/rfc1035#section-2.3.4
 * @see https://www.rfc-editor.org/rfc/rfc1123#section-2.1
 */
import { dnsError } from './errors.js';

/** The longest name, in characters, written without the trailing dot (RFC 1035: 255 octets on the wire). */
export const MAX_NAME_LENGTH = 253;
/** The longest label, in characters. */
export const MAX_LABEL_LENGTH = 63;

function isLabelChar(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) || // a-z
    (c >= 0x30 && c <= 0x39) || // 0-9
    c === 0x2d || // -
    c === 0x5f // _
  );
}

/**
 * Why `name` is not a valid host name, or `undefined` when it is. Expects lower case (see
 * {@link normalizeHostname}).
 */
export function hostnameProblem(name: string): string | undefined {
  if (name.length === 0) return 'the name is empty';
  if (name.length > MAX_NAME_LENGTH) return `the name is longer than ${MAX_NAME_LENGTH} characters`;
  let labelStart = 0;
  for (let i = 0; i <= name.length; i++) {
    const c = i === name.length ? 0x2e : name.charCodeAt(i);
    if (c === 0x2e) {
      const length = i - labelStart;
      if (length === 0) return 'the name has an empty label';
      if (length > MAX_LABEL_LENGTH) return `a label is longer than ${MAX_LABEL_LENGTH} characters`;
      if (name.charCodeAt(labelStart) === 0x2d || name.charCodeAt(i - 1) === 0x2d) {
        return 'a label starts or ends with a hyphen';
      }
      labelStart = i + 1;
    } else if (!isLabelChar(c)) {
      return `the name contains ${JSON.stringify(name[i])} (only letters, digits, "-" and "_" are allowed; encode IDNs as punycode)`;
    }
  }
  return undefined;
}

/**
 * The canonical form of `hostname` (lower case, no trailing dot), or `undefined` when it is not a
 * valid host name: {@link normalizeHostname} for callers that report the problem their own way. The
 * root (`''` or `'.'`) is not a host name: callers for which it means something (a zone apex) say so
 * before calling.
 *
 * @example
 * hostnameOrUndefined('Api.Example.com.'); // 'api.example.com'
 * hostnameOrUndefined('-bad.example'); // undefined (RFC 1123: a label does not start with a hyphen)
 */
export function hostnameOrUndefined(hostname: string): string | undefined {
  if (typeof hostname !== 'string') return undefined;
  let name = hostname.toLowerCase();
  if (name.length > 1 && name.charCodeAt(name.length - 1) === 0x2e) name = name.slice(0, -1);
  return hostnameProblem(name) === undefined ? name : undefined;
}

/**
 * The canonical form of `hostname` (lower case, no trailing dot). Throws `FS_ERR_DNS_INVALID_HOSTNAME`
 * when it is not a valid host name.
 *
 * @example
 * normalizeHostname('API.Example.COM.'); // 'api.example.com'
 */
export function normalizeHostname(hostname: string): string {
  if (typeof hostname !== 'string') {
    throw dnsError('FS_ERR_DNS_INVALID_HOSTNAME', `Invalid host name: expected a string, got ${typeof hostname}`, {
      hostname: String(hostname),
    });
  }
  let name = hostname.toLowerCase();
  if (name.length > 1 && name.charCodeAt(name.length - 1) === 0x2e) name = name.slice(0, -1);
  const problem = hostnameProblem(name);
  if (problem !== undefined) {
    throw dnsError('FS_ERR_DNS_INVALID_HOSTNAME', `Invalid host name ${JSON.stringify(hostname)}: ${problem}`, {
      hostname,
      problem,
    });
  }
  return name;
}
