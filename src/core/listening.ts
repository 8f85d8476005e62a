/**
 * Binding a socket or server and waiting for it: the one promise around Node's callback-style
 * `listen`/`bind`, which reports a failure (`EADDRINUSE`, `EACCES`, …) as an `'error'` event.
 */
import type { EventEmitter } from 'node:events';
import { createServer } from 'node:net';

/**
 * Calls `start(done)` (e.g. `(done) => server.listen(port, host, done)`) and resolves once it calls
 * `done`, or rejects with the first `'error'` that `target` emits before that (the listener is
 * removed either way).
 *
 * @example
 * await listening(server, (done) => server.listen({ port: 0, host: '127.0.0.1' }, done));
 */
export function listening(target: EventEmitter, start: (done: () => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const failed = (error: unknown): void => {
      target.off('error', failed);
      reject(error);
    };
    target.once('error', failed);
    start(() => {
      target.off('error', failed);
      resolve();
    });
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
