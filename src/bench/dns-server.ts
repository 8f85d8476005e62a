/**
 * `npm run bench -- dns-server`: answered queries per second and latency of the fault DNS server over
 * loopback UDP. The load comes from a separate process (this same file, forked with
 * `FAILSMALL_DNS_LOADGEN=1`; dnsperf instead when it is installed) sending at a fixed rate, open loop,
 * bounded in count and time. Prints a table and, last, one JSON line with `qps`, `p50_us`, `p99_us`,
 * `lost`, and `qps_ratio_1000_rules`: the answer path's throughput (the responder in this process, no
 * sockets, same queries) with 1,000 fault rules that match none of the names, over its throughput with
 * none (target >= 0.8: rules indexed by exact name, suffix and prefix cost O(labels), not O(rules)).
 * Then the offered load is stepped up (2 s per step) until fewer than 99.9% are answered or p99
 * passes 10 ms, for failsmall and for NSD from Debian on the same zone (installed with apt-get when
 * missing and run as root; skipped, and said so, when it cannot be had): `max_qps`,
 * `reference_max_qps`, `qps_vs_reference` (target >= 0.7). failsmall answers from cached bytes with
 * only the id, RD bit and question case rewritten.
 *
 * The steps are interleaved (at each rate, failsmall then NSD), the servers pinned to CPU 0 and the
 * generator to the last CPU, all at nice -5 when root (see `place`); the generator reports its own
 * CPU share (`generator_cpu_share`, of one core, at the max step).
 *
 * Knobs (environment): `DNS_BENCH_RATE` (queries/s, default 20,000), `DNS_BENCH_SECONDS` (default 3),
 * `DNS_BENCH_SOCKETS` (generator sockets, default 4), `DNS_BENCH_P99_MS` (the p99 limit of a step,
 * default 10).
 */
import { execFileSync, fork, spawn, spawnSync } from 'node:child_process';
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
  /** The generator's own CPU time over the run ÷ its wall time (1 = one core busy); NaN if unknown. */
  cpu_share: number;
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
  const cpuStart = process.cpuUsage();
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
      // Nothing more due: sleep a millisecond rather than spin (a spinning generator took ~95% of a
      // core at 2,000 q/s, which the server then lacked on a 2-core machine); busy, yield only.
      else if (sent >= due) setTimeout(tick, 1);
      else setImmediate(tick);
    };
    tick();
  });
  const sendEnd = nowUs();
  // Drain: wait up to 1 s after the last send for stragglers.
  while (received < sent && nowUs() - sendEnd < 1e6) await new Promise((r) => setTimeout(r, 20));
  const elapsed = (nowUs() - start) / 1e6;
  const cpu = process.cpuUsage(cpuStart);
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
    cpu_share: (cpu.user + cpu.system) / 1e6 / elapsed,
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
    cpu_share: NaN,
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

/**
 * Placement on a shared machine: the servers (failsmall's, in this process, and NSD) on CPU 0, the
 * generator on the last CPU (taskset, when there are 2 cores or more), all three at the same raised
 * priority (nice -5, when running as root), so that other work on the machine delays them alike and
 * less, and the generator does not take the server's core.
 */
const CORES = (await import('node:os')).cpus().length;
const SERVER_CPU = 0;
const GENERATOR_CPU = CORES - 1;
const placement: string[] = [];
function place(pid: number, cpu: number): void {
  if (CORES >= 2) {
    try {
      execFileSync('taskset', ['-a', '-p', '-c', String(cpu), String(pid)], { stdio: 'ignore' });
      if (!placement.includes('taskset')) placement.push('taskset');
    } catch {
      // no taskset: unpinned
    }
  }
  if (process.getuid?.() === 0) {
    try {
      execFileSync('renice', ['-n', '-5', '-p', String(pid)], { stdio: 'ignore' });
      if (!placement.includes('nice -5')) placement.push('nice -5');
    } catch {
      // stays at its priority
    }
  }
}

/** One load run at `rate` for `seconds`: dnsperf when installed, else the built-in generator in a child. */
async function runLoad(
  host: string,
  port: number,
  rate: number,
  seconds: number,
  socketCount: number,
): Promise<LoadResult> {
  if (hasDnsperf()) return runDnsperf(host, port, rate, seconds);
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FAILSMALL_DNS_LOADGEN: JSON.stringify({ host, port, rate, seconds, socketCount }) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  if (child.pid !== undefined) place(child.pid, GENERATOR_CPU);
  return new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

/** The highest offered rate a server sustained, and what it answered there. */
interface MaxRate {
  readonly max_qps: number;
  readonly offered: number;
  readonly p99_us: number;
  /** The generator's CPU share (of one core) at that step. */
  readonly generator_cpu_share: number;
}

/** Offered rates stepped up, 2 s each, until fewer than 99.9% are answered or p99 passes 10 ms. */
const steps = [2_000, 5_000, 10_000, 20_000, 30_000, 45_000, 60_000, 80_000, 100_000, 130_000, 160_000, 200_000];

/** A server under test: where it listens. */
interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
}

/** The limits of a step: fewer answered than this share, or a p99 above this, ends the search. */
const MIN_ANSWERED = 0.999;
const P99_LIMIT_US = Number(process.env['DNS_BENCH_P99_MS'] ?? 10) * 1000;

/**
 * Steps the offered load up (see {@link steps}) for every target alike, interleaved: at each rate
 * one run per target that still holds, so that a slower phase of the shared machine weighs on all
 * of them. A target's search ends at the first step it does not hold; the last step that held gives
 * its `max_qps` (with the generator's CPU share at that step). Bounded: at most `steps.length` runs
 * of 2 s per target.
 */
async function findMaxRates(targets: readonly Target[], socketCount: number): Promise<Map<string, MaxRate>> {
  const best = new Map<string, MaxRate>(
    targets.map((t) => [t.name, { max_qps: 0, offered: 0, p99_us: NaN, generator_cpu_share: NaN }]),
  );
  const live = new Set(targets.map((t) => t.name));
  for (const offered of steps) {
    for (const t of targets) {
      if (!live.has(t.name)) continue;
      const r = await runLoad(t.host, t.port, offered, 2, socketCount);
      const held = r.received >= MIN_ANSWERED * r.sent && r.p99_us <= P99_LIMIT_US;
      console.log(
        `  ${t.name} step ${offered.toLocaleString('en-US')}/s: answered ${r.received}/${r.sent}, p99 ${r.p99_us} µs, generator CPU ${(r.cpu_share * 100).toFixed(0)}% of a core${held ? '' : '  <- limit'}`,
      );
      if (!held) live.delete(t.name);
      else
        best.set(t.name, {
          max_qps: Math.round(r.received / r.seconds),
          offered,
          p99_us: r.p99_us,
          generator_cpu_share: r.cpu_share,
        });
    }
    if (live.size === 0) break;
  }
  return best;
}

/**
 * NSD (Debian's package, installed with apt-get when missing and this runs as root) serving the same
 * zone on loopback with one server process, stepped up the same way; undefined when it cannot be had.
 */
async function startReference(): Promise<(Target & { version: string; stop: () => void }) | undefined> {
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { tmpdir } = await import('node:os');
  const which = (bin: string): boolean => {
    try {
      execFileSync('which', [bin], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  if (!which('nsd') && process.getuid?.() === 0) {
    console.log('  NSD missing: apt-get update && apt-get install -y nsd');
    try {
      execFileSync('apt-get', ['update'], { stdio: 'ignore', timeout: 300_000 });
      execFileSync('apt-get', ['install', '-y', 'nsd'], {
        stdio: 'ignore',
        timeout: 300_000,
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } catch {
      // reported below
    }
  }
  if (!which('nsd')) {
    console.log('  no reference: NSD is not installed and cannot be installed here (ratio skipped)');
    return undefined;
  }
  const printed = spawnSync('nsd', ['-v'], { encoding: 'utf8' });
  const version = `${printed.stderr ?? ''}${printed.stdout ?? ''}`.trim().split('\n')[0] || 'NSD';
  const dir = mkdtempSync(join(tmpdir(), 'fs-nsd-'));
  const port = await new Promise<number>((resolve) => {
    const s = dgram.createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      const p = s.address().port;
      s.close(() => resolve(p));
    });
  });
  const zone = benchZone();
  writeFileSync(
    join(dir, 'bench.example.zone'),
    [
      '$ORIGIN bench.example.',
      '$TTL 60',
      '@ IN SOA ns.bench.example. hostmaster.bench.example. 1 3600 600 1209600 60',
      '@ IN NS ns.bench.example.',
      'ns IN A 127.0.0.1',
      ...zone.records.flatMap((set) => set.records.map((r) => `${set.name}. ${set.ttl} IN A ${r.value}`)),
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'nsd.conf'),
    [
      'server:',
      '  ip-address: 127.0.0.1',
      `  port: ${port}`,
      '  username: ""',
      '  chroot: ""',
      `  zonesdir: "${dir}"`,
      `  pidfile: "${join(dir, 'nsd.pid')}"`,
      '  database: ""',
      `  xfrdfile: "${join(dir, 'xfrd.state')}"`,
      `  zonelistfile: "${join(dir, 'zone.list')}"`,
      '  server-count: 1',
      '  verbosity: 0',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      '  name: bench.example',
      '  zonefile: bench.example.zone',
      '',
    ].join('\n'),
  );
  const nsd = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
  const stop = (): void => void nsd.kill('SIGTERM');
  const { probe } = await import('../chaos/probe.js');
  let up = false;
  for (let i = 0; i < 50 && !up && nsd.exitCode === null; i++) {
    up = await probe('127.0.0.1', port, names[0]!, { timeoutMs: 200 }).then(
      (r) => r.answers.length === 2,
      () => false,
    );
  }
  if (!up) {
    stop();
    console.log('  no reference: NSD did not answer on loopback (ratio skipped)');
    return undefined;
  }
  // NSD forks its server process: place every process of it (the server answers on CPU 0).
  const children = spawnSync('pgrep', ['-P', String(nsd.pid)], { encoding: 'utf8' }).stdout ?? '';
  for (const pid of [String(nsd.pid), ...children.split(/\s+/).filter((x) => x !== '')]) place(Number(pid), SERVER_CPU);
  console.log(`  reference ${version}, one server process`);
  return { name: 'nsd', host: '127.0.0.1', port, version, stop };
}

async function main(): Promise<void> {
  const { startFaultDnsServer } = await import('../chaos/index.js');
  const rate = Number(process.env['DNS_BENCH_RATE'] ?? 20_000);
  const seconds = Number(process.env['DNS_BENCH_SECONDS'] ?? 3);
  const socketCount = Number(process.env['DNS_BENCH_SOCKETS'] ?? 4);
  const server = await startFaultDnsServer({ zones: [benchZone()] });
  place(process.pid, SERVER_CPU);
  let result: LoadResult;
  // This process runs only the server during the run: its CPU time per answered query is the server's
  // cost, a number that the noise of a shared machine disturbs far less than the rate.
  const cpuBefore = process.cpuUsage();
  try {
    result = await runLoad(server.dnsAddress, server.dnsPort, rate, seconds, socketCount);
  } catch (error) {
    await server.close();
    throw error;
  }
  const cpu = process.cpuUsage(cpuBefore);
  // Let the fixed-rate run's backlog drain before the first step.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const started = await startReference();
  const ourTarget: Target = { name: 'failsmall', host: server.dnsAddress, port: server.dnsPort };
  let rates: Map<string, MaxRate>;
  try {
    rates = await findMaxRates(started === undefined ? [ourTarget] : [ourTarget, started], socketCount);
  } finally {
    started?.stop();
    await server.close();
  }
  const ours = rates.get('failsmall')!;
  const reference = started === undefined ? undefined : { ...rates.get('nsd')!, name: started.version };
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
    [
      'placement',
      placement.length === 0
        ? 'none (one core, or no taskset)'
        : `${placement.join(', ')}: servers on CPU ${SERVER_CPU}, generator on CPU ${GENERATOR_CPU}`,
    ],
    [
      'generator CPU at the max step',
      `${(ours.generator_cpu_share * 100).toFixed(0)}% of a core (failsmall), ${reference === undefined ? 'n/a' : `${(reference.generator_cpu_share * 100).toFixed(0)}%`} (reference)`,
    ],
    [
      'max sustained rate',
      `${ours.max_qps.toLocaleString('en-US')} q/s (>= 99.9% answered, p99 <= 10 ms; offered ${ours.offered.toLocaleString('en-US')}/s)`,
    ],
    [
      'reference',
      reference === undefined
        ? 'none (NSD unavailable)'
        : `${reference.name}: ${reference.max_qps.toLocaleString('en-US')} q/s; failsmall / reference ${(ours.max_qps / Math.max(1, reference.max_qps)).toFixed(2)} (target >= 0.7)`,
    ],
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
      placement: placement.join(', ') || 'none',
      generator_cpu_share: Number(ours.generator_cpu_share.toFixed(3)),
      reference_generator_cpu_share: reference === undefined ? null : Number(reference.generator_cpu_share.toFixed(3)),
      p99_limit_us: P99_LIMIT_US,
      max_qps_offered: ours.offered,
      reference_offered: reference?.offered ?? null,
      max_qps: ours.max_qps,
      reference: reference?.name ?? null,
      reference_max_qps: reference?.max_qps ?? null,
      qps_vs_reference:
        reference === undefined ? null : Number((ours.max_qps / Math.max(1, reference.max_qps)).toFixed(3)),
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
