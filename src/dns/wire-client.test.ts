import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import dns from 'node:dns';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { startDnsFixture, type DnsFixture } from '../test-support/dns-server.js';
import { WireClient } from './wire-client.js';
import { listenUdpAndTcp } from '../core/listening.js';
import { waitFor } from '../test-support/wait.js';

/** Polls `condition` on real time (for real socket I/O to happen), at most `ms`. */
describe('WireClient', () => {
  let server: DnsFixture;
  const clients: WireClient[] = [];
  const client = (options: Partial<ConstructorParameters<typeof WireClient>[0]> = {}): WireClient => {
    const c = new WireClient({ server: server.server, ...options });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startDnsFixture({
      zone: {
        'api.test': { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'], ttl: 60 },
        'www.test': { CNAME: 'edge.test', ttl: 30 },
        'edge.test': { CNAME: 'api.test', ttl: 45 },
        'out.test': { CNAME: 'far.example', ttl: 20 },
        'far.example': { A: ['10.9.9.9'], ttl: 300 },
        'loop1.test': { CNAME: 'loop2.test' },
        'loop2.test': { CNAME: 'loop1.test' },
        'v4only.test': { A: ['10.0.0.4'] },
        '*.wild.test': { A: ['10.0.0.7'], ttl: 5 },
      },
    });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.close();
  });

  it('resolves A and AAAA, with the TTL, and agrees with c-ares', async () => {
    const c = client();
    const v4 = await c.resolve('api.test', 4);
    assert.deepEqual(v4, {
      kind: 'addresses',
      addresses: [
        { address: '10.0.0.1', family: 4 },
        { address: '10.0.0.2', family: 4 },
      ],
      ttl: 60,
      source: 'fresh',
      upstream: server.server,
    });
    const v6 = await c.resolve('api.test', 6);
    assert.deepEqual(v6.kind === 'addresses' && v6.addresses, [{ address: 'fd00::1', family: 6 }]);
    const cares = new dns.promises.Resolver();
    cares.setServers([server.server]);
    const expected = await cares.resolve4('api.test', { ttl: true });
    assert.deepEqual(
      v4.kind === 'addresses' && v4.addresses.map((a) => ({ address: a.address, ttl: v4.ttl })),
      expected,
    );
  });

  it('follows CNAME chains inside one response and across queries, with the minimum TTL', async () => {
    const c = client();
    const www = await c.resolve('www.test', 4);
    assert.equal(www.kind, 'addresses');
    assert.equal(www.ttl, 30); // min(30, 45, 60)
    const before = server.count('far.example');
    server.behave('out.test', 'no-chase'); // the target lies in another zone the server does not chase into
    const out = await c.resolve('out.test', 4);
    server.behave('out.test', 'answer');
    assert.deepEqual(out.kind === 'addresses' && out.addresses, [{ address: '10.9.9.9', family: 4 }]);
    assert.equal(out.ttl, 20);
    assert.equal(server.count('far.example'), before + 1, 'the out-of-zone target was asked separately');
    const cares = new dns.promises.Resolver();
    cares.setServers([server.server]);
    assert.deepEqual(await cares.resolve4('www.test'), ['10.0.0.1', '10.0.0.2']);
  });

  it('ends a CNAME chain at its first negative answer: an AAAA lookup of a CNAME to an IPv4-only name', async () => {
    server.set('alias.test', { CNAME: 'lb.test', ttl: 30 });
    server.set('lb.test', { A: ['10.0.0.8'], ttl: 30 });
    for (const chase of [true, false]) {
      if (!chase) server.behave('alias.test', 'no-chase');
      const before = server.count();
      const r = await client().resolve('alias.test', 6);
      assert.equal(r.kind, 'empty');
      // One query when the server followed the CNAME (its SOA says the target has no AAAA); when it did
      // not, the target is asked once, and its empty answer ends the chain.
      assert.equal(
        server.count() - before,
        chase ? 1 : 2,
        `queries sent (server ${chase ? 'chases' : 'does not chase'})`,
      );
    }
    server.behave('alias.test', 'answer');
  });

  it('rejects a CNAME loop and an over-long chain with FS_ERR_DNS_CNAME_CHAIN', async () => {
    await assert.rejects(client().resolve('loop1.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_CNAME_CHAIN'));
    await assert.rejects(client({ maxCnameDepth: 1 }).resolve('www.test', 4), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_CNAME_CHAIN'),
    );
  });

  it('tells NXDOMAIN from NOERROR/empty, with the SOA negative TTL', async () => {
    const c = client();
    assert.deepEqual(await c.resolve('missing.test', 4), { kind: 'nxdomain', ttl: 5, upstream: server.server });
    assert.deepEqual(await c.resolve('v4only.test', 6), { kind: 'empty', ttl: 5, upstream: server.server });
  });

  it('answers wildcard names and matches the question case-insensitively', async () => {
    const c = client();
    const r = await c.resolve('abc.wild.test', 4);
    assert.equal(r.kind, 'addresses');
  });

  it('maps SERVFAIL, REFUSED and other rcodes to stable codes', async () => {
    const c = client();
    await server.behaving({ 'sf.test': 'servfail', 'rf.test': 'refused', 'fe.test': 'formerr' }, async () => {
      await assert.rejects(c.resolve('sf.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_SERVFAIL'));
      await assert.rejects(c.resolve('rf.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_REFUSED'));
      await assert.rejects(c.resolve('fe.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_RCODE'));
    });
  });

  it('advertises EDNS0 and retries without it on FORMERR', async () => {
    const c = client();
    await server.behaving({ 'api.test': 'formerr-edns' }, async () => {
      const start = server.queries.length;
      const r = await c.resolve('api.test', 4);
      assert.equal(r.kind, 'addresses');
      const sent = server.queries.slice(start);
      assert.deepEqual(
        sent.map((q) => q.edns),
        [true, false],
      );
    });
  });

  it('falls back to TCP when the UDP answer is truncated', async () => {
    const c = client();
    await server.behaving({ 'api.test': 'truncate' }, async () => {
      const start = server.queries.length;
      const r = await c.resolve('api.test', 4);
      assert.equal(r.kind === 'addresses' && r.addresses.length, 2);
      assert.deepEqual(
        server.queries.slice(start).map((q) => q.transport),
        ['udp', 'tcp'],
      );
      assert.equal(c.snapshot().tcpFallbacks, 1);
    });
  });

  it('takes a large answer over TCP (100 records, past the 1232-byte UDP size)', async () => {
    const c = client();
    const many = Array.from({ length: 100 }, (_, i) => `10.1.${i >> 8}.${i & 255}`);
    server.set('many.test', { A: many, ttl: 60 });
    await server.behaving({ 'many.test': 'truncate' }, async () => {
      const r = await c.resolve('many.test', 4);
      assert.equal(r.kind === 'addresses' && r.addresses.length, 100);
      const cares = new dns.promises.Resolver();
      cares.setServers([server.server]);
      assert.equal((await cares.resolve4('many.test')).length, 100);
    });
  });

  it('fails with FS_ERR_DNS_MALFORMED or FS_ERR_DNS_NETWORK when the TCP answer is bad or cut', async () => {
    // A TCP server whose answer announces 65535 bytes and then closes: the connection ends early.
    const tcp = net.createServer((socket) => {
      socket.once('data', (data: Buffer) => {
        const header = Buffer.alloc(14);
        header.writeUInt16BE(65_535, 0);
        data.copy(header, 2, 2, 4); // the query's ID
        socket.end(header);
      });
    });
    // One port for both (retried when another process holds the number for TCP).
    const { udp, port } = await listenUdpAndTcp(() => dgram.createSocket('udp4'), tcp, '127.0.0.1');
    // Over UDP, every answer is truncated (the TC bit), so the client must use TCP.
    udp.on('message', (msg, rinfo) => {
      const reply = Buffer.from(msg);
      reply.writeUInt16BE(0x8200 | 0x0100, 2); // QR, TC, RD
      udp.send(reply, rinfo.port, rinfo.address);
    });
    try {
      const c = client({ server: `127.0.0.1:${port}` });
      await assert.rejects(c.resolve('cut.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_NETWORK'));
      tcp.removeAllListeners('connection');
      tcp.on('connection', (socket) => {
        socket.once('data', () => {
          const junk = Buffer.alloc(30, 0xee);
          junk.writeUInt16BE(28, 0);
          socket.end(junk);
        });
      });
      await assert.rejects(c.resolve('junk.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_MALFORMED'));
    } finally {
      udp.close();
      await new Promise<void>((resolve) => tcp.close(() => resolve()));
    }
  });

  it('times out on the injected clock, after one retransmission', async () => {
    const clock = new VirtualClock();
    const c = client({ clock, timeout: 1_000 });
    await server.behaving({ 'silent.test': 'drop' }, async () => {
      const start = server.count('silent.test');
      const pending = c.resolve('silent.test', 4);
      let settled = false;
      pending.catch(() => undefined).finally(() => (settled = true));
      await waitFor(() => server.count('silent.test') === start + 1);
      await clock.advance(500);
      await waitFor(() => server.count('silent.test') === start + 2);
      await clock.advance(499);
      assert.equal(settled, false);
      await clock.advance(1);
      await assert.rejects(pending, (e) => isFailsmallError(e, 'FS_ERR_DNS_TIMEOUT'));
      assert.equal(c.snapshot().retransmits, 1);
    });
  });

  for (const behavior of [
    'mismatch-id',
    'mismatch-question',
    'not-response',
    'garbage',
    'short',
    'cut',
    'wrong-source',
  ] as const) {
    it(`drops a ${behavior} datagram and keeps waiting for the real answer`, async () => {
      const c = client();
      await server.behaving(
        { 'api.test': behavior },
        async () => {
          const r = await c.resolve('api.test', 4);
          assert.deepEqual(r.kind === 'addresses' && r.addresses.map((a) => a.address), ['10.0.0.1', '10.0.0.2']);
          if (behavior !== 'wrong-source') assert.ok(c.snapshot().dropped >= 1, 'the bad datagram was counted');
        },
        { then: 'answer' },
      );
    });
  }

  it('never accepts a forged answer: only bad datagrams end in a timeout or FS_ERR_DNS_MALFORMED', async () => {
    const clock = new VirtualClock();
    const c = client({ clock, timeout: 1_000, retransmit: Infinity });
    for (const [behavior, code] of [
      ['mismatch-id', 'FS_ERR_DNS_TIMEOUT'],
      ['mismatch-question', 'FS_ERR_DNS_MALFORMED'],
      ['garbage', 'FS_ERR_DNS_MALFORMED'],
      ['wrong-source', 'FS_ERR_DNS_TIMEOUT'],
    ] as const) {
      server.behave('forged.test', behavior);
      const droppedBefore = c.snapshot().dropped;
      const pending = c.resolve('forged.test', 4);
      pending.catch(() => undefined);
      if (behavior !== 'wrong-source') await waitFor(() => c.snapshot().dropped > droppedBefore);
      else await waitFor(() => server.count('forged.test') > 0);
      await clock.advance(1_000);
      await assert.rejects(pending, (e) => isFailsmallError(e, code), behavior);
    }
    server.behave('forged.test', 'answer');
  });

  it('fails fast with FS_ERR_DNS_NETWORK when nothing listens on the port', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', () => resolve()));
    const port = probe.address().port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const clock = new VirtualClock();
    const c = client({ server: `127.0.0.1:${port}`, clock, timeout: 60_000 });
    await assert.rejects(c.resolve('api.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_NETWORK'));
  });

  it('uses random query IDs and rotates source ports', async () => {
    const c = client({ poolSize: 2, maxQueriesPerSocket: 3 });
    const ports = new Set<number>();
    const ids = new Set<number>();
    for (let i = 0; i < 12; i++) await c.resolve(`n${i}.wild.test`, 4);
    const stats = c.snapshot();
    assert.ok(stats.socketsOpened >= 4, `sockets were replaced (${stats.socketsOpened} opened)`);
    assert.ok(stats.openSockets <= 2);
    // IDs and ports, as seen by a raw server that never answers.
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', () => resolve()));
    raw.on('message', (msg, rinfo) => {
      ids.add(msg.readUInt16BE(0));
      ports.add(rinfo.port);
    });
    const clock = new VirtualClock();
    const rawClient = client({ server: `127.0.0.1:${raw.address().port}`, clock, poolSize: 4, maxQueriesPerSocket: 8 });
    const pending = Array.from({ length: 64 }, (_, i) => rawClient.resolve(`id${i}.test`, 4).catch(() => undefined));
    await waitFor(() => ids.size >= 60);
    rawClient.close();
    await Promise.all(pending);
    raw.close();
    assert.ok(ids.size >= 60, `IDs are not sequential or repeated (${ids.size} distinct of 64)`);
    assert.ok(ports.size >= 4, `several source ports were used (${ports.size})`);
  });

  it('stops waiting when the signal aborts', async () => {
    const clock = new VirtualClock();
    const c = client({ clock });
    server.behave('slow.test', 'drop');
    const controller = new AbortController();
    const pending = c.resolve('slow.test', 4, controller.signal);
    controller.abort(new Error('enough'));
    await assert.rejects(pending, /enough/);
    server.behave('slow.test', 'answer');
  });

  it('rejects queries after close with FS_ERR_DNS_CLOSED', async () => {
    const c = client();
    c.close();
    await assert.rejects(c.resolve('api.test', 4), (e) => isFailsmallError(e, 'FS_ERR_DNS_CLOSED'));
  });

  it('validates its options', () => {
    assert.throws(() => new WireClient({ server: 'example.com:53' }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new WireClient({ server: '127.0.0.1:70000' }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new WireClient({ server: '127.0.0.1', timeout: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new WireClient({ server: '127.0.0.1', udpPayloadSize: 100 }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
    });
    assert.equal(new WireClient({ server: '[::1]:5353' }).name, '[::1]:5353');
  });

  it('survives any datagram a hostile server sends (property)', async () => {
    // A raw server that answers every query with fuzzed bytes carrying the query's ID.
    const raw = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', () => resolve()));
    let payload = Buffer.alloc(0);
    raw.on('message', (msg, rinfo) => {
      const out = Buffer.from(payload);
      if (out.length >= 2) msg.copy(out, 0, 0, 2);
      raw.send(out, rinfo.port, rinfo.address);
    });
    const clock = new VirtualClock();
    const c = client({ server: `127.0.0.1:${raw.address().port}`, clock, timeout: 100, retransmit: Infinity });
    try {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 0, maxLength: 600 }), async (bytes) => {
          payload = Buffer.from(bytes);
          const droppedBefore = c.snapshot().dropped;
          const pending = c.resolve('fuzz.test', 4).then(
            (r) => ({ ok: true as const, r }),
            (e: unknown) => ({ ok: false as const, e }),
          );
          // Either it settles from the datagram (a parseable, matching answer), or it was dropped.
          const settledEarly = await Promise.race([
            pending.then(() => true),
            waitFor(() => c.snapshot().dropped > droppedBefore, 1_000).then(
              () => false,
              () => false,
            ),
          ]);
          if (!settledEarly) await clock.advance(100);
          const outcome = await pending;
          if (outcome.ok) {
            // Only a well-formed response to our exact question can be accepted.
            return outcome.r.kind === 'addresses' ? outcome.r.addresses.every((a) => a.family === 4) : true;
          }
          return isFailsmallError(outcome.e) && String(outcome.e.code).startsWith('FS_ERR_DNS_');
        }),
        { numRuns: 60 },
      );
    } finally {
      raw.close();
    }
  });
});
