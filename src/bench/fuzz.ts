/**
 * `npm run bench -- fuzz`: a fuzz soak of the fault DNS server. The server runs in a child process;
 * a second child sends malformed and valid packets over UDP and TCP (random bytes, mutated queries,
 * truncated headers, pointer loops, odd labels, zone transfers, questionless EDNS queries …) while
 * holding 120 slow-loris connections (one byte a second) and up to 1,000 idle connections; this
 * process probes the server over UDP and TCP every 250 ms. A crash is an exit of the server process
 * (it is restarted on the same port and counted). Bounded in packets and time.
 *
 * Prints a table and, last, one JSON line: `packets`, `crashes`, `probe_success_udp`,
 * `probe_success_tcp`, `rss_start_mb`, `rss_end_mb`. Targets: 0 crashes, TCP probes >= 99%.
 *
 * Knobs (environment): `FUZZ_PACKETS` (default 1,000,000), `FUZZ_RATE` (packets/s, default 12,000),
 * `FUZZ_MAX_SECONDS` (default 300), `FUZZ_SLOW_LORIS` (default 120), `FUZZ_IDLE` (default 1,000).
 */
import { fork, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { seededRandom, type Random } from '../core/random.js';
import { probe, probeQuery } from '../chaos/probe.js';

/** Options of {@link runFuzzSoak}. */
export interface FuzzSoakOptions {
  /** Packets to send (UDP datagrams and TCP frames together). */
  readonly packets: number;
  /** Open-loop send rate, packets/s. */
  readonly rate: number;
  /** Give up sending after this long, in s of real time. */
  readonly maxSeconds: number;
  /** Slow-loris connections held. */
  readonly slowLoris: number;
  /** Idle connections opened. */
  readonly idle: number;
  /** Time between probes, in ms; default 250. */
  readonly probeEveryMs?: number;
}

/** What {@link runFuzzSoak} measured. */
export interface FuzzSoakResult {
  readonly packets: number;
  readonly udp_packets: number;
  readonly tcp_packets: number;
  readonly seconds: number;
  readonly crashes: number;
  readonly probes: number;
  readonly probe_success_udp: number;
  readonly probe_success_tcp: number;
  readonly rss_start_mb: number;
  readonly rss_end_mb: number;
  readonly server: Record<string, number>;
}

const zoneName = 'fuzz.example';
const probeName = `api.${zoneName}`;

/** One packet of the mix: valid queries and every malformed shape the soak knows. */
export function fuzzPacket(random: Random): Buffer {
  const pick = Math.floor(random.next() * 10);
  const names = [
    probeName,
    `www.${zoneName}`,
    `sub.${zoneName}`,
    `x.sub.${zoneName}`,
    'elsewhere.org',
    `nx${Math.floor(random.next() * 1000)}.${zoneName}`,
  ];
  const name = names[Math.floor(random.next() * names.length)]!;
  const types = ['A', 'AAAA', 'TXT', 'ANY', 'SOA', 'NS', 'AXFR', 'IXFR', 'MX'] as const;
  const valid = (): Buffer =>
    probeQuery(name, {
      id: Math.floor(random.next() * 65_536),
      type: types[Math.floor(random.next() * types.length)]!,
      ...(random.next() < 0.5 ? { edns: 512 + Math.floor(random.next() * 4000) } : {}),
    });
  switch (pick) {
    case 0:
    case 1:
    case 2:
      return valid();
    case 3: {
      const b = valid();
      for (let i = 0, n = 1 + Math.floor(random.next() * 6); i < n; i++) {
        b[Math.floor(random.next() * b.length)] = Math.floor(random.next() * 256);
      }
      return b;
    }
    case 4: {
      const b = Buffer.allocUnsafe(Math.floor(random.next() * 600));
      for (let i = 0; i < b.length; i++) b[i] = Math.floor(random.next() * 256);
      return b;
    }
    case 5:
      return valid().subarray(0, Math.floor(random.next() * 20));
    case 6: {
      // An additional record whose name is a pointer loop, or points forward.
      const q = probeQuery(name, { id: 1 });
      const rr = Buffer.from([0xc0, 0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
      rr.writeUInt16BE(0xc000 | (q.length + Math.floor(random.next() * 4)), 0);
      const out = Buffer.concat([q, rr]);
      out.writeUInt16BE(1 + Math.floor(random.next() * 3), 10);
      return out;
    }
    case 7: {
      // A label with odd bytes.
      const label = Buffer.from([3, 0x61, Math.floor(random.next() * 256), 0x2e]);
      const q = probeQuery(name, { id: 2 });
      return Buffer.concat([q.subarray(0, 12), label, q.subarray(12)]);
    }
    case 8: {
      // No question, an OPT (a cookie-only query), or a response (must be dropped).
      const b = probeQuery(name, { id: 3, edns: 1232 });
      if (random.next() < 0.5) b[2] = b[2]! | 0x80;
      else b.writeUInt16BE(0, 4);
      return b;
    }
    default: {
      // Header counts lying about the sections.
      const b = valid();
      b.writeUInt16BE(Math.floor(random.next() * 65_536), 4 + 2 * Math.floor(random.next() * 4));
      return b;
    }
  }
}

/** The server child: a fault DNS server on a fixed port (0 the first time), reporting its state. */
async function serverRole(port: number): Promise<void> {
  const { startFaultDnsServer } = await import('../chaos/fault-dns-server.js');
  const server = await startFaultDnsServer({
    dnsPort: port,
    zones: [
      {
        name: zoneName,
        records: [
          { name: probeName, type: 'A', ttl: 60, records: [{ value: '127.0.0.10' }] },
          { name: `www.${zoneName}`, type: 'CNAME', ttl: 60, records: [{ value: probeName }] },
          { name: `big.${zoneName}`, type: 'TXT', ttl: 60, records: [{ value: 'z'.repeat(3000) }] },
          { name: `sub.${zoneName}`, type: 'NS', ttl: 60, records: [{ value: `ns.sub.${zoneName}` }] },
        ],
      },
    ],
  });
  server.addFault({ name: `nx1*.${zoneName}`, action: 'servfail', probability: 0.5 });
  server.addFault({ name: `nx2*.${zoneName}`, action: 'delay', delayMs: 50 });
  process.on('message', (m: { kind: string }) => {
    if (m.kind === 'state') {
      process.send!({ kind: 'state', rss: process.memoryUsage().rss, dns: server.snapshot()['dns'] });
    } else if (m.kind === 'stop') {
      void server.close().then(() => process.exit(0));
    }
  });
  process.send!({ kind: 'ready', port: server.dnsPort });
}

/** The load child: UDP and TCP packets at `rate` until `packets`, plus slow-loris and idle connections. */
async function loadRole(o: FuzzSoakOptions & { port: number }): Promise<void> {
  const host = '127.0.0.1';
  const random = seededRandom(20261201);
  const udp = await Promise.all(
    Array.from({ length: 4 }, () => {
      const s = dgram.createSocket({ type: 'udp4', sendBufferSize: 4 << 20 });
      s.on('message', () => undefined);
      s.on('error', () => undefined);
      return new Promise<dgram.Socket>((resolve) => s.connect(o.port, host, () => resolve(s)));
    }),
  );
  let stopping = false;
  const sockets = new Set<net.Socket>();
  /** Keeps one connection from `localAddress` open, reconnecting (at most once a second) when closed. */
  const hold = (localAddress: string, onOpen: (s: net.Socket) => void): void => {
    if (stopping) return;
    const s = net.connect({ host, port: o.port, localAddress });
    sockets.add(s);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.on('connect', () => onOpen(s));
    s.on('close', () => {
      sockets.delete(s);
      setTimeout(() => hold(localAddress, onOpen), 1_000);
    });
  };
  const loris = probeQuery(probeName, { id: 9 });
  const lorisFrame = Buffer.concat([Buffer.from([0, loris.length]), loris]);
  for (let i = 0; i < o.slowLoris; i++) {
    hold(`127.0.4.${(i % 250) + 1}`, (s) => {
      let at = 0;
      const drip = (): void => {
        if (s.destroyed || stopping || at >= lorisFrame.length - 1) return; // never the whole query
        s.write(lorisFrame.subarray(at, ++at));
        setTimeout(drip, 1_000);
      };
      drip();
    });
  }
  for (let i = 0; i < o.idle; i++) hold(`127.0.5.${(i % 50) + 1}`, () => undefined);
  // TCP fuzz: a few connections carrying framed packets, reconnected when the server closes them.
  const tcp: (net.Socket | undefined)[] = Array.from({ length: 8 }, () => undefined);
  const tcpSocket = (k: number): net.Socket => {
    let s = tcp[k];
    if (s === undefined || s.destroyed) {
      s = net.connect({ host, port: o.port, localAddress: `127.0.6.${k + 1}` });
      s.on('error', () => undefined);
      s.on('data', () => undefined);
      tcp[k] = s;
    }
    return s;
  };
  let sent = 0;
  let udpSent = 0;
  let tcpSent = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = (performance.now() - start) / 1000;
      const due = Math.min(o.packets, Math.floor(elapsed * o.rate));
      while (sent < due) {
        const packet = fuzzPacket(random);
        if (sent % 20 === 0) {
          const s = tcpSocket(sent % 8);
          if (s.writableLength < 1 << 20) {
            const frame = Buffer.allocUnsafe(packet.length + 2);
            frame.writeUInt16BE(packet.length, 0);
            packet.copy(frame, 2);
            s.write(frame);
          }
          tcpSent++;
        } else {
          udp[sent % 4]!.send(packet);
          udpSent++;
        }
        sent++;
      }
      if (sent >= o.packets || elapsed > o.maxSeconds) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  stopping = true;
  for (const s of sockets) s.destroy();
  for (const s of tcp) s?.destroy();
  for (const s of udp) s.close();
  process.send!({ kind: 'done', sent, udpSent, tcpSent, seconds: (performance.now() - start) / 1000 }, () =>
    process.exit(0),
  );
}

function child(role: string, config: unknown): ChildProcess {
  return fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FAILSMALL_FUZZ_ROLE: role, FAILSMALL_FUZZ_CONFIG: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

function nextMessage<T>(proc: ChildProcess, kind: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { kind: string }): void => {
      if (m.kind !== kind) return;
      proc.off('message', onMessage);
      proc.off('exit', onExit);
      resolve(m as T);
    };
    const onExit = (code: number | null): void => reject(new Error(`child exited (${code}) before ${kind}`));
    proc.on('message', onMessage);
    proc.once('exit', onExit);
  });
}

/** Runs the soak (see the file comment); resolves with what it measured. */
export async function runFuzzSoak(options: FuzzSoakOptions): Promise<FuzzSoakResult> {
  let crashes = 0;
  let stopping = false;
  let server = child('server', { port: 0 });
  const ready = await nextMessage<{ port: number }>(server, 'ready');
  const port = ready.port;
  const watch = (proc: ChildProcess): void => {
    proc.once('exit', () => {
      if (stopping) return;
      crashes++;
      server = child('server', { port });
      watch(server);
    });
  };
  watch(server);
  const state = () =>
    nextMessageAfter<{ rss: number; dns: Record<string, number> }>(server, 'state', () =>
      server.send({ kind: 'state' }),
    );
  const rssStart = (await state()).rss;
  const load = child('load', { ...options, port });
  const done = nextMessage<{ sent: number; udpSent: number; tcpSent: number; seconds: number }>(load, 'done');
  let finished = false;
  void done.then(
    () => (finished = true),
    () => (finished = true),
  );
  let probes = 0;
  let okUdp = 0;
  let okTcp = 0;
  const every = options.probeEveryMs ?? 250;
  while (!finished) {
    const tick = new Promise((r) => setTimeout(r, every));
    probes++;
    const [u, t] = await Promise.all(
      (['udp', 'tcp'] as const).map((transport) =>
        probe('127.0.0.1', port, probeName, { transport, timeoutMs: 2_000 }).then(
          (reply) => reply.answers.length === 1,
          () => false,
        ),
      ),
    );
    if (u) okUdp++;
    if (t) okTcp++;
    await tick;
  }
  const loadResult = await done;
  const end = await state();
  stopping = true;
  server.send({ kind: 'stop' });
  await new Promise((resolve) => server.once('exit', resolve));
  const mb = (bytes: number): number => Number((bytes / 2 ** 20).toFixed(1));
  return {
    packets: loadResult.sent,
    udp_packets: loadResult.udpSent,
    tcp_packets: loadResult.tcpSent,
    seconds: Number(loadResult.seconds.toFixed(1)),
    crashes,
    probes,
    probe_success_udp: Number((okUdp / Math.max(1, probes)).toFixed(4)),
    probe_success_tcp: Number((okTcp / Math.max(1, probes)).toFixed(4)),
    rss_start_mb: mb(rssStart),
    rss_end_mb: mb(end.rss),
    server: end.dns,
  };
}

function nextMessageAfter<T>(proc: ChildProcess, kind: string, send: () => void): Promise<T> {
  const reply = nextMessage<T>(proc, kind);
  send();
  return reply;
}

const role = process.env['FAILSMALL_FUZZ_ROLE'];
const config = JSON.parse(process.env['FAILSMALL_FUZZ_CONFIG'] ?? '{}') as FuzzSoakOptions & { port: number };
if (role === 'server') {
  await serverRole(config.port);
} else if (role === 'load') {
  await loadRole(config);
} else if (process.argv[2] === 'fuzz') {
  const env = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);
  const result = await runFuzzSoak({
    packets: env('FUZZ_PACKETS', 1_000_000),
    rate: env('FUZZ_RATE', 12_000),
    maxSeconds: env('FUZZ_MAX_SECONDS', 300),
    slowLoris: env('FUZZ_SLOW_LORIS', 120),
    idle: env('FUZZ_IDLE', 1_000),
  });
  const rows: [string, string][] = [
    [
      'packets',
      `${result.packets.toLocaleString('en-US')} (${result.udp_packets.toLocaleString('en-US')} UDP, ${result.tcp_packets.toLocaleString('en-US')} TCP frames) in ${result.seconds} s`,
    ],
    ['crashes', String(result.crashes)],
    ['probes (every 250 ms)', String(result.probes)],
    ['UDP probes answered', `${(result.probe_success_udp * 100).toFixed(2)} %`],
    ['TCP probes answered', `${(result.probe_success_tcp * 100).toFixed(2)} % (target >= 99 %)`],
    ['server RSS', `${result.rss_start_mb} MB -> ${result.rss_end_mb} MB`],
    ['server counters', JSON.stringify(result.server)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nfuzz soak of the fault DNS server (malformed + valid, UDP + TCP, slow-loris + idle connections)');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('');
  const { server: _server, ...json } = result;
  console.log(JSON.stringify({ bench: 'fuzz', ...json }));
}
