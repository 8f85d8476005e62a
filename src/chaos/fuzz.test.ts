/**
 * Hostile input over real sockets: random and mutated packets, compression pointer loops, truncated
 * headers, oversized messages, garbage TCP streams. Zero crashes, and valid queries keep getting
 * answered during and after.
 */
import assert from 'node:assert/strict';
import dgram from 'node:dgram';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { seededRandom } from '../core/random.js';
import { until } from '../test-support/poll.js';
import { startFaultDnsServer, type FaultDnsServer } from './fault-dns-server.js';
import { decodeReply, probe, probeQuery, probeRaw } from './probe.js';
import { editedBytes } from '../test-support/byte-edits.js';

const name = 'api.example.com';

describe('fuzzing the fault DNS server', () => {
  let server: FaultDnsServer;
  before(async () => {
    server = await startFaultDnsServer({
      random: seededRandom(9),
      zones: [
        {
          name: 'example.com',
          records: [
            { name, type: 'A', ttl: 60, records: [{ value: '127.0.0.10' }] },
            { name: 'txt.example.com', type: 'TXT', ttl: 60, records: [{ value: 'z'.repeat(3000) }] },
          ],
        },
      ],
    });
    // Some faults in play, so fuzzed queries go through the fault engine too.
    server.addFault({ name: 'f*.example.com', action: 'servfail', probability: 0.5 });
    server.addFault({ name: '?.example.com', action: 'truncate' });
  });
  after(() => server.close());

  const internalErrors = (): number => (server.snapshot()['dns'] as Record<string, number>)['internalErrors']!;
  const stillAnswers = async (): Promise<void> => {
    for (const transport of ['udp', 'tcp'] as const) {
      const reply = await probe(server.dnsAddress, server.dnsPort, name, { transport, timeoutMs: 2000 });
      assert.deepEqual(
        reply.answers.map((a) => a.data),
        ['127.0.0.10'],
      );
    }
  };

  const valid = probeQuery(name, { id: 1, edns: 1232 });
  const mutated = editedBytes(valid, 8);
  const randomBytes = fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a));
  const truncatedHeader = fc.nat(valid.length - 1).map((n) => Buffer.from(valid.subarray(0, n)));
  const weirdQuestion = fc
    .record({
      labels: fc.array(fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/), { minLength: 1, maxLength: 6 }),
      type: fc.constantFrom('A', 'AAAA', 'TXT', 'CNAME', 'NS', 'SOA', 'MX', 'ANY', 'SRV', 'PTR'),
      edns: fc.option(fc.integer({ min: 0, max: 65535 }), { nil: undefined }),
      zone: fc.constantFrom('example.com', 'example.org', ''),
    })
    .map((q) =>
      probeQuery([...q.labels, q.zone].filter((l) => l !== '').join('.'), {
        type: q.type,
        ...(q.edns === undefined ? {} : { edns: q.edns }),
      }),
    );
  const anyPacket = fc.oneof(mutated, randomBytes, truncatedHeader, weirdQuestion);

  it('survives random and mutated datagrams, answering well-formed ones within the size limit', async () => {
    const socket = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const replies: Buffer[] = [];
    socket.on('message', (msg) => replies.push(msg));
    try {
      const packets = fc.sample(anyPacket, { numRuns: 3000, seed: 42 });
      const udpBefore = (server.snapshot()['dns'] as Record<string, number>)['udpMessages']!;
      for (let i = 0; i < packets.length; i++) {
        socket.send(packets[i]!, server.dnsPort, server.dnsAddress);
        if (i % 500 === 0) await stillAnswers(); // during
      }
      // Every datagram arrived (probes only add to the count), then replies stopped coming.
      const dns = () => server.snapshot()['dns'] as Record<string, number>;
      await until(() => dns()['udpMessages']! >= udpBefore + packets.length, 'every datagram received');
      let seen = -1;
      let still = 0;
      await until(
        () => {
          still = replies.length === seen ? still + 1 : 0;
          seen = replies.length;
          return still >= 5;
        },
        'replies stopped',
        30_000,
        20,
      );
      for (const reply of replies) {
        assert.ok(reply.length <= 1232, `a ${reply.length}-byte UDP reply`);
        const decoded = decodeReply(reply); // every reply is well-formed
        assert.equal(decoded.flag_ra, false);
      }
      assert.ok(replies.length > 500, `${replies.length} replies`);
    } finally {
      socket.close();
    }
    assert.equal(internalErrors(), 0);
    await stillAnswers(); // after
  });

  it('answers valid random questions with the query id, decodable, for any name and type (property)', async () => {
    await fc.assert(
      fc.asyncProperty(weirdQuestion, fc.nat(65535), async (query, id) => {
        const q = Buffer.from(query);
        q.writeUInt16BE(id, 0);
        const reply = decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, q, 'udp', 2000));
        assert.equal(reply.id, id);
        assert.equal(reply.type, 'response');
      }),
      { numRuns: 150 },
    );
  });

  it('rejects compression pointer loops, forward pointers and long chains with FORMERR', async () => {
    const withAdditional = (owner: Buffer): Buffer => {
      const q = Buffer.from(probeQuery('api.example.com', { id: 77 }));
      q.writeUInt16BE(1, 10); // ARCOUNT 1
      const rr = Buffer.alloc(10);
      rr.writeUInt16BE(1, 0); // type A
      rr.writeUInt16BE(1, 2);
      return Buffer.concat([q, owner, rr]);
    };
    const at = probeQuery(name).length; // where the additional record's name starts
    const self = Buffer.from([0xc0 | (at >> 8), at & 0xff]);
    const forward = Buffer.from([0xc0 | ((at + 10) >> 8), (at + 10) & 0xff]);
    const cases = [self, forward, Buffer.from([0x3f]), Buffer.from([0x80, 0x01])];
    for (const extra of cases) {
      const reply = decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, withAdditional(extra)));
      assert.equal(reply.rcode, 'FORMERR');
      assert.equal(reply.id, 77);
    }
    // A pointer inside the question itself.
    const pointerQuestion = Buffer.from(probeQuery(name, { id: 78 }));
    pointerQuestion[12] = 0xc0;
    pointerQuestion[13] = 12;
    assert.equal(decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, pointerQuestion)).rcode, 'FORMERR');
    // A chain of 21 backward pointers (the hop limit is 16): the first additional record carries the
    // chain in its RDATA, the second one's name points at the chain's end.
    const base = probeQuery(name, { id: 79 });
    const startAt = base.length;
    const hops = 20;
    const first = Buffer.alloc(11 + hops * 2);
    first.writeUInt16BE(99, 1); // an unknown type, root owner
    first.writeUInt16BE(1, 3);
    first.writeUInt16BE(hops * 2, 9);
    for (let k = 0; k < hops; k++) {
      const target = k === 0 ? startAt : startAt + 11 + 2 * (k - 1);
      first.writeUInt16BE(0xc000 | target, 11 + 2 * k);
    }
    const second = Buffer.alloc(12);
    second.writeUInt16BE(0xc000 | (startAt + 11 + 2 * (hops - 1)), 0);
    second.writeUInt16BE(1, 2);
    second.writeUInt16BE(1, 4);
    const long = Buffer.concat([base, first, second]);
    long.writeUInt16BE(2, 10);
    assert.equal(decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, long)).rcode, 'FORMERR');
    second.writeUInt16BE(0xc000 | (startAt + 11 + 2 * 5), 0); // 7 hops: fine
    const ok = Buffer.concat([base, first, second]);
    ok.writeUInt16BE(2, 10);
    assert.equal(decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, ok)).rcode, 'NOERROR');
    assert.equal(internalErrors(), 0);
    await stillAnswers();
  });

  it('handles oversized messages over UDP and TCP', async () => {
    const huge = Buffer.concat([valid, Buffer.alloc(60_000, 0xff)]); // trailing garbage after a valid query
    const reply = decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, huge));
    assert.equal(reply.answers.length, 1);
    const hugeCount = Buffer.from(valid);
    hugeCount.writeUInt16BE(65535, 10); // ARCOUNT far beyond the bytes present
    assert.equal(decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, hugeCount)).rcode, 'FORMERR');
    const tcpHuge = Buffer.concat([valid, Buffer.alloc(65535 - valid.length, 0)]);
    assert.equal(decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, tcpHuge, 'tcp')).answers.length, 1);
    const big = decodeReply(
      await probeRaw(server.dnsAddress, server.dnsPort, probeQuery('txt.example.com', { type: 'TXT' })),
    );
    assert.equal(big.flag_tc, true);
    assert.ok(big.size <= 512);
    assert.equal(internalErrors(), 0);
  });

  it('survives garbage TCP streams and half-sent frames, and keeps answering', async () => {
    const streams = fc.sample(
      fc.oneof(
        fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((a) => Buffer.from(a)),
        anyPacket.map((p) => {
          const f = Buffer.alloc(p.length + 2);
          f.writeUInt16BE(p.length, 0);
          p.copy(f, 2);
          return f;
        }),
      ),
      { numRuns: 150, seed: 7 },
    );
    await Promise.all(
      streams.map(
        (bytes, i) =>
          new Promise<void>((resolve) => {
            const socket = net.connect(server.dnsPort, server.dnsAddress);
            socket.on('error', () => undefined);
            socket.on('data', () => undefined);
            socket.on('close', () => resolve());
            socket.write(bytes, () => (i % 2 === 0 ? socket.destroy() : socket.end()));
            setTimeout(() => socket.destroy(), 300);
          }),
      ),
    );
    assert.equal(internalErrors(), 0);
    await stillAnswers();
  });
});
