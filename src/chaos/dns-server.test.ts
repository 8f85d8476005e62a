/**
 * The socket shell against hostile clients: a datagram from source port 0 (sent over a raw socket when
 * the machine allows it, else the send error is injected), failing TCP writes, slow-loris connections,
 * a flood of idle connections and one source address opening too many.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import diagnostics from 'node:diagnostics_channel';
import net from 'node:net';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import { until } from '../test-support/poll.js';
import { DnsMetrics } from './dns-metrics.js';
import { DnsServer } from './dns-server.js';
import { startFaultDnsServer, type FaultDnsServer } from './fault-dns-server.js';
import { FaultEngine } from './fault-rules.js';
import { QueryLog } from './query-log.js';
import { DnsResponder } from './responder.js';
import { ZoneStore } from './zone-store.js';
import { probe, probeQuery } from './probe.js';

const name = 'api.example.com';
const zone = {
  name: 'example.com',
  records: [{ name, type: 'A' as const, ttl: 60, records: [{ value: '127.0.0.10' }] }],
};

const dnsStats = (server: FaultDnsServer): Record<string, number> => server.snapshot()['dns'] as Record<string, number>;

/**
 * Sends `payload` to 127.0.0.1:`port` as a UDP datagram whose source port is 0, built by hand over a
 * raw IPv4 socket (IPPROTO_RAW implies IP_HDRINCL) with python3. False when that is not possible here
 * (no python3, not root).
 */
function sendFromPortZero(port: number, payload: Buffer): boolean {
  const script = `
import socket, struct, sys
payload = bytes.fromhex(sys.argv[2])
port = int(sys.argv[1])
udp = struct.pack('!HHHH', 0, port, 8 + len(payload), 0)  # source port 0; checksum 0 = none (IPv4)
ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp) + len(payload), 1, 0, 64, 17, 0,
                 socket.inet_aton('127.0.0.1'), socket.inet_aton('127.0.0.1'))
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
s.sendto(ip + udp + payload, ('127.0.0.1', 0))
`;
  const run = spawnSync('python3', ['-c', script, String(port), payload.toString('hex')], { timeout: 10_000 });
  return run.status === 0;
}

/** Sends one query from a normal socket while `dgram.Socket#send` throws `ERR_SOCKET_BAD_PORT` once for the server. */
async function injectBadPort(server: FaultDnsServer): Promise<void> {
  const original = dgram.Socket.prototype.send;
  let armed = true;
  dgram.Socket.prototype.send = function (this: dgram.Socket, ...args: unknown[]) {
    let port = -1;
    try {
      port = this.address().port;
    } catch {
      // not bound yet: a client socket
    }
    if (armed && port === server.dnsPort) {
      armed = false;
      const error = new RangeError('Port should be > 0 and < 65536. Received 0.') as RangeError & { code: string };
      error.code = 'ERR_SOCKET_BAD_PORT';
      throw error;
    }
    return (original as (...a: unknown[]) => void).apply(this, args);
  } as typeof original;
  try {
    const client = dgram.createSocket('udp4');
    client.send(probeQuery(name, { id: 7 }), server.dnsPort, server.dnsAddress);
    await until(() => !armed, 'the server tried to reply');
    client.close();
  } finally {
    dgram.Socket.prototype.send = original;
  }
}

describe('send errors are counted, never fatal', () => {
  for (const kind of ['answer', 'REFUSED', 'FORMERR', 'delayed answer'] as const) {
    it(`a ${kind} to source port 0 is counted and published; the server keeps answering`, async () => {
      const clock = new VirtualClock(1_000);
      const server = await startFaultDnsServer({ zones: [zone], clock, random: seededRandom(1) });
      const seen: { code?: string; port: number }[] = [];
      const listener = (message: unknown): void => void seen.push(message as { code?: string; port: number });
      diagnostics.subscribe('failsmall:chaos:send-error', listener);
      try {
        if (kind === 'delayed answer') server.addFault({ name, action: 'delay', delayMs: 500 });
        const query =
          kind === 'REFUSED'
            ? probeQuery('elsewhere.org', { id: 3 })
            : kind === 'FORMERR'
              ? Buffer.concat([probeQuery(name, { id: 4 }).subarray(0, 12), Buffer.from([5, 0x61])])
              : probeQuery(name, { id: 5 });
        const before = server.log.total;
        if (sendFromPortZero(server.dnsPort, query)) {
          await until(() => server.log.total > before, 'the raw datagram was answered');
        } else {
          await injectBadPort(server); // no raw socket here: the same error, injected
        }
        if (kind === 'delayed answer') await clock.advance(500);
        await until(() => dnsStats(server)['sendErrors']! >= 1, 'the send error counted');
        assert.equal(seen[0]?.code, 'ERR_SOCKET_BAD_PORT');
        if (kind === 'delayed answer') server.clearFaults();
        const reply = await probe(server.dnsAddress, server.dnsPort, name, { timeoutMs: 5_000 });
        assert.deepEqual(
          reply.answers.map((a) => a.data),
          ['127.0.0.10'],
        );
      } finally {
        diagnostics.unsubscribe('failsmall:chaos:send-error', listener);
        await server.close();
      }
    });
  }

  it('the injected fallback path is counted as well', async () => {
    const server = await startFaultDnsServer({ zones: [zone] });
    try {
      await injectBadPort(server);
      assert.equal(dnsStats(server)['sendErrors'], 1);
      assert.equal((await probe(server.dnsAddress, server.dnsPort, name)).rcode, 'NOERROR');
    } finally {
      await server.close();
    }
  });

  it('a TCP write that throws is counted and closes only that connection', async () => {
    const server = await startFaultDnsServer({ zones: [zone] });
    const original = net.Socket.prototype.write;
    let armed = true;
    net.Socket.prototype.write = function (this: net.Socket, ...args: unknown[]) {
      if (armed && this.localPort === server.dnsPort) {
        armed = false;
        throw new Error('EPIPE (injected)');
      }
      return (original as (...a: unknown[]) => boolean).apply(this, args);
    } as typeof original;
    try {
      await assert.rejects(probe(server.dnsAddress, server.dnsPort, name, { transport: 'tcp' }), (e) =>
        String(e).includes('closed the TCP connection'),
      );
      assert.equal(dnsStats(server)['sendErrors'], 1);
    } finally {
      net.Socket.prototype.write = original;
    }
    try {
      assert.equal((await probe(server.dnsAddress, server.dnsPort, name, { transport: 'tcp' })).rcode, 'NOERROR');
    } finally {
      await server.close();
    }
  });
});

/** Opens a TCP connection from `localAddress` and resolves once it is connected. */
function connectFrom(server: FaultDnsServer, localAddress: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: server.dnsAddress, port: server.dnsPort, localAddress }, () => resolve(socket));
    socket.once('error', reject);
  });
}

/**
 * Opens `count` TCP connections one after the other, the i-th from `from(i)`, each handed to
 * `opened` once connected and pushed onto `into` (which the test's `finally` destroys), its errors
 * ignored.
 */
async function connectMany(
  server: FaultDnsServer,
  count: number,
  from: (i: number) => string,
  into: net.Socket[],
  opened: (socket: net.Socket) => void = () => undefined,
): Promise<void> {
  for (let i = 0; i < count; i++) {
    const socket = await connectFrom(server, from(i));
    socket.on('error', () => undefined);
    opened(socket);
    into.push(socket);
  }
}

/** `count` TCP probes from 127.0.0.1, one at a time; how many got an answer. */
async function tcpProbes(server: FaultDnsServer, count: number): Promise<number> {
  let answered = 0;
  for (let i = 0; i < count; i++) {
    try {
      const reply = await probe(server.dnsAddress, server.dnsPort, name, { transport: 'tcp', timeoutMs: 5_000 });
      if (reply.answers.length === 1) answered++;
    } catch {
      // counted as unanswered
    }
  }
  return answered;
}

describe('TCP under exhaustion', () => {
  it('120 slow-loris connections (one byte a second) do not stop new TCP queries; the query deadline closes them', async () => {
    const clock = new VirtualClock(0);
    const server = await startFaultDnsServer({ zones: [zone], clock, tcpQueryTimeoutMs: 5_000 });
    const query = probeQuery(name, { id: 1 });
    const framed = Buffer.concat([Buffer.from([0, query.length]), query]);
    const loris: net.Socket[] = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      await connectMany(
        server,
        120,
        (i) => `127.0.1.${i + 1}`,
        loris,
        (socket) => socket.write(framed.subarray(0, 1)),
      );
      let sent = 1;
      const drip = (): void => {
        if (sent >= 6) return; // bounded: a few bytes each, never the whole query
        sent++;
        for (const s of loris) if (!s.destroyed) s.write(framed.subarray(sent - 1, sent));
        timer = setTimeout(drip, 1_000);
      };
      timer = setTimeout(drip, 1_000);
      // The table is full of partial queries (100 open, 20 evicted as the oldest partial ones).
      await until(() => dnsStats(server)['tcpConnectionsEvicted']! >= 20, 'the first 20 evicted at the cap');
      assert.equal(await tcpProbes(server, 40), 40);
      await until(() => sent >= 3, 'more bytes from each slow-loris');
      // Bytes kept arriving, yet the deadline counts from the first byte.
      await clock.advance(5_000);
      await until(() => dnsStats(server)['tcpConnectionsOpen'] === 0, 'every slow-loris connection closed');
      assert.ok(dnsStats(server)['tcpQueryDeadlinesMissed']! >= 1);
      assert.equal(await tcpProbes(server, 5), 5);
    } finally {
      clearTimeout(timer);
      for (const s of loris) s.destroy();
      await server.close();
    }
  });

  it('a partial query gets its deadline from its first byte: later bytes do not extend it', async () => {
    const clock = new VirtualClock(0);
    const server = await startFaultDnsServer({ zones: [zone], clock, tcpQueryTimeoutMs: 1_000 });
    try {
      const socket = await connectFrom(server, '127.0.0.1');
      socket.on('error', () => undefined);
      const closed = new Promise<void>((resolve) => socket.on('close', () => resolve()));
      const query = probeQuery(name, { id: 2 });
      socket.write(Buffer.from([0]));
      await until(() => clock.pending > 0, 'the deadline armed');
      await clock.advance(900);
      socket.write(Buffer.from([query.length]));
      socket.write(query.subarray(0, 3));
      await until(() => dnsStats(server)['tcpConnectionsOpen'] === 1, 'still open');
      await clock.advance(100);
      await closed;
      assert.equal(dnsStats(server)['tcpQueryDeadlinesMissed'], 1);
    } finally {
      await server.close();
    }
  });

  it('1000 idle connections: the oldest idle is evicted at the cap and new TCP queries are answered', async () => {
    const server = await startFaultDnsServer({ zones: [zone], maxTcpConnections: 100 });
    const idle: net.Socket[] = [];
    try {
      await connectMany(server, 1000, (i) => `127.0.2.${(i % 50) + 1}`, idle);
      await until(() => dnsStats(server)['tcpConnectionsEvicted']! >= 900, '900 evicted');
      assert.ok(dnsStats(server)['tcpConnectionsOpen']! <= 100);
      assert.equal(idle[0]!.destroyed || idle[0]!.readableEnded || (await closedSoon(idle[0]!)), true);
      assert.equal(await tcpProbes(server, 40), 40);
    } finally {
      for (const s of idle) s.destroy();
      await server.close();
    }
  });

  it('one source address holds at most maxTcpConnectionsPerClient connections', async () => {
    const server = await startFaultDnsServer({ zones: [zone], maxTcpConnectionsPerClient: 4 });
    const sockets: net.Socket[] = [];
    try {
      await connectMany(server, 10, () => '127.0.3.1', sockets);
      await until(() => dnsStats(server)['tcpConnectionsRefused'] === 6, 'six refused');
      assert.equal(dnsStats(server)['tcpConnectionsOpen'], 4);
      assert.equal(await tcpProbes(server, 3), 3); // another address is not affected
    } finally {
      for (const s of sockets) s.destroy();
      await server.close();
    }
  });
});

/** Resolves true once the peer closed `socket`. */
function closedSoon(socket: net.Socket): Promise<boolean> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve(true);
    socket.once('close', () => resolve(true));
    socket.once('end', () => resolve(true));
    socket.resume();
  });
}

describe('UDP replies of one event-loop turn go out together, after the reads', () => {
  it('50 queries sent back to back are all answered, in the order sent', async () => {
    const server = await startFaultDnsServer({ zones: [zone], random: seededRandom(1) });
    const client = dgram.createSocket('udp4');
    try {
      const ids: number[] = [];
      client.on('message', (msg) => ids.push(msg.readUInt16BE(0)));
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
      const sent = Array.from({ length: 50 }, (_, i) => 1000 + i);
      for (const id of sent) client.send(probeQuery(name, { id }), server.dnsPort, server.dnsAddress);
      await until(() => ids.length === sent.length, 'every query answered');
      assert.deepEqual(ids, sent);
      assert.equal(dnsStats(server)['sendErrors'], 0);
    } finally {
      client.close();
      await server.close();
    }
  });

  it('close() sends the replies already queued', async () => {
    const clock = new VirtualClock(1_000);
    const random = seededRandom(1);
    const store = new ZoneStore([zone]);
    const faults = new FaultEngine({ clock, random });
    const started: { server?: DnsServer } = {};
    let calls = 0;
    /** Closes the server right after its first answer was queued, before the queue's turn to send. */
    class ClosingResponder extends DnsResponder {
      override respond(query: Buffer, transport: 'udp' | 'tcp', client: string): Buffer | undefined {
        const reply = super.respond(query, transport, client);
        if (calls++ === 0) queueMicrotask(() => void started.server!.close());
        return reply;
      }
    }
    const responder = new ClosingResponder({
      store,
      faults,
      metrics: new DnsMetrics(),
      log: new QueryLog(10),
      clock,
      random,
    });
    const server = await DnsServer.listen({ responder, clock, tcp: false });
    started.server = server;
    const client = dgram.createSocket('udp4');
    try {
      const ids: number[] = [];
      client.on('message', (msg) => ids.push(msg.readUInt16BE(0)));
      await new Promise<void>((resolve) => client.bind(0, '127.0.0.1', resolve));
      client.send(probeQuery(name, { id: 11 }), server.port, server.address);
      await until(() => ids.length === 1, 'the answer queued before close() sent');
      assert.deepEqual(ids, [11]);
      assert.equal(server.snapshot()['sendErrors'], 0);
    } finally {
      client.close();
      await server.close();
    }
  });
});
