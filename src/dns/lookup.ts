/**
 * What `resolver.lookup` needs to behave exactly like `dns.lookup`: its option parsing and argument
 * errors, and the answers it gives without asking anyone (IP literals, `localhost`).
 */
import dns from 'node:dns';
import type { AddressOrder } from './cache.js';
import type { DnsAddress, DnsFamily } from './types.js';

/** The `dns.lookup` callback, in all its forms. */
export type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[] | null,
  family?: number,
) => void;

/** The hint flags `dns.lookup` accepts. */
const VALID_HINTS = dns.ADDRCONFIG | dns.V4MAPPED | dns.ALL;

/** An argument error shaped like Node's (`TypeError` with `code: 'ERR_INVALID_ARG_…'`). */
export function argumentError(code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE', message: string): TypeError {
  const error = new TypeError(message) as TypeError & { code: string };
  error.code = code;
  return error;
}

/** Parsed `dns.lookup` options. */
export interface LookupRequest {
  family: DnsFamily;
  all: boolean;
  hints: number;
  order: AddressOrder | undefined;
}

/** Parses a family as `dns.lookup` does: 0, 4, 6, 'IPv4', 'IPv6' (anything else throws). */
export function parseFamily(value: unknown): DnsFamily {
  if (value === undefined || value === null || value === 0) return 0;
  if (value === 4 || value === 'IPv4') return 4;
  if (value === 6 || value === 'IPv6') return 6;
  throw argumentError(
    'ERR_INVALID_ARG_VALUE',
    `The argument 'family' must be one of: 0, 4, 6, 'IPv4', 'IPv6'. Received ${String(value)}`,
  );
}

/** Parses the options object of `dns.lookup` into `request` (reused to avoid allocation). */
export function parseLookupObject(options: object, request: LookupRequest): void {
  const o = options as Record<string, unknown>;
  request.family = parseFamily(o.family);
  request.all = o.all === true;
  const hints = o.hints ?? 0;
  if (typeof hints !== 'number' || (hints & ~VALID_HINTS) !== 0) {
    throw argumentError('ERR_INVALID_ARG_VALUE', `The argument 'hints' is invalid. Received ${String(hints)}`);
  }
  request.hints = hints;
  const order = o.order;
  if (order !== undefined) {
    if (order !== 'verbatim' && order !== 'ipv4first' && order !== 'ipv6first') {
      throw argumentError(
        'ERR_INVALID_ARG_VALUE',
        `The argument 'order' must be one of: 'verbatim', 'ipv4first', 'ipv6first'. Received ${String(order)}`,
      );
    }
    request.order = order;
  } else if (o.verbatim !== undefined) {
    if (typeof o.verbatim !== 'boolean') {
      throw argumentError(
        'ERR_INVALID_ARG_TYPE',
        `The "verbatim" argument must be of type boolean. Received ${typeof o.verbatim}`,
      );
    }
    request.order = o.verbatim ? 'verbatim' : 'ipv4first';
  } else {
    request.order = undefined;
  }
}

/** The process-wide default order (`dns.setDefaultResultOrder`), as `dns.lookup` reads it. */
export function defaultOrder(): AddressOrder {
  const order = typeof dns.getDefaultResultOrder === 'function' ? dns.getDefaultResultOrder() : 'verbatim';
  return order === 'ipv4first' || order === 'ipv6first' ? order : 'verbatim';
}

const LOCALHOST: readonly DnsAddress[] = Object.freeze([
  Object.freeze({ address: '127.0.0.1', family: 4 as const }),
  Object.freeze({ address: '::1', family: 6 as const }),
]);

/** The addresses of `localhost` for `family` (RFC 6761 §6.3: always loopback, never asked upstream). */
export function localhostAddresses(family: DnsFamily): readonly DnsAddress[] {
  return family === 0 ? LOCALHOST : LOCALHOST.filter((a) => a.family === family);
}

/** Whether `hostname` is `localhost` (any case, with or without the trailing dot). */
export function isLocalhost(hostname: string): boolean {
  const lower = hostname.length <= 10 ? hostname.toLowerCase() : '';
  return lower === 'localhost' || lower === 'localhost.';
}

/** Orders `addresses` as asked. */
export function ordered(addresses: readonly DnsAddress[], order: AddressOrder): readonly DnsAddress[] {
  if (order === 'verbatim') return addresses;
  const first = order === 'ipv4first' ? 4 : 6;
  return [...addresses.filter((a) => a.family === first), ...addresses.filter((a) => a.family !== first)];
}

/** IPv4 addresses as IPv4-mapped IPv6 (`::ffff:a.b.c.d`), for the `V4MAPPED` hint. */
export function v4Mapped(addresses: readonly DnsAddress[]): DnsAddress[] {
  return addresses.filter((a) => a.family === 4).map((a) => ({ address: `::ffff:${a.address}`, family: 6 as const }));
}
