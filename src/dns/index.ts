/**
 * `failsmall/dns`: a resolver that keeps last-known-good addresses when DNS answers empty, serves
 * stale answers when upstreams fail (RFC 8767), and plugs into anything that takes a `lookup`.
 */
export { Resolver } from './resolver/resolver.js';
export type { ResolverOptions } from './resolver/options.js';
export type { DnsAnswerMessage, DnsEvent, ResolverCounters, ResolverSnapshot } from './resolver/events.js';
export type {
  DnsAddress,
  DnsAnswer,
  DnsFamily,
  DnsSource,
  Upstream,
  UpstreamResult,
  UpstreamAddresses,
  UpstreamNegative,
} from './types.js';
export { WireClient } from './wire-client.js';
export type { WireClientOptions, WireClientStats } from './wire-client.js';
export { SystemUpstream, ServerUpstream, UpstreamSet, createUpstream, mergeFamilies, parseHosts } from './upstream.js';
export type {
  SystemUpstreamOptions,
  ServerUpstreamOptions,
  UpstreamSetOptions,
  UpstreamSpec,
  UpstreamStats,
  UpstreamStrategy,
} from './upstream.js';
export {
  DnsCache,
  AddressSet,
  CacheEntry,
  defaultTtlPolicy,
  ttlPolicy,
  positiveTtl,
  negativeTtl,
  refreshTime,
} from './cache.js';
export type { AddressOrder, DnsCacheOptions, TtlPolicy } from './cache.js';
export {
  observe,
  confirm,
  suspicion,
  idleGuard,
  guardConfig,
  defaultGuardConfig,
  reachable,
  unreachable,
  evidenceFresh,
  releaseDue,
} from './guard.js';
export type {
  GuardConfig,
  GuardDecision,
  GuardEvent,
  GuardReason,
  GuardState,
  Observation,
  ReleaseReason,
} from './guard.js';
export { serveStaleConfig, defaultServeStaleConfig, withinMaxStale, inFailureRecheck } from './serve-stale.js';
export type { ServeStaleConfig } from './serve-stale.js';
export { readLkgFile, writeLkgFile, encodeLkg, lkgLimits, defaultLkgLimits } from './lkg-file.js';
export type { LkgRecord, LkgRead, LkgLimits, LkgEncoded } from './lkg-file.js';
export { normalizeHostname, hostnameProblem, MAX_NAME_LENGTH, MAX_LABEL_LENGTH } from './hostname.js';
export { DnsErrorCodes, toLookupError } from './errors.js';
export type { DnsErrorCode, LookupError } from './errors.js';
export { parseServer, formatServer } from './server-address.js';
export type { ServerAddress } from './server-address.js';
