/**
 * The connector every integration shares: resolve a name through a failsmall resolver, order its
 * addresses (families interleaved, recently failed ones last), race TCP connects over the whole set
 * (RFC 8305) and hand back the first socket that connects. The undici dispatcher, the `http.Agent`
 * and the AWS SDK handler all connect through it, so one dependency's dead address is learned once.
 */
import dns from 'node:dns';
import net from 'node:net';
import { raceAbort } from '../core/abort.js';
import { Emitter, channel, systemClock, validate, type Clock } from '../core/index.js';
import { AddressHealth, type Address, type AddressHealthOptions } from './address-order.js';
import { errorCode, raceAddresses, type AttemptRecord } from './happy-eyeballs.js';

/** The answer of an {@link AddressResolver}: the addresses and, for a failsmall resolver, where they came from. */
export interface AddressAnswer {
  /** Every address of the name, in the resolver's order. */
  readonly addresses: readonly Address[];
  /** `fresh`, `cache`, `stale`, `last-known-good` or `hosts` for a failsmall resolver. */
  readonly source?: string;
  /** The remaining TTL in seconds, when known. */
  readonly ttl?: number;
}

/**
 * What the connector needs from a resolver: failsmall's `Resolver` (from `failsmall/dns`) fits as is.
 * A name that does not resolve rejects (the resolver's own error is passed through untouched).
 */
export interface AddressResolver {
  resolve(hostname: string, options?: { family?: 0 | 4 | 6; signal?: AbortSignal }): Promise<AddressAnswer>;
  /**
   * Optional: told after each connect that an address of `hostname` accepted a connection. A
   * failsmall `Resolver` uses it as evidence that a held last-known-good set still works. Found by
   * feature: the connector calls it when the resolver has it (and `reportUnreachable`).
   */
  reportReachable?(hostname: string, address: string): void;
  /** Optional: told that a connection to an address of `hostname` failed or timed out. */
  reportUnreachable?(hostname: string, address: string): void;
}

/**
 * A resolver backed by the operating system (`dns.lookup` with `all: true`, in the order the system
 * returns): the default when none is given, so the connector's address racing works on its own.
 */
export const systemResolver: AddressResolver = {
  resolve(hostname, options) {
    return new Promise((resolve, reject) => {
      dns.lookup(hostname, { all: true, family: options?.family ?? 0, order: 'verbatim' }, (error, addresses) => {
        if (error) reject(error);
        else
          resolve({
            addresses: addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 })),
            source: 'system',
          });
      });
    });
  },
};

/** Options of {@link Connector}. */
export interface ConnectorOptions {
  /** Resolves names; default {@link systemResolver}. Pass a failsmall `Resolver` for last-known-good. */
  readonly resolver?: AddressResolver;
  /** The clock for the stagger delay, the connect timeout and the address penalties; default `systemClock`. */
  readonly clock?: Clock;
  /**
   * How long an attempt may run before the next address is tried in parallel, in milliseconds;
   * default 250 ms, RFC 8305's recommended "Connection Attempt Delay". Infinity: strictly one after
   * another (the next address only when an attempt fails).
   */
  readonly attemptDelay?: number;
  /**
   * How long a whole connect (every address) may take, in milliseconds; default 10 s, undici's own
   * connect timeout. Infinity for none.
   */
  readonly connectTimeout?: number;
  /** The memory of failed addresses, or its options (penalty 30 s by default); share one between connectors to share what they learn. */
  readonly health?: AddressHealth | AddressHealthOptions;
  /** Restrict to one address family (4 or 6); default 0, both. */
  readonly family?: 0 | 4 | 6;
  /** TCP keep-alive on connected sockets; default true (as undici and Node's agents with keepAlive). */
  readonly keepAlive?: boolean;
  /** The keep-alive initial delay in milliseconds; default 60 s (undici's). */
  readonly keepAliveInitialDelay?: number;
  /** The dependency name, for events and metrics. */
  readonly dependency?: string;
}

/** What {@link Connector.connect} is asked for. */
export interface ConnectTarget {
  /** A host name or an IP literal (IPv6 without brackets). */
  readonly hostname: string;
  /** The TCP port. */
  readonly port: number;
  /** Cancels the connect (resolution and every attempt). */
  readonly signal?: AbortSignal | undefined;
  /** A local address to bind to. */
  readonly localAddress?: string | undefined;
}

/** A connected socket and how it was reached. */
export interface Connected {
  /** The connected TCP socket (plain; TLS is layered on top by the integration). */
  readonly socket: net.Socket;
  /** The address that connected. */
  readonly address: Address;
  /** Every attempt, in start order. */
  readonly attempts: AttemptRecord[];
  /** Where the addresses came from (`fresh`, `last-known-good`, …, `literal` for an IP). */
  readonly source: string | undefined;
}

/** Emitted for every connect, won or lost. */
export type ConnectorEvent =
  | {
      readonly type: 'connect';
      readonly dependency: string | undefined;
      readonly hostname: string;
      readonly port: number;
      readonly address: string;
      readonly source: string | undefined;
      /** Attempts before and beside the winner. */
      readonly attempts: AttemptRecord[];
      /** Connect duration in milliseconds, resolution included. */
      readonly ms: number;
    }
  | {
      readonly type: 'connect-failed';
      readonly dependency: string | undefined;
      readonly hostname: string;
      readonly port: number;
      readonly code: string | undefined;
      readonly attempts: AttemptRecord[];
      readonly ms: number;
    };

const connectChannel = channel('client', 'connect');

/** Calls a resolver's report method; a custom one that throws must not fail (or leak) the connect. */
function report(
  reporter: Required<Pick<AddressResolver, 'reportReachable' | 'reportUnreachable'>>,
  method: 'reportReachable' | 'reportUnreachable',
  hostname: string,
  address: string,
): void {
  try {
    reporter[method](hostname, address);
  } catch {
    // ignored: the report is advice
  }
}

/**
 * Resolves, orders and races: see the module comment. One connector per dependency (or per process)
 * is enough; it holds only the failed-address memory and counters.
 *
 * @example
 * const connector = new Connector({ resolver });
 * const { socket, address } = await connector.connect({ hostname: 'dynamodb.lab.test', port: 8000 });
 */
export class Connector {
  /** Every connect, won or lost. */
  readonly events = new Emitter<ConnectorEvent>();
  /** The failed-address memory (shared when passed in). */
  readonly health: AddressHealth;
  readonly #resolver: AddressResolver;
  /** The resolver again when it takes connect reports, else undefined. */
  readonly #reporter: Required<Pick<AddressResolver, 'reportReachable' | 'reportUnreachable'>> | undefined;
  readonly #clock: Clock;
  readonly #attemptDelay: number;
  readonly #connectTimeout: number;
  readonly #family: 0 | 4 | 6;
  readonly #keepAlive: boolean;
  readonly #keepAliveInitialDelay: number;
  readonly #dependency: string | undefined;
  readonly #counters = { connects: 0, connectFailures: 0, attempts: 0, attemptFailures: 0, failovers: 0 };
  readonly #sources: Record<string, number> = {};

  constructor(options: ConnectorOptions = {}) {
    const resolver = options.resolver ?? systemResolver;
    if (typeof resolver !== 'object' || resolver === null || typeof resolver.resolve !== 'function') {
      validate.invalid('resolver', 'an object with a resolve() method', resolver);
    }
    this.#resolver = resolver;
    // Reported without a time: the resolver stamps them on its own clock (it may run on scenario
    // time while connects happen in real time).
    this.#reporter =
      typeof resolver.reportReachable === 'function' && typeof resolver.reportUnreachable === 'function'
        ? (resolver as Required<Pick<AddressResolver, 'reportReachable' | 'reportUnreachable'>>)
        : undefined;
    this.#clock = options.clock ?? systemClock;
    this.#attemptDelay = validate.duration('attemptDelay', options.attemptDelay ?? 250, true);
    this.#connectTimeout = validate.duration('connectTimeout', options.connectTimeout ?? 10_000, true);
    const family: unknown = options.family ?? 0;
    if (family !== 0 && family !== 4 && family !== 6) validate.invalid('family', '0, 4 or 6', family);
    this.#family = family;
    this.#keepAlive = options.keepAlive ?? true;
    this.#keepAliveInitialDelay = validate.duration('keepAliveInitialDelay', options.keepAliveInitialDelay ?? 60_000);
    this.#dependency = options.dependency;
    this.health = options.health instanceof AddressHealth ? options.health : new AddressHealth(options.health ?? {});
  }

  /** The addresses of `hostname` (an IP literal is its own only address), and their source. */
  async addresses(
    hostname: string,
    signal?: AbortSignal,
  ): Promise<{ addresses: readonly Address[]; source: string | undefined }> {
    const ip = net.isIP(hostname);
    if (ip !== 0) return { addresses: [{ address: hostname, family: ip === 6 ? 6 : 4 }], source: 'literal' };
    if (signal === undefined) {
      const answer = await this.#resolver.resolve(hostname, { family: this.#family });
      return { addresses: answer.addresses, source: answer.source };
    }
    // The resolver gets the signal too, but one that ignores it must not hold the caller.
    const answer = await raceAbort(this.#resolver.resolve(hostname, { family: this.#family, signal }), signal);
    return { addresses: answer.addresses, source: answer.source };
  }

  /**
   * Resolves `hostname` and connects to the first address that accepts, trying the whole set.
   * Rejects with the resolver's error, `FS_ERR_CLIENT_NO_ADDRESSES`, `FS_ERR_CLIENT_CONNECT_FAILED`
   * (every address failed; `cause` is the last error, e.g. `ECONNREFUSED`),
   * `FS_ERR_CLIENT_CONNECT_TIMEOUT`, or the signal's reason.
   */
  async connect(target: ConnectTarget): Promise<Connected> {
    const { hostname, port, signal, localAddress } = target;
    const started = this.#clock.now();
    const { addresses, source } = await this.addresses(hostname, signal);
    this.#sources[source ?? 'unknown'] = (this.#sources[source ?? 'unknown'] ?? 0) + 1;
    const ordered = this.health.order(addresses, port, this.#clock.now());
    try {
      const result = await raceAddresses(
        ordered,
        (address, attemptSignal) => this.#tcp(address, port, attemptSignal, localAddress),
        {
          clock: this.#clock,
          attemptDelay: this.#attemptDelay,
          timeout: this.#connectTimeout,
          signal,
          dispose: (socket) => socket.destroy(),
          target: `${hostname}:${port}`,
        },
      );
      this.#learn(result.attempts, port, source === 'literal' ? undefined : hostname);
      this.#counters.connects++;
      if (result.attempts[0]?.outcome !== 'connected') this.#counters.failovers++;
      const event: ConnectorEvent = {
        type: 'connect',
        dependency: this.#dependency,
        hostname,
        port,
        address: result.address.address,
        source,
        attempts: result.attempts,
        ms: this.#clock.now() - started,
      };
      this.#publish(event);
      return { socket: result.value, address: result.address, attempts: result.attempts, source };
    } catch (error) {
      const details = (error as { details?: { attempts?: AttemptRecord[] } }).details;
      const attempts = details?.attempts ?? [];
      this.#learn(attempts, port, source === 'literal' ? undefined : hostname);
      this.#counters.connectFailures++;
      const event: ConnectorEvent = {
        type: 'connect-failed',
        dependency: this.#dependency,
        hostname,
        port,
        code: errorCode(error),
        attempts,
        ms: this.#clock.now() - started,
      };
      this.#publish(event);
      throw error;
    }
  }

  /** Plain JSON for metrics. */
  snapshot(): Record<string, unknown> {
    return {
      dependency: this.#dependency,
      ...this.#counters,
      sources: { ...this.#sources },
      health: this.health.snapshot(this.#clock.now()),
    };
  }

  #publish(event: ConnectorEvent): void {
    if (this.events.hasListeners) this.events.emit(event);
    if (connectChannel.hasSubscribers) connectChannel.publish(event);
  }

  /** Records each attempt in the address memory and, for a name, reports it to the resolver. */
  #learn(attempts: readonly AttemptRecord[], port: number, hostname: string | undefined): void {
    const now = this.#clock.now();
    const reporter = hostname === undefined ? undefined : this.#reporter;
    for (const a of attempts) {
      this.#counters.attempts++;
      if (a.outcome === 'connected') {
        this.health.recordSuccess(a.address, port);
        if (reporter !== undefined) report(reporter, 'reportReachable', hostname!, a.address);
      } else if (a.outcome === 'failed' || a.outcome === 'timeout') {
        this.#counters.attemptFailures++;
        this.health.recordFailure(a.address, port, now);
        if (reporter !== undefined) report(reporter, 'reportUnreachable', hostname!, a.address);
      }
    }
  }

  #tcp(address: Address, port: number, signal: AbortSignal, localAddress: string | undefined): Promise<net.Socket> {
    return new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({
        host: address.address,
        port,
        family: address.family,
        noDelay: true,
        keepAlive: this.#keepAlive,
        keepAliveInitialDelay: this.#keepAliveInitialDelay,
        ...(localAddress === undefined ? {} : { localAddress }),
      });
      const onConnect = (): void => {
        cleanup();
        resolve(socket);
      };
      const onError = (error: Error): void => {
        cleanup();
        socket.destroy();
        reject(error);
      };
      const onAbort = (): void => {
        cleanup();
        socket.destroy();
        reject(signal.reason);
      };
      const cleanup = (): void => {
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal.removeEventListener('abort', onAbort);
      };
      socket.once('connect', onConnect);
      socket.once('error', onError);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
