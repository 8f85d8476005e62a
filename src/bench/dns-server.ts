/**
 * `npm run bench -- dns-server`: answered queries per second and latency of the fault DNS server over
 * loopback UDP. The load comes from a separate process (this same file, forked with
 * `FAILSMALL_DNS_LOADGEN=1`; dnsperf instead when it is installed) sending at a fixed rate, open loop,
 * bounded in count and time. Prints a table and, last, one JSON line with `qps`, `p50_us`, `p99_us`,
 * `lost`, and `qps_ratio_1000_rules`: the answer path's throughput (the responder in this process, no
 * sockets, same queries) with 1,000 fault rules that match none of the names, over its throughput with
 * none (target >= 0.8: rules indexed by exact name, suffix and prefix cost O(labels), not O(rules)).
 *
 * Knobs (environment): `DNS_BENCH_RATE` (queries/s, default 50,000), `DNS_BENCH_SECONDS` (default 5),
 * `DNS_BENCH_SOCKETS` (generator sockets, default 4).
 */
import { execFileSync, fork, spawn } from 'node:child_process';
import dgram from 'node:dgram';
import { fileURLToPath } from 'node:url';
import { nsPerSyncCall } from './harness.js';

/** What the generator reports. */
interface LoadResult {
  sent: number;
  received: number;
  lost: number;
  seconds: number;
  p50_us: number;
  p90_us: number;
  p99_us: number;
  max_us: number;
  generator: string;
}

const names = Array.from({ length: 16 }, (_, i) => `host${i}.bench.example`);

/** A query packet (id 0) for `name`, type A, with EDNS (as modern stub resolvers send). */
function queryPacket(name: string): Buffer {
  const labels = name.split('.');
  const q = Buffer.alloc(12 + labels.reduce((n, l) => n + l.length + 1, 1) + 4 + 11);
  q.writeUInt16BE(0x0100, 2); // RD
  q.writeUInt16BE(1, 4); // QDCOUNT
  q.writeUInt16BE(1, 10); // ARCOUNT (OPT)
  let off = 12;
  for (const l of labels) {
    q[off++] = l.length;
    off += q.write(l, off, 'latin1');
  }
  q[off++] = 0;
  q.writeUInt16BE(1, off); // A
  q.writeUInt16BE(1, off + 2); // IN
  off += 4;
  q[off] = 0;
  q.writeUInt16BE(41, off + 1);
  q.writeUInt16BE(1232, off + 3);
  return q;
}

/** The generator: runs in its own process, open loop at `rate` for `seconds`, over `sockets` sockets. */
async function generate(
  host: string,
  port: number,
  rate: number,
  seconds: number,
  socketCount: number,
): Promise<LoadResult> {
  const packets = names.map(queryPacket);
  const total = Math.round(rate * seconds);
  // Connected sockets: no address lookup per send, and the kernel filters replies by peer.
  const sockets = await Promise.all(
    Array.from({ length: socketCount }, () => {
      const s = dgram.createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
      return new Promise<dgram.Socket>((resolve) => s.connect(port, host, () => resolve(s)));
    }),
  );
  // Per socket, the send time of each in-flight id (0 when none): 16-bit ids cycle, far slower than the timeout.
  const sentAt = sockets.map(() => new Float64Array(65_536));
  const nextId = new Uint16Array(socketCount);
  const latencies = new Float64Array(total);
  let received = 0;
  let sent = 0;
  const nowUs = (): number => performance.now() * 1000; // a double: cheaper than hrtime.bigint() per packet
  sockets.forEach((s, si) => {
    s.on('message', (msg) => {
      if (msg.length < 12) return;
      const id = (msg[0]! << 8) | msg[1]!;
      const t = sentAt[si]![id]!;
      if (t === 0) return;
      sentAt[si]![id] = 0;
      if (received < total) latencies[received] = nowUs() - t;
      received++;
    });
  });
  const start = nowUs();
  const deadline = start + seconds * 1e6 + 2e6;
  await new Promise<void>((resolve) => {
    const tick = (): void => {
      const elapsed = nowUs() - start;
      const due = Math.min(total, Math.floor((elapsed / 1e6) * rate));
      while (sent < due) {
        const si = sent % socketCount;
        const id = nextId[si]!;
        nextId[si] = (id + 1) & 0xffff;
        const packet = packets[sent % packets.length]!;
        const out = Buffer.allocUnsafe(packet.length);
        packet.copy(out);
        out[0] = id >> 8;
        out[1] = id & 0xff;
        sentAt[si]![id] = nowUs();
        sockets[si]!.send(out);
        sent++;
      }
      if (sent >= total || nowUs() > deadline) resolve();
      else setImmediate(tick);
    };
    tick();
  });
  const sendEnd = nowUs();
  // Drain: wait up to 1 s after the last send for stragglers.
  while (received < sent && nowUs() - sendEnd < 1e6) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (nowUs() - start) / 1e6;
  for (const s of sockets) s.close();
  const sorted = latencies.subarray(0, Math.min(received, total)).sort();
  const q = (p: number): number =>
    sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return {
    sent,
    received,
    lost: sent - received,
    seconds: Math.min(elapsed, (sendEnd - start) / 1e6 + 0.001),
    p50_us: Math.round(q(0.5)),
    p90_us: Math.round(q(0.9)),
    p99_us: Math.round(q(0.99)),
    max_us: Math.round(sorted.length === 0 ? NaN : sorted[sorted.length - 1]!),
    generator: 'built-in (node, separate process)',
  };
}

/** dnsperf, when installed: same rate and duration, its own statistics. */
async function runDnsperf(host: string, port: number, rate: number, seconds: number): Promise<LoadResult> {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'fs-dnsperf-')), 'queries.txt');
  writeFileSync(file, names.map((n) => `${n} A`).join('\n') + '\n');
  const output = await new Promise<string>((resolve) => {
    const child = spawn('dnsperf', [
      '-s',
      host,
      '-p',
      String(port),
      '-d',
      file,
      '-Q',
      String(rate),
      '-l',
      String(seconds),
      '-c',
      '4',
    ]);
    let text = '';
    child.stdout.on('data', (d: Buffer) => (text += d.toString()));
    child.on('close', () => resolve(text));
  });
  const num = (re: RegExp): number => Number(re.exec(output)?.[1] ?? NaN);
  const sent = num(/Queries sent:\s+(\d+)/);
  const received = num(/Queries completed:\s+(\d+)/);
  const avg = num(/Average Latency \(s\):\s+([\d.]+)/) * 1e6;
  return {
    sent,
    received,
    lost: num(/Queries lost:\s+(\d+)/),
    seconds: num(/Run time \(s\):\s+([\d.]+)/),
    p50_us: Math.round(avg), // dnsperf reports mean and stddev, not quantiles
    p90_us: NaN,
    p99_us: Math.round(avg + 2.33 * num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1e6),
    max_us: Math.round(num(/Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)\)/) * 1e6),
    generator: 'dnsperf (mean and mean + 2.33 sd as p50/p99)',
  };
}

function hasDnsperf(): boolean {
  try {
    execFileSync('which', ['dnsperf'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * ns per answered query of the responder alone with no fault rule, and with 1,000 rules that match
 * none of the bench names (a third exact names, a third `*.suffix`, a third `prefix.*`).
 */
async function rulesCost(): Promise<{ none_ns: number; rules_ns: number; ratio: number }> {
  const { systemClock } = await import('../core/clock.js');
  const { seededRandom } = await import('../core/random.js');
  const { DnsMetrics } = await import('../chaos/dns-metrics.js');
  const { FaultEngine } = await import('../chaos/fault-rules.js');
  const { QueryLog } = await import('../chaos/query-log.js');
  const { DnsResponder } = await import('../chaos/responder.js');
  const { ZoneStore } = await import('../chaos/zone-store.js');
  const build = (rules: number) => {
    const faults = new FaultEngine({ clock: systemClock, random: seededRandom(1), maxRules: 1000 });
    for (let i = 0; i < rules; i++) {
      const name = i % 3 === 0 ? `other${i}.bench.example` : i % 3 === 1 ? `*.zone${i}.example` : `svc${i}.*`;
      faults.add({ name, action: 'servfail' });
    }
    return new DnsResponder({
      store: new ZoneStore([benchZone()]),
      faults,
      metrics: new DnsMetrics(),
      log: new QueryLog(10_000),
      clock: systemClock,
      random: seededRandom(2),
    });
  };
  const packets = names.map(queryPacket);
  const measure = (responder: InstanceType<typeof DnsResponder>): number => {
    let i = 0;
    return nsPerSyncCall(() => responder.respond(packets[i++ & 15]!, 'udp', '127.0.0.1'), 200_000, 7);
  };
  const none = build(0);
  const many = build(1000);
  // Interleaved rounds, so drift of a shared machine hits both alike.
  const a: number[] = [];
  const b: number[] = [];
  for (let r = 0; r < 3; r++) {
    a.push(measure(none));
    b.push(measure(many));
  }
  const none_ns = Math.min(...a);
  const rules_ns = Math.min(...b);
  return { none_ns, rules_ns, ratio: none_ns / rules_ns };
}

function benchZone() {
  return {
    name: 'bench.example',
    records: names.map((name, i) => ({
      name,
      type: 'A' as const,
      ttl: 60,
      records: [{ value: `127.0.${i}.1` }, { value: `127.0.${i}.2` }],
    })),
  };
}

async function main(): Promise<void> {
  const { startFaultDnsServer } = await import('../chaos/index.js');
  const rate = Number(process.env['DNS_BENCH_RATE'] ?? 50_000);
  const seconds = Number(process.env['DNS_BENCH_SECONDS'] ?? 5);
  const socketCount = Number(process.env['DNS_BENCH_SOCKETS'] ?? 4);
  const server = await startFaultDnsServer({ zones: [benchZone()] });
  let result: LoadResult;
  // This process runs only the server during the run: its CPU time per answered query is the server's
  // cost, a number that the noise of a shared machine disturbs far less than the rate.
  const cpuBefore = process.cpuUsage();
  try {
    if (hasDnsperf()) {
      result = await runDnsperf(server.dnsAddress, server.dnsPort, rate, seconds);
    } else {
      const child = fork(fileURLToPath(import.meta.url), [], {
        env: {
          ...process.env,
          FAILSMALL_DNS_LOADGEN: JSON.stringify({
            host: server.dnsAddress,
            port: server.dnsPort,
            rate,
            seconds,
            socketCount,
          }),
        },
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      });
      result = await new Promise<LoadResult>((resolve, reject) => {
        child.once('message', (m) => resolve(m as LoadResult));
        child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
      });
    }
  } finally {
    await server.close();
  }
  const cpu = process.cpuUsage(cpuBefore);
  const rules = await rulesCost();
  const cpuPerQuery = (cpu.user + cpu.system) / Math.max(1, result.received);
  const qps = Math.round(result.received / result.seconds);
  const rows: [string, string][] = [
    ['generator', result.generator],
    ['target rate', `${rate.toLocaleString('en-US')} q/s for ${seconds} s`],
    ['sent', result.sent.toLocaleString('en-US')],
    ['answered', result.received.toLocaleString('en-US')],
    ['lost', result.lost.toLocaleString('en-US')],
    ['answered per second', qps.toLocaleString('en-US')],
    ['latency p50', `${result.p50_us} µs`],
    ['latency p90', `${result.p90_us} µs`],
    ['latency p99', `${result.p99_us} µs`],
    ['latency max', `${result.max_us} µs`],
    [
      'server CPU per answer',
      `${cpuPerQuery.toFixed(1)} µs (user ${(cpu.user / Math.max(1, result.received)).toFixed(1)}, kernel ${(cpu.system / Math.max(1, result.received)).toFixed(1)})`,
    ],
    ['server capacity, 1 core', `~${Math.round(1e6 / cpuPerQuery).toLocaleString('en-US')} q/s (1 s / CPU per answer)`],
    ['target', '>= 50,000 answered q/s with no loss'],
    [
      'answer path, 1,000 non-matching rules',
      `${rules.rules_ns.toFixed(0)} ns vs ${rules.none_ns.toFixed(0)} ns with none: throughput ratio ${rules.ratio.toFixed(2)} (target >= 0.80)`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\nfault DNS server, UDP over loopback (16 names, 2 A records each, EDNS queries)');
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('');
  console.log(
    JSON.stringify({
      bench: 'dns-server',
      generator: result.generator.startsWith('dnsperf') ? 'dnsperf' : 'built-in',
      rate,
      seconds,
      sent: result.sent,
      answered: result.received,
      qps,
      p50_us: result.p50_us,
      p99_us: result.p99_us,
      lost: result.lost,
      server_cpu_us_per_query: Number(cpuPerQuery.toFixed(2)),
      responder_ns_no_rules: Math.round(rules.none_ns),
      responder_ns_1000_rules: Math.round(rules.rules_ns),
      qps_ratio_1000_rules: Number(rules.ratio.toFixed(3)),
    }),
  );
}

const loadgen = process.env['FAILSMALL_DNS_LOADGEN'];
if (loadgen !== undefined) {
  const { host, port, rate, seconds, socketCount } = JSON.parse(loadgen) as {
    host: string;
    port: number;
    rate: number;
    seconds: number;
    socketCount: number;
  };
  const result = await generate(host, port, rate, seconds, socketCount);
  process.send!(result, () => process.exit(0));
} else {
  await main();
}
