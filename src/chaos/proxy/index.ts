/** The fault proxy: Toxiproxy-compatible TCP proxies with toxics, and an HTTP mode with HTTP faults. */
export { ProxyErrorCodes } from './error-codes.js';
export { awsErrors, decideHttpFault, httpFaultActions, parseHttpFault } from './http-faults.js';
export type { AwsErrorName, HttpFault, HttpFaultAction, HttpFaultInput } from './http-faults.js';
export { Proxy } from './proxy.js';
export type { ProxyJson, ProxyMode } from './proxy.js';
export { ProxyCollection, parseProxySpec } from './proxy-collection.js';
export type { ProxySpec } from './proxy-collection.js';
export { startProxyServer } from './proxy-server.js';
export type { ProxyServer, ProxyServerOptions } from './proxy-server.js';
export { toxiproxyVersion } from './proxy-api.js';
export { parseToxic, toxicAttributes, updateToxic } from './toxic.js';
export type { Toxic, ToxicStream, ToxicType } from './toxic.js';
