/**
 * One proxied TCP connection: the client's socket, the upstream socket, and a {@link Link} each way
 * (`upstream` toxics on client → server, `downstream` on server → client). Client data waits (paused)
 * until the upstream connects; a failed upstream connect closes the client, as Toxiproxy does. Both
 * sockets allow half-open, so a FIN passes through one direction at a time (slow_close delays it).
 */
import net from 'node:net';
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import { Link, readInto, writeHighWaterMark } from './link.js';
import type { Toxic } from './toxic.js';

/** Where the upstream is: host and port. */
export interface Upstream {
  readonly host: string;
  readonly port: number;
}

/** One client connection through a proxy. */
export class Connection {
  readonly #client: net.Socket;
  readonly #server: net.Socket;
  readonly #links: { upstream: Link; downstream: Link };
  #done = false;

  /**
   * @param onClose - called once, when both sockets are gone.
   */
  constructor(
    client: net.Socket,
    upstream: Upstream,
    toxics: readonly Toxic[],
    env: { readonly clock: Clock; readonly random: Random },
    onClose: (c: Connection) => void,
  ) {
    this.#client = client;
    client.pause();
    client.setNoDelay(true);
    // The server's side is read with growing buffers (readInto): responses are where bulk data flows.
    // (A client socket comes from the listener, which takes no `onread`: its link reads `data` events.)
    const reader = readInto((data) => this.#links.downstream.push(data)); // set before the first read
    // Node reads `highWaterMark` on a connect option as it does on a listener's, but the typings lack it.
    const options: net.NetConnectOpts & { readonly highWaterMark: number } = {
      host: upstream.host,
      port: upstream.port,
      allowHalfOpen: true,
      noDelay: true,
      highWaterMark: writeHighWaterMark,
      onread: reader.onread,
    };
    const server = net.connect(options);
    this.#server = server;
    const owner = { clock: env.clock, random: env.random, close: () => this.close(), reset: () => this.reset() };
    this.#links = {
      upstream: new Link(
        client,
        server,
        owner,
        toxics.filter((t) => t.stream === 'upstream'),
      ),
      downstream: new Link(
        server,
        client,
        owner,
        toxics.filter((t) => t.stream === 'downstream'),
        reader.release,
      ),
    };
    server.once('connect', () => client.resume());
    let closed = 0;
    const onSocketClose = (): void => {
      this.#dispose();
      if (++closed === 2) onClose(this);
    };
    for (const s of [client, server]) {
      s.on('error', () => this.destroy());
      s.once('close', onSocketClose);
    }
  }

  /** Gives both links the proxy's current toxics. */
  setToxics(toxics: readonly Toxic[]): void {
    if (this.#done) return;
    this.#links.upstream.setToxics(toxics.filter((t) => t.stream === 'upstream'));
    this.#links.downstream.setToxics(toxics.filter((t) => t.stream === 'downstream'));
  }

  /** Closes both sockets gracefully: pending writes are flushed, then FIN, then the sockets go. */
  close(): void {
    this.#dispose();
    for (const s of [this.#client, this.#server]) {
      if (s.destroyed) continue;
      s.end(() => s.destroy());
      s.setTimeout(5_000, () => s.destroy()); // a peer that never reads must not hold the socket
    }
  }

  /** Resets both sockets (RST). */
  reset(): void {
    this.#dispose();
    for (const s of [this.#client, this.#server]) if (!s.destroyed) s.resetAndDestroy();
  }

  /** Destroys both sockets at once (the proxy is disabled or deleted). */
  destroy(): void {
    this.#dispose();
    this.#client.destroy();
    this.#server.destroy();
  }

  #dispose(): void {
    if (this.#done) return;
    this.#done = true;
    this.#links.upstream.dispose();
    this.#links.downstream.dispose();
  }
}
