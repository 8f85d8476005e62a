/**
 * `http.Agent` and `https.Agent` that connect through a failsmall {@link Connector}: the name resolves
 * through a failsmall resolver (last-known-good) and every address of the set is tried, so they plug
 * into `http.get`, got, axios, and the AWS SDK's `NodeHttpHandler`.
 *
 * Why not just `new http.Agent({ lookup: resolver.lookup })`: that works (and is the one-liner for a
 * client that takes only a `lookup`), and Node 20's `autoSelectFamily` does try every address `lookup`
 * returns, same family included. But it abandons an attempt after 250 ms whenever another address is
 * left (a slow but live server loses to a dead one that happens to be listed later), forgets which
 * addresses were dead by the next connection, and is off when `net.setDefaultAutoSelectFamily(false)`
 * was called. The agents here race instead of abandoning (RFC 8305) and remember failed addresses.
 */
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import { FailsmallError } from '../core/index.js';
import { Connector, type ConnectorOptions } from './connector.js';

/** Options of {@link createHttpAgent} and {@link createHttpsAgent}. */
export interface HttpAgentOptions extends ConnectorOptions {
  /** A connector to share with other integrations of the same dependency; built from the other options when absent. */
  readonly connector?: Connector;
  /** Node agent options (`keepAlive`, `maxSockets`, `timeout`, and for https `ca`, `rejectUnauthorized` …). `keepAlive` defaults to true. */
  readonly agent?: https.AgentOptions;
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

/** The parts of Node's agent internals the pooled connect relies on (stable since Node 14). */
interface AgentInternals {
  readonly sockets: Record<string, unknown[] | undefined>;
  totalSocketCount: number;
  getName(options?: http.ClientRequestArgs): string;
}

/**
 * Stands in the agent's pool for a connection being made. Node counts a socket against `maxSockets`
 * only once `createConnection` hands it over; ours arrives asynchronously (resolution, then the race),
 * so without a placeholder a burst of requests would open one connection each, whatever `maxSockets`
 * says. `agent.destroy()` calls `destroy()` on it, which cancels the connect.
 */
class PendingConnection {
  readonly writable = false;
  readonly controller = new AbortController();
  destroy(): void {
    this.controller.abort(new FailsmallError('FS_ERR_ABORTED', 'The agent was destroyed while connecting'));
  }
}

function connectPooled(
  agent: http.Agent,
  connector: Connector,
  options: http.ClientRequestArgs,
  callback: ConnectCallback | undefined,
  wrap: (socket: Duplex) => Duplex,
): undefined {
  const internals = agent as unknown as AgentInternals;
  const name = (options as { _agentKey?: string })._agentKey ?? internals.getName(options);
  const pending = new PendingConnection();
  (internals.sockets[name] ??= []).push(pending);
  internals.totalSocketCount++;
  // Takes the placeholder out silently: Node's callback files the real socket in its place.
  const release = (): void => {
    const list = internals.sockets[name];
    const at = list?.indexOf(pending) ?? -1;
    if (list !== undefined && at >= 0) {
      list.splice(at, 1);
      if (list.length === 0) delete internals.sockets[name];
    }
    internals.totalSocketCount--;
  };
  // A failed connect is handed over as a socket that fails, exactly as Node's own (synchronous)
  // net.connect reports ECONNREFUSED: the request gets the error, and the socket's close frees the
  // slot and starts a connection for the next queued request (calling back with an error instead
  // would leave Node's queue stuck).
  const fail = (error: unknown): void => {
    if (!callback) return;
    const failed = new net.Socket();
    callback(null, failed);
    failed.destroy(error instanceof Error ? error : new Error(String(error)));
  };
  const hostname = options.host ?? options.hostname ?? 'localhost';
  const port = Number(options.port) || (options.protocol === 'https:' ? 443 : 80);
  connector
    .connect({
      hostname: hostname.startsWith('[') ? hostname.slice(1, -1) : hostname,
      port,
      signal: pending.controller.signal,
      ...(options.localAddress === undefined ? {} : { localAddress: options.localAddress }),
    })
    .then(
      ({ socket }) => {
        release();
        if (typeof options.timeout === 'number') socket.setTimeout(options.timeout);
        let stream: Duplex;
        try {
          stream = wrap(socket);
        } catch (error) {
          socket.destroy();
          fail(error);
          return;
        }
        if (callback) callback(null, stream);
        else stream.destroy();
      },
      (error: unknown) => {
        release();
        fail(error);
      },
    );
  return undefined;
}

/** An `http.Agent` whose connections go through a failsmall {@link Connector}. */
export class FailsmallHttpAgent extends http.Agent {
  /** The connector every connection of this agent goes through. */
  readonly connector: Connector;

  constructor(options: HttpAgentOptions = {}) {
    super({ keepAlive: true, ...options.agent });
    this.connector = options.connector ?? new Connector(options);
  }

  // Node's agent accepts an asynchronous createConnection: return nothing and call back later.
  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex {
    return connectPooled(this, this.connector, options, callback, (socket) => socket) as unknown as Duplex;
  }

  /** Plain JSON for metrics: the connector's counters and failed addresses. */
  snapshot(): Record<string, unknown> {
    return this.connector.snapshot();
  }
}

/** An `https.Agent` whose connections go through a failsmall {@link Connector}; TLS (SNI, certificate checks, session reuse) is Node's own, layered on the socket that connected. */
export class FailsmallHttpsAgent extends https.Agent {
  /** The connector every connection of this agent goes through. */
  readonly connector: Connector;

  constructor(options: HttpAgentOptions = {}) {
    super({ keepAlive: true, ...options.agent });
    this.connector = options.connector ?? new Connector(options);
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex {
    return connectPooled(this, this.connector, { ...options, protocol: 'https:' }, callback, (socket) => {
      // https.Agent's own createConnection does session caching and SNI; `socket` makes tls.connect
      // layer over the connected TCP socket instead of opening one.
      const tls = super.createConnection({ ...options, socket } as https.RequestOptions);
      if (!tls) throw new Error('https.Agent.createConnection returned no socket');
      return tls;
    }) as unknown as Duplex;
  }

  /** Plain JSON for metrics: the connector's counters and failed addresses. */
  snapshot(): Record<string, unknown> {
    return this.connector.snapshot();
  }
}

/**
 * Builds an `http.Agent` that resolves through failsmall and tries the whole address set.
 *
 * @example
 * const agent = createHttpAgent({ resolver });
 * http.get({ host: 'dynamodb.lab.test', port: 8000, path: '/', agent }, (res) => res.resume());
 */
export function createHttpAgent(options: HttpAgentOptions = {}): FailsmallHttpAgent {
  return new FailsmallHttpAgent(options);
}

/**
 * Builds an `https.Agent` that resolves through failsmall and tries the whole address set.
 *
 * @example
 * const agent = createHttpsAgent({ resolver, agent: { ca } });
 * https.get('https://api.example.test/', { agent }, (res) => res.resume());
 */
export function createHttpsAgent(options: HttpAgentOptions = {}): FailsmallHttpsAgent {
  return new FailsmallHttpsAgent(options);
}
