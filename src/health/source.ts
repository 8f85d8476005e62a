/**
 * Where health signals come from. A {@link HealthSource} checks one target at a time and answers
 * `true` (pass) or `false` (fail); any other answer, or a throw, is a *faulty* check: the source
 * could not tell, which is never the same as "down". Active probes (HTTP, TCP, DNS) are built in; a
 * provider's signal is any async function; passive signals from client traffic come from
 * {@link outlierVote} through the monitor.
 */
import { request } from 'node:http';
import { connect } from 'node:net';
import { WireClient } from '../dns/wire-client.js';
import { invalid, nonNegativeInteger, positiveInteger } from '../core/validate.js';
import type { RiseFallOptions } from './rise-fall.js';

/** A target of health checks: one endpoint of a set. */
export interface HealthTarget {
  /** Stable id, unique in the set (e.g. the address, or `zone/address`). */
  readonly id: string;
  /** The address probes connect to (IPv4 or IPv6 literal, or a host name). */
  readonly address: string;
  /** The port probes connect to, when the probe does not set its own. */
  readonly port?: number | undefined;
  /** Failure domain (an availability zone), for reports. */
  readonly zone?: string | undefined;
}

/** One source of health checks. */
export interface HealthSource {
  /** Its name in votes, reports and the store, e.g. `nlb-tcp` or `outside-http`. */
  readonly name: string;
  /**
   * Checks one target. Resolve `true` for pass and `false` for fail; anything else, or a rejection,
   * counts as a faulty check. `signal` aborts when the check's timeout passes.
   */
  check(target: HealthTarget, signal: AbortSignal): Promise<unknown>;
  /** Rise/fall thresholds of this source (defaults of {@link riseFallThresholds}). */
  readonly riseFall?: RiseFallOptions;
}

/** A check's outcome as the monitor records it. */
export type CheckResult = 'pass' | 'fail' | 'faulty';

/** Reads a source's answer: `true` pass, `false` fail, anything else faulty. */
export function checkResultOf(answer: unknown): CheckResult {
  return answer === true ? 'pass' : answer === false ? 'fail' : 'faulty';
}

function portOf(target: HealthTarget, port: number | undefined, what: string): number {
  const p = port ?? target.port;
  if (p === undefined) invalid(`${what}.port`, 'a port (on the probe or the target)', p);
  return p;
}

/** A source from its parts; `riseFall` only when given. */
function source(name: string, riseFall: RiseFallOptions | undefined, check: HealthSource['check']): HealthSource {
  return riseFall === undefined ? { name, check } : { name, riseFall, check };
}

/**
 * A probe that connects to a port: the probe's own `port` (checked here), else the target's.
 * `probe` starts the check and calls `settle` once: `true` for a pass, `false` for a fail.
 */
function portProbe(
  what: string,
  defaultName: string,
  options: { readonly name?: string; readonly port?: number; readonly riseFall?: RiseFallOptions },
  probe: (target: HealthTarget, port: number, signal: AbortSignal, settle: (pass: boolean) => void) => void,
): HealthSource {
  const port = options.port === undefined ? undefined : positiveInteger('port', options.port);
  return source(options.name ?? defaultName, options.riseFall, (target, signal) => {
    const p = portOf(target, port, what);
    return new Promise<boolean>((settle) => probe(target, p, signal, settle));
  });
}

/** Options of {@link httpProbe}. */
export interface HttpProbeOptions {
  /** Source name, default `http`. */
  readonly name?: string;
  /** The path requested, default `/health`. */
  readonly path?: string;
  /** The port; default the target's. */
  readonly port?: number;
  /** `Host` header, default the target's address. */
  readonly host?: string;
  /** Which statuses pass, default 200–399. */
  readonly expect?: (status: number) => boolean;
  readonly riseFall?: RiseFallOptions;
}

/**
 * An HTTP GET probe. A connection failure, a reset or a timeout is a fail (the target did not
 * answer); a status outside `expect` is a fail.
 *
 * @example
 * const probe = httpProbe({ path: '/ping', port: 8080 });
 */
export function httpProbe(options: HttpProbeOptions = {}): HealthSource {
  const path = options.path ?? '/health';
  if (typeof path !== 'string' || !path.startsWith('/')) invalid('path', 'a path starting with /', path);
  const expect = options.expect ?? ((s: number) => s >= 200 && s < 400);
  return portProbe('httpProbe', 'http', options, (target, port, signal, settle) => {
    const headers = { host: options.host ?? target.address };
    const req = request({ host: target.address, port, path, method: 'GET', signal, headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => settle(expect(res.statusCode ?? 0)));
      res.on('error', () => settle(false));
    });
    req.on('error', () => settle(false));
    req.end();
  });
}

/** Options of {@link tcpProbe}. */
export interface TcpProbeOptions {
  readonly name?: string;
  readonly port?: number;
  readonly riseFall?: RiseFallOptions;
}

/** A TCP connect probe: passes when the connection opens. */
export function tcpProbe(options: TcpProbeOptions = {}): HealthSource {
  return portProbe('tcpProbe', 'tcp', options, (target, port, signal, settle) => {
    const socket = connect({ host: target.address, port, signal });
    socket.once('connect', () => {
      socket.destroy();
      settle(true);
    });
    socket.once('error', () => settle(false));
  });
}

/** Options of {@link dnsProbe}. */
export interface DnsProbeOptions {
  readonly name?: string;
  /** The name asked of the target (which is a DNS server). Required. */
  readonly query: string;
  /** Address family asked, 4 (A, default) or 6 (AAAA). */
  readonly family?: 4 | 6;
  /** DNS port, default the target's, else 53. */
  readonly port?: number;
  /** Minimum number of addresses in a passing answer, default 1. */
  readonly minAddresses?: number;
  readonly riseFall?: RiseFallOptions;
}

/**
 * A DNS probe: asks the target, as a DNS server, for `query`; passes when the answer holds at least
 * `minAddresses` addresses. An empty answer or NXDOMAIN is a fail; no answer in time is a fail.
 */
export function dnsProbe(options: DnsProbeOptions): HealthSource {
  if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
  if (typeof options.query !== 'string' || options.query === '') invalid('query', 'a host name', options.query);
  const family = options.family ?? 4;
  if (family !== 4 && family !== 6) invalid('family', '4 or 6', family);
  const min = nonNegativeInteger('minAddresses', options.minAddresses ?? 1);
  return source(options.name ?? 'dns', options.riseFall, async (target) => {
    const port = options.port ?? target.port ?? 53;
    const host = target.address.includes(':') ? `[${target.address}]` : target.address;
    const client = new WireClient({ server: `${host}:${port}`, retransmit: Infinity });
    try {
      const result = await client.resolve(options.query, family);
      return result.kind === 'addresses' && result.addresses.length >= min;
    } catch {
      return false;
    } finally {
      client.close();
    }
  });
}

/**
 * A provider's signal (a cloud API, a load balancer's own view) as a source: `fn` answers for one
 * target; `true`/`false`, anything else is faulty.
 *
 * @example
 * const lb = providerSource('nlb', async (t) => (await elb.describeTargetHealth(t.id)).state === 'healthy');
 */
export function providerSource(
  name: string,
  fn: (target: HealthTarget, signal: AbortSignal) => Promise<unknown> | unknown,
  riseFall?: RiseFallOptions,
): HealthSource {
  if (typeof name !== 'string' || name === '') invalid('name', 'a non-empty string', name);
  if (typeof fn !== 'function') invalid('fn', 'a function', fn);
  return source(name, riseFall, async (target, signal) => fn(target, signal));
}
