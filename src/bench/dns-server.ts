/**
 * `npm run bench -- dns-server`: the maximum sustained rate of the fault DNS server over loopback
 * UDP, beside a reference authoritative server (NSD from Debian) on the same zone and the
 * node:dgram floor (below), in the same run, with the same load generator for all: dnsperf from
 * Debian, else this same file forked with `FAILSMALL_DNS_LOADGEN` (open loop, bounded in count and
 * time). NSD and dnsperf are installed with apt-get when missing and this runs as root (one
 * `apt-get update` per run, before the first install; see `ensureDebianCommand` in
 * bench/harness-host.ts); without NSD the ratios are skipped, without dnsperf the built-in
 * generator serves all, and the output says so. `DNS_BENCH_GENERATOR=built-in` forces the built-in.
 *
 * The offered load is stepped up (`rates`, about ×1.26 a step from 10,000 to 800,000 q/s,
 * `DNS_BENCH_STEP_S`, default 1 s per step) until fewer than 99.9% are answered or p99 passes 10 ms
 * (`DNS_BENCH_P99_MS`); a step that does not hold is run once more before it ends the search. A
 * step where the generator could not send at the offered rate (under 98% of it) while the server
 * answered everything in time, or where the generator ran at 85% of a core or more, is
 * `generator_bound`: if it ends the search, the server's maximum is only a lower bound
 * (`ended_by: "generator"`). The steps are interleaved (at each rate, failsmall, the floor, then
 * NSD), and the whole search stops after `DNS_BENCH_BUDGET_S` (default 150 s). JSON: `max_qps`,
 * `reference_max_qps`, `qps_vs_reference` (target >= 0.7), the server CPU time per answered query
 * of each (`/proc/<pid>/task/<tid>/schedstat`, at its highest step that held) and
 * `cpu_capacity_vs_reference` (NSD's CPU per answer ÷ failsmall's: the figure a shared machine
 * disturbs least), every step, the load average at the start and the end, and
 * `qps_ratio_1000_rules`: the answer path's throughput (the responder in this process, no sockets)
 * with 1,000 fault rules that match none of the names, over its throughput with none (target >= 0.8).
 * failsmall answers from cached bytes with only the id, RD bit and question case rewritten.
 *
 * The node:dgram floor (`node-floor`, see `serveFloor`; `DNS_BENCH_FLOOR=0` skips it): a Node UDP
 * server that does nothing but send each query back as its answer, placed and stepped like the
 * others. It is what any server on node:dgram can reach here, so `qps_vs_node_floor` (failsmall's
 * rate ÷ the floor's) is failsmall's own overhead, and `node_floor_max_qps` ÷ `reference_max_qps`
 * bounds what `qps_vs_reference` can become without leaving node:dgram. JSON: `node_floor_max_qps`,
 * `node_floor_cpu_us_per_query`, `node_floor_ended_by`, `qps_vs_node_floor`, its steps.
 *
 * Latency: the built-in generator measures every answer (p50, p99 exact); dnsperf 2.10 prints only
 * the mean and standard deviation, so its p99 is estimated as mean + 2.33 sd and its p50 is the mean.
 * The built-in generator's latencies include its own event loop's delays: on a 2-core machine both
 * servers tend to end at the same step with it (qps_vs_reference near 1 says little; the CPU per
 * answer still does), while dnsperf separates them.
 *
 * Placement (see `place` and `placed`): each server in a process of its own on CPU 0, the generator
 * on the last CPU, all at nice -20 when root (each in a session, so an autogroup, of its own, at the
 * same nice), so that a shared machine delays them alike and little; the generator's own CPU share
 * (`generator_cpu_share`, of one core, at the max step) comes from `process.cpuUsage` (built-in) or
 * this process's reaped-children time (dnsperf). One server process each by default; with
 * `DNS_BENCH_SERVERS=N`, failsmall's server and the floor run as N node:cluster workers sharing one
 * UDP socket, NSD with `server-count: N`, and nothing is pinned (JSON `server_processes`). On this
 * 2-core machine that does not help: dnsperf takes 0.65 of a core at failsmall's maximum and
 * 0.85 at NSD's, so a second server process takes the generator's time. Measured with N = 2
 * (2026-12-02, load 1.3-1.6): failsmall 31,993 q/s and the floor 31,995 q/s, as with one pinned
 * process; NSD 62,938 q/s, bound by the generator (a pinned single NSD holds ~80,000 here).
 *
 * Where failsmall's server time goes (perf, cpu-clock with --perf-basic-prof, at 32,000 q/s, load
 * 7-10, 2026-12-02): ~25 µs of CPU per query at that step, 63% in the kernel: sendmsg 47% (the
 * loopback delivery to the client runs inside it; waking the client's thread alone is ~20%),
 * recvmsg 9%, epoll 7%. User space: Node's receive path 9% (a 64 KiB malloc per datagram, the
 * rinfo object and its address string, the Buffer), its send path 8% (a SendWrap per datagram,
 * the lookup, the callback's nextTick), MakeCallback 4%, the responder 6% (~1.5 µs there, ~0.7 µs
 * hot in-process: `responder_ns_no_rules`), GC under 1% (at 40,000 q/s a 1-4 ms scavenge every
 * 150-250 ms; a 64 MB semi-space changed no p99 beyond the noise). NSD is 91% kernel with the
 * same system calls. By /proc tick split at 40,000 q/s the kernel part is 10-13 µs per query for
 * failsmall and for the floor, about NSD's whole cost (11.5-14.5 µs); user space is ~8.5 µs for
 * failsmall, ~6.5 µs for the floor and ~1.5 µs for NSD: the gap is node:dgram's per-datagram work,
 * failsmall's own part is ~2 µs (in the bench, failsmall's CPU per query at a step is the floor's
 * +0-10%). Sending without a callback saved nothing measurable and would lose the errors Node
 * reports synchronously (it drops them when there is no callback), so replies keep one shared
 * callback; they leave together after each event-loop turn's reads (dns-server.ts), ~3% less CPU
 * per query.
 *
 * Why a step fails at 0.7-0.8 of a core (40,000 q/s, load 7-10): the accounting misses nothing
 * (per-thread schedstat: the main thread 97%, V8's helper threads 3%; no IRQ_TIME_ACCOUNTING, so
 * the loopback softirq in the server's context is charged to it), but CPU 0 is never idle: other
 * sessions' processes took 12-30% of its ticks (/proc/stat) even with the server at nice -20 in an
 * autogroup of its own. They run whenever the server blocks in epoll, and once woken it waits
 * (schedstat run-queue wait 3-10% of the step), so its receive queue builds (seen at ~150
 * datagrams, far below the 4 MiB buffer: no drops) and p50 and p99 rise with it: at 0.75-0.8 of
 * a core a server recovers slowly from each such delay, NSD at ~0.55 quickly. Keeping the server
 * awake (a loop of setImmediate for 0.2 ms after each datagram, tried on the floor) took the whole
 * core and left the run-queue waits and the p99 as they were. The floor needs 0.7-0.8 of a core
 * at 40,000 too and failed 40,000 or 32,000 in two runs of three (the third held 50,000 at
 * 13.6 µs a query: the cost per query falls as the batches per wake-up grow, and varies from run
 * to run). (Two processes unpinned: `DNS_BENCH_SERVERS`, above.)
 *
 * Knobs (environment): `DNS_BENCH_GENERATOR` (`dnsperf` or `built-in`; default dnsperf when it can be
 * had), `DNS_BENCH_STEP_S`, `DNS_BENCH_P99_MS`, `DNS_BENCH_BUDGET_S`, `DNS_BENCH_SOCKETS` (generator
 * sockets, dnsperf clients; default 4), `DNS_BENCH_NICE` (default -20; 0 leaves priorities alone),
 * `DNS_BENCH_FLOOR` (0: no node:dgram floor), `DNS_BENCH_SERVERS` (server processes; default 1).
 */
import { execFileSync, fork, spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import cluster from 'node:cluster';
import dgram from 'node:dgram';
import net from 'node:net';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listenUdpAndTcp } from '../core/listening.js';
import { ensureDebianCommand, hasCommand, procCpuMs } from './harness-host.js';

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

/** One load run: `rate` queries per second for `seconds` at `host:port`, over `socketCount` sockets. */
interface LoadSpec {
  readonly host: string;
  readonly port: number;
  readonly rate: number;
  readonly seconds: number;
  readonly socketCount: number;
}

/** The generator: runs in its own process, open loop (see {@link LoadSpec}). */
async function generate({ host, port, rate, seconds, socketCount }: LoadSpec): Promise<LoadResult> {
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
  const deadline = start + seconds * 1e6 + 1e6;
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
  // Drain: wait up to 300 ms after the last send for stragglers (30 times the p99 limit: any later
  // answer counts as lost).
  while (received < sent && nowUs() - sendEnd < 3e5) await new Promise((r) => setTimeout(r, 10));
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

/** This run's scratch directory (NSD's zone and state, dnsperf's query file), removed at the end. */
let scratch: string | undefined;
function scratchDir(): string {
  return (scratch ??= mkdtempSync(join(tmpdir(), 'fs-dns-bench-')));
}

/** dnsperf's input: the bench names, type A, one a line (written once per run). */
let queries: string | undefined;
function queryFile(): string {
  if (queries === undefined) {
    queries = join(scratchDir(), 'queries.txt');
    writeFileSync(queries, names.map((n) => `${n} A`).join('\n') + '\n');
  }
  return queries;
}

/**
 * dnsperf: the same rate, duration and number of sockets (its clients), its own statistics. At most
 * 100 ms of the rate outstanding (`-q`, so a server that falls behind shows as a shortfall of sent
 * queries rather than unbounded queues) and a 1 s timeout (`-t`: a later answer is lost). Started
 * placed (see {@link placed}); its CPU time is read from this process's reaped children.
 */
async function dnsperfLoad({ host, port, rate, seconds, socketCount }: LoadSpec): Promise<LoadResult> {
  const outstanding = Math.min(65_535, Math.max(1_000, Math.ceil(rate / 10)));
  const args = ['-s', host, '-p', String(port), '-d', queryFile(), '-Q', String(rate), '-l', String(seconds)];
  // EDNS (-e), as the built-in generator's queries; no line per lost or unexpected answer (each
  // would cost dnsperf a write at the rates where they happen).
  args.push('-c', String(socketCount), '-q', String(outstanding), '-t', '1', '-e');
  args.push('-O', 'suppress=timeout,unexpected');
  // dnsperf 2.10 was once seen here to spin past its time limit (a thread busy in the kernel): killed
  // 5 s after the limit and its timeout, and run once more. Its CPU share: over the run that ended.
  const run = (): Promise<{ output: string; cpu: number; wall: number } | undefined> =>
    new Promise((resolve, reject) => {
      const cpuBefore = procCpuMs().reapedChildren / 1000;
      const wallStart = performance.now();
      const child = placed('dnsperf', args, GENERATOR_CPU, ['ignore', 'pipe', 'pipe']);
      let output = '';
      let hung = false;
      const timer = setTimeout(
        () => {
          hung = true;
          child.kill('SIGKILL');
        },
        (seconds + 6) * 1000,
      );
      child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', () => {
        clearTimeout(timer);
        const cpu = procCpuMs().reapedChildren / 1000 - cpuBefore;
        resolve(hung ? undefined : { output, cpu, wall: (performance.now() - wallStart) / 1000 });
      });
    });
  let ran = await run();
  if (ran === undefined) {
    console.log('  dnsperf did not end: killed, and run once more');
    ran = await run();
  }
  const { output, cpu, wall } = ran ?? { output: '', cpu: NaN, wall: NaN };
  const num = (re: RegExp): number => Number(re.exec(output)?.[1] ?? NaN);
  const sent = num(/Queries sent:\s+(\d+)/);
  const received = num(/Queries completed:\s+(\d+)/);
  if (!Number.isFinite(sent) || !Number.isFinite(received)) {
    throw new Error(`dnsperf printed no statistics:\n${output}`);
  }
  const avg = num(/Average Latency \(s\):\s+([\d.]+)/) * 1e6;
  const sd = num(/Latency StdDev \(s\):\s+([\d.]+)/) * 1e6;
  const runTime = num(/Run time \(s\):\s+([\d.]+)/);
  return {
    sent,
    received,
    lost: num(/Queries lost:\s+(\d+)/),
    seconds: Number.isFinite(runTime) && runTime > 0 ? runTime : seconds,
    p50_us: Math.round(avg), // dnsperf reports mean and stddev, not quantiles
    p90_us: NaN,
    p99_us: Math.round(avg + 2.33 * sd),
    max_us: Math.round(num(/Average Latency \(s\):\s+[\d.]+ \(min [\d.]+, max ([\d.]+)\)/) * 1e6),
    generator: 'dnsperf (mean and mean + 2.33 sd as p50/p99)',
    // 10 ms ticks over a run of about `seconds`: a share to about 1%.
    cpu_share: cpu / wall,
  };
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
  // CPU time, not wall time: on a shared machine the wall clock also counts the waits for a core.
  const measure = (responder: InstanceType<typeof DnsResponder>): number => {
    let i = 0;
    for (let k = 0; k < 50_000; k++) responder.respond(packets[i++ & 15]!, 'udp', '127.0.0.1');
    const before = process.cpuUsage();
    for (let k = 0; k < 200_000; k++) responder.respond(packets[i++ & 15]!, 'udp', '127.0.0.1');
    const cpu = process.cpuUsage(before);
    return ((cpu.user + cpu.system) * 1000) / 200_000;
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
 * Placement on a shared machine: each server (failsmall's and the node:dgram floor, each in a child
 * process of its own, and NSD) on CPU 0, the generator on the last CPU (taskset, when there are 2
 * cores or more), all at the same raised priority (nice `DNS_BENCH_NICE`, default -20, when running as root: every thread of
 * the process), so that other work on the machine (a shared 2-core machine runs at load 10-20)
 * delays them alike and much less, and the generator does not take the server's core. The steps
 * are short, so the raised priority is held for about a minute in all.
 */
const CORES = cpus().length;
/**
 * Server processes per server (`DNS_BENCH_SERVERS`, default 1): with more, failsmall's server and the
 * floor run as a cluster (node:cluster, the workers sharing one UDP socket), NSD with as many server
 * processes, and nothing is pinned: every server and the generator may run on every CPU.
 */
const SERVERS = Number(process.env['DNS_BENCH_SERVERS'] ?? 1);
if (!Number.isInteger(SERVERS) || SERVERS < 1) {
  throw new Error(`DNS_BENCH_SERVERS must be a whole number >= 1, not ${process.env['DNS_BENCH_SERVERS']}`);
}
const ALL_CPUS = `0-${CORES - 1}`;
const SERVER_CPU = SERVERS > 1 ? ALL_CPUS : '0';
const GENERATOR_CPU = SERVERS > 1 ? ALL_CPUS : String(CORES - 1);
const NICE = Number(process.env['DNS_BENCH_NICE'] ?? -20);
const ROOT = process.getuid?.() === 0;
const HAS_TASKSET = hasCommand('taskset');
const placement: string[] = [];
const placedBy = (how: string): void => void (placement.includes(how) || placement.push(how));

/**
 * With autogroups (sched_autogroup_enabled), nice weighs only within a session's group: the process
 * runs in a session of its own (spawned detached) and its group gets the same nice.
 */
function ownAutogroup(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/autogroup`, String(NICE));
    placedBy('own autogroup');
  } catch {
    // no autogroups
  }
}

/**
 * Places running processes (a forked Node child and its cluster workers): every thread pinned to
 * `cpu` (a taskset list), reniced, the first one's autogroup.
 */
function place(pids: readonly number[], cpu: string): void {
  for (const pid of pids) {
    if (CORES >= 2) {
      try {
        execFileSync('taskset', ['-a', '-p', '-c', cpu, String(pid)], { stdio: 'ignore' });
        placedBy('taskset');
      } catch {
        // no taskset: unpinned
      }
    }
    if (ROOT && NICE !== 0) {
      try {
        const tasks = readdirSync(`/proc/${pid}/task`);
        execFileSync('renice', ['-n', String(NICE), '-p', ...tasks], { stdio: 'ignore' });
        placedBy(`nice ${NICE}`);
      } catch {
        // stays at its priority
      }
    }
  }
  // Workers stay in the session, so the autogroup, of the process that forked them.
  if (ROOT && NICE !== 0 && pids.length > 0) ownAutogroup(pids[0]!);
}

/**
 * Starts a program placed from its first instruction (dnsperf's threads, NSD's forked server): under
 * `taskset -c cpu` and `nice -n NICE` (each when it applies; both exec, so the pid is the program's),
 * detached, in an autogroup of its own.
 */
function placed(command: string, args: readonly string[], cpu: string, stdio: StdioOptions): ChildProcess {
  const prefix: string[] = [];
  if (CORES >= 2 && HAS_TASKSET) {
    prefix.push('taskset', '-c', cpu);
    placedBy('taskset');
  }
  if (ROOT && NICE !== 0) {
    prefix.push('nice', '-n', String(NICE));
    placedBy(`nice ${NICE}`);
  }
  const argv = [...prefix, command, ...args];
  const child = spawn(argv[0]!, argv.slice(1), { stdio, detached: true });
  if (ROOT && NICE !== 0 && child.pid !== undefined) ownAutogroup(child.pid);
  return child;
}

/** The process `pid` and its descendants (NSD forks its server). */
function processTree(pid: number): number[] {
  const out = [pid];
  for (let i = 0; i < out.length && out.length < 64; i++) {
    const children = spawnSync('pgrep', ['-P', String(out[i])], { encoding: 'utf8' }).stdout ?? '';
    for (const c of children.split(/\s+/)) if (c !== '') out.push(Number(c));
  }
  return out;
}

/**
 * CPU time (ns) every thread of the given processes has run: the first field of
 * `/proc/<pid>/task/<tid>/schedstat` (nanosecond accounting, unlike the 10 ms ticks of `stat`).
 * The server's CPU per answered query is the figure a shared machine disturbs least.
 */
function cpuNs(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tasks) {
      try {
        total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      } catch {
        // the thread ended
      }
    }
  }
  return total;
}

/** One load run (see {@link LoadSpec}) by one generator. */
type Load = (spec: LoadSpec) => Promise<LoadResult>;

/** The built-in generator: this file in a child process of its own, placed on the generator's CPU. */
function builtInLoad(spec: LoadSpec): Promise<LoadResult> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FAILSMALL_DNS_LOADGEN: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  if (child.pid !== undefined) place([child.pid], GENERATOR_CPU);
  return new Promise<LoadResult>((resolve, reject) => {
    child.once('message', (m) => resolve(m as LoadResult));
    child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
  });
}

/**
 * The generator for every server: dnsperf (installed when missing, see {@link ensureDebianCommand}),
 * else the built-in one, said on the output; `DNS_BENCH_GENERATOR=built-in` forces the built-in.
 */
function chooseGenerator(): { name: 'dnsperf' | 'built-in'; load: Load } {
  const wanted = process.env['DNS_BENCH_GENERATOR'] ?? 'dnsperf';
  const missing = wanted === 'built-in' ? 'not wanted' : ensureDebianCommand('dnsperf', 'dnsperf');
  if (missing === undefined) {
    const printed = spawnSync('dnsperf', ['-h'], { encoding: 'utf8' });
    const version = /Version (\d[\d.]*)/.exec(`${printed.stdout ?? ''}${printed.stderr ?? ''}`)?.[1];
    console.log(`  generator: dnsperf${version === undefined ? '' : ` ${version}`} for every server`);
    return { name: 'dnsperf', load: dnsperfLoad };
  }
  console.log(
    wanted === 'built-in'
      ? '  generator: the built-in one (DNS_BENCH_GENERATOR=built-in) for every server'
      : `  generator: dnsperf cannot be had here (${missing}): the built-in one (node, separate process) for every server`,
  );
  return { name: 'built-in', load: builtInLoad };
}

/** What one step measured for one server. */
interface Step {
  readonly offered: number;
  readonly sent: number;
  readonly answered: number;
  readonly qps: number;
  readonly p50_us: number;
  readonly p99_us: number;
  readonly held: boolean;
  /**
   * Whether a step that did not hold is bound by the generator rather than the server: it sent
   * under 98% of the offered rate while every answer came in time, or it ran at 85% of a core or
   * more (its receiving side may then be what lost or delayed the answers).
   */
  readonly generator_bound: boolean;
  /** The server's CPU time per answered query over the step, in µs. */
  readonly cpu_us_per_query: number;
  /** The generator's CPU share (of one core). */
  readonly generator_cpu_share: number;
  /** Whether this is the confirming second run of a step whose first run did not hold. */
  readonly retried: boolean;
}

/**
 * Why a search ended: the server did not hold (`server`: the maximum is the server's), the
 * generator could not offer the next rate (`generator`: the maximum is a lower bound), or the
 * `rates` or the time budget ran out (a lower bound too).
 */
type Ended = 'server' | 'generator' | 'rates' | 'budget';

/** The highest offered rate a server sustained, and what it answered there. */
interface MaxRate {
  readonly max_qps: number;
  readonly offered: number;
  readonly p99_us: number;
  readonly cpu_us_per_query: number;
  /** The generator's CPU share (of one core) at that step. */
  readonly generator_cpu_share: number;
  readonly ended_by: Ended;
  readonly steps: Step[];
}

/**
 * Offered rates in q/s, stepped up (`DNS_BENCH_STEP_S` seconds each, default 1) until a server no
 * longer holds: about ×1.26 a step (the R10 series), from 10,000 (well under either server) to
 * 800,000 (past what one core of this class can answer, and past what one dnsperf thread sends).
 */
const rates = [
  10_000, 12_500, 16_000, 20_000, 25_000, 32_000, 40_000, 50_000, 63_000, 80_000, 100_000, 125_000, 160_000, 200_000,
  250_000, 320_000, 400_000, 500_000, 630_000, 800_000,
];
const STEP_SECONDS = Number(process.env['DNS_BENCH_STEP_S'] ?? 1);
/** The search stops after this long, in s (default 150: the bench then ends in about 3 minutes). */
const BUDGET_SECONDS = Number(process.env['DNS_BENCH_BUDGET_S'] ?? 150);

/** A server under test: where it listens, and the processes whose CPU time is its cost. */
interface Target {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly pids: readonly number[];
}

/** The limits of a step: fewer answered than this share, or a p99 above this, ends the search. */
const MIN_ANSWERED = 0.999;
const P99_LIMIT_US = Number(process.env['DNS_BENCH_P99_MS'] ?? 10) * 1000;
/** A generator that sends under this share of the offered rate did not offer it. */
const MIN_OFFERED = 0.98;
/** A generator at this share of a core or more is at its limit: a step it fails says little of the server. */
const GENERATOR_FULL = 0.85;

/** One step for one target, with the server's CPU time over it. */
async function step(load: Load, t: Target, offered: number, socketCount: number, retried: boolean): Promise<Step> {
  const before = cpuNs(t.pids);
  const r = await load({ host: t.host, port: t.port, rate: offered, seconds: STEP_SECONDS, socketCount });
  const cpu = cpuNs(t.pids) - before;
  const offeredReached = r.sent / r.seconds >= MIN_OFFERED * offered;
  const answeredInTime = r.received >= MIN_ANSWERED * r.sent && r.p99_us <= P99_LIMIT_US;
  const held = offeredReached && answeredInTime;
  const result: Step = {
    offered,
    sent: r.sent,
    answered: r.received,
    qps: Math.round(r.received / r.seconds),
    p50_us: r.p50_us,
    p99_us: r.p99_us,
    held,
    generator_bound: !held && ((!offeredReached && answeredInTime) || r.cpu_share >= GENERATOR_FULL),
    cpu_us_per_query: Math.round(cpu / Math.max(1, r.received) / 10) / 100,
    generator_cpu_share: Math.round(r.cpu_share * 1000) / 1000,
    retried,
  };
  const verdict = held ? '' : result.generator_bound ? '  <- bound by the generator' : '  <- did not hold';
  console.log(
    `  ${t.name.padEnd(10)} ${offered.toLocaleString('en-US').padStart(7)}/s${retried ? ' (again)' : '        '}: answered ${r.received}/${r.sent}, p50 ${r.p50_us} µs, p99 ${r.p99_us} µs, server CPU ${result.cpu_us_per_query} µs/query, generator CPU ${(r.cpu_share * 100).toFixed(0)}% of a core${verdict}`,
  );
  return result;
}

/**
 * Steps the offered load up (see {@link rates}) for every target alike, interleaved: at each rate
 * one run per target that still holds, so that a slower phase of the shared machine weighs on all
 * of them. A step that does not hold is run once more (a moment of other load on a shared machine
 * must not end the search); a target's search ends at the first step that fails twice (see
 * {@link Ended}), and the last step that held gives its `max_qps`, with the server's CPU per query
 * and the generator's CPU share there. Bounded: at most 2 × `rates.length` runs of `STEP_SECONDS`
 * per target, and no new rate after `BUDGET_SECONDS`.
 */
async function findMaxRates(
  load: Load,
  targets: readonly Target[],
  socketCount: number,
): Promise<Map<string, MaxRate>> {
  const best = new Map<string, MaxRate>(
    targets.map((t) => [
      t.name,
      {
        max_qps: 0,
        offered: 0,
        p99_us: NaN,
        cpu_us_per_query: NaN,
        generator_cpu_share: NaN,
        ended_by: 'rates',
        steps: [],
      },
    ]),
  );
  const end = (name: string, ended_by: Ended): void => void best.set(name, { ...best.get(name)!, ended_by });
  const live = new Set(targets.map((t) => t.name));
  const started = performance.now();
  // Warm-up, not counted: failsmall's server compiles its answer path on the first queries.
  for (const t of targets) {
    await load({ host: t.host, port: t.port, rate: rates[0]!, seconds: STEP_SECONDS, socketCount });
  }
  for (const offered of rates) {
    if (performance.now() - started > BUDGET_SECONDS * 1000) {
      for (const name of live) end(name, 'budget');
      console.log(`  time budget (${BUDGET_SECONDS} s) spent: the search stops here`);
      break;
    }
    for (const t of targets) {
      if (!live.has(t.name)) continue;
      const record = best.get(t.name)!;
      let r = await step(load, t, offered, socketCount, false);
      record.steps.push(r);
      if (!r.held) {
        r = await step(load, t, offered, socketCount, true);
        record.steps.push(r);
      }
      if (!r.held) {
        live.delete(t.name);
        end(t.name, r.generator_bound ? 'generator' : 'server');
      } else
        best.set(t.name, {
          max_qps: r.qps,
          offered,
          p99_us: r.p99_us,
          cpu_us_per_query: r.cpu_us_per_query,
          generator_cpu_share: r.generator_cpu_share,
          ended_by: 'rates',
          steps: record.steps,
        });
    }
    if (live.size === 0) break;
  }
  return best;
}

/**
 * A server in a child process of its own (this file with `FAILSMALL_DNS_SERVE` = `mode`), placed on
 * the server's CPU: failsmall's fault DNS server (`failsmall`) or the node:dgram floor (`node-floor`,
 * see {@link serveFloor}).
 */
async function startChild(mode: 'failsmall' | 'node-floor'): Promise<Target & { stop: () => Promise<void> }> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FAILSMALL_DNS_SERVE: mode },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    detached: true,
  });
  const where = await new Promise<{ host: string; port: number }>((resolve, reject) => {
    child.once('message', (m) => resolve(m as { host: string; port: number }));
    child.once('exit', (code) => reject(new Error(`the ${mode} DNS server exited with ${code}`)));
  });
  // The child and its cluster workers, if any (they have all bound by now).
  const pids = processTree(child.pid!);
  place(pids, SERVER_CPU);
  const stop = (): Promise<void> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.send('stop');
    });
  return { name: mode, host: where.host, port: where.port, pids, stop };
}

/**
 * NSD (Debian's package, installed with apt-get when missing and this runs as root) serving the same
 * zone on loopback with one server process, stepped up the same way; undefined when it cannot be had.
 */
async function startReference(): Promise<(Target & { version: string; stop: () => void }) | undefined> {
  const missing = ensureDebianCommand('nsd', 'nsd');
  if (missing !== undefined) {
    console.log(`  no reference: ${missing} (ratio skipped)`);
    return undefined;
  }
  const printed = spawnSync('nsd', ['-v'], { encoding: 'utf8' });
  const version = `${printed.stderr ?? ''}${printed.stdout ?? ''}`.trim().split('\n')[0] || 'NSD';
  const dir = scratchDir();
  // A number free for both UDP and TCP (NSD serves both on it), let go again for NSD to take.
  const tcpProbe = net.createServer();
  const { udp: held, port } = await listenUdpAndTcp(() => dgram.createSocket('udp4'), tcpProbe, '127.0.0.1');
  await Promise.all([
    new Promise((resolve) => held.close(() => resolve(undefined))),
    new Promise((resolve) => tcpProbe.close(resolve)),
  ]);
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
      `  server-count: ${SERVERS}`,
      // The same 4 MB receive buffer as failsmall's server, and no response rate limiting (on by
      // default in Debian's build: 200 answers/s per source, then dropped or truncated).
      '  receive-buffer-size: 4194304',
      '  rrl-ratelimit: 0',
      '  rrl-whitelist-ratelimit: 0',
      '  verbosity: 0',
      'remote-control:',
      '  control-enable: no',
      'zone:',
      '  name: bench.example',
      '  zonefile: bench.example.zone',
      '',
    ].join('\n'),
  );
  // Placed from the start: its forked server inherits the CPU, the nice and the autogroup.
  const nsd = placed('nsd', ['-d', '-c', join(dir, 'nsd.conf')], SERVER_CPU, ['ignore', 'ignore', 'pipe']);
  let said = ''; // the tail of what NSD printed, to say why it did not answer
  nsd.stderr?.on('data', (d: Buffer) => (said = (said + d.toString()).slice(-1_000)));
  const stop = (): void => void nsd.kill('SIGTERM');
  const { probe } = await import('../chaos/probe.js');
  // Polled for up to 10 s, 100 ms apart: a probe of a port nobody listens on yet fails at once
  // (ICMP port unreachable), so a count of tries alone can run out before NSD has read its zone.
  let up = false;
  for (const deadline = Date.now() + 10_000; !up && nsd.exitCode === null && Date.now() < deadline;) {
    up = await probe('127.0.0.1', port, names[0]!, { timeoutMs: 200 }).then(
      (r) => r.answers.length === 2,
      () => false,
    );
    if (!up) await new Promise((r) => setTimeout(r, 100));
  }
  if (!up) {
    stop();
    const why = said.trim().split('\n').slice(-2).join(' / ');
    console.log(`  no reference: NSD did not answer on loopback${why === '' ? '' : ` (${why})`} (ratio skipped)`);
    return undefined;
  }
  // NSD forks its server process: its CPU time counts too.
  const pids = processTree(nsd.pid!);
  console.log(`  reference ${version}, ${SERVERS === 1 ? 'one server process' : `${SERVERS} server processes`}`);
  return { name: 'nsd', host: '127.0.0.1', port, pids, version, stop };
}

/** What {@link Ended} means for the figure, for the table. */
function endedBy(ended: Ended): string {
  switch (ended) {
    case 'server':
      return 'the server did not hold the next rate';
    case 'generator':
      return 'a lower bound: the generator could not offer the next rate';
    case 'rates':
      return 'a lower bound: the steps ran out';
    case 'budget':
      return 'a lower bound: the time budget ran out';
  }
}

async function main(): Promise<void> {
  const socketCount = Number(process.env['DNS_BENCH_SOCKETS'] ?? 4);
  const generator = chooseGenerator();
  const ours = await startChild('failsmall');
  const nodeFloor = process.env['DNS_BENCH_FLOOR'] === '0' ? undefined : await startChild('node-floor');
  const started = await startReference();
  const loadStart = loadavg()[0]!;
  const searchStart = performance.now();
  let found: Map<string, MaxRate>;
  try {
    const targets = [
      ours,
      ...(nodeFloor === undefined ? [] : [nodeFloor]),
      ...(started === undefined ? [] : [started]),
    ];
    found = await findMaxRates(generator.load, targets, socketCount);
  } finally {
    started?.stop();
    await ours.stop();
    await nodeFloor?.stop();
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
  }
  const searchSeconds = (performance.now() - searchStart) / 1000;
  const loadEnd = loadavg()[0]!;
  const mine = found.get('failsmall')!;
  const reference = started === undefined ? undefined : { ...found.get('nsd')!, name: started.version };
  const floor = nodeFloor === undefined ? undefined : found.get('node-floor')!;
  const rules = await rulesCost();
  const top = mine.steps.filter((x) => x.held).at(-1);
  const ratio = (a: number, b: number): number | null =>
    Number.isFinite(a) && Number.isFinite(b) && b > 0 ? Number((a / b).toFixed(3)) : null;
  const qpsVsReference = reference === undefined || mine.max_qps === 0 ? null : ratio(mine.max_qps, reference.max_qps);
  // Capacity per core from CPU per query, each server at its own highest step that held.
  const cpuVsReference = reference === undefined ? null : ratio(reference.cpu_us_per_query, mine.cpu_us_per_query);
  const qpsVsFloor = floor === undefined || mine.max_qps === 0 ? null : ratio(mine.max_qps, floor.max_qps);
  const rows: [string, string][] = [
    ['generator', generator.name === 'dnsperf' ? 'dnsperf' : 'built-in (node, separate process)'],
    [
      'step',
      `${STEP_SECONDS} s per offered rate; a step that does not hold is run once more; search ${searchSeconds.toFixed(0)} s`,
    ],
    [
      'placement',
      placement.length === 0
        ? 'none (one core, or no taskset)'
        : `${placement.join(', ')}: servers on CPU ${SERVER_CPU}, generator on CPU ${GENERATOR_CPU}, ${SERVERS === 1 ? 'each in its own process' : `${SERVERS} processes per server`}`,
    ],
    ['load average (1 min)', `${loadStart.toFixed(2)} at the start, ${loadEnd.toFixed(2)} at the end (${CORES} cores)`],
    [
      'max sustained rate',
      `${mine.max_qps.toLocaleString('en-US')} q/s (>= 99.9% answered, p99 <= ${P99_LIMIT_US / 1000} ms; offered ${mine.offered.toLocaleString('en-US')}/s; p99 ${mine.p99_us} µs); ${endedBy(mine.ended_by)}`,
    ],
    ['server CPU per answer', `${mine.cpu_us_per_query} µs at that step`],
    [
      'reference',
      reference === undefined
        ? 'none (NSD unavailable): ratios skipped'
        : `${reference.name}: ${reference.max_qps.toLocaleString('en-US')} q/s (offered ${reference.offered.toLocaleString('en-US')}/s), ${reference.cpu_us_per_query} µs CPU per answer; ${endedBy(reference.ended_by)}`,
    ],
    [
      'node:dgram floor',
      floor === undefined
        ? 'not measured (DNS_BENCH_FLOOR=0)'
        : `${floor.max_qps.toLocaleString('en-US')} q/s (offered ${floor.offered.toLocaleString('en-US')}/s), ${floor.cpu_us_per_query} µs CPU per answer; ${endedBy(floor.ended_by)}; failsmall / floor, rate ${qpsVsFloor ?? 'n/a'}`,
    ],
    ['failsmall / reference, rate', `${qpsVsReference ?? 'n/a'} (target >= 0.7)`],
    ['failsmall / reference, capacity per core', `${cpuVsReference ?? 'n/a'} (reference CPU per answer ÷ failsmall's)`],
    [
      'generator CPU at the max step',
      `${(mine.generator_cpu_share * 100).toFixed(0)}% of a core (failsmall), ${reference === undefined ? 'n/a' : `${(reference.generator_cpu_share * 100).toFixed(0)}%`} (reference)`,
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
  const r3 = (x: number): number | null => (Number.isFinite(x) ? Number(x.toFixed(3)) : null);
  console.log(
    JSON.stringify({
      bench: 'dns-server',
      generator: generator.name,
      step_seconds: STEP_SECONDS,
      search_seconds: Number(searchSeconds.toFixed(1)),
      p99_limit_us: P99_LIMIT_US,
      placement: placement.join(', ') || 'none',
      server_processes: SERVERS,
      load_1m_start: Number(loadStart.toFixed(2)),
      load_1m_end: Number(loadEnd.toFixed(2)),
      max_qps: mine.max_qps,
      max_qps_offered: mine.offered,
      sent: top?.sent ?? 0,
      answered: top?.answered ?? 0,
      p50_us: top?.p50_us ?? null,
      p99_us: top?.p99_us ?? null,
      lost: top === undefined ? null : top.sent - top.answered,
      server_cpu_us_per_query: r3(mine.cpu_us_per_query),
      generator_cpu_share: r3(mine.generator_cpu_share),
      ended_by: mine.ended_by,
      reference: reference?.name ?? null,
      reference_max_qps: reference?.max_qps ?? null,
      reference_offered: reference?.offered ?? null,
      reference_p99_us: reference?.p99_us ?? null,
      reference_cpu_us_per_query: reference === undefined ? null : r3(reference.cpu_us_per_query),
      reference_generator_cpu_share: reference === undefined ? null : r3(reference.generator_cpu_share),
      reference_ended_by: reference?.ended_by ?? null,
      node_floor_max_qps: floor?.max_qps ?? null,
      node_floor_offered: floor?.offered ?? null,
      node_floor_p99_us: floor?.p99_us ?? null,
      node_floor_cpu_us_per_query: floor === undefined ? null : r3(floor.cpu_us_per_query),
      node_floor_ended_by: floor?.ended_by ?? null,
      qps_vs_node_floor: qpsVsFloor,
      qps_vs_reference: qpsVsReference,
      cpu_capacity_vs_reference: cpuVsReference,
      responder_ns_no_rules: Math.round(rules.none_ns),
      responder_ns_1000_rules: Math.round(rules.rules_ns),
      qps_ratio_1000_rules: Number(rules.ratio.toFixed(3)),
      steps: {
        failsmall: mine.steps,
        ...(floor === undefined ? {} : { node_floor: floor.steps }),
        ...(reference === undefined ? {} : { reference: reference.steps }),
      },
    }),
  );
}

/** Where a serving child serves, and how it stops. */
interface Serving {
  readonly host: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** The child that serves: failsmall's fault DNS server until the parent says `stop`. */
async function serve(): Promise<Serving> {
  const { startFaultDnsServer } = await import('../chaos/index.js');
  const server = await startFaultDnsServer({ zones: [benchZone()] });
  return { host: server.dnsAddress, port: server.dnsPort, close: () => server.close() };
}

/**
 * The child that serves the node:dgram floor: the least a Node UDP server does per datagram. Each
 * query goes back as its own answer (QR set, no records: dnsperf counts it answered), from the same
 * buffer, with no callback and the same synchronous `lookup` as failsmall's socket: no DNS work, no
 * allocation of its own, so its CPU per query is what node:dgram and the kernel cost, and failsmall's
 * rate cannot pass its rate by much.
 */
async function serveFloor(): Promise<Serving> {
  const udp = dgram.createSocket({
    type: 'udp4',
    recvBufferSize: 4 << 20,
    lookup: (address, _family, callback) => callback(null, address, 4),
  });
  udp.on('message', (msg, rinfo) => {
    msg[2] = msg[2]! | 0x80;
    udp.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  return {
    host: '127.0.0.1',
    port: udp.address().port,
    close: () => new Promise((resolve) => udp.close(() => resolve())),
  };
}

/**
 * Runs a serving child: `start` here, or, with {@link SERVERS} > 1, in that many cluster workers
 * (their port-0 binds share one socket, which every worker reads; this process only forks them).
 * Tells the parent where it serves, and closes when the parent says `stop` or goes away.
 */
async function serveChild(start: () => Promise<Serving>): Promise<void> {
  if (SERVERS > 1 && !cluster.isPrimary) {
    const serving = await start();
    process.on('disconnect', () => void serving.close().then(() => process.exit(0)));
    process.send!({ host: serving.host, port: serving.port });
    return;
  }
  let serving: Serving;
  if (SERVERS === 1) serving = await start();
  else {
    const workers = Array.from({ length: SERVERS }, () => cluster.fork());
    const where = await Promise.all(
      workers.map(
        (w) =>
          new Promise<{ host: string; port: number }>((resolve, reject) => {
            w.once('message', resolve);
            w.once('exit', (code) => reject(new Error(`a cluster worker exited with ${code} before serving`)));
          }),
      ),
    );
    if (where.some((w) => w.port !== where[0]!.port))
      throw new Error(`cluster workers serve on ports ${JSON.stringify(where)}`);
    const stopped = (w: (typeof workers)[number]): Promise<void> =>
      new Promise((resolve) => {
        if (w.isDead()) return resolve();
        w.once('exit', () => resolve());
        w.kill();
      });
    serving = { ...where[0]!, close: () => Promise.all(workers.map(stopped)).then(() => undefined) };
  }
  const close = (): void => void serving.close().then(() => process.exit(0));
  process.on('message', (m) => {
    if (m === 'stop') close();
  });
  process.on('disconnect', close);
  process.send!({ host: serving.host, port: serving.port });
}

const loadgen = process.env['FAILSMALL_DNS_LOADGEN'];
if (loadgen !== undefined) {
  const result = await generate(JSON.parse(loadgen) as LoadSpec);
  process.send!(result, () => process.exit(0));
} else if (process.env['FAILSMALL_DNS_SERVE'] === 'failsmall') {
  await serveChild(serve);
} else if (process.env['FAILSMALL_DNS_SERVE'] === 'node-floor') {
  await serveChild(serveFloor);
} else {
  await main();
}
