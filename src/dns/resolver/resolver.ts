/**
 * The resolver: cache, serve-stale, last-known-good guard and upstreams put together, with a
 * `lookup` that is a drop-in for `dns.lookup` and costs a few hundred nanoseconds on a cache hit.
 * This file holds the algorithm; its options, events, lookup adapter, reachability reports and
 * last-known-good file live beside it in `dns/resolver/`.
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
import { recentNow } from './recent-now.js';
import type dns from 'node:dns';
import net from 'node:net';
import { raceAbort, raceTimer } from '../../core/abort.js';
import type { Clock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { Emitter } from '../../core/events.js';
import type { Random } from '../../core/random.js';
import { invalid } from '../../core/validate.js';
import {
  AddressSet,
  DnsCache,
  negativeTtl,
  positiveTtl,
  refreshTime,
  type CacheEntry,
  type TtlPolicy,
} from '../cache.js';
import { dnsError } from '../errors.js';
import {
  confirm,
  evidenceFresh,
  observe,
  type GuardConfig,
  type GuardEvent,
  type GuardReason,
  type GuardState,
} from '../guard.js';
import { normalizeHostname } from '../hostname.js';
import type { LkgRecord } from '../lkg-file.js';
import { inFailureRecheck, withinMaxStale, type ServeStaleConfig } from '../serve-stale.js';
import { ServerUpstream, UpstreamSet, createUpstream, sanitize } from '../upstream.js';
import type { DnsAnswer, DnsFamily, DnsSource, UpstreamResult } from '../types.js';
import {
  answerChannel,
  guardChannel,
  newCounters,
  staleChannel,
  type DnsEvent,
  type ResolverCounters,
  type ResolverSnapshot,
} from './events.js';
import { createLookup, isLocalhost, localhostAddresses } from './lookup.js';
import { resolverConfig, type ResolverOptions } from './options.js';
import { LkgPersistence } from './persistence.js';
import { Reachability } from './reachability.js';

/** What the resolver serves: a set, its source and TTL. */
interface Served {
  readonly set: AddressSet;
  readonly source: DnsSource;
  readonly ttl: number;
}

/** The outcome of a refresh, shared by every caller that waited on it. */
type RefreshOutcome = { readonly set: AddressSet; readonly source: DnsSource } | { readonly error: FailsmallError };

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
  /** Guard, stale, upstream and last-known-good file events. */
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
  readonly #lkg: LkgPersistence | undefined;
  readonly #reachability: Reachability;
  #closed = false;
  readonly #counters: ResolverCounters = newCounters();

  /**
   * @throws `FS_ERR_INVALID_ARGUMENT` for an invalid or unknown option, with the value as given.
   */
  constructor(options: ResolverOptions = {}) {
    const config = resolverConfig(options);
    this.#clock = config.clock;
    this.#random = config.random;
    this.#ttl = config.ttl;
    this.#stale = config.stale;
    this.#guard = config.guard;
    this.#cache = new DnsCache({ maxEntries: config.maxEntries });
    this.#upstreams = new UpstreamSet(
      config.upstreams.map((spec) => createUpstream(spec, { timeout: config.timeout, clock: this.#clock })),
      {
        strategy: config.strategy,
        ...(config.hedgeDelay === undefined ? {} : { hedgeDelay: config.hedgeDelay }),
        clock: this.#clock,
      },
    );
    this.#upstreams.onError = (upstream, error) => {
      if (!this.events.hasListeners) return;
      const code = error instanceof FailsmallError ? error.code : 'FS_ERR_DNS_UNKNOWN';
      this.events.emit({ type: 'upstream-error', upstream, code, at: this.#clock.now() });
    };
    this.#reachability = new Reachability(this.#cache, this.#guard, this.#clock, this.events);
    if (config.lkgFile !== undefined) {
      const maxHold = this.#guard?.maxHold ?? Infinity;
      this.#lkg = new LkgPersistence({
        file: config.lkgFile,
        debounce: config.lkgDebounce,
        // Ages in the file are at most this stale: an hour, or a quarter of maxHold when shorter.
        refreshEvery: Math.min(3_600_000, maxHold / 4),
        limits: config.lkgLimits,
        clock: this.#clock,
        events: this.events,
        collect: () => this.#lkgRecords(),
      });
      this.#lkg.load((record) => this.#restore(record));
    }
    this.lookup = createLookup({
      peekLive: (family, name) => this.#peekLive(family, name),
      serve: (family, name) => this.#serve(family, name, undefined),
      isClosed: () => this.#closed,
    });
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
  resolve(hostname: string, options: { family?: DnsFamily; signal?: AbortSignal } = {}): Promise<DnsAnswer> {
    // Not an async function: a live cache entry is answered without an async frame and without the
    // name's normalization (a hit cost ~2.4x as much through #serve: bench dns, `awaited_*`), and
    // every error still comes back as a rejection.
    try {
      const family = parseFamilyOption(options.family);
      if (this.#closed) throw dnsError('FS_ERR_DNS_CLOSED', 'The resolver is closed');
      if (typeof hostname === 'string') {
        // The hot path, as lookup's: a live entry under the name as given (the cache holds canonical
        // names only, never an IP literal or localhost).
        const live = this.#peekLiveEntry(family, hostname);
        if (live !== undefined) return Promise.resolve(this.#liveAnswer(hostname, live));
        const literal = net.isIP(hostname);
        if (literal !== 0) {
          return Promise.resolve({
            hostname,
            addresses: [{ address: hostname, family: literal === 6 ? 6 : 4 }],
            ttl: this.#ttl.maxTtl,
            age: 0,
            source: 'fresh',
          });
        }
        if (isLocalhost(hostname)) {
          return Promise.resolve({
            hostname: 'localhost',
            addresses: localhostAddresses(family).map((a) => ({ ...a })),
            ttl: this.#ttl.maxTtl,
            age: 0,
            source: 'hosts',
          });
        }
      }
      // Throws FS_ERR_DNS_INVALID_HOSTNAME for a name that is not one (or not a string).
      const name = normalizeHostname(hostname);
      const entry = name === hostname ? undefined : this.#peekLiveEntry(family, name);
      if (entry !== undefined) return Promise.resolve(this.#liveAnswer(name, entry));
      return this.#serve(family, name, options.signal).then((served) =>
        this.#answer(name, served.set, served.source, served.ttl, this.#clock.now()),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** The answer of a live entry (from {@link #peekLiveEntry}). */
  #liveAnswer(name: string, entry: CacheEntry): DnsAnswer {
    const now = recentNow(this.#clock);
    return this.#answer(name, entry.data!, liveSource(entry), remaining(entry.expiresAt, now), now);
  }

  /** What `resolve` gives the caller: its own copy of the addresses. */
  #answer(name: string, set: AddressSet, source: DnsSource, ttl: number, now: number): DnsAnswer {
    return {
      hostname: name,
      addresses: set.addresses.map((a) => ({ address: a.address, family: a.family })),
      ttl,
      age: Math.max(0, now - set.receivedAt),
      source,
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
    this.#reachability.report(hostname, address, true, now);
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
    this.#reachability.report(hostname, address, false, now);
  }

  /** Counters, cache size, guards engaged and per-upstream counters, as plain JSON. */
  snapshot(): ResolverSnapshot {
    let guardsEngaged = 0;
    let guardsHeldByEvidence = 0;
    let negativeEntries = 0;
    const now = this.#clock.now();
    for (const entry of this.#cache.entries()) {
      if (entry.guard.engaged) guardsEngaged++;
      if (this.#guard !== undefined && evidenceFresh(entry.guard, now, this.#guard)) guardsHeldByEvidence++;
      if (entry.negative !== undefined) negativeEntries++;
    }
    const wire: Record<string, ReturnType<ServerUpstream['client']['snapshot']>> = {};
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

  /** Writes the last-known-good file now (if one is configured and something changed). */
  async flushLkgFile(): Promise<void> {
    await this.#lkg?.flush();
  }

  /** Writes a pending last-known-good file, closes the upstream sockets; later calls fail with `FS_ERR_DNS_CLOSED`. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#lkg?.close();
    await this.#upstreams.close();
  }

  /** The lookup hot path: the live set of (family, name) as given, counted; undefined when none. */
  #peekLive(family: DnsFamily, name: string): AddressSet | undefined {
    return this.#peekLiveEntry(family, name)?.data;
  }

  /** {@link #peekLive}'s entry (its `data` is set), for `resolve`'s hot path. */
  #peekLiveEntry(family: DnsFamily, name: string): CacheEntry | undefined {
    const entry = this.#cache.get(family, name);
    if (entry === undefined || entry.data === undefined || this.#closed) return undefined;
    // The hit path's clock read (a system call on some VMs) is shared within a turn: recent-now.ts.
    const now = recentNow(this.#clock);
    if (now >= entry.expiresAt) return undefined;
    this.#counters.queries++;
    this.#counters.hits++;
    if (entry.guard.engaged) this.#counters.lastKnownGoodServed++;
    else if (now >= entry.refreshAt) this.#refreshAhead(entry);
    if (answerChannel.hasSubscribers) {
      answerChannel.publish({
        type: 'answer',
        hostname: name,
        family,
        source: liveSource(entry),
        duration: 0,
        at: now,
      });
    }
    return entry;
  }

  // ---- resolution --------------------------------------------------------------------------

  /** {@link #serveFrom}, published on `failsmall:dns:answer` when anyone subscribes. */
  #serve(family: DnsFamily, name: string, signal: AbortSignal | undefined): Promise<Served> {
    if (!answerChannel.hasSubscribers) return this.#serveFrom(family, name, signal);
    const start = this.#clock.now();
    return this.#serveFrom(family, name, signal).then(
      (served) => {
        const at = this.#clock.now();
        const source = served.source;
        answerChannel.publish({ type: 'answer', hostname: name, family, source, duration: at - start, at });
        return served;
      },
      (error: unknown) => {
        const at = this.#clock.now();
        const code = (error as { code?: unknown } | null)?.code;
        answerChannel.publish({
          type: 'error',
          hostname: name,
          family,
          code: typeof code === 'string' ? code : 'unknown',
          duration: at - start,
          at,
        });
        throw error;
      },
    );
  }

  /** Serves (family, name): from the cache, a refresh, or a stale / last-known-good set. */
  async #serveFrom(family: DnsFamily, name: string, signal: AbortSignal | undefined): Promise<Served> {
    if (this.#closed) throw dnsError('FS_ERR_DNS_CLOSED', 'The resolver is closed');
    this.#counters.queries++;
    const now = this.#clock.now();
    let entry = this.#cache.get(family, name);
    if (entry !== undefined && now < entry.expiresAt) {
      if (entry.data !== undefined) {
        this.#counters.hits++;
        if (entry.guard.engaged) this.#counters.lastKnownGoodServed++;
        else if (now >= entry.refreshAt) this.#refreshAhead(entry);
        return { set: entry.data, source: liveSource(entry), ttl: remaining(entry.expiresAt, now) };
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
      if ('error' in raced.value) throw raced.value.error;
      return this.#servedOf(entry, raced.value, at);
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
  #refresh(entry: CacheEntry): Promise<RefreshOutcome> {
    if (entry.inflight !== undefined) return entry.inflight as Promise<RefreshOutcome>;
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
  #apply(entry: CacheEntry, raw: UpstreamResult, now: number): RefreshOutcome {
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
  #hold(entry: CacheEntry, now: number): RefreshOutcome {
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
  #adopt(entry: CacheEntry, result: UpstreamResult, now: number): RefreshOutcome {
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
      if (changed) this.#lkg?.changed();
      else this.#lkg?.confirmed(now);
      return { set, source: result.source };
    }
    const hadLkg = entry.lastKnownGood !== undefined;
    entry.data = undefined;
    entry.lastKnownGood = undefined;
    entry.negative = result;
    entry.expiresAt = now + negativeTtl(result.ttl, this.#ttl) * 1000;
    entry.refreshAt = Infinity;
    if (hadLkg) this.#lkg?.changed();
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

  /** Counts a guard event and tells the listeners, with the name and family it is about. */
  #guardEvent(entry: CacheEntry, event: GuardEvent): void {
    const about = { hostname: entry.name, family: entry.family };
    let full: DnsEvent;
    if (event.type === 'guard-engaged') {
      this.#counters.guardEngagements++;
      full = { ...event, ...about, lastKnownGood: entry.lastKnownGood?.addresses ?? [] };
    } else {
      this.#counters.guardReleases++;
      full = { ...event, ...about };
    }
    if (guardChannel.hasSubscribers) guardChannel.publish(full);
    this.events.emit(full);
    this.#lkg?.changed(); // the file records whether and since when a set is held
  }

  // ---- last-known-good file -------------------------------------------------------------------

  /**
   * Takes a record read from the file; false when it is too old to serve: its set was last
   * confirmed, or has been held against the upstreams since, `guard.maxHold` ago or longer.
   */
  #restore(record: LkgRecord): boolean {
    const now = this.#clock.now();
    const guard = this.#guard;
    if (guard !== undefined && now - (record.heldSince ?? record.confirmedAt) >= guard.maxHold) return false;
    const entry = this.#cache.getOrCreate(record.family, record.name);
    const set = new AddressSet(record.addresses, record.ttl, record.confirmedAt, 'fresh', 'lkg-file');
    entry.data = set;
    entry.lastKnownGood = set;
    entry.expiresAt = record.confirmedAt + record.ttl * 1000;
    entry.refreshAt = Infinity;
    if (guard !== undefined && record.heldSince !== undefined && record.heldReason !== undefined) {
      // The hold goes on where it was: hold-down and maxHold count from when it began.
      entry.guard = heldGuard(record.heldSince, record.heldReason);
    }
    return true;
  }

  #lkgRecords(): LkgRecord[] {
    const records: LkgRecord[] = [];
    for (const entry of this.#cache.entries()) {
      const lkg = entry.lastKnownGood;
      if (lkg === undefined) continue;
      const base = { name: entry.name, family: entry.family, addresses: lkg.addresses, ttl: lkg.ttl };
      const held = entry.guard.engaged && entry.guard.reason !== undefined;
      records.push(
        held
          ? { ...base, confirmedAt: lkg.receivedAt, heldSince: entry.guard.since, heldReason: entry.guard.reason! }
          : { ...base, confirmedAt: lkg.receivedAt },
      );
    }
    return records;
  }
}

/** An engaged guard restored from the file, without the observation that engaged it. */
function heldGuard(since: number, reason: GuardReason): GuardState<UpstreamResult> {
  return {
    engaged: true,
    since,
    reason,
    pending: undefined,
    agreeing: [],
    vetoing: [],
    reachableAt: -Infinity,
    unreachable: [],
  };
}

function parseFamilyOption(value: unknown): DnsFamily {
  if (value === undefined || value === 0) return 0;
  if (value === 4 || value === 6) return value;
  return invalid('family', 'one of 0, 4, 6', value);
}

function familyLabel(family: DnsFamily): string {
  return family === 4 ? 'IPv4' : family === 6 ? 'IPv6' : 'IPv4 or IPv6';
}

/** What a live entry's answer says it came from. */
function liveSource(entry: CacheEntry): 'last-known-good' | 'hosts' | 'cache' {
  return entry.guard.engaged ? 'last-known-good' : entry.data?.source === 'hosts' ? 'hosts' : 'cache';
}

/** Remaining seconds until `expiresAt`. */
function remaining(expiresAt: number, now: number): number {
  return Math.max(0, Math.ceil((expiresAt - now) / 1000));
}
