/**
 * Upstreams: where answers come from. The system resolver (`dns.lookup`, so /etc/hosts and the
 * platform's configuration apply), explicit DNS servers spoken to over the wire, and a set of them
 * queried together: a primary with a hedged secondary after a delay, or all in parallel. Upstreams
 * marked `independent` are kept out of the race: they are the guard's "second opinion" from
 * outside the provider.
 */
import dns from 'node:dns';
import { readFile, stat } from 'node:fs/promises';
import net from 'node:net';
import { abortReason, systemClock, type Clock } from '../core/clock.js';
import { staggeredRace } from '../core/staggered-race.js';
import { FailsmallError } from '../core/errors.js';
import { duration, invalid, nonNegativeNumber, oneOf } from '../core/validate.js';
import { dnsError } from './errors.js';
import { WireClient, type WireClientOptions } from './wire-client.js';
import type { DnsAddress, DnsFamily, Upstream, UpstreamResult } from './types.js';

/** Options of {@link SystemUpstream}. */
export interface SystemUpstreamOptions {
  /** The TTL given to answers of `dns.lookup` (which reports none), in seconds; default 10 s. */
  readonly ttl?: number;
  /** The hosts file read to label answers `hosts`; default `/etc/hosts`; `false` to not read one. */
  readonly hostsFile?: string | false;
  /** How often the hosts file is checked for changes, in milliseconds; default 5,000. */
  readonly hostsRefresh?: number;
  /** Ask for a second opinion with this upstream; default false. */
  readonly independent?: boolean;
  /** The lookup function; default `dns.lookup` (tests pass their own). */
  readonly lookup?: typeof dns.lookup;
  /** The clock for the hosts-file check; default `systemClock`. */
  readonly clock?: Clock;
}

/**
 * Parses a hosts file (`address name alias…` per line, `#` comments) into name → addresses.
 *
 * @example
 * parseHosts('127.0.0.1 localhost\n10.0.0.5 db.internal db # primary').get('db'); // [{ address: '10.0.0.5', family: 4 }]
 */
export function parseHosts(text: string): Map<string, DnsAddress[]> {
  const hosts = new Map<string, DnsAddress[]>();
  for (const rawLine of text.split('\n')) {
    const line = rawLine.replace(/#.*/, '').trim();
    if (line.length === 0) continue;
    const [address, ...names] = line.split(/\s+/);
    if (address === undefined) continue;
    const bare = address.replace(/%.*$/, ''); // drop an IPv6 zone id
    const family = net.isIP(bare);
    if (family === 0) continue;
    for (const raw of names) {
      const name = raw.toLowerCase().replace(/\.$/, '');
      const list = hosts.get(name) ?? [];
      if (!list.some((a) => a.address === bare)) list.push({ address: bare, family: family === 6 ? 6 : 4 });
      hosts.set(name, list);
    }
  }
  return hosts;
}

/**
 * The operating system's resolver through `dns.lookup` (getaddrinfo): /etc/hosts, nsswitch and the
 * system's DNS servers apply. Answers found in the hosts file are labelled `hosts`. getaddrinfo
 * reports no TTL, so answers get `ttl`.
 *
 * @example
 * const resolver = new Resolver({ upstreams: [new SystemUpstream({ ttl: 30 })] });
 */
export class SystemUpstream implements Upstream {
  readonly name = 'system';
  readonly independent: boolean;
  readonly #ttl: number;
  readonly #hostsFile: string | false;
  readonly #hostsRefresh: number;
  readonly #lookup: typeof dns.lookup;
  readonly #clock: Clock;
  #hosts: Map<string, DnsAddress[]> = new Map();
  #hostsCheckedAt = -Infinity;
  #hostsMtime = -1;
  #hostsLoading: Promise<void> | undefined;

  constructor(options: SystemUpstreamOptions = {}) {
    this.#ttl = nonNegativeNumber('ttl', options.ttl ?? 10);
    this.#hostsFile = options.hostsFile ?? '/etc/hosts';
    this.#hostsRefresh = duration('hostsRefresh', options.hostsRefresh ?? 5_000);
    this.#lookup = options.lookup ?? dns.lookup;
    this.#clock = options.clock ?? systemClock;
    this.independent = options.independent ?? false;
  }

  async #hostsMap(): Promise<Map<string, DnsAddress[]>> {
    if (this.#hostsFile === false) return this.#hosts;
    const now = this.#clock.now();
    if (now - this.#hostsCheckedAt >= this.#hostsRefresh) {
      this.#hostsCheckedAt = now;
      const file = this.#hostsFile;
      this.#hostsLoading ??= (async () => {
        try {
          const info = await stat(file);
          if (info.mtimeMs !== this.#hostsMtime && info.size <= 4 * 1024 * 1024) {
            this.#hosts = parseHosts(await readFile(file, 'utf8'));
            this.#hostsMtime = info.mtimeMs;
          }
        } catch {
          this.#hosts = new Map(); // no hosts file: nothing comes from it
        } finally {
          this.#hostsLoading = undefined;
        }
      })();
    }
    if (this.#hostsLoading !== undefined) await this.#hostsLoading;
    return this.#hosts;
  }

  async query(hostname: string, family: DnsFamily, signal?: AbortSignal): Promise<UpstreamResult> {
    const hosts = await this.#hostsMap();
    const fromHosts = hosts.get(hostname)?.filter((a) => family === 0 || a.family === family);
    if (fromHosts !== undefined && fromHosts.length > 0) {
      return { kind: 'addresses', addresses: fromHosts, ttl: this.#ttl, source: 'hosts', upstream: this.name };
    }
    if (signal?.aborted) throw abortReason(signal);
    return new Promise<UpstreamResult>((resolve, reject) => {
      const onAbort = (): void => reject(abortReason(signal!));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#lookup(hostname, { all: true, family, verbatim: true }, (error, addresses) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) {
          if (error.code === 'ENOTFOUND') resolve({ kind: 'nxdomain', ttl: 0, upstream: this.name });
          else if (error.code === 'ENODATA' || error.code === 'EAI_NODATA') {
            resolve({ kind: 'empty', ttl: 0, upstream: this.name });
          } else {
            reject(
              dnsError(
                'FS_ERR_DNS_SERVFAIL',
                `The system resolver failed for ${hostname} (${error.code ?? error.message})`,
                { upstream: this.name, hostname, errno: error.code },
                error,
              ),
            );
          }
          return;
        }
        const list: DnsAddress[] = [];
        for (const a of addresses) {
          if (!list.some((b) => b.address === a.address))
            list.push({ address: a.address, family: a.family === 6 ? 6 : 4 });
        }
        if (list.length === 0) resolve({ kind: 'empty', ttl: 0, upstream: this.name });
        else resolve({ kind: 'addresses', addresses: list, ttl: this.#ttl, source: 'fresh', upstream: this.name });
      });
    });
  }
}

/** Options of {@link ServerUpstream}: a wire client's options plus `independent`. */
export interface ServerUpstreamOptions extends WireClientOptions {
  /** A "second opinion" outside the provider, asked by the guard; default false. */
  readonly independent?: boolean;
}

/**
 * Combines the A and the AAAA answers of one name (family 0): addresses of either family win; two
 * negative answers give NXDOMAIN if either says so, else empty; an error of one family with a
 * negative answer of the other is an error (the name might have addresses in the failed family).
 *
 * @example
 * const [v4, v6] = await Promise.allSettled([client.resolve(name, 4), client.resolve(name, 6)]);
 * const result = mergeFamilies(v4, v6, client.name);
 */
export function mergeFamilies(
  v4: PromiseSettledResult<UpstreamResult>,
  v6: PromiseSettledResult<UpstreamResult>,
  upstream: string,
): UpstreamResult {
  const a = v4.status === 'fulfilled' ? v4.value : undefined;
  const b = v6.status === 'fulfilled' ? v6.value : undefined;
  const addresses: DnsAddress[] = [];
  let ttl = Infinity;
  let source: 'fresh' | 'hosts' = 'fresh';
  for (const r of [a, b]) {
    if (r?.kind === 'addresses') {
      addresses.push(...r.addresses);
      ttl = Math.min(ttl, r.ttl);
      if (r.source === 'hosts') source = 'hosts';
    }
  }
  if (addresses.length > 0) return { kind: 'addresses', addresses, ttl, source, upstream };
  if (a === undefined) throw (v4 as PromiseRejectedResult).reason;
  if (b === undefined) throw (v6 as PromiseRejectedResult).reason;
  const kind = a.kind === 'nxdomain' || b.kind === 'nxdomain' ? 'nxdomain' : 'empty';
  return { kind, ttl: Math.min(a.ttl, b.ttl), upstream };
}

/**
 * A DNS server spoken to over the wire (UDP, TCP on truncation). Family 0 asks A and AAAA in
 * parallel.
 *
 * @example
 * const upstream = new ServerUpstream({ server: '10.0.0.2:53', timeout: 1_000 });
 */
export class ServerUpstream implements Upstream {
  readonly name: string;
  readonly independent: boolean;
  readonly client: WireClient;

  constructor(options: ServerUpstreamOptions) {
    this.client = new WireClient(options);
    this.name = this.client.name;
    this.independent = options.independent ?? false;
  }

  async query(hostname: string, family: DnsFamily, signal?: AbortSignal): Promise<UpstreamResult> {
    if (family !== 0) return this.client.resolve(hostname, family, signal);
    const [v4, v6] = await Promise.allSettled([
      this.client.resolve(hostname, 4, signal),
      this.client.resolve(hostname, 6, signal),
    ]);
    return mergeFamilies(v4, v6, this.name);
  }

  close(): void {
    this.client.close();
  }
}

/** How a {@link UpstreamSet} spreads a query: `hedge` (primary first, the next after a delay) or `parallel`. */
export type UpstreamStrategy = 'hedge' | 'parallel';

/** Options of {@link UpstreamSet}. */
export interface UpstreamSetOptions {
  /** Default `hedge`: cheap for the servers, and a slow primary costs at most `hedgeDelay`. */
  readonly strategy?: UpstreamStrategy;
  /**
   * How long the primary has before the next upstream is asked too, in milliseconds; default 250 ms
   * (a few loopback or datacenter round trips; far below RFC 8767's 1.8 s client response timer).
   * An upstream that fails starts the next at once.
   */
  readonly hedgeDelay?: number;
  /** The clock for the hedge delay; default `systemClock`. */
  readonly clock?: Clock;
}

/** Counters of one upstream. */
export interface UpstreamStats {
  queries: number;
  answers: number;
  errors: number;
  /** Errors by failsmall code. */
  errorsByCode: Record<string, number>;
  lastError: string | undefined;
}

/**
 * Several upstreams queried as one. The first answer (addresses, empty or NXDOMAIN) wins and the
 * others are cancelled; when every upstream fails, the first one's error is thrown with every
 * upstream's code in `details.errors`.
 *
 * @example
 * const set = new UpstreamSet([primary, secondary], { strategy: 'hedge', hedgeDelay: 100 });
 */
export class UpstreamSet {
  /** The upstreams that answer queries (every non-independent one; all when all are independent). */
  readonly racing: readonly Upstream[];
  /** The "second opinion" upstreams the guard asks. */
  readonly independents: readonly Upstream[];
  readonly #all: readonly Upstream[];
  readonly #strategy: UpstreamStrategy;
  readonly #hedgeDelay: number;
  readonly #clock: Clock;
  readonly #stats = new Map<string, UpstreamStats>();

  constructor(upstreams: readonly Upstream[], options: UpstreamSetOptions = {}) {
    if (upstreams.length === 0) invalid('upstreams', 'a non-empty list', upstreams);
    this.#all = upstreams;
    this.independents = upstreams.filter((u) => u.independent);
    const racing = upstreams.filter((u) => !u.independent);
    this.racing = racing.length > 0 ? racing : upstreams;
    this.#strategy = oneOf('strategy', options.strategy ?? 'hedge', ['hedge', 'parallel']);
    this.#hedgeDelay = duration('hedgeDelay', options.hedgeDelay ?? 250, true);
    this.#clock = options.clock ?? systemClock;
    for (const u of upstreams) {
      this.#stats.set(u.name, { queries: 0, answers: 0, errors: 0, errorsByCode: {}, lastError: undefined });
    }
  }

  /** Counters per upstream name. */
  snapshot(): Record<string, UpstreamStats> {
    return Object.fromEntries([...this.#stats].map(([k, v]) => [k, { ...v, errorsByCode: { ...v.errorsByCode } }]));
  }

  #record(upstream: Upstream, error: unknown): void {
    const stats = this.#stats.get(upstream.name);
    if (stats === undefined) return;
    if (error === undefined) {
      stats.answers++;
      return;
    }
    const code = error instanceof FailsmallError ? error.code : 'FS_ERR_DNS_UNKNOWN';
    stats.errors++;
    stats.errorsByCode[code] = (stats.errorsByCode[code] ?? 0) + 1;
    stats.lastError = code;
  }

  /** Called with each upstream failure (for the resolver's events). */
  onError: ((upstream: string, error: unknown) => void) | undefined = undefined;

  /** Queries the racing upstreams by the strategy; resolves with the first answer. */
  query(hostname: string, family: DnsFamily, signal?: AbortSignal): Promise<UpstreamResult> {
    const list = this.racing;
    if (list.length === 1) return this.#one(list[0]!, hostname, family, signal);
    // One staggered race: `parallel` starts every upstream at once, `hedge` the next after the delay
    // or at once when one fails. The losers are aborted with FS_ERR_RACE_LOST, which #one does not
    // count as an upstream error.
    return staggeredRace((a) => this.#one(list[a.attempt - 1]!, hostname, family, a.signal), {
      attempts: list.length,
      delay: this.#strategy === 'parallel' ? 0 : this.#hedgeDelay,
      clock: this.#clock,
      signal,
      toError: (failures) =>
        this.#combine(
          hostname,
          failures.map((f) => ({ upstream: list[f.attempt - 1]!.name, error: f.error })),
        ),
    });
  }

  /** Asks every independent upstream; each result or error is reported per upstream. */
  queryIndependents(
    hostname: string,
    family: DnsFamily,
  ): Promise<{ upstream: string; result?: UpstreamResult; error?: unknown }[]> {
    return Promise.all(
      this.independents.map((u) =>
        this.#one(u, hostname, family).then(
          (result) => ({ upstream: u.name, result }),
          (error: unknown) => ({ upstream: u.name, error }),
        ),
      ),
    );
  }

  async #one(upstream: Upstream, hostname: string, family: DnsFamily, signal?: AbortSignal): Promise<UpstreamResult> {
    const stats = this.#stats.get(upstream.name);
    if (stats !== undefined) stats.queries++;
    try {
      const result = await upstream.query(hostname, family, signal);
      this.#record(upstream, undefined);
      return result;
    } catch (error) {
      // A hedge cancelled because another upstream won is not an upstream error.
      if (!(signal?.aborted ?? false)) {
        this.#record(upstream, error);
        this.onError?.(upstream.name, error);
      }
      throw error;
    }
  }

  #combine(hostname: string, errors: { upstream: string; error: unknown }[]): unknown {
    const first = errors[0]?.error;
    const code = first instanceof FailsmallError ? first.code : 'FS_ERR_DNS_NETWORK';
    return new FailsmallError(
      code,
      `Every upstream failed for ${hostname}: ${errors.map((e) => `${e.upstream}: ${String((e.error as Error).message)}`).join('; ')}`,
      {
        cause: first,
        details: {
          hostname,
          errors: errors.map((e) => ({
            upstream: e.upstream,
            code: e.error instanceof FailsmallError ? e.error.code : undefined,
          })),
        },
      },
    );
  }

  /** Closes every upstream. */
  async close(): Promise<void> {
    await Promise.all(this.#all.map((u) => u.close?.()));
  }
}

/** The forms an upstream can be given in: `'system'`, `'ip:port'`, an options object, or an {@link Upstream}. */
export type UpstreamSpec =
  | 'system'
  | string
  | ({ readonly server: string } & Omit<ServerUpstreamOptions, 'server'>)
  | ({ readonly system: true } & SystemUpstreamOptions)
  | Upstream;

/**
 * Builds an {@link Upstream} from a spec; `defaults` fill in the wire client's options.
 *
 * @example
 * createUpstream({ server: '192.0.2.53:53', independent: true }, { timeout: 1_000 });
 */
export function createUpstream(
  spec: UpstreamSpec,
  defaults: Partial<ServerUpstreamOptions> & { clock?: Clock } = {},
): Upstream {
  if (spec === 'system') return new SystemUpstream(defaults.clock === undefined ? {} : { clock: defaults.clock });
  if (typeof spec === 'string') return new ServerUpstream({ ...defaults, server: spec });
  if (typeof spec !== 'object' || spec === null) invalid('upstreams[]', '"system", "ip:port", or an upstream', spec);
  if ('query' in spec && typeof spec.query === 'function') return spec;
  if ('system' in spec) {
    const { system: _system, ...rest } = spec;
    return new SystemUpstream({ ...(defaults.clock === undefined ? {} : { clock: defaults.clock }), ...rest });
  }
  if ('server' in spec) return new ServerUpstream({ ...defaults, ...spec });
  return invalid('upstreams[]', '"system", "ip:port", or an upstream', spec);
}
