import assert from 'node:assert/strict';
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
      assert.equal(other.listenerCount('listening'), 0, 'no listener left by the failed try');
      // The UDP side of the failed try was let go: the port can be bound again.
      const again = udp4();
      await listening(again, (done) => again.bind(port, '127.0.0.1', done));
      again.close();
    } finally {
      if (!closed) udp.close();
      await new Promise((resolve) => tcp.close(resolve));
    }
  });

  it('listenUdpAndTcp in cluster workers: every worker serves on the one port, UDP and TCP', async () => {
    // A worker script of its own (not this file: a worker must not run these tests), silent.
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-listening-'));
    const exec = join(dir, 'worker.mjs');
    writeFileSync(
      exec,
      [
        "import dgram from 'node:dgram';",
        "import net from 'node:net';",
        `const { listenUdpAndTcp } = await import(${JSON.stringify(new URL('./listening.js', import.meta.url).href)});`,
        "const tcp = net.createServer((socket) => socket.end('tcp'));",
        "const { udp, port } = await listenUdpAndTcp(() => dgram.createSocket('udp4'), tcp, '127.0.0.1');",
        "udp.on('message', (_m, from) => udp.send('udp', from.port, from.address));",
        'process.send({ port });',
      ].join('\n'),
    );
    cluster.setupPrimary({ exec, silent: true });
    const workers = [cluster.fork(), cluster.fork()];
    try {
      const ports = await Promise.all(
        workers.map(
          (w) =>
            new Promise<number>((resolve, reject) => {
              w.once('message', (m: { port: number }) => resolve(m.port));
              w.once('exit', (code) => reject(new Error(`worker exited with ${code}`)));
            }),
        ),
      );
      assert.equal(ports[0], ports[1], `both workers on one port: ${ports.join(', ')}`);
      const port = ports[0]!;
      const client = dgram.createSocket('udp4');
      try {
        const reply = new Promise<string>((resolve) => client.once('message', (m) => resolve(m.toString())));
        client.send('hello', port, '127.0.0.1');
        assert.equal(await reply, 'udp');
      } finally {
        client.close();
      }
      const tcpReply = await new Promise<string>((resolve, reject) => {
        let text = '';
        net
          .connect(port, '127.0.0.1')
          .on('data', (d) => (text += d.toString()))
          .on('end', () => resolve(text))
          .on('error', reject);
      });
      assert.equal(tcpReply, 'tcp');
    } finally {
      await Promise.all(
        workers.map(
          (w) =>
            new Promise<void>((resolve) => {
              if (w.isDead()) return resolve();
              w.once('exit', () => resolve());
              w.kill();
            }),
        ),
      );
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
