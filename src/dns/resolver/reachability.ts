/**
 * Reachability reports: a client says that a connection to an address of a name succeeded or
 * failed, and the guard of that name (if engaged) takes it as evidence. O(1) per report, no
 * allocation when the guard is idle: cheap enough for every connect.
 */
import type { Clock } from '../../core/clock.js';
import type { Emitter } from '../../core/events.js';
import type { CacheEntry, DnsCache } from '../cache.js';
import { evidenceFresh, reachable, releaseDue, unreachable, type GuardConfig } from '../guard.js';
import { normalizeHostname } from '../hostname.js';
import type { DnsFamily } from '../types.js';
import { guardChannel, type DnsEvent } from './events.js';

/**
 * Feeds connect reports to the guards of a resolver's cache.
 *
 * @example
 * const reports = new Reachability(cache, guard, clock, events);
 * reports.report('api.example.com', '10.0.0.1', true, undefined);
 */
export class Reachability {
  readonly #cache: DnsCache;
  readonly #guard: GuardConfig | undefined;
  readonly #clock: Clock;
  readonly #events: Emitter<DnsEvent>;

  constructor(cache: DnsCache, guard: GuardConfig | undefined, clock: Clock, events: Emitter<DnsEvent>) {
    this.#cache = cache;
    this.#guard = guard;
    this.#clock = clock;
    this.#events = events;
  }

  /** One report: `ok` when the connection succeeded; `now` in clock ms, default the clock's now. */
  report(hostname: string, address: string, ok: boolean, now: number | undefined): void {
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
    if (this.#events.hasListeners) this.#events.emit(event);
  }
}
