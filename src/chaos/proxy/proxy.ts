/**
 * One proxy, as Toxiproxy defines it: a `name`, a `listen` address, an `upstream` (`host:port`), an
 * `enabled` flag, and its toxics in the order they were added. Enabling binds the listen address;
 * disabling closes the listener and every connection, so new connections are refused. A listen port of
 * 0 picks an ephemeral port and `listen` then shows the bound one.
 *
 * Beyond Toxiproxy, `mode: 'http'` makes the proxy an HTTP reverse proxy with {@link HttpFault} rules
 * instead of a TCP pipe with toxics.
 */
import net from 'node:net';
import type http from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { Connection, type Upstream } from './connection.js';
import { ProxyErrorCodes, proxyError } from './error-codes.js';
import { createHttpFaultServer } from './http-fault-server.js';
import { writeHighWaterMark } from './link.js';
import type { HttpFault } from './http-faults.js';
import type { Toxic } from './toxic.js';
import { listening } from '../../core/listening.js';

/** A proxy's mode: a TCP pipe with toxics (Toxiproxy's), or an HTTP proxy with HTTP faults. */
export type ProxyMode = 'tcp' | 'http';

/** A proxy as the API shows it (Toxiproxy's JSON, plus `mode` when it is `http`). */
export interface ProxyJson {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  readonly enabled: boolean;
  readonly toxics: readonly Toxic[];
  readonly mode?: 'http';
  readonly http_faults?: readonly unknown[];
}

/** Splits `host:port` (`[v6]:port`); an empty host means all interfaces, as Go's `net.Listen`. */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const m = /^\[([^\]]*)\]:(\d{1,5})$/.exec(value) ?? /^([^:[\]]*):(\d{1,5})$/.exec(value);
  if (m === null || Number(m[2]) > 65_535) return undefined;
  return { host: m[1]!, port: Number(m[2]) };
}

/** Joins a host and port as Go does (`[v6]:port`). */
export function joinHostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The environment every proxy shares. */
export interface ProxyEnv {
  readonly clock: Clock;
  readonly random: Random;
}

/** The fields of a {@link Proxy} that its methods change. */
interface ProxyState {
  listen: string;
  upstream: string;
  enabled: boolean;
  toxics: readonly Toxic[];
  httpFaults: readonly HttpFault[];
}

/** One proxy. */
export class Proxy {
  readonly name: string;
  readonly mode: ProxyMode;
  /** The listen address, `host:port`; once started, with the port bound when 0 was asked for. */
  readonly listen: string;
  /** The upstream, `host:port`. */
  readonly upstream: string;
  /** Whether it listens: a disabled proxy refuses connections. */
  readonly enabled: boolean = false;
  /** Its toxics, in the order they were added (TCP mode). */
  readonly toxics: readonly Toxic[] = [];
  /** Its HTTP fault rules, in order (HTTP mode). */
  readonly httpFaults: readonly HttpFault[] = [];
  /** This proxy with the fields above writable: read-only outside, they change only through its methods. */
  readonly #state: ProxyState = this;
  #server: net.Server | http.Server | undefined;
  #closeHttp: (() => void) | undefined;
  readonly #connections = new Set<Connection>();
  readonly #sockets = new Set<net.Socket>();
  readonly #env: ProxyEnv;

  constructor(name: string, listen: string, upstream: string, mode: ProxyMode, env: ProxyEnv) {
    this.name = name;
    this.listen = listen === '' ? '127.0.0.1:0' : listen;
    this.upstream = upstream;
    this.mode = mode;
    this.#env = env;
  }

  /** Open client connections. */
  get connections(): number {
    return this.mode === 'tcp' ? this.#connections.size : this.#sockets.size;
  }

  /** Binds the listen address and accepts connections. Throws `FS_ERR_PROXY_LISTEN` (500). */
  async start(): Promise<void> {
    if (this.enabled) return;
    const at = splitHostPort(this.listen);
    if (at === undefined)
      proxyError(ProxyErrorCodes.LISTEN, `listen tcp ${this.listen}: address ${this.listen}: missing port in address`);
    const upstream = this.#parsedUpstream();
    let server: net.Server | http.Server;
    if (this.mode === 'http') {
      const h = createHttpFaultServer({ upstream, rules: () => this.httpFaults, ...this.#env });
      server = h.server;
      this.#closeHttp = h.close;
      server.on('connection', (s: net.Socket) => {
        this.#sockets.add(s);
        s.once('close', () => this.#sockets.delete(s));
      });
    } else {
      server = net.createServer(
        { allowHalfOpen: true, pauseOnConnect: true, highWaterMark: writeHighWaterMark },
        (client) => {
          const c = new Connection(client, upstream, this.toxics, this.#env, (gone) => this.#connections.delete(gone));
          this.#connections.add(c);
        },
      );
    }
    try {
      await listening(server, (done) => server.listen({ host: at.host === '' ? '::' : at.host, port: at.port }, done));
    } catch (error) {
      proxyError(ProxyErrorCodes.LISTEN, `listen tcp ${this.listen}: ${(error as Error).message}`, {
        listen: this.listen,
      });
    }
    const bound = server.address() as net.AddressInfo;
    this.#state.listen = joinHostPort(bound.address, bound.port);
    this.#server = server;
    this.#state.enabled = true;
  }

  /** Closes the listener and every connection (new connections are refused). */
  async stop(): Promise<void> {
    if (!this.enabled) return;
    this.#state.enabled = false;
    const server = this.#server!;
    this.#server = undefined;
    for (const c of this.#connections) c.destroy();
    this.#connections.clear();
    for (const s of this.#sockets) s.destroy();
    this.#closeHttp?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /**
   * Applies `POST /proxies/{name}`: a new listen or upstream restarts the proxy (dropping its
   * connections); `enabled` starts or stops it.
   */
  async update(fields: { listen: string; upstream: string; enabled: boolean }): Promise<void> {
    if (fields.listen !== this.listen || fields.upstream !== this.upstream) {
      const wasEnabled = this.enabled;
      await this.stop();
      this.#state.listen = fields.listen;
      this.#state.upstream = fields.upstream;
      if (wasEnabled && fields.enabled) await this.start();
    }
    if (fields.enabled) await this.start();
    else await this.stop();
  }

  /** Adds a toxic at the end of its stream's chain; existing connections get it at once. */
  addToxic(toxic: Toxic): void {
    if (this.toxics.some((t) => t.name === toxic.name))
      proxyError(ProxyErrorCodes.TOXIC_EXISTS, 'toxic already exists');
    this.#state.toxics = [...this.toxics, toxic];
    this.#pushToxics();
  }

  /** Replaces the toxic of the same name. */
  replaceToxic(toxic: Toxic): void {
    this.#state.toxics = this.toxics.map((t) => (t.name === toxic.name ? toxic : t));
    this.#pushToxics();
  }

  /** Removes a toxic; throws `FS_ERR_PROXY_TOXIC_NOT_FOUND` (404) when absent. */
  removeToxic(name: string): void {
    if (!this.toxics.some((t) => t.name === name)) proxyError(ProxyErrorCodes.TOXIC_NOT_FOUND, 'toxic not found');
    this.#state.toxics = this.toxics.filter((t) => t.name !== name);
    this.#pushToxics();
  }

  /** Removes every toxic and HTTP fault. */
  clearToxics(): void {
    this.#state.toxics = [];
    this.#state.httpFaults = [];
    this.#pushToxics();
  }

  /** Replaces the HTTP fault rules (HTTP mode). */
  setHttpFaults(rules: readonly HttpFault[]): void {
    this.#state.httpFaults = [...rules];
  }

  /** The JSON of this proxy. */
  toJSON(): ProxyJson {
    const base = {
      name: this.name,
      listen: this.listen,
      upstream: this.upstream,
      enabled: this.enabled,
      toxics: this.toxics,
    };
    return this.mode === 'http' ? { ...base, mode: 'http', http_faults: this.httpFaults } : base;
  }

  #pushToxics(): void {
    for (const c of this.#connections) c.setToxics(this.toxics);
  }

  #parsedUpstream(): Upstream {
    const at = splitHostPort(this.upstream);
    if (at === undefined || at.host === '')
      proxyError(
        ProxyErrorCodes.BAD_REQUEST,
        `bad request body: upstream ${JSON.stringify(this.upstream)} is not host:port`,
      );
    return at;
  }
}
