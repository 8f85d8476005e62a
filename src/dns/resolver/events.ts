/**
 * What a {@link Resolver} reports: its events (one emitter carrying a union), its counters and the
 * typed metrics of `snapshot()`.
 */
import { channel } from '../../core/events.js';
import type { GuardReason, ReleaseReason } from '../guard.js';
import type { DnsAddress, DnsFamily, DnsSource } from '../types.js';
import type { UpstreamStats } from '../upstream.js';
import type { WireClientStats } from '../wire-client.js';

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
  | {
      /** The last-known-good file was read at start: `entries` sets taken, `expired` left out as older than `guard.maxHold`. */
      readonly type: 'lkg-loaded';
      readonly file: string;
      readonly entries: number;
      readonly expired: number;
      readonly at: number;
    }
  | {
      /** The last-known-good file (or some of its entries) was ignored at start; `code` is `FS_ERR_DNS_LKG_FILE`. */
      readonly type: 'lkg-ignored';
      readonly file: string;
      readonly code: string;
      readonly reason: string;
      readonly at: number;
    }
  | {
      /** The last-known-good file was written; `omitted` entries did not fit its limits. */
      readonly type: 'lkg-saved';
      readonly file: string;
      readonly entries: number;
      readonly omitted: number;
      readonly at: number;
    }
  | {
      /** Writing the last-known-good file failed; `code` is `FS_ERR_DNS_LKG_FILE`, `reason` the system error code. */
      readonly type: 'lkg-error';
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
  /** Answers served from an expired entry (RFC 8767). */
  staleServed: number;
  /** Answers served from a set the guard holds. */
  lastKnownGoodServed: number;
  /** Times a guard engaged. */
  guardEngagements: number;
  /** Times a guard released. */
  guardReleases: number;
  /** Calls of `Resolver.reportReachable` (every successful connect of a reporting client). */
  reachableReports: number;
  /** Calls of `Resolver.reportUnreachable`. */
  unreachableReports: number;
}

/** Fresh zeroed counters. */
export function newCounters(): ResolverCounters {
  return {
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
}

/** The metrics of a {@link Resolver}, as plain JSON (`resolver.snapshot()`). */
export interface ResolverSnapshot extends ResolverCounters {
  /** Cached (name, family) entries. */
  readonly entries: number;
  /** Of which negative (NXDOMAIN or no data). */
  readonly negativeEntries: number;
  /** Entries evicted to stay within `maxEntries`. */
  readonly evictions: number;
  /** Entries whose guard holds a last-known-good set. */
  readonly guardsEngaged: number;
  /** Of which kept past the hold-down by fresh reachability evidence. */
  readonly guardsHeldByEvidence: number;
  /** Per-upstream counters, by upstream name. */
  readonly upstreams: Readonly<Record<string, UpstreamStats>>;
  /** Wire client counters of each DNS server upstream, by upstream name. */
  readonly wire: Readonly<Record<string, WireClientStats & { readonly server: string; readonly openSockets: number }>>;
  /** Whether `close()` was called. */
  readonly closed: boolean;
}

/** `failsmall:dns:guard`: guard-engaged, guard-released and guard-evidence events. */
export const guardChannel = channel('dns', 'guard');
/** `failsmall:dns:stale`: `{ hostname, family, expiredFor }` per stale answer. */
export const staleChannel = channel('dns', 'stale');
/**
 * `failsmall:dns:answer`: one {@link DnsAnswerMessage} per resolution of a name (`resolve` and
 * `lookup`; IP literals and localhost excluded), published only while someone subscribes.
 */
export const answerChannel = channel('dns', 'answer');

/** A message of `failsmall:dns:answer`. `duration` and `at` are in ms on the resolver's clock. */
export type DnsAnswerMessage =
  | {
      readonly type: 'answer';
      readonly hostname: string;
      readonly family: DnsFamily;
      /** Where the answer came from (`fresh`: an upstream just answered). */
      readonly source: DnsSource;
      /** From the call to the answer (0 on the lookup's synchronous cache path). */
      readonly duration: number;
      readonly at: number;
    }
  | {
      /** No answer: a negative one (`FS_ERR_DNS_NOT_FOUND`, `FS_ERR_DNS_NO_DATA`) or every upstream failed. */
      readonly type: 'error';
      readonly hostname: string;
      readonly family: DnsFamily;
      /** The error's code (`unknown` without one). */
      readonly code: string;
      readonly duration: number;
      readonly at: number;
    };
