/**
 * The resolver's cache: one entry per (family, name), bounded in size with least-recently-used
 * eviction in O(1) (three hash maps, one per family, so the hot path never builds a key string, and
 * one doubly linked list across them), TTLs with a floor and a cap, and refresh-ahead times drawn
 * in the last 10–20 % of the TTL so that a fleet started together does not refresh in lock-step.
 *
 * An entry also carries what the guard needs (its last-known-good state) and the in-flight refresh,
 * so concurrent callers share one upstream query.
 */
import type { Random } from '../core/random.js';
import { given } from '../core/given.js';
import { invalid, nonNegativeNumber, positiveInteger, ratio } from '../core/validate.js';
import { idleGuard, type GuardState } from './guard.js';
import type { DnsAddress, DnsFamily, UpstreamNegative, UpstreamResult } from './types.js';

/** The orders `dns.lookup` can return addresses in (its `order` option). */
export type AddressOrder = 'verbatim' | 'ipv4first' | 'ipv6first';

const ORDER_INDEX: Record<AddressOrder, number> = { verbatim: 0, ipv4first: 1, ipv6first: 2 };

/**
 * An immutable set of addresses as received, with the arrays `lookup` hands out built once (per
 * order, on first use) and frozen, so a cached `lookup` allocates nothing and no caller can alter
 * the cache through the array it was given.
 */
export class AddressSet {
  /** Every address, frozen, in the upstream's order (IPv4 first for wire answers). */
  readonly addresses: readonly DnsAddress[];
  /** The TTL after floor and cap, in seconds. */
  readonly ttl: number;
  /** When the set was received, in clock milliseconds. */
  readonly receivedAt: number;
  /** `hosts` when it came from the hosts file. */
  readonly source: 'fresh' | 'hosts';
  /** The upstream that answered. */
  readonly upstream: string;
  readonly #views: (readonly DnsAddress[] | undefined)[] = [undefined, undefined, undefined];

  constructor(
    addresses: readonly DnsAddress[],
    ttl: number,
    receivedAt: number,
    source: 'fresh' | 'hosts',
    upstream: string,
  ) {
    this.addresses = Object.freeze(addresses.map((a) => Object.freeze({ address: a.address, family: a.family })));
    this.ttl = ttl;
    this.receivedAt = receivedAt;
    this.source = source;
    this.upstream = upstream;
    this.#views[0] = this.addresses;
  }

  /** The addresses in `order`, frozen and shared: do not mutate. */
  view(order: AddressOrder): readonly DnsAddress[] {
    const index = ORDER_INDEX[order];
    let view = this.#views[index];
    if (view === undefined) {
      const first = order === 'ipv4first' ? 4 : 6;
      view = Object.freeze([
        ...this.addresses.filter((a) => a.family === first),
        ...this.addresses.filter((a) => a.family !== first),
      ]);
      this.#views[index] = view;
    }
    return view;
  }

  /** Whether both sets hold the same addresses (order ignored). */
  sameAddresses(other: readonly DnsAddress[]): boolean {
    if (other.length !== this.addresses.length) return false;
    return other.every((a) => this.addresses.some((b) => b.address === a.address));
  }
}

/** One cached name for one family. Fields are read and written by the resolver. */
export class CacheEntry {
  /** The set served: the latest good answer, or the last-known-good one while the guard holds. */
  data: AddressSet | undefined = undefined;
  /** A cached negative answer, for a name without a last-known-good set. */
  negative: UpstreamNegative | undefined = undefined;
  /** Until when `data` or `negative` is served without asking upstream, in clock ms. */
  expiresAt = 0;
  /** From when a cache hit starts a background refresh, in clock ms. */
  refreshAt = Infinity;
  /** When the last refresh failed (all upstreams errored), in clock ms. */
  lastFailureAt = -Infinity;
  /** The refresh in flight, shared by every caller. */
  inflight: Promise<unknown> | undefined = undefined;
  /** The last-known-good guard of this name. */
  guard: GuardState<UpstreamResult> = idleGuard;
  /** Whether independent upstreams are being asked about a held change. */
  confirming = false;
  /** The last-known-good set (the latest accepted positive answer). */
  lastKnownGood: AddressSet | undefined = undefined;
  /** @internal LRU links. */
  prev: CacheEntry | undefined = undefined;
  /** @internal */
  next: CacheEntry | undefined = undefined;

  constructor(
    readonly family: DnsFamily,
    readonly name: string,
  ) {}
}

/** Options of {@link DnsCache}. */
export interface DnsCacheOptions {
  /** The most entries kept (names × families); default 10,000. The least recently used goes first. */
  readonly maxEntries?: number;
}

/**
 * A size-bounded LRU map from (family, name) to {@link CacheEntry}. Every operation is O(1).
 *
 * @example
 * const cache = new DnsCache({ maxEntries: 2 });
 * cache.getOrCreate(4, 'a.test');
 * cache.getOrCreate(4, 'b.test');
 * cache.getOrCreate(4, 'c.test'); // evicts a.test
 */
export class DnsCache {
  readonly maxEntries: number;
  readonly #maps: [Map<string, CacheEntry>, Map<string, CacheEntry>, Map<string, CacheEntry>] = [
    new Map(),
    new Map(),
    new Map(),
  ];
  #head: CacheEntry | undefined = undefined;
  #tail: CacheEntry | undefined = undefined;
  #size = 0;
  /** Entries evicted for room so far. */
  evictions = 0;
  /** Called with each entry evicted for room. */
  onEvict: ((entry: CacheEntry) => void) | undefined = undefined;

  constructor(options: DnsCacheOptions = {}) {
    this.maxEntries = positiveInteger('maxEntries', options.maxEntries ?? 10_000);
  }

  /** The number of entries. */
  get size(): number {
    return this.#size;
  }

  #map(family: DnsFamily): Map<string, CacheEntry> {
    return this.#maps[family === 0 ? 0 : family === 4 ? 1 : 2];
  }

  /** The entry of (family, name), marked most recently used; undefined when absent. */
  get(family: DnsFamily, name: string): CacheEntry | undefined {
    const entry = this.#map(family).get(name);
    if (entry !== undefined && entry !== this.#head) this.#moveToHead(entry);
    return entry;
  }

  /** The entry without touching its recency. */
  peek(family: DnsFamily, name: string): CacheEntry | undefined {
    return this.#map(family).get(name);
  }

  /** The entry of (family, name), created (and the least recently used evicted) when absent. */
  getOrCreate(family: DnsFamily, name: string): CacheEntry {
    const existing = this.get(family, name);
    if (existing !== undefined) return existing;
    const entry = new CacheEntry(family, name);
    this.#map(family).set(name, entry);
    this.#size++;
    entry.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = entry;
    this.#head = entry;
    if (this.#tail === undefined) this.#tail = entry;
    while (this.#size > this.maxEntries && this.#tail !== undefined && this.#tail !== entry) {
      const victim = this.#tail;
      this.delete(victim);
      this.evictions++;
      this.onEvict?.(victim);
    }
    return entry;
  }

  /** Removes `entry` (no-op when it is no longer cached). */
  delete(entry: CacheEntry): void {
    const map = this.#map(entry.family);
    if (map.get(entry.name) !== entry) return;
    map.delete(entry.name);
    this.#size--;
    if (entry.prev !== undefined) entry.prev.next = entry.next;
    else this.#head = entry.next;
    if (entry.next !== undefined) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = undefined;
    entry.next = undefined;
  }

  #moveToHead(entry: CacheEntry): void {
    // unlink
    if (entry.prev !== undefined) entry.prev.next = entry.next;
    if (entry.next !== undefined) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    // link at head
    entry.prev = undefined;
    entry.next = this.#head;
    if (this.#head !== undefined) this.#head.prev = entry;
    this.#head = entry;
  }

  /** Every entry, most recently used first. */
  *entries(): IterableIterator<CacheEntry> {
    for (let entry = this.#head; entry !== undefined; entry = entry.next) yield entry;
  }

  /** Removes everything. */
  clear(): void {
    for (const map of this.#maps) map.clear();
    this.#head = undefined;
    this.#tail = undefined;
    this.#size = 0;
  }
}

/** TTL rules: floor, cap, and when to refresh ahead. All TTLs in seconds. */
export interface TtlPolicy {
  /** The floor of a positive TTL, in seconds; default 1 s, so a TTL of 0 does not mean a query per call. */
  readonly minTtl: number;
  /** The cap of a positive TTL, in seconds; default 3,600 s, so a moved endpoint is seen within the hour. */
  readonly maxTtl: number;
  /**
   * The cap of a negative TTL (NXDOMAIN/empty for a name that never resolved), in seconds; default
   * 10 s, so a name that appears is picked up quickly (on 2025-10-20 cached empty answers outlived
   * the fix by 15 minutes).
   */
  readonly maxNegativeTtl: number;
  /** The earliest refresh-ahead point, as the share of the TTL left; default 0.2 (the last 20 %). */
  readonly refreshAheadFrom: number;
  /** The latest refresh-ahead point, as the share of the TTL left; default 0.1 (the last 10 %). */
  readonly refreshAheadTo: number;
}

/** The defaults of {@link TtlPolicy}. */
export const defaultTtlPolicy: TtlPolicy = {
  minTtl: 1,
  maxTtl: 3_600,
  maxNegativeTtl: 10,
  refreshAheadFrom: 0.2,
  refreshAheadTo: 0.1,
};

/**
 * Validates a partial policy and fills in defaults.
 *
 * @example
 * ttlPolicy({ minTtl: 5 }); // { minTtl: 5, maxTtl: 3600, maxNegativeTtl: 10, … }
 */
export function ttlPolicy(options: Partial<TtlPolicy> = {}): TtlPolicy {
  const policy = { ...defaultTtlPolicy, ...given(options) };
  nonNegativeNumber('minTtl', policy.minTtl);
  nonNegativeNumber('maxTtl', policy.maxTtl);
  nonNegativeNumber('maxNegativeTtl', policy.maxNegativeTtl);
  ratio('refreshAheadFrom', policy.refreshAheadFrom);
  ratio('refreshAheadTo', policy.refreshAheadTo);
  if (policy.maxTtl < policy.minTtl) invalid('maxTtl', `a number >= minTtl (${policy.minTtl})`, policy.maxTtl);
  if (policy.refreshAheadTo > policy.refreshAheadFrom) {
    invalid('refreshAheadTo', `a ratio <= refreshAheadFrom (${policy.refreshAheadFrom})`, policy.refreshAheadTo);
  }
  return policy;
}

/**
 * A positive TTL after floor and cap, in seconds.
 *
 * @example
 * positiveTtl(0, defaultTtlPolicy); // 1
 */
export function positiveTtl(ttl: number, policy: TtlPolicy): number {
  const t = Number.isFinite(ttl) && ttl > 0 ? ttl : 0;
  return Math.min(policy.maxTtl, Math.max(policy.minTtl, t));
}

/**
 * A negative TTL after the cap, in seconds (no floor beyond 0).
 *
 * @example
 * negativeTtl(900, defaultTtlPolicy); // 10
 */
export function negativeTtl(ttl: number, policy: TtlPolicy): number {
  const t = Number.isFinite(ttl) && ttl > 0 ? ttl : 0;
  return Math.min(policy.maxNegativeTtl, t);
}

/**
 * When a cache hit should start a background refresh: a uniformly jittered point in the last
 * `refreshAheadFrom`–`refreshAheadTo` share of the TTL, in clock ms.
 *
 * @example
 * refreshTime(0, 100, seededRandom(1), defaultTtlPolicy); // between 80,000 and 90,000
 */
export function refreshTime(receivedAt: number, ttlSeconds: number, random: Random, policy: TtlPolicy): number {
  const share = policy.refreshAheadTo + random.next() * (policy.refreshAheadFrom - policy.refreshAheadTo);
  return receivedAt + ttlSeconds * 1000 * (1 - share);
}
