/**
 * The fault proxy server: the {@link ProxyCollection} and its Toxiproxy-compatible control API
 * (proxy-api.ts) on one HTTP port, 127.0.0.1:8474 by default as Toxiproxy's server.
 */
import http from 'node:http';
import { isIP } from 'node:net';
import { type Clock, systemClock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { mathRandom, type Random } from '../../core/random.js';
import { isLoopback } from '../fault-dns-server.js';
import { HttpGuard } from '../http-guard.js';
import { createProxyApiHandler } from './proxy-api.js';
import { ProxyCollection, type ProxySpec } from './proxy-collection.js';
import { listening } from '../../core/listening.js';

/** Options of {@link startProxyServer}. */
export interface ProxyServerOptions {
  /** The API's address (an IP literal); default `127.0.0.1`. Off loopback a `token` is required. */
  readonly host?: string;
  /** The API's port; default 8474 (Toxiproxy's); 0 lets the OS pick. */
  readonly port?: number;
  /** When set, every API request needs `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Browser origins allowed to call the API (see {@link HttpGuard}); default none but its own. */
  readonly allowedOrigins?: readonly string[];
  /** Extra host names accepted in `Host` (see {@link HttpGuard}); default none. */
  readonly allowedHosts?: readonly string[];
  /** Proxies to create at start (as `POST /populate` would); default none. */
  readonly proxies?: readonly ProxySpec[];
  /** Time for latency, bandwidth, timers and fault windows; default the system clock. */
  readonly clock?: Clock;
  /** Draws for toxicity, jitter and fault probabilities; default `Math.random`. */
  readonly random?: Random;
}

/** A running fault proxy server. */
export interface ProxyServer {
  /** `http://host:port` of the control API (what a Toxiproxy client is given). */
  readonly url: string;
  readonly port: number;
  readonly proxies: ProxyCollection;
  /** Stops every proxy and the API. */
  close(): Promise<void>;
}

/**
 * Starts the server. Throws `FS_ERR_INVALID_ARGUMENT` for a bad host or empty token,
 * `FS_ERR_CHAOS_TOKEN_REQUIRED` off loopback without a token, `FS_ERR_PROXY_LISTEN` when the API port
 * or a configured proxy cannot be bound.
 *
 * @example
 * const server = await startProxyServer({ port: 0 });
 * const toxiproxy = new Toxiproxy(server.url); // toxiproxy-node-client
 * await toxiproxy.createProxy({ name: 'redis', listen: '127.0.0.1:0', upstream: '127.0.0.1:6379' });
 */
export async function startProxyServer(options: ProxyServerOptions = {}): Promise<ProxyServer> {
  const host = options.host ?? '127.0.0.1';
  if (isIP(host) === 0)
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`host\` to be an IP address, got ${JSON.stringify(host)}`,
      {
        details: { option: 'host' },
      },
    );
  if (options.token !== undefined && options.token.length === 0)
    throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'Expected `token` to be a non-empty string, got ""', {
      details: { option: 'token' },
    });
  if (!isLoopback(host) && options.token === undefined)
    throw new FailsmallError(
      'FS_ERR_CHAOS_TOKEN_REQUIRED',
      `The control API would listen on ${host}, which is not loopback: give it a token`,
      { details: { host } },
    );
  const env = { clock: options.clock ?? systemClock, random: options.random ?? mathRandom };
  const proxies = new ProxyCollection(env);
  const bound: { handler?: (req: http.IncomingMessage, res: http.ServerResponse) => void } = {};
  const server = http.createServer((req, res) => bound.handler!(req, res));
  server.keepAliveTimeout = 5_000;
  const port = options.port ?? 8474;
  try {
    await listening(server, (done) => server.listen({ host, port }, done));
  } catch (error) {
    throw new FailsmallError(
      'FS_ERR_PROXY_LISTEN',
      `Cannot listen for the proxy API on ${host}:${port}: ${(error as Error).message}`,
      {
        cause: error,
        details: { host, port },
      },
    );
  }
  const actualPort = (server.address() as { port: number }).port;
  const guard = new HttpGuard({
    address: host,
    port: actualPort,
    ...(options.token === undefined ? {} : { token: options.token }),
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
    ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
  });
  bound.handler = createProxyApiHandler({ proxies, guard, env });
  const close = async (): Promise<void> => {
    await proxies.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  if (options.proxies !== undefined) {
    const { error } = await proxies.populate(options.proxies);
    if (error !== undefined) {
      await close();
      throw error;
    }
  }
  const h = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${h}:${actualPort}`, port: actualPort, proxies, close };
}
