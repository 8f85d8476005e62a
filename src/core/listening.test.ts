import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { describe, it } from 'node:test';
import { BindFailure, freeLoopbackPort, listening, listenUdpAndTcp } from './listening.js';

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

  it('listenUdpAndTcp binds both sides to one port, and names the side that failed', async () => {
    const udp4 = (): dgram.Socket => dgram.createSocket('udp4');
    const tcp = net.createServer();
    const { udp, port } = await listenUdpAndTcp(udp4, tcp, '127.0.0.1');
    let closed = false;
    try {
      assert.equal(udp.address().port, port);
      assert.equal((tcp.address() as net.AddressInfo).port, port);
      // The same fixed port again: UDP is taken first; then with UDP free but TCP taken.
      await assert.rejects(
        listenUdpAndTcp(udp4, net.createServer(), '127.0.0.1', port),
        (error) => error instanceof BindFailure && error.side === 'udp',
      );
      const loose = udp4();
      await new Promise<void>((resolve) => udp.close(() => resolve()));
      closed = true;
      const other = net.createServer();
      await assert.rejects(
        listenUdpAndTcp(() => loose, other, '127.0.0.1', port),
        (error) =>
          error instanceof BindFailure &&
          error.side === 'tcp' &&
          (error.cause as NodeJS.ErrnoException).code === 'EADDRINUSE',
      );
      assert.equal(other.listening, false);
      // The UDP side of the failed try was let go: the port can be bound again.
      const again = udp4();
      await listening(again, (done) => again.bind(port, '127.0.0.1', done));
      again.close();
    } finally {
      if (!closed) udp.close();
      await new Promise((resolve) => tcp.close(resolve));
    }
  });
});
