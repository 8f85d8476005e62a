/**
 * The shapes `dns/` shares with its users: an address, an answer with its source, and what an
 * upstream returns.
 */

/** One address of a name. */
export interface DnsAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/** The address family asked for: 0 for both, 4 for A records, 6 for AAAA records. */
export type DnsFamily = 0 | 4 | 6;

/**
 * Where an answer came from:
 * - `fresh`: straight from an upstream, for this call;
 * - `cache`: from the cache, within its TTL;
 * - `stale`: past its TTL, served because the upstreams failed or were too slow (RFC 8767);
 * - `last-known-good`: the upstream now answers empty, NXDOMAIN or far fewer addresses, and the
 *   guard keeps the last good set until the change is confirmed;
 * - `hosts`: from the hosts file (`/etc/hosts`).
 */
export type DnsSource = 'fresh' | 'cache' | 'stale' | 'last-known-good' | 'hosts';

/** What `resolver.resolve()` returns. */
export interface DnsAnswer {
  /** The name asked for, in canonical form (lower case, no trailing dot). */
  hostname: string;
  /** Every address, IPv4 first, in the order the upstream gave them within a family. */
  addresses: { address: string; family: 4 | 6 }[];
  /** How long the answer may still be used, in seconds. */
  ttl: number;
  /** How long ago the addresses were received from an upstream, in milliseconds. */
  age: number;
  /** Where the answer came from. */
  source: DnsSource;
}

/** A positive answer from an upstream. */
export interface UpstreamAddresses {
  readonly kind: 'addresses';
  /** At least one address. */
  readonly addresses: readonly DnsAddress[];
  /** The TTL in seconds as received (the minimum along a CNAME chain), before floor and cap. */
  readonly ttl: number;
  /** `hosts` when the answer came from the hosts file. */
  readonly source: 'fresh' | 'hosts';
  /** The upstream that answered. */
  readonly upstream: string;
}

/** A negative answer: NXDOMAIN, or NOERROR with no address of the family asked for. */
export interface UpstreamNegative {
  readonly kind: 'nxdomain' | 'empty';
  /** The negative-caching TTL in seconds (RFC 2308: the SOA's minimum and TTL), before the cap. */
  readonly ttl: number;
  /** The upstream that answered. */
  readonly upstream: string;
}

/** What an upstream answers. Failures (SERVFAIL, timeouts, …) are thrown as `FailsmallError`s. */
export type UpstreamResult = UpstreamAddresses | UpstreamNegative;

/**
 * A source of answers: the system resolver, a DNS server, or anything else that can answer a name
 * (the chaos lab plugs its own in).
 */
export interface Upstream {
  /** A short stable name for counters and events, e.g. `10.0.0.2:53` or `system`. */
  readonly name: string;
  /** A "second opinion" outside the provider: asked by the guard to confirm a suspicious change. */
  readonly independent: boolean;
  /** Resolves `hostname` (canonical form) for `family`; rejects with a `FailsmallError` on failure. */
  query(hostname: string, family: DnsFamily, signal?: AbortSignal): Promise<UpstreamResult>;
  /** Releases sockets; optional. */
  close?(): void | Promise<void>;
}
