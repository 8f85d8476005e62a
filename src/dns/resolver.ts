/**
 * The resolver: cache, serve-stale, last-known-good guard and upstreams put together, with a
 * `lookup` that is a drop-in for `dns.lookup` and costs a few hundred nanoseconds on a cache hit.
 *
 * How one lookup goes:
 * 1. a live cache entry answers at once (`cache`, or `last-known-good` while the guard holds); a hit
 *    in the last 10–20 % of the TTL refreshes the entry in the background (refresh-ahead);
 * 2. otherwise one upstream query runs, however many callers wait (in-flight de-duplication);
 * 3. its answer goes through the guard: an empty, NXDOMAIN or much smaller answer for a name that
 *    had addresses is held back and the last-known-good set served until the change is confirmed;
 * 4. if the upstreams fail, or have not answered within the client response timer (1.8 s) while an
 *    expired entry exists, the expired entry is served (`stale`, RFC 8767), and after a failure the
 *    upstreams are not asked again for 30 s.
 */
import dns from 'node:dns';
import net from 'node:net';
import { promisify } from 'node:util';
import { raceAbort } from '../core/abort.js';
import { systemClock, type Cancel, type Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { Emitter, channel } from '../core/events.js';
import { mathRandom, type Random } from '../core/random.js';
import { duration, invalid, positiveInteger } from '../core/validate.js';
import {
  AddressSet,
  DnsCache,
  negativeTtl,
  positiveTtl,
  refreshTime,
  ttlPolicy,
  type AddressOrder,
  type CacheEntry,
  type TtlPolicy,
} from './cache.js';
import { dnsError, toLookupError } from './errors.js';
import {
  confirm,
  evidenceFresh,
  guardConfig,
  observe,
  reachable,
  releaseDue,
  unreachable,
  type GuardConfig,
  type GuardReason,
  type ReleaseReason,
} from './guard.js';
import { normalizeHostname } from './hostname.js';
import {
  argumentError,
  defaultOrder,
  isLocalhost,
  localhostAddresses,
  ordered,
  parseFamily,
  parseLookupObject,
  v4Mapped,
  type LookupCallback,
  type LookupRequest,
} from './lookup.js';
import { inFailureRecheck, serveStaleConfig, withinMaxStale, type ServeStaleConfig } from './serve-stale.js';
import { encodeSnapshot, readSnapshotFile, writeSnapshotFile, type SnapshotRecord } from './snapshot-file.js';
import { ServerUpstream, UpstreamSet, createUpstream, type UpstreamSpec, type UpstreamStrategy } from './upstream.js';
import type { DnsAddress, DnsAnswer, DnsFamily, DnsSource, UpstreamResult } from './types.js';

/** Options of {@link Resolver}. Durations in milliseconds, TTLs in seconds. */
export interface ResolverOptions {
  /**
   * Where answers come from: `'system'` (`dns.lookup`), `'ip:port'` DNS servers, option objects
   * (`{ server: 'ip:port', independent: true }`) or custom upstreams; default `['system']`.
   * Upstreams marked `independent` are the guard's second opinion and do not answer lookups.
   */
  readonly upstreams?: readonly UpstreamSpec[];
  /** `hedge` (default: the next upstream after `hedgeDelay`) or `parallel` (all at once). */
  readonly strategy?: UpstreamStrategy;
  /** How long an upstream has before the next is asked too, in ms; default 250. */
  readonly hedgeDelay?: number;
  /** How long one DNS server may take per query, in ms; default 2,000. */
  readonly timeout?: number;
  /** The floor of positive TTLs, in seconds; default 1. */
  readonly minTtl?: number;
  /** The cap of positive TTLs, in seconds; default 3,600. */
  readonly maxTtl?: number;
  /** The cap of negative TTLs (names that never resolved), in seconds; default 10. */
  readonly maxNegativeTtl?: number;
  /** The most cached (name, family) entries; default 10,000. */
  readonly maxEntries?: number;
  /** Serve-stale (RFC 8767): `false` to disable, or its timers; on by default. */
  readonly serveStale?: boolean | Partial<Omit<ServeStaleConfig, 'enabled'>>;
  /** The last-known-good guard: `false` to disable, or its settings; on by default. */
  readonly guard?: boolean | Partial<GuardConfig>;
  /** A file to persist last-known-good sets to (and read at start); default none. */
  readonly snapshotFile?: string;
  /** How long after a change the snapshot file is written, in ms; default 1,000. */
  readonly snapshotDebounce?: number;
  /** The clock for TTLs, hold-down and timers; default `systemClock`. */
  readonly clock?: Clock;
  /** The source of jitter for refresh times; default `Math.random`. */
  readonly random?: Random;
}

/** Events of a {@link Resolver}. `at` is clock ms. */
export type DnsEvent =
  | {
      readonly type: 'guard-engaged';
      readonly hostname: string;
      readonly family: DnsFamily;
      readonly reason: GuardReason;
      readonly lastKnownGood: readonly DnsAddress[];
      readonly at: number;
    }
  | {
      readonly type: 'guard-released';
      readonly hostname: string;
      readonly family: DnsFamily;
      readonly reason: ReleaseReason;
      readonly heldFor: number;
      readonly at: number;
    }
  | {
      /**
       * The reachability evidence of an engaged guard changed: a last-known-good address accepted a
       * connection when there was no fresh evidence (`reachable: true`), or every address of the
       * set failed since the last success (`reachable: false`: the evidence is void). Not emitted
       * for every report.
       */
      readonly type: 'guard-evidence';
      readonly hostname: string;
      readonly family: DnsFamily;
      readonly reachable: boolean;
      readonly address: string;
      readonly at: number;
    }
  | {
      readonly type: 'stale-served';
      readonly hostname: string;
      readonly family: DnsFamily;
      readonly expiredFor: number;
      readonly at: number;
    }
  | { readonly type: 'upstream-error'; readonly upstream: string; readonly code: string; readonly at: number }
  | { readonly type: 'snapshot-loaded'; readonly file: string; readonly entries: number; readonly at: number }
  | {
      readonly type: 'snapshot-ignored';
      readonly file: string;
      readonly code: string;
      readonly reason: string;
      readonly at: number;
    }
  | { readonly type: 'snapshot-saved'; readonly file: string; readonly entries: number; readonly at: number }
  | {
      readonly type: 'snapshot-error';
      readonly file: string;
      readonly code: string;
      readonly reason: string;
      readonly at: number;
    };

/** Counters of a {@link Resolver}. */
export interface ResolverCounters {
  /** `resolve` and `lookup` calls for names (IP literals and localhost excluded). */
  queries: number;
  /** Answered from a live cache entry (positive or negative). */
  hits: number;
  /** Needed an upstream (or a stale entry). */
  misses: number;
  /** Callers that joined a query already in flight. */
  coalesced: number;
  /** Queries sent to the upstream set. */
  upstreamQueries: number;
  /** Of which refresh-ahead. */
  refreshAhead: number;
  /** Refreshes that failed (every upstream errored). */
  refreshFailures: number;
  staleServed: number;
  lastKnownGoodServed: number;
  guardEngagements: number;
  guardReleases: number;
  /** Calls of {@link Resolver.reportReachable} (every successful connect of a reporting client). */
  reachableReports: number;
  /** Calls of {@link Resolver.reportUnreachable}. */
  unreachableReports: number;
}

/** What the resolver serves: a set, its source and TTL. */
interface Served {
  readonly set: AddressSet;
  readonly source: DnsSource;
  readonly ttl: number;
}

/** The outcome of a refresh, shared by every caller that waited on it. */
type Outcome = { readonly set: AddressSet; readonly source: DnsSource } | { readonly error: FailsmallError };

const guardChannel = channel('dns', 'guard');
const staleChannel = channel('dns', 'stale');

/**
 * A caching DNS resolver that keeps the last known good addresses of a name when its upstream
 * starts answering empty, NXDOMAIN or much smaller sets, serves stale answers when upstreams fail
 * (RFC 8767), and offers a `lookup` that drops into `net`, `http`, undici and the AWS SDK.
 *
 * @example
 * const resolver = new Resolver({ upstreams: ['10.0.0.2:53', { server: '8.8.8.8:53', independent: true }] });
 * const answer = await resolver.resolve('api.example.com');
 * console.log(answer.addresses, answer.source); // [...], 'fresh'
 * http.get({ host: 'api.example.com', lookup: resolver.lookup });
 * resolver.events.on((e) => { if (e.type === 'guard-engaged') console.warn('DNS lies about', e.hostname); });
 * await resolver.close();
 * @see https://www.rfc-editor.org/rfc/rfc8767
 */
export class Resolver {
  /** Guard, stale, upstream and snapshot events. */
  readonly events = new Emitter<DnsEvent>();
  /**
   * `dns.lookup`, bound: pass it as `lookup` to `net.connect`, `http.request`, `http.Agent`,
   * undici's `connect` options, got, axios… Errors look like Node's (`code: 'ENOTFOUND'`,
   * `syscall: 'getaddrinfo'`, `hostname`) and carry the failsmall code in `details.code`. The
   * `ADDRCONFIG` hint is accepted and ignored; `V4MAPPED` (with `ALL`) is honoured.
   */
  readonly lookup: typeof dns.lookup;

  readonly #cache: DnsCache;
  readonly #upstreams: UpstreamSet;
  readonly #ttl: TtlPolicy;
  readonly #stale: ServeStaleConfig;
  readonly #guard: GuardConfig | undefined;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #snapshotFile: string | undefined;
  readonly #snapshotDebounce: number;
  #snapshotTimer: Cancel | undefined;
  #snapshotWriting: Promise<void> | undefined;
  #snapshotDirty = false;
  #closed = false;
  readonly #counters: ResolverCounters = {
    queries: 0,
    hits: 0,
    misses: 0,
    coalesced: 0,
    upstreamQueries: 0,
    refreshAhead: 0,
    refreshFailures: 0,
    staleServed: 0,
    lastKnownGoodServed: 0,
    guardEngagements: 0,
    guardReleases: 0,
    reachableReports: 0,
    unreachableReports: 0,
  };
  /** Reused by `lookup` to parse options without allocating. */
  readonly #request: LookupRequest = { family: 0, all: false, hints: 0, order: undefined };

  constructor(options: ResolverOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? mathRandom;
    this.#ttl = ttlPolicy({
      ...(options.minTtl === undefined ? {} : { minTtl: options.minTtl }),
      ...(options.maxTtl === undefined ? {} : { maxTtl: options.maxTtl }),
      ...(options.maxNegativeTtl === undefined ? {} : { maxNegativeTtl: options.maxNegativeTtl }),
    });
    this.#stale =
      options.serveStale === false
        ? serveStaleConfig({ enabled: false })
        : serveStaleConfig(options.serveStale === true || options.serveStale === undefined ? {} : options.serveStale);
    this.#guard =
      options.guard === false
        ? undefined
        : guardConfig(options.guard === true || options.guard === undefined ? {} : options.guard);
    this.#cache = new DnsCache({ maxEntries: positiveInteger('maxEntries', options.maxEntries ?? 10_000) });
    const specs = options.upstreams ?? ['system'];
    if (!Array.isArray(specs) || specs.length === 0) invalid('upstreams', 'a non-empty array', specs);
    const timeout = duration('timeout', options.timeout ?? 2_000);
    this.#upstreams = new UpstreamSet(
      specs.map((spec) => createUpstream(spec, { timeout, clock: this.#clock })),
      {
        ...(options.strategy === undefined ? {} : { strategy: options.strategy }),
        ...(options.hedgeDelay === undefined ? {} : { hedgeDelay: options.hedgeDelay }),
        clock: this.#clock,
      },
    );
    this.#upstreams.onError = (upstream, error) => {
      if (!this.events.hasListeners) return;
      const code = error instanceof FailsmallError ? error.code : 'FS_ERR_DNS_UNKNOWN';
      this.events.emit({ type: 'upstream-error', upstream, code, at: this.#clock.now() });
    };
    this.#snapshotFile = options.snapshotFile;
    this.#snapshotDebounce = duration('snapshotDebounce', options.snapshotDebounce ?? 1_000);
    if (this.#snapshotFile !== undefined) this.#loadSnapshot(this.#snapshotFile);
    const lookup = this.#lookup.bind(this);
    // As dns.lookup: util.promisify(resolver.lookup) resolves with { address, family } (or the array with `all`).
    Object.defineProperty(lookup, promisify.custom, {
      value: (hostname: string, options?: unknown): Promise<unknown> =>
        new Promise((resolve, reject) => {
          lookup(hostname, options ?? {}, (error, address, family) => {
            if (error) reject(error);
            else resolve(Array.isArray(address) ? address : { address, family });
          });
        }),
    });
    this.lookup = lookup as unknown as typeof dns.lookup;
  }

  /**
   * Resolves `hostname` to its addresses, with their TTL, age and source.
   *
   * @param options.family - 0 (default: both), 4 or 6.
   * @param options.signal - stops waiting (the shared upstream query goes on for other callers).
   * @throws `FS_ERR_DNS_NOT_FOUND` / `FS_ERR_DNS_NO_DATA` for a name that never resolved and has no
   * address; `FS_ERR_DNS_INVALID_HOSTNAME`; upstream failures (`FS_ERR_DNS_TIMEOUT`, …) when no stale
   * or last-known-good answer exists.
   */
  async resolve(hostname: string, options: { family?: DnsFamily; signal?: AbortSignal } = {}): Promise<DnsAnswer> {
    const family = parseFamilyOption(options.family);
    if (this.#closed) throw dnsError('FS_ERR_DNS_CLOSED', 'The resolver is closed');
    const literal = typeof hostname === 'string' ? net.isIP(hostname) : 0;
    if (literal !== 0) {
      return {
        hostname,
        addresses: [{ address: hostname, family: literal === 6 ? 6 : 4 }],
        ttl: this.#ttl.maxTtl,
        age: 0,
        source: 'fresh',
      };
    }
    if (typeof hostname === 'string' && isLocalhost(hostname)) {
      return {
        hostname: 'localhost',
        addresses: localhostAddresses(family).map((a) => ({ ...a })),
        ttl: this.#ttl.maxTtl,
        age: 0,
        source: 'hosts',
      };
    }
    const name = normalizeHostname(hostname);
    const served = await this.#serve(family, name, options.signal);
    return {
      hostname: name,
      addresses: served.set.addresses.map((a) => ({ address: a.address, family: a.family })),
      ttl: served.ttl,
      age: Math.max(0, this.#clock.now() - served.set.receivedAt),
      source: served.source,
    };
  }

  /**
   * Reports that a connection to `address` of `hostname` succeeded: evidence that the name's
   * last-known-good set still works. While the guard holds that set, the hold-down does not release
   * as long as such a report is younger than `guard.reachableWithin` (5 min by default); after
   * `guard.maxHold` (24 h) the change is believed anyway. A no-op for a name whose guard is not
   * engaged: O(1), a few map lookups and no allocation, cheap enough for every connect. failsmall's
   * `Connector` calls it by itself.
   *
   * @param now - when it happened, in this resolver's clock ms; default its clock's now. Leave it out
   * when the caller runs on another clock (the replay's resolver runs on scenario time).
   * @example
   * const socket = net.connect({ host: address, port }, () => resolver.reportReachable('api.example.com', address));
   */
  reportReachable(hostname: string, address: string, now?: number): void {
    this.#counters.reachableReports++;
    this.#report(hostname, address, true, now);
  }

  /**
   * Reports that a connection to `address` of `hostname` failed (refused, reset, timed out). Once
   * every address of the held last-known-good set has failed since the last success, the evidence is
   * void and the hold-down applies as if nobody had connected: when it has already passed, the name
   * is asked again on the next resolution and the change believed. A no-op when the guard is not
   * engaged; as cheap as {@link reportReachable}.
   *
   * @example
   * socket.on('error', () => resolver.reportUnreachable('api.example.com', address));
   */
  reportUnreachable(hostname: string, address: string, now?: number): void {
    this.#counters.unreachableReports++;
    this.#report(hostname, address, false, now);
  }

  #report(hostname: string, address: string, ok: boolean, now: number | undefined): void {
    if (this.#guard === undefined || typeof hostname !== 'string' || typeof address !== 'string') return;
    let found = this.#reportTo(0, hostname, address, ok, now);
    found = this.#reportTo(4, hostname, address, ok, now) || found;
    found = this.#reportTo(6, hostname, address, ok, now) || found;
    if (found || hostname.length === 0) return;
    // Not cached under the name as given: try its normal form (lower case, no final dot).
    let name: string;
    try {
      name = normalizeHostname(hostname);
    } catch {
      return;
    }
    if (name === hostname) return;
    this.#reportTo(0, name, address, ok, now);
    this.#reportTo(4, name, address, ok, now);
    this.#reportTo(6, name, address, ok, now);
  }

  /** Feeds a report to the guard of (family, name); false when there is no such entry. */
  #reportTo(family: DnsFamily, name: string, address: string, ok: boolean, at: number | undefined): boolean {
    const entry = this.#cache.peek(family, name);
    if (entry === undefined) return false;
    const guard = this.#guard;
    if (!entry.guard.engaged || guard === undefined) return true;
    const now = at ?? this.#clock.now();
    const before = entry.guard;
    const lkg = entry.lastKnownGood?.addresses;
    if (ok) {
      const wasFresh = evidenceFresh(before, now, guard);
      entry.guard = reachable(before, lkg, address, now);
      if (!wasFresh && entry.guard !== before) this.#evidenceEvent(entry, true, address, now);
      return true;
    }
    entry.guard = unreachable(before, lkg, address, now);
    if (entry.guard !== before && before.reachableAt !== -Infinity && entry.guard.reachableAt === -Infinity) {
      this.#evidenceEvent(entry, false, address, now);
    }
    // Every address failed and the hold would release now: recheck the name on the next resolution.
    if (entry.guard !== before && releaseDue(entry.guard, now, guard) !== undefined) {
      entry.expiresAt = Math.min(entry.expiresAt, now);
    }
    return true;
  }

  #evidenceEvent(entry: CacheEntry, ok: boolean, address: string, now: number): void {
    const event: DnsEvent = {
      type: 'guard-evidence',
      hostname: entry.name,
      family: entry.family,
      reachable: ok,
      address,
      at: now,
    };
    if (guardChannel.hasSubscribers) guardChannel.publish(event);
    if (this.events.hasListeners) this.events.emit(event);
  }

  /** Counters, cache size, guards engaged and per-upstream counters, as plain JSON. */
  snapshot(): Record<string, unknown> {
    let guardsEngaged = 0;
    let guardsHeldByEvidence = 0;
    let negativeEntries = 0;
    const now = this.#clock.now();
    for (const entry of this.#cache.entries()) {
      if (entry.guard.engaged) guardsEngaged++;
      if (this.#guard !== undefined && evidenceFresh(entry.guard, now, this.#guard)) guardsHeldByEvidence++;
      if (entry.negative !== undefined) negativeEntries++;
    }
    const wire: Record<string, unknown> = {};
    for (const upstream of [...this.#upstreams.racing, ...this.#upstreams.independents]) {
      if (upstream instanceof ServerUpstream) wire[upstream.name] = upstream.client.snapshot();
    }
    return {
      ...this.#counters,
      entries: this.#cache.size,
      negativeEntries,
      evictions: this.#cache.evictions,
      guardsEngaged,
      guardsHeldByEvidence,
      upstreams: this.#upstreams.snapshot(),
      wire,
      closed: this.#closed,
    };
  }

  /**
   * The entries whose guard currently holds a last-known-good set back, for status pages;
   * `reachableAt` is the last report that an address of the set accepted a connection (clock ms,
   * null when none or voided).
   */
  guarded(): {
    hostname: string;
    family: DnsFamily;
    reason: GuardReason | undefined;
    since: number;
    reachableAt: number | null;
  }[] {
    const list = [];
    for (const entry of this.#cache.entries()) {
      if (entry.guard.engaged)
        list.push({
          hostname: entry.name,
          family: entry.family,
          reason: entry.guard.reason,
          since: entry.guard.since,
          reachableAt: entry.guard.reachableAt === -Infinity ? null : entry.guard.reachableAt,
        });
    }
    return list;
  }

  /** Writes the snapshot file now (if one is configured and something changed). */
  async flushSnapshot(): Promise<void> {
    this.#snapshotTimer?.();
    this.#snapshotTimer = undefined;
    while (this.#snapshotWriting !== undefined) await this.#snapshotWriting;
    if (this.#snapshotDirty) await this.#writeSnapshot();
  }

  /** Writes a pending snapshot, closes the upstream sockets; later calls fail with `FS_ERR_DNS_CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.flushSnapshot().catch(() => undefined);
    await this.#upstreams.close();
  }

  // ---- lookup: the hot path ------------------------------------------------------------------

  #lookup(hostname: string, options: unknown, callback?: LookupCallback): void {
    const request = this.#request;
    if (typeof options === 'function') {
      callback = options as LookupCallback;
      request.family = 0;
      request.all = false;
      request.hints = 0;
      request.order = undefined;
    } else if (typeof options === 'number') {
      request.family = parseFamily(options);
      request.all = false;
      request.hints = 0;
      request.order = undefined;
    } else if (options !== undefined && options !== null) {
      if (typeof options !== 'object') {
        throw argumentError(
          'ERR_INVALID_ARG_TYPE',
          `The "options" argument must be of type object. Received ${typeof options}`,
        );
      }
      parseLookupObject(options, request);
    } else {
      request.family = 0;
      request.all = false;
      request.hints = 0;
      request.order = undefined;
    }
    if (typeof callback !== 'function') {
      throw argumentError(
        'ERR_INVALID_ARG_TYPE',
        `The "callback" argument must be of type function. Received ${typeof callback}`,
      );
    }
    if (typeof hostname !== 'string') {
      throw argumentError(
        'ERR_INVALID_ARG_TYPE',
        `The "hostname" argument must be of type string. Received ${typeof hostname}`,
      );
    }
    const { family, all, hints } = request;
    const order = request.order ?? defaultOrder();
    // The hot path: a live entry under the name as given. No promise, no allocation.
    const entry = this.#cache.get(family, hostname);
    if (entry !== undefined && entry.data !== undefined && (hints & dns.V4MAPPED) === 0 && !this.#closed) {
      const now = this.#clock.now();
      if (now < entry.expiresAt) {
        this.#counters.queries++;
        this.#counters.hits++;
        if (entry.guard.engaged) this.#counters.lastKnownGoodServed++;
        else if (now >= entry.refreshAt) this.#refreshAhead(entry);
        const view = entry.data.view(order);
        // queueMicrotask, not process.nextTick: measured ~15-20 % cheaper per awaited lookup (a
        // connect at a time, the common case) and within 10 % for bursts; both call back
        // asynchronously and report a throwing callback as an uncaught exception, as dns.lookup does.
        const cb = callback;
        if (all) queueMicrotask(() => cb(null, view as dns.LookupAddress[]));
        else {
          const first = view[0]!;
          queueMicrotask(() => cb(null, first.address, first.family));
        }
        return;
      }
    }
    this.#lookupSlow(hostname, family, all, hints, order, callback);
  }

  #lookupSlow(
    hostname: string,
    family: DnsFamily,
    all: boolean,
    hints: number,
    order: AddressOrder,
    callback: LookupCallback,
  ): void {
    if (hostname.length === 0) {
      // As dns.lookup: an empty name resolves to nothing, without error.
      if (all) process.nextTick(callback, null, []);
      else process.nextTick(callback, null, null, family === 6 ? 6 : 4);
      return;
    }
    const literal = net.isIP(hostname);
    if (literal !== 0) {
      if (all) process.nextTick(callback, null, [{ address: hostname, family: literal }]);
      else process.nextTick(callback, null, hostname, literal);
      return;
    }
    if (isLocalhost(hostname)) {
      this.#deliver(ordered(localhostAddresses(family), order), all, callback);
      return;
    }
    if (this.#closed) {
      process.nextTick(
        callback,
        toLookupError(dnsError('FS_ERR_DNS_CLOSED', 'The resolver is closed'), hostname),
        null,
      );
      return;
    }
    let name: string;
    try {
      name = normalizeHostname(hostname);
    } catch (error) {
      process.nextTick(callback, toLookupError(error, hostname), null);
      return;
    }
    const mapped = family === 6 && (hints & dns.V4MAPPED) !== 0;
    const done = (error: unknown, addresses: readonly DnsAddress[] | undefined): void => {
      // Call back outside the promise chain, so an exception in the callback surfaces as it would with dns.lookup.
      if (addresses === undefined) process.nextTick(callback, toLookupError(error, hostname), null);
      else this.#deliver(addresses, all, callback);
    };
    if (!mapped) {
      this.#serve(family, name, undefined).then(
        (served) => done(undefined, served.set.view(order)),
        (error: unknown) => done(error, undefined),
      );
      return;
    }
    // V4MAPPED: IPv4 addresses as ::ffff:a.b.c.d when there is no IPv6 address (or always, with ALL).
    const withAll = (hints & dns.ALL) !== 0;
    this.#serve(6, name, undefined).then(
      (served) => {
        if (!withAll || !all) return done(undefined, served.set.addresses);
        this.#serve(4, name, undefined).then(
          (v4) => done(undefined, [...served.set.addresses, ...v4Mapped(v4.set.addresses)]),
          () => done(undefined, served.set.addresses),
        );
      },
      (error: unknown) =>
        this.#serve(4, name, undefined).then(
          (v4) => done(undefined, v4Mapped(v4.set.addresses)),
          () => done(error, undefined),
        ),
    );
  }

  #deliver(addresses: readonly DnsAddress[], all: boolean, callback: LookupCallback): void {
    if (all) {
      process.nextTick(callback, null, addresses as dns.LookupAddress[]);
      return;
    }
    const first = addresses[0];
    if (first === undefined) process.nextTick(callback, null, null, 4);
    else process.nextTick(callback, null, first.address, first.family);
  }

  // ---- resolution --------------------------------------------------------------------------

  /** Serves (family, name): from the cache, a refresh, or a stale / last-known-good set. */
  async #serve(family: DnsFamily, name: string, signal: AbortSignal | undefined): Promise<Served> {
    if (this.#closed) throw dnsError('FS_ERR_DNS_CLOSED', 'The resolver is closed');
    this.#counters.queries++;
    const now = this.#clock.now();
    let entry = this.#cache.get(family, name);
    if (entry !== undefined && now < entry.expiresAt) {
      if (entry.data !== undefined) {
        this.#counters.hits++;
        if (entry.guard.engaged) {
          this.#counters.lastKnownGoodServed++;
          return { set: entry.data, source: 'last-known-good', ttl: remaining(entry.expiresAt, now) };
        }
        if (now >= entry.refreshAt) this.#refreshAhead(entry);
        return {
          set: entry.data,
          source: entry.data.source === 'hosts' ? 'hosts' : 'cache',
          ttl: remaining(entry.expiresAt, now),
        };
      }
      if (entry.negative !== undefined) {
        this.#counters.hits++;
        throw this.#negativeError(entry.negative.kind, name, family, entry.negative.upstream);
      }
    }
    this.#counters.misses++;
    entry ??= this.#cache.getOrCreate(family, name);
    const stale =
      entry.data !== undefined && withinMaxStale(entry.expiresAt, now, this.#stale) ? entry.data : undefined;
    if (stale !== undefined && inFailureRecheck(entry.lastFailureAt, now, this.#stale)) {
      // RFC 8767 §5: a refresh failed less than the failure recheck timer ago: answer stale at once.
      return this.#serveStale(entry, stale, now);
    }
    if (entry.inflight !== undefined) this.#counters.coalesced++;
    const refresh = this.#refresh(entry);
    if (stale === undefined) {
      const outcome = await raceAbort(refresh, signal);
      if ('error' in outcome) throw outcome.error;
      return this.#servedOf(entry, outcome, this.#clock.now());
    }
    // A stale entry exists: wait for the upstream at most the client response timer.
    const raced = await raceTimer(refresh, this.#stale.clientResponseTimer, this.#clock, signal);
    const at = this.#clock.now();
    if (raced.kind === 'done') {
      // The upstream answered in time; a negative outcome here is one the guard accepted.
      if ('error' in raced.outcome) throw raced.outcome.error;
      return this.#servedOf(entry, raced.outcome, at);
    }
    return this.#serveStale(entry, stale, at);
  }

  #servedOf(entry: CacheEntry, outcome: { set: AddressSet; source: DnsSource }, now: number): Served {
    if (outcome.source === 'last-known-good') {
      this.#counters.lastKnownGoodServed++;
      return { set: outcome.set, source: outcome.source, ttl: remaining(entry.expiresAt, now) };
    }
    return { set: outcome.set, source: outcome.source, ttl: outcome.set.ttl };
  }

  #serveStale(entry: CacheEntry, stale: AddressSet, now: number): Served {
    if (entry.guard.engaged) {
      this.#counters.lastKnownGoodServed++;
      return { set: stale, source: 'last-known-good', ttl: this.#stale.staleAnswerTtl };
    }
    this.#counters.staleServed++;
    const expiredFor = Math.max(0, now - entry.expiresAt);
    if (staleChannel.hasSubscribers) staleChannel.publish({ hostname: entry.name, family: entry.family, expiredFor });
    if (this.events.hasListeners) {
      this.events.emit({ type: 'stale-served', hostname: entry.name, family: entry.family, expiredFor, at: now });
    }
    return { set: stale, source: 'stale', ttl: this.#stale.staleAnswerTtl };
  }

  #refreshAhead(entry: CacheEntry): void {
    if (entry.inflight !== undefined || this.#closed) return;
    this.#counters.refreshAhead++;
    this.#refresh(entry).catch(() => undefined);
  }

  /**
   * One upstream query for `entry`, shared by every caller. Resolves with the outcome (a set with
   * its source, or a negative answer's error); rejects when every upstream failed.
   */
  #refresh(entry: CacheEntry): Promise<Outcome> {
    if (entry.inflight !== undefined) return entry.inflight as Promise<Outcome>;
    this.#counters.upstreamQueries++;
    const promise = this.#upstreams.query(entry.name, entry.family).then(
      (result) => this.#apply(entry, result, this.#clock.now()),
      (error: unknown) => {
        entry.lastFailureAt = this.#clock.now();
        this.#counters.refreshFailures++;
        if (entry.data === undefined && entry.negative === undefined && entry.lastKnownGood === undefined) {
          this.#cache.delete(entry); // nothing worth keeping for a name that never answered
        }
        throw error;
      },
    );
    entry.inflight = promise;
    const clear = (): void => {
      if (entry.inflight === promise) entry.inflight = undefined;
    };
    promise.then(clear, clear);
    return promise;
  }

  /** Runs an upstream answer through the guard and updates the entry. */
  #apply(entry: CacheEntry, raw: UpstreamResult, now: number): Outcome {
    const result = sanitize(raw, entry.family);
    if (this.#guard === undefined || (result.kind === 'addresses' && result.source === 'hosts')) {
      return this.#adopt(entry, result, now);
    }
    const decision = observe(entry.guard, entry.lastKnownGood?.addresses, result, now, this.#guard);
    entry.guard = decision.state;
    if (decision.event !== undefined) this.#guardEvent(entry, decision.event);
    if (decision.action === 'accept') return this.#adopt(entry, decision.adopt, now);
    return this.#hold(entry, now);
  }

  /** The guard holds: serve the last-known-good set until the next recheck. */
  #hold(entry: CacheEntry, now: number): Outcome {
    const lkg = entry.lastKnownGood!;
    entry.data = lkg;
    entry.negative = undefined;
    // Recheck within the stale answer TTL (30 s), sooner when the set's own TTL is shorter.
    entry.expiresAt = now + Math.max(1, Math.min(lkg.ttl, this.#stale.staleAnswerTtl)) * 1000;
    entry.refreshAt = Infinity;
    entry.lastFailureAt = -Infinity;
    this.#askIndependents(entry);
    return { set: lkg, source: 'last-known-good' };
  }

  /** Accepts an answer: a new set (which becomes the last-known-good) or a negative answer. */
  #adopt(entry: CacheEntry, result: UpstreamResult, now: number): Outcome {
    entry.lastFailureAt = -Infinity;
    if (result.kind === 'addresses') {
      const ttl = positiveTtl(result.ttl, this.#ttl);
      const set = new AddressSet(result.addresses, ttl, now, result.source, result.upstream);
      const changed = entry.lastKnownGood === undefined || !entry.lastKnownGood.sameAddresses(set.addresses);
      entry.data = set;
      entry.lastKnownGood = set;
      entry.negative = undefined;
      entry.expiresAt = now + ttl * 1000;
      entry.refreshAt = refreshTime(now, ttl, this.#random, this.#ttl);
      // Written when the set changes (not on every refresh of the same set).
      if (changed) this.#scheduleSnapshot(true);
      return { set, source: result.source };
    }
    const hadLkg = entry.lastKnownGood !== undefined;
    entry.data = undefined;
    entry.lastKnownGood = undefined;
    entry.negative = result;
    entry.expiresAt = now + negativeTtl(result.ttl, this.#ttl) * 1000;
    entry.refreshAt = Infinity;
    if (hadLkg) this.#scheduleSnapshot(true);
    return { error: this.#negativeError(result.kind, entry.name, entry.family, result.upstream) };
  }

  #negativeError(kind: 'nxdomain' | 'empty', name: string, family: DnsFamily, upstream: string): FailsmallError {
    return kind === 'nxdomain'
      ? dnsError('FS_ERR_DNS_NOT_FOUND', `${name} does not exist (NXDOMAIN from ${upstream})`, {
          hostname: name,
          family,
          upstream,
        })
      : dnsError(
          'FS_ERR_DNS_NO_DATA',
          `${name} has no ${familyLabel(family)} address (empty answer from ${upstream})`,
          {
            hostname: name,
            family,
            upstream,
          },
        );
  }

  /** While the guard holds, asks the independent upstreams whether they see the change too. */
  #askIndependents(entry: CacheEntry): void {
    const guard = this.#guard;
    if (guard === undefined || guard.confirmations === 0 || this.#upstreams.independents.length === 0) return;
    if (entry.confirming || this.#closed) return;
    entry.confirming = true;
    void this.#upstreams.queryIndependents(entry.name, entry.family).then((results) => {
      entry.confirming = false;
      const now = this.#clock.now();
      for (const { upstream, result } of results) {
        if (result === undefined || !entry.guard.engaged) continue;
        const decision = confirm(entry.guard, entry.lastKnownGood?.addresses, upstream, result, now, guard);
        entry.guard = decision.state;
        if (decision.event !== undefined) this.#guardEvent(entry, decision.event);
        if (decision.action === 'accept') {
          this.#adopt(entry, decision.adopt, now);
          break;
        }
      }
    });
  }

  #guardEvent(
    entry: CacheEntry,
    event:
      | { type: 'guard-engaged'; reason: GuardReason; at: number }
      | { type: 'guard-released'; reason: ReleaseReason; at: number; heldFor: number },
  ): void {
    let full: DnsEvent;
    if (event.type === 'guard-engaged') {
      this.#counters.guardEngagements++;
      full = {
        type: 'guard-engaged',
        hostname: entry.name,
        family: entry.family,
        reason: event.reason,
        lastKnownGood: entry.lastKnownGood?.addresses ?? [],
        at: event.at,
      };
    } else {
      this.#counters.guardReleases++;
      full = {
        type: 'guard-released',
        hostname: entry.name,
        family: entry.family,
        reason: event.reason,
        heldFor: event.heldFor,
        at: event.at,
      };
    }
    if (guardChannel.hasSubscribers) guardChannel.publish(full);
    this.events.emit(full);
  }

  // ---- snapshot file ---------------------------------------------------------------------------

  #loadSnapshot(file: string): void {
    const now = this.#clock.now();
    const read = readSnapshotFile(file, { now, maxEntries: this.#cache.maxEntries });
    for (const record of read.records) {
      const entry = this.#cache.getOrCreate(record.family, record.name);
      const set = new AddressSet(record.addresses, record.ttl, record.receivedAt, 'fresh', 'snapshot');
      entry.data = set;
      entry.lastKnownGood = set;
      entry.expiresAt = record.receivedAt + record.ttl * 1000;
      entry.refreshAt = Infinity;
    }
    // Listeners subscribe after construction: report on the next tick.
    process.nextTick(() => {
      if (read.problem !== undefined) {
        this.events.emit({
          type: 'snapshot-ignored',
          file,
          code: 'FS_ERR_DNS_SNAPSHOT',
          reason: read.problem,
          at: now,
        });
      }
      if (read.records.length > 0)
        this.events.emit({ type: 'snapshot-loaded', file, entries: read.records.length, at: now });
    });
  }

  #scheduleSnapshot(changed: boolean): void {
    if (this.#snapshotFile === undefined || !changed) return;
    this.#snapshotDirty = true;
    if (this.#snapshotTimer !== undefined || this.#closed) return;
    this.#snapshotTimer = this.#clock.setTimer(
      () => {
        this.#snapshotTimer = undefined;
        if (this.#snapshotWriting !== undefined) {
          // A write is running: write again after it.
          void this.#snapshotWriting.then(() => this.#scheduleSnapshot(true));
          return;
        }
        void this.#writeSnapshot();
      },
      this.#snapshotDebounce,
      { unref: true },
    );
  }

  #writeSnapshot(): Promise<void> {
    const file = this.#snapshotFile;
    if (file === undefined) return Promise.resolve();
    this.#snapshotDirty = false;
    const records: SnapshotRecord[] = [];
    for (const entry of this.#cache.entries()) {
      const lkg = entry.lastKnownGood;
      if (lkg === undefined) continue;
      records.push({
        name: entry.name,
        family: entry.family,
        addresses: lkg.addresses,
        ttl: lkg.ttl,
        receivedAt: lkg.receivedAt,
      });
    }
    const at = this.#clock.now();
    const writing = writeSnapshotFile(file, encodeSnapshot(records, at)).then(
      () => this.events.emit({ type: 'snapshot-saved', file, entries: records.length, at }),
      (error: unknown) => {
        this.#snapshotDirty = true;
        this.events.emit({
          type: 'snapshot-error',
          file,
          code: 'FS_ERR_DNS_SNAPSHOT',
          reason: (error as NodeJS.ErrnoException).code ?? String(error),
          at,
        });
      },
    );
    this.#snapshotWriting = writing.finally(() => {
      this.#snapshotWriting = undefined;
    });
    return this.#snapshotWriting;
  }
}

/**
 * Keeps only valid addresses of the family asked for (a custom upstream may return anything); an
 * answer left without any is an empty answer.
 */
function sanitize(result: UpstreamResult, family: DnsFamily): UpstreamResult {
  if (result.kind !== 'addresses') return result;
  let clean = true;
  for (const a of result.addresses) {
    if (net.isIP(a.address) !== a.family || (family !== 0 && a.family !== family)) clean = false;
  }
  if (clean && result.addresses.length > 0) return result;
  const addresses = result.addresses.filter(
    (a) => net.isIP(a.address) === a.family && (family === 0 || a.family === family),
  );
  if (addresses.length === 0) return { kind: 'empty', ttl: 0, upstream: result.upstream };
  return { ...result, addresses };
}

function parseFamilyOption(value: unknown): DnsFamily {
  if (value === undefined || value === 0) return 0;
  if (value === 4 || value === 6) return value;
  return invalid('family', 'one of 0, 4, 6', value);
}

function familyLabel(family: DnsFamily): string {
  return family === 4 ? 'IPv4' : family === 6 ? 'IPv6' : 'IPv4 or IPv6';
}

/** Remaining seconds until `expiresAt`. */
function remaining(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}

type Raced = { kind: 'done'; outcome: Outcome } | { kind: 'failed'; error: unknown } | { kind: 'timer' };

/** Waits for `refresh` at most `ms` (on `clock`); never rejects except on abort. */
function raceTimer(
  refresh: Promise<Outcome>,
  ms: number,
  clock: Clock,
  signal: AbortSignal | undefined,
): Promise<Raced> {
  return raceAbort(
    new Promise<Raced>((resolve) => {
      const cancel = ms === Infinity ? undefined : clock.setTimer(() => resolve({ kind: 'timer' }), ms);
      refresh.then(
        (outcome) => {
          cancel?.();
          resolve({ kind: 'done', outcome });
        },
        (error: unknown) => {
          cancel?.();
          resolve({ kind: 'failed', error });
        },
      );
    }),
    signal,
  );
}
