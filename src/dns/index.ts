/**
 * `failsmall/dns`: a resolver that keeps last-known-good addresses when DNS answers empty, serves
 * stale answers when upstreams fail (RFC 8767), and plugs into anything that takes a `lookup`.
 */
export * from './resolver/resolver.js';
export type { ResolverOptions } from './resolver/options.js';
export type { DnsAnswerMessage, DnsEvent, ResolverCounters, ResolverSnapshot } from './resolver/events.js';
export * from './types.js';
export * from './wire-client.js';
export { SystemUpstream, ServerUpstream, UpstreamSet, createUpstream, mergeFamilies, parseHosts } from './upstream.js';
export type {
  SystemUpstreamOptions,
  ServerUpstreamOptions,
  UpstreamSetOptions,
  UpstreamSpec,
  UpstreamStats,
  UpstreamStrategy,
} from './upstream.js';
export * from './cache.js';
export * from './guard.js';
export * from './serve-stale.js';
export * from './lkg-file.js';
export { normalizeHostname, hostnameProblem, MAX_NAME_LENGTH, MAX_LABEL_LENGTH } from './hostname.js';
export { DnsErrorCodes, toLookupError } from './errors.js';
export type { DnsErrorCode, LookupError } from './errors.js';
export * from './server-address.js';
