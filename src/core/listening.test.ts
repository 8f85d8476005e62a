import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import { freeLoopbackPort, listening } from './listening.js';

describe('listening', () => {
  it('resolves once bound, and rejects with the error of a port in use (no listener left behind)', async () => {
    const first = net.createServer();
    await listening(first, (done) => first.listen(0, '127.0.0.1', done));
    const port = (first.address() as net.AddressInfo).port;
    const second = net.createServer();
    try {
      await assert.rejects(
        listening(second, (done) => second.listen({ port, host: '127.0.0.1', exclusive: true }, done)),
        (error: NodeJS.ErrnoException) => error.code === 'EADDRINUSE',
      );
      assert.equal(second.listenerCount('error'), 0);
      assert.equal(first.listenerCount('error'), 0);
    } finally {
      await new Promise((resolve) => first.close(resolve));
    }
  });

  it('freeLoopbackPort gives a port that can be bound on 127.0.0.1 once it resolves', async () => {
    const port = await freeLoopbackPort();
    assert.ok(Number.isInteger(port) && port > 0 && port < 65_536, `port ${port}`);
    const server = net.createServer();
    await listening(server, (done) => server.listen({ port, host: '127.0.0.1', exclusive: true }, done));
    await new Promise((resolve) => server.close(resolve));
  });
});
