/**
 * Binding a socket or server and waiting for it: the one promise around Node's callback-style
 * `listen`/`bind`, which reports a failure (`EADDRINUSE`, `EACCES`, …) as an `'error'` event.
 */
import type dgram from 'node:dgram';
import type { EventEmitter } from 'node:events';
import { createServer, type Server } from 'node:net';

/**
 * Calls `start(done)` (e.g. `(done) => server.listen(port, host, done)`) and resolves once it calls
 * `done`, or rejects with the first `'error'` that `target` emits before that (the listener is
 * removed either way, and so is `done` from `'listening'` after a failure).
 *
 * @example
 * await listening(server, (done) => server.listen({ port: 0, host: '127.0.0.1' }, done));
 */
export function listening(target: EventEmitter, start: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (): void => {
      target.off('error', failed);
      resolve();
    };
    const failed = (error: unknown): void => {
      target.off('error', failed);
      // listen/bind added `done` as a 'listening' listener: a failed try must not leave it behind
      // (a target tried again would gather one per try).
      target.off('listening', done);
      reject(error);
    };
    target.once('error', failed);
    start(done);
  });
}

/** A free TCP port on 127.0.0.1, as the OS picks it (free again once this resolves). */
export async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await listening(server, (done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Why {@link listenUdpAndTcp} gave up: the side that failed and Node's error (`EADDRINUSE`, …). */
export class BindFailure extends Error {
  constructor(
    readonly side: 'udp' | 'tcp',
    override readonly cause: unknown,
  ) {
    super(`cannot bind ${side}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BindFailure';
  }
}

/**
 * Binds a UDP socket and a TCP server to one port number on `address`, as a DNS server needs. With
 * `port` 0 the OS picks the UDP port and TCP then takes the same number; when that number is taken for
 * TCP, the UDP socket is closed and a new one (from `newUdp`: a closed dgram socket cannot bind again)
 * tries another number, up to `attempts` times (default 20; a fixed `port` is tried once). Rejects
 * with a {@link BindFailure} naming the side that failed; nothing is left bound then.
 *
 * @example
 * const tcp = net.createServer();
 * const { udp, port } = await listenUdpAndTcp(() => dgram.createSocket('udp4'), tcp, '127.0.0.1');
 */
export async function listenUdpAndTcp(
  newUdp: () => dgram.Socket,
  tcp: Server,
  address: string,
  port = 0,
  attempts = 20,
): Promise<{ readonly udp: dgram.Socket; readonly port: number }> {
  let lastError: unknown;
  for (let attempt = 0; attempt < (port === 0 ? attempts : 1); attempt++) {
    const udp = newUdp();
    try {
      await listening(udp, (done) => udp.bind(port, address, done));
    } catch (error) {
      udp.close();
      throw new BindFailure('udp', error);
    }
    const bound = udp.address().port;
    try {
      await listening(tcp, (done) => tcp.listen({ port: bound, host: address }, done));
      return { udp, port: bound };
    } catch (error) {
      lastError = error;
      udp.close();
    }
  }
  throw new BindFailure('tcp', lastError);
}
