/**
 * An undici `Agent` for `fetch` that resolves through a failsmall resolver and, when an address does not
 * accept, connects to the next one of the set before failing.
 *
 * Why not undici's own DNS interceptor: it rewrites the request origin to one IP (a connection pool per
 * address, the `Host` header and TLS name patched back in), picks addresses round-robin with no memory of
 * the dead ones, re-dispatches the whole request after a refused connect (unsafe for a streamed body)
 * and turns an empty answer into "No DNS entries found". Here the origin keeps its name (one pool per
 * host, SNI and certificate checks untouched); the name is resolved and the address set raced inside the
 * connector, before any request byte is written, so moving to the next address is always safe, and a
 * failed address stays at the back of the order for a while (see {@link AddressHealth}).
 */
import type { ConnectionOptions } from 'node:tls';
import type * as Undici from 'undici';
import { importPeer } from '../core/optional-peer.js';
import { Connector, type ConnectorOptions } from './connector.js';

// undici is an optional peer: loaded when this module is first imported (FS_ERR_MISSING_PEER names it).
const { Agent, buildConnector } = await importPeer<typeof Undici>('undici', 'the undici agent of failsmall/client');

/** Options of {@link createUndiciAgent}. */
export interface UndiciAgentOptions extends ConnectorOptions {
  /** A connector to share (with an `http.Agent` or the AWS handler of the same dependency); built from the other options when absent. */
  readonly connector?: Connector;
  /** TLS options for `https:` origins (`ca`, `rejectUnauthorized`, …), plus undici's `maxCachedSessions` and `allowH2`. */
  readonly tls?: ConnectionOptions & { readonly maxCachedSessions?: number; readonly allowH2?: boolean };
  /** undici `Agent` options (`connections`, `keepAliveTimeout`, `pipelining`, …); `connect` is ours. */
  readonly agent?: Omit<Undici.Agent.Options, 'connect'>;
}

/**
 * An undici `Agent` whose connections go through a failsmall {@link Connector}. `connector` is exposed
 * for events and `snapshot()`.
 */
export class FailsmallUndiciAgent extends Agent {
  /** The connector every connection of this agent goes through. */
  readonly connector: Connector;

  constructor(options: UndiciAgentOptions = {}) {
    const connector = options.connector ?? new Connector(options);
    // undici's own connector does the TLS part (session cache, ALPN, handshake timeout) on the socket we
    // connected: `httpSocket` is its hook for layering TLS over an existing socket.
    const handshakeTimeout = options.connectTimeout ?? 10_000;
    const tlsConnect = buildConnector({
      ...options.tls,
      timeout: Number.isFinite(handshakeTimeout) ? handshakeTimeout : 0, // 0: undici sets no timer
    } as Undici.buildConnector.BuildOptions);
    const connect: Undici.buildConnector.connector = (opts, callback) => {
      if (opts.httpSocket !== undefined) {
        tlsConnect(opts, callback);
        return;
      }
      const https = opts.protocol === 'https:';
      const port = Number(opts.port) || (https ? 443 : 80);
      connector
        .connect({
          hostname: opts.hostname,
          port,
          ...(opts.localAddress == null ? {} : { localAddress: opts.localAddress }),
        })
        .then(
          ({ socket }) => {
            if (!https) {
              callback(null, socket);
              return;
            }
            tlsConnect({ ...opts, httpSocket: socket }, (...args) => {
              if (args[0] !== null) socket.destroy();
              callback(...args);
            });
          },
          (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
        );
    };
    super({ ...options.agent, connect });
    this.connector = connector;
  }

  /** Plain JSON for metrics: the connector's counters and failed addresses. */
  snapshot(): Record<string, unknown> {
    return this.connector.snapshot();
  }
}

/**
 * Builds an undici dispatcher for `fetch` (Node's global one too) that resolves through failsmall and
 * tries the whole address set.
 *
 * @example
 * import { setGlobalDispatcher } from 'undici';
 * const dispatcher = createUndiciAgent({ resolver }); // resolver: a failsmall Resolver
 * setGlobalDispatcher(dispatcher);                     // or: fetch(url, { dispatcher })
 */
export function createUndiciAgent(options: UndiciAgentOptions = {}): FailsmallUndiciAgent {
  return new FailsmallUndiciAgent(options);
}
