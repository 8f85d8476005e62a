/**
 * `startFaultDnsServer`: the fault DNS server assembled. An authoritative DNS server (UDP + TCP) for
 * the zones you give it, an HTTP control API to change records atomically and to inject faults, a
 * query log and metrics. Authoritative only (never recursive); the control API stays on loopback
 * unless you give it a token.
 */
import { isIP } from 'node:net';
import { systemClock, type Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { channel, type Emitter } from '../core/events.js';
import { mathRandom, type Random } from '../core/random.js';
import { AuditLog, type AuditEntry } from './audit-log.js';
import { ControlApi } from './control-api.js';
import { DnsMetrics } from './dns-metrics.js';
import { DnsServer } from './dns-server.js';
import { FaultEngine, type FaultRule, type FaultRuleInput } from './fault-rules.js';
import { QueryLog } from './query-log.js';
import { DnsResponder } from './responder.js';
import { loadZoneFile } from './zone-file.js';
import type { ChangeBatch, ZoneDefinition } from './zone-schema.js';
import { ZoneStore } from './zone-store.js';

/** Options of {@link startFaultDnsServer}. */
export interface FaultDnsServerOptions {
  /** The zones served (each starts at version 1). Default none. */
  readonly zones?: readonly ZoneDefinition[];
  /** A YAML or JSON zone file whose zones are served too (see `parseZoneText`). */
  readonly zoneFile?: string;
  /** The DNS address (UDP and TCP), default `127.0.0.1`. */
  readonly dnsAddress?: string;
  /** The DNS port, default 0 (the OS picks one free for UDP and TCP). */
  readonly dnsPort?: number;
  /** The control API address, default `127.0.0.1`. Any non-loopback address requires `token`. */
  readonly apiAddress?: string;
  /** The control API port, default 0 (the OS picks). */
  readonly apiPort?: number;
  /** When set, every API request needs `Authorization: Bearer <token>`. Required off loopback. */
  readonly token?: string;
  /** Browser origins allowed to call the control API (`http://host:port`); default none but its own. */
  readonly apiAllowedOrigins?: readonly string[];
  /** Extra host names the control API accepts in `Host` (DNS rebinding guard); default none. */
  readonly apiAllowedHosts?: readonly string[];
  /** The server's clock: fault windows, reply delays, metrics and logs read it. Default `systemClock`. */
  readonly clock?: Clock;
  /** Draws fault probabilities, jitter, random addresses and weighted answers. Default `Math.random`. */
  readonly random?: Random;
  /** Largest UDP response to an EDNS query, in bytes; default 1232 (no IP fragmentation). */
  readonly maxUdpSize?: number;
  /** TCP idle timeout, in ms of real time; default 10 s. */
  readonly tcpIdleTimeoutMs?: number;
  /** Most TCP connections at once, default 100 (at the cap the longest idle one is evicted). */
  readonly maxTcpConnections?: number;
  /** Most TCP connections from one source address, default 32. */
  readonly maxTcpConnectionsPerClient?: number;
  /** Deadline for a whole TCP query from its first byte, in ms on `clock`; default 5,000 (slow-loris). */
  readonly tcpQueryTimeoutMs?: number;
  /** Queries kept in the log, default 10,000. */
  readonly logCapacity?: number;
  /** Sliding window of the per-name rates, in seconds; default 10. */
  readonly metricsWindowSeconds?: number;
  /** Most fault rules at once, default 1,000. */
  readonly maxFaults?: number;
}

/** A running fault DNS server. */
export interface FaultDnsServer {
  /** The DNS address, as bound. */
  readonly dnsAddress: string;
  /** The DNS port (UDP and TCP). */
  readonly dnsPort: number;
  /** `host:port` for `dns.Resolver#setServers` and the like (`[::1]:53` for IPv6). */
  readonly dnsServer: string;
  /** The control API's base URL, e.g. `http://127.0.0.1:38053`. */
  readonly apiUrl: string;
  /** The token the API requires, if any. */
  readonly token: string | undefined;
  /** The zones (apply changes here directly, or through the API). */
  readonly store: ZoneStore;
  /** The fault rules (add and remove here directly, or through the API). */
  readonly faults: FaultEngine;
  readonly metrics: DnsMetrics;
  readonly log: QueryLog;
  /** Every zone change and fault change. */
  readonly audit: AuditLog;
  /** Emits each audit entry as it happens. */
  readonly events: Emitter<AuditEntry>;
  /** Applies a change batch (see `ZoneStore.apply`). */
  applyChanges(zone: string, batch: ChangeBatch): { version: number };
  /** Adds a fault rule (see `FaultEngine.add`). */
  addFault(rule: FaultRuleInput): FaultRule;
  /** Removes every fault rule; returns how many there were. */
  clearFaults(): number;
  /** Plain JSON: listener counters, cache, zones, faults. */
  snapshot(): Record<string, unknown>;
  /** Stops DNS and API, cancels delayed replies, closes connections. Safe to call twice. */
  close(): Promise<void>;
}

/** True for 127.0.0.0/8, ::1 and IPv4-mapped loopback. */
export function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.') || a === 'localhost';
}

/**
 * Starts a fault DNS server: DNS on UDP and TCP, the control API on HTTP.
 *
 * Throws `FS_ERR_CHAOS_TOKEN_REQUIRED` when the API would listen off loopback without a token,
 * `FS_ERR_CHAOS_INVALID_ZONE`/`FS_ERR_CHAOS_ZONE_FILE` for bad zones, `FS_ERR_CHAOS_LISTEN` when a
 * port cannot be bound.
 *
 * @example
 * const server = await startFaultDnsServer({
 *   zones: [{ name: 'amazonaws.com', records: [
 *     { name: 'dynamodb.us-east-1.amazonaws.com', type: 'A', ttl: 5, records: [{ value: '127.0.0.10' }] },
 *   ] }],
 * });
 * const resolver = new (await import('node:dns')).promises.Resolver();
 * resolver.setServers([server.dnsServer]);
 * await resolver.resolve4('dynamodb.us-east-1.amazonaws.com'); // ['127.0.0.10']
 * server.addFault({ name: 'dynamodb.*', type: 'A', action: 'empty' }); // the lie of 2025-10-20
 * await server.close();
 */
export async function startFaultDnsServer(options: FaultDnsServerOptions = {}): Promise<FaultDnsServer> {
  const apiAddress = options.apiAddress ?? '127.0.0.1';
  if (isIP(apiAddress) === 0) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`apiAddress\` to be an IP address, got ${JSON.stringify(apiAddress)}`,
      { details: { option: 'apiAddress' } },
    );
  }
  if (options.token !== undefined && options.token.length === 0) {
    throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'Expected `token` to be a non-empty string, got ""', {
      details: { option: 'token' },
    });
  }
  if (!isLoopback(apiAddress) && options.token === undefined) {
    throw new FailsmallError(
      'FS_ERR_CHAOS_TOKEN_REQUIRED',
      `The control API would listen on ${apiAddress}, which is not loopback: give it a token`,
      { details: { apiAddress } },
    );
  }
  const clock = options.clock ?? systemClock;
  const random = options.random ?? mathRandom;
  const zones = [
    ...(options.zones ?? []),
    ...(options.zoneFile === undefined ? [] : await loadZoneFile(options.zoneFile)),
  ];
  const store = new ZoneStore(zones);
  const faults = new FaultEngine({
    clock,
    random,
    ...(options.maxFaults === undefined ? {} : { maxRules: options.maxFaults }),
  });
  const metrics = new DnsMetrics(
    options.metricsWindowSeconds === undefined ? {} : { windowSeconds: options.metricsWindowSeconds },
  );
  const log = new QueryLog(options.logCapacity ?? 10_000);
  const audit = new AuditLog();
  // Every change also goes to node:diagnostics_channel `failsmall:chaos:change` (free when nobody listens).
  const changes = channel('chaos', 'change');
  audit.events.on((entry) => {
    if (changes.hasSubscribers) changes.publish(entry);
  });
  store.events.on((e) => audit.add({ at: clock.now(), kind: 'zone-change', ...e }));
  faults.events.on((e) => {
    if (e.change === 'clear') audit.add({ at: e.at, kind: 'fault-clear', removed: e.rules.map((r) => r.id) });
    else
      for (const rule of e.rules)
        audit.add({ at: e.at, kind: e.change === 'add' ? 'fault-add' : 'fault-remove', rule });
  });
  const responder = new DnsResponder({
    store,
    faults,
    metrics,
    log,
    clock,
    random,
    ...(options.maxUdpSize === undefined ? {} : { maxUdpSize: options.maxUdpSize }),
  });
  const dns = await DnsServer.listen({
    responder,
    clock,
    address: options.dnsAddress ?? '127.0.0.1',
    port: options.dnsPort ?? 0,
    ...(options.tcpIdleTimeoutMs === undefined ? {} : { tcpIdleTimeoutMs: options.tcpIdleTimeoutMs }),
    ...(options.maxTcpConnections === undefined ? {} : { maxTcpConnections: options.maxTcpConnections }),
    ...(options.maxTcpConnectionsPerClient === undefined
      ? {}
      : { maxTcpConnectionsPerClient: options.maxTcpConnectionsPerClient }),
    ...(options.tcpQueryTimeoutMs === undefined ? {} : { tcpQueryTimeoutMs: options.tcpQueryTimeoutMs }),
  });
  let api: ControlApi;
  try {
    api = await ControlApi.listen({
      store,
      faults,
      metrics,
      log,
      audit,
      clock,
      address: apiAddress,
      port: options.apiPort ?? 0,
      serverSnapshot: () => ({ ...dns.snapshot(), ...responder.snapshot() }),
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.apiAllowedOrigins === undefined ? {} : { allowedOrigins: options.apiAllowedOrigins }),
      ...(options.apiAllowedHosts === undefined ? {} : { allowedHosts: options.apiAllowedHosts }),
    });
  } catch (error) {
    await dns.close();
    throw error;
  }
  let closing: Promise<void> | undefined;
  return {
    dnsAddress: dns.address,
    dnsPort: dns.port,
    dnsServer: dns.address.includes(':') ? `[${dns.address}]:${dns.port}` : `${dns.address}:${dns.port}`,
    apiUrl: api.url,
    token: options.token,
    store,
    faults,
    metrics,
    log,
    audit,
    events: audit.events,
    applyChanges: (zone, batch) => store.apply(zone, batch),
    addFault: (rule) => faults.add(rule),
    clearFaults: () => faults.clear(),
    snapshot: () => ({
      dns: dns.snapshot(),
      responder: responder.snapshot(),
      zones: store.snapshot(),
      faults: faults.snapshot(),
      log: log.snapshot(),
    }),
    close: () => (closing ??= Promise.all([dns.close(), api.close()]).then(() => undefined)),
  };
}
