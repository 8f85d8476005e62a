import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { type ICreateToxicBody, type Toxic, Toxiproxy } from 'toxiproxy-node-client';
import { until } from '../../test-support/poll.js';
import { startProxyServer, type ProxyServer } from './proxy-server.js';

/** An upstream that echoes, or (for `close:` prefixed data) echoes and closes. */
async function echoServer(): Promise<{ port: number; server: net.Server; received: Buffer[][] }> {
  const received: Buffer[][] = [];
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    const mine: Buffer[] = [];
    received.push(mine);
    s.on('data', (d: Buffer) => {
      mine.push(d);
      if (d.toString().startsWith('close:')) s.end(d);
      else s.write(d);
    });
    s.on('end', () => s.end());
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, server, received };
}

function connect(listen: string): Promise<net.Socket> {
  const [host, port] = [listen.slice(0, listen.lastIndexOf(':')), Number(listen.slice(listen.lastIndexOf(':') + 1))];
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port }, () => resolve(s));
    s.once('error', reject);
  });
}

/** Sends `data` and resolves with the ms until `bytes` bytes came back. */
function roundTrip(s: net.Socket, data: Buffer | string, bytes: number): Promise<number> {
  return new Promise((resolve) => {
    const start = performance.now();
    let got = 0;
    const onData = (d: Buffer): void => {
      got += d.length;
      if (got >= bytes) {
        s.off('data', onData);
        resolve(performance.now() - start);
      }
    };
    s.on('data', onData);
    s.write(data);
  });
}

describe('fault proxy driven by toxiproxy-node-client', () => {
  let server: ProxyServer;
  let client: Toxiproxy;
  let upstream: Awaited<ReturnType<typeof echoServer>>;
  before(async () => {
    server = await startProxyServer({ port: 0 });
    client = new Toxiproxy(server.url);
    upstream = await echoServer();
  });
  after(async () => {
    await server.close();
    upstream.server.close();
  });
  const up = (): string => `127.0.0.1:${upstream.port}`;

  /**
   * Runs `body` with a client connected through a new proxy `name` that has one toxic (of the same
   * name, toxicity 1); then destroys the client and removes the proxy.
   */
  async function throughToxic<T>(
    name: string,
    toxic: Pick<ICreateToxicBody<T>, 'type' | 'stream' | 'attributes'>,
    body: (s: net.Socket, added: Toxic<T>) => Promise<void>,
  ): Promise<void> {
    const p = await client.createProxy({ name, listen: '127.0.0.1:0', upstream: up() });
    const added = await p.addToxic<T>({ name, toxicity: 1, ...toxic });
    const s = await connect(p.listen);
    try {
      await body(s, added);
    } finally {
      s.destroy();
      await p.remove();
    }
  }

  it('creates, lists, shows, populates, versions and deletes proxies', async () => {
    const p = await client.createProxy({ name: 'one', listen: '127.0.0.1:0', upstream: up() });
    assert.equal(p.name, 'one');
    assert.equal(p.enabled, true);
    assert.match(p.listen, /^127\.0\.0\.1:\d+$/);
    assert.notEqual(p.listen, '127.0.0.1:0');
    const s = await connect(p.listen);
    assert.ok((await roundTrip(s, 'hello', 5)) >= 0);
    s.destroy();
    const all = await client.getAll();
    assert.deepEqual(Object.keys(all), ['one']);
    assert.equal((await client.get('one')).upstream, up());
    const populated = await client.populate([
      { name: 'one', listen: p.listen, upstream: up() },
      { name: 'two', listen: '127.0.0.1:0', upstream: up() },
    ]);
    assert.equal(populated['one']!.listen, p.listen, 'an unchanged proxy is kept');
    assert.ok(populated['two']!.enabled);
    assert.match(await client.getVersion(), /"version"/);
    await populated['two']!.remove();
    await assert.rejects(client.get('two'), /404/);
    await p.remove();
  });

  it('a toxic added to and removed from a live connection: every byte arrives, in order', async () => {
    const p = await client.createProxy({ name: 'live', listen: '127.0.0.1:0', upstream: up() });
    const s = await connect(p.listen);
    const sent = Buffer.alloc(4 << 20);
    for (let i = 0; i < sent.length; i += 4) sent.writeUInt32LE(i, i); // each offset names itself
    const got: Buffer[] = [];
    let bytes = 0;
    const done = new Promise<void>((resolve) =>
      s.on('data', (d: Buffer) => {
        got.push(d);
        if ((bytes += d.length) === sent.length) resolve();
      }),
    );
    let toxic: Awaited<ReturnType<typeof p.addToxic>> | undefined;
    for (let at = 0, step = 0; at < sent.length; at += 512 << 10, step++) {
      // The client stops reading for a while: the proxy's writes to it back up, so its read buffers
      // stay lent to pending writes while the next reads come in.
      s.pause();
      s.write(sent.subarray(at, at + (512 << 10)));
      await new Promise((r) => setTimeout(r, 30));
      s.resume();
      await until(() => bytes >= at, 'the echo keeps up');
      // Chunks read on the fast path (buffers lent to writes) and chunks queued for the toxic interleave.
      if (step === 2)
        toxic = await p.addToxic({
          name: 'lat',
          type: 'latency',
          stream: 'downstream',
          toxicity: 1,
          attributes: { latency: 5, jitter: 0 },
        });
      if (step === 5) await toxic!.remove();
    }
    await done;
    assert.ok(Buffer.concat(got).equals(sent));
    s.destroy();
    await p.remove();
  });

  it('disabling closes connections and refuses new ones; enabling again serves', async () => {
    const p = await client.createProxy({ name: 'down', listen: '127.0.0.1:0', upstream: up() });
    const s = await connect(p.listen);
    const closed = new Promise((resolve) => s.once('close', resolve));
    const off = await p.update({ listen: p.listen, upstream: up(), enabled: false });
    assert.equal(off.enabled, false);
    await closed;
    await assert.rejects(connect(p.listen), /ECONNREFUSED/);
    await off.update({ listen: p.listen, upstream: up(), enabled: true });
    const again = await connect(p.listen);
    await roundTrip(again, 'x', 1);
    again.destroy();
    await p.remove();
  });

  it('latency: each echo takes latency ± jitter (both directions measured, tolerance 60 ms)', () =>
    throughToxic(
      'lat',
      { type: 'latency', stream: 'downstream', attributes: { latency: 150, jitter: 40 } },
      async (s) => {
        const times: number[] = [];
        for (let i = 0; i < 8; i++) times.push(await roundTrip(s, `ping${i}`, 5));
        for (const t of times) assert.ok(t >= 110 - 2, `each echo at least latency - jitter: ${t}`);
        const mean = times.reduce((a, b) => a + b, 0) / times.length;
        assert.ok(mean >= 110 && mean <= 190 + 60, `mean ${mean} within latency ± jitter + tolerance`);
      },
    ));

  it('bandwidth: the measured rate is within 10 % of rate', () =>
    throughToxic('bw', { type: 'bandwidth', stream: 'downstream', attributes: { rate: 400 } }, async (s, toxic) => {
      assert.deepEqual(toxic.attributes, { rate: 400 });
      const bytes = 400_000; // 1 s at 400 KB/s
      const ms = await roundTrip(s, Buffer.alloc(bytes, 7), bytes);
      const rate = bytes / ms; // bytes per ms = KB/s
      assert.ok(rate <= 400 * 1.1 && rate >= 400 * 0.9, `measured ${rate.toFixed(1)} KB/s, wanted 400 ± 10 %`);
    }));

  it('slow_close: the close reaches the client delay ms late', () =>
    throughToxic('sc', { type: 'slow_close', stream: 'downstream', attributes: { delay: 200 } }, async (s) => {
      const start = performance.now();
      const ended = new Promise<number>((resolve) => s.once('end', () => resolve(performance.now() - start)));
      s.resume();
      s.write('close:now');
      assert.ok((await ended) >= 195);
    }));

  it('timeout: data is dropped and the connection closes after timeout', () =>
    throughToxic('to', { type: 'timeout', stream: 'upstream', attributes: { timeout: 150 } }, async (s) => {
      const start = performance.now();
      let got = 0;
      s.on('data', (d: Buffer) => (got += d.length));
      const closed = new Promise<number>((resolve) => s.once('close', () => resolve(performance.now() - start)));
      s.write('lost');
      assert.ok((await closed) >= 145);
      assert.equal(got, 0);
    }));

  it('timeout 0: never delivers, until the toxic is removed', () =>
    throughToxic('to0', { type: 'timeout', stream: 'upstream', attributes: { timeout: 0 } }, async (s, toxic) => {
      const before = upstream.received.length;
      s.write('dropped');
      await until(() => upstream.received.length > before, 'upstream connected');
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(upstream.received.at(-1)!.length, 0, 'nothing reached the upstream');
      await toxic.remove();
      assert.ok((await roundTrip(s, 'after', 5)) >= 0);
    }));

  it('reset_peer: the client is reset timeout ms after its first data', () =>
    throughToxic('rp', { type: 'reset_peer', stream: 'upstream', attributes: { timeout: 100 } }, async (s) => {
      const start = performance.now();
      const failed = new Promise<{ code: string; ms: number }>((resolve) =>
        s.once('error', (e: NodeJS.ErrnoException) => resolve({ code: e.code ?? '', ms: performance.now() - start })),
      );
      s.write('boom');
      const { code, ms } = await failed;
      assert.equal(code, 'ECONNRESET');
      assert.ok(ms >= 95);
    }));

  it('slicer: the upstream receives the data in many small pieces', () =>
    throughToxic(
      'sl',
      { type: 'slicer', stream: 'upstream', attributes: { average_size: 10, size_variation: 4, delay: 3000 } },
      async (s) => {
        await roundTrip(s, Buffer.alloc(200, 'a'), 200);
        const pieces = upstream.received.at(-1)!;
        assert.equal(Buffer.concat(pieces).length, 200);
        assert.ok(pieces.length >= 8, `sliced into ${pieces.length} pieces`);
      },
    ));

  it('limit_data: the connection closes after bytes', () =>
    throughToxic('ld', { type: 'limit_data', stream: 'downstream', attributes: { bytes: 100 } }, async (s) => {
      let got = 0;
      s.on('data', (d: Buffer) => (got += d.length));
      const closed = new Promise((resolve) => s.once('close', resolve));
      s.write(Buffer.alloc(300, 1));
      await closed;
      assert.equal(got, 100);
    }));

  it('toxicity 0 never applies; toxics update and reset clears them', async () => {
    const slow = (toxicity: number, latency: number) =>
      ({ name: 'slow', type: 'latency', stream: 'downstream', toxicity, attributes: { latency, jitter: 0 } }) as const;
    const p = await client.createProxy({ name: 'tx', listen: '127.0.0.1:0', upstream: up() });
    const t = await p.addToxic(slow(0, 2000));
    const s = await connect(p.listen);
    assert.ok((await roundTrip(s, 'fast', 4)) < 2000);
    s.destroy();
    const updated = await t.update(slow(0.5, 10));
    assert.equal(updated.toxicity, 0.5);
    assert.deepEqual(updated.attributes, { latency: 10, jitter: 0 });
    assert.equal((await p.getToxic('slow')).toxicity, 0.5);
    await p.update({ listen: p.listen, upstream: up(), enabled: false });
    await client.reset();
    const after = await client.get('tx');
    assert.equal(after.enabled, true);
    await assert.rejects(p.getToxic('slow'), /404/);
    await after.remove();
  });
});
