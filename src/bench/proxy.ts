/**
 * `npm run bench -- proxy`: throughput of the fault proxy with no toxic against a direct connection,
 * in one run. A load generator and the upstream each run in a child process (so the proxy shares no
 * event loop with them); the generator measures, against the upstream directly and through each hop:
 * - MB/s: the upstream streams 64 MiB to each of 4 connections; the child reads to the end;
 * - requests/s: 32 connections each do 64-byte request/response round trips for 2 s.
 * The hops are the fault proxy (this process), a bare Node `pipe` proxy (a child) for reference, and
 * Toxiproxy itself when it can be had (`toxiproxy-server` on the PATH, or `$TOXIPROXY_SERVER`; installed
 * with apt-get when missing, running as root and Debian has a package), driven through its HTTP API.
 * Rounds alternate direct and each hop (5 each, medians). The JSON line reports each and the ratios
 * (÷ direct; the target for the fault proxy is ≥ 0.8, i.e. ≤ 20 % loss).
 *
 * Throughput ratios move with the machine's load (three processes share its cores), so the line also
 * has what each process spends on the data: the CPU time (user + system) of each hop per MB streamed
 * (`proxy_cpu_ms_per_mb`, `pipe_cpu_ms_per_mb`) and per request (`proxy_us_per_req`, …, beside the
 * generator's and the upstream's own, `generator_us_per_req`, `upstream_us_per_req`; the `…_sys_…` part
 * of each is spent in the kernel, in the system calls that move the bytes), and from these
 * the ratios the cores allow at best (`mbps_ratio_cpu_bound`, `rps_ratio_cpu_bound`): a hop shares the
 * cores with the generator and the upstream, and forwarding a request costs it a read and a write on
 * each side, twice the system calls of the upstream's echo, whichever hop it is.
 */
import { fork, spawn } from 'node:child_process';
import net from 'node:net';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { startProxyServer } from '../chaos/proxy/index.js';
import { freeLoopbackPort } from '../core/listening.js';
import { median, printTable } from './harness.js';
import { ensureDebianCommand, procCpuMs } from './harness-host.js';

const streamBytes = 64 << 20;
const streamConnections = 4;
const rrConnections = 32;
const rrMs = 2_000;
const rounds = 5;

/** What a load child reports: the rate (MB/s or requests/s), the units moved (MB or requests), its CPU. */
interface Load {
  readonly rate: number;
  readonly units: number;
  readonly cpu: Cpu;
}

/** CPU time a process has used, in ms: user + system, and the system part (in the kernel). */
interface Cpu {
  readonly total: number;
  readonly system: number;
}

/** `after - before`, per unit moved, scaled (1000 for µs). */
function perUnit(after: Cpu, before: Cpu, units: number, scale = 1): Cpu {
  return {
    total: ((after.total - before.total) * scale) / units,
    system: ((after.system - before.system) * scale) / units,
  };
}

/** The CPU time of this process so far. */
function cpuMs(): Cpu {
  const u = process.cpuUsage();
  return { total: (u.user + u.system) / 1000, system: u.system / 1000 };
}

async function child(kind: string, port: number): Promise<void> {
  const start = performance.now();
  const cpuStart = cpuMs();
  const report = (units: number): void => {
    const seconds = (performance.now() - start) / 1000;
    const load: Load = { rate: units / seconds, units, cpu: perUnit(cpuMs(), cpuStart, 1) };
    process.stdout.write(JSON.stringify(load) + '\n');
  };
  if (kind === 'stream') {
    let total = 0;
    await Promise.all(
      Array.from(
        { length: streamConnections },
        () =>
          new Promise<void>((resolve, reject) => {
            const s = net.connect({ host: '127.0.0.1', port }, () => s.write('S'));
            s.on('data', (d: Buffer) => (total += d.length));
            s.on('end', () => resolve());
            s.on('error', reject);
          }),
      ),
    );
    return report(total / 1e6);
  }
  let requests = 0;
  const payload = Buffer.alloc(64, 1);
  await Promise.all(
    Array.from(
      { length: rrConnections },
      () =>
        new Promise<void>((resolve, reject) => {
          const s = net.connect({ host: '127.0.0.1', port, noDelay: true }, () => s.write(payload));
          let got = 0;
          s.on('data', (d: Buffer) => {
            got += d.length;
            while (got >= 64) {
              got -= 64;
              requests++;
              if (performance.now() - start < rrMs) s.write(payload);
              else {
                s.destroy();
                resolve();
                return;
              }
            }
          });
          s.on('error', reject);
        }),
    ),
  );
  report(requests);
}

function runChild(kind: string, port: number): Promise<Load> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--load', kind, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Load) : reject(new Error(`load child exited ${code}`)),
    );
  });
}

/** Answers the parent's `cpu` messages with this process's CPU time so far. */
function answerCpu(): void {
  process.on('message', (m) => {
    if (m === 'cpu') process.send!(cpuMs());
  });
}

/** Asks a forked child (one that {@link answerCpu}s) for its CPU time so far, in ms. */
function childCpuMs(c: ReturnType<typeof fork>): Promise<Cpu> {
  return new Promise((resolve) => {
    c.once('message', (m) => resolve(m as Cpu));
    c.send('cpu');
  });
}

/** Forks this file with `args` and waits for the port it reports. */
async function forkServer(args: string[]): Promise<{ child: ReturnType<typeof fork>; port: number }> {
  const c = fork(fileURLToPath(import.meta.url), args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const port = await new Promise<number>((resolve) => c.once('message', (m) => resolve(m as number)));
  return { child: c, port };
}

/** The upstream, in its own child process: streams 64 MiB after an `S`, echoes anything else. */
async function upstreamChild(): Promise<void> {
  const chunk = Buffer.alloc(64 << 10, 7);
  const upstream = net.createServer((s) => {
    s.once('data', (first: Buffer) => {
      if (first[0] !== 'S'.charCodeAt(0)) {
        s.write(first);
        s.on('data', (d: Buffer) => s.write(d));
        return;
      }
      let left = streamBytes;
      const pump = (): void => {
        while (left > 0) {
          left -= chunk.length;
          if (!s.write(chunk)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
    s.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  process.send!((upstream.address() as net.AddressInfo).port);
  answerCpu();
  process.once('disconnect', () => upstream.close());
}

/**
 * A reference: the least a Node TCP proxy can do (`pipe` both ways, nothing else), in its own child
 * process, so the JSON shows how much of the loss is the hop itself rather than the fault proxy.
 */
async function pipeProxyChild(upPort: number): Promise<void> {
  const server = net.createServer((client) => {
    const up = net.connect({ host: '127.0.0.1', port: upPort, noDelay: true });
    client.setNoDelay(true);
    client.pipe(up).on('error', () => client.destroy());
    up.pipe(client).on('error', () => up.destroy());
    client.on('error', () => up.destroy());
    up.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.send!((server.address() as net.AddressInfo).port);
  answerCpu();
  process.once('disconnect', () => server.close());
}

/** A proxy measured between the generator and the upstream: its port and its process's CPU so far (ms). */
interface Hop {
  readonly name: string;
  readonly port: number;
  cpu(): Promise<Cpu> | Cpu;
}

/**
 * Toxiproxy's server on an ephemeral loopback port, with one proxy to the upstream created through its
 * HTTP API (as a Toxiproxy client does); a string says why it cannot be had.
 */
async function startToxiproxy(upPort: number): Promise<(Hop & { version: string; stop(): void }) | string> {
  const bin = process.env['TOXIPROXY_SERVER'] ?? 'toxiproxy-server';
  const missing = ensureDebianCommand(bin, 'toxiproxy');
  if (missing !== undefined) return missing;
  const apiPort = await freeLoopbackPort();
  const server = spawn(bin, ['-host', '127.0.0.1', '-port', String(apiPort)], {
    stdio: 'ignore',
    env: { ...process.env, LOG_LEVEL: 'warn' }, // Toxiproxy logs every connection at info
  });
  const api = `http://127.0.0.1:${apiPort}`;
  const stop = (): void => void server.kill('SIGTERM');
  try {
    let version: string | undefined;
    for (const deadline = Date.now() + 10_000; version === undefined;) {
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`${bin} did not answer on ${api}`);
      version = await fetch(`${api}/version`).then(
        (r) => r.text(),
        () => new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 50)),
      );
    }
    // Toxiproxy before 2.6 answers the bare version, later ones {"version": …}.
    version = version.trim().startsWith('{') ? (JSON.parse(version) as { version: string }).version : version.trim();
    const created = await fetch(`${api}/proxies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upPort}`, enabled: true }),
    });
    if (!created.ok) throw new Error(`POST /proxies: ${created.status} ${await created.text()}`);
    const listen = ((await created.json()) as { listen: string }).listen;
    const port = Number(listen.slice(listen.lastIndexOf(':') + 1));
    return { name: 'toxiproxy', port, version, cpu: () => procCpuMs(server.pid!), stop };
  } catch (error) {
    stop();
    return `${bin} failed: ${(error as Error).message}`;
  }
}

/**
 * The throughput ratio (hop ÷ direct) that `cores` cores allow at best, given each process's CPU time
 * per unit moved (per request, per MB): every process is single-threaded and all of them share the cores.
 */
function cpuBoundRatio(cores: number, generator: number, upstream: number, hop: number): number {
  const direct = Math.min(cores / (generator + upstream), 1 / Math.max(generator, upstream));
  const proxied = Math.min(cores / (generator + upstream + hop), 1 / Math.max(generator, upstream, hop));
  return proxied / direct;
}

/** Samples by series name, each pushed once per round. */
class Samples {
  readonly #series = new Map<string, number[]>();
  push(name: string, value: number): void {
    const s = this.#series.get(name);
    if (s === undefined) this.#series.set(name, [value]);
    else s.push(value);
  }
  /** The median of a series; NaN when it has none. */
  median(name: string): number {
    const s = this.#series.get(name);
    return s === undefined ? NaN : median(s);
  }
}

/** Rounds to `digits` decimals; null for NaN (a series not measured). */
function fixed(value: number, digits: number): number | null {
  return Number.isNaN(value) ? null : Number(value.toFixed(digits));
}

async function main(): Promise<void> {
  // Three processes: load generator, hop, upstream; so the fault proxy shares no event loop.
  const up = await forkServer(['--upstream']);
  const pipe = await forkServer(['--pipe-proxy', String(up.port)]);
  const server = await startProxyServer({ port: 0 });
  const proxy = await server.proxies.create({ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${up.port}` });
  const hops: Hop[] = [
    { name: 'proxy', port: Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1)), cpu: cpuMs },
    { name: 'pipe', port: pipe.port, cpu: () => childCpuMs(pipe.child) },
  ];
  const toxiproxy = await startToxiproxy(up.port);
  if (typeof toxiproxy === 'string') console.log(`  no Toxiproxy to compare: ${toxiproxy} (its ratios skipped)`);
  else hops.push(toxiproxy);
  const upstreamCpu = (): Promise<Cpu> => childCpuMs(up.child);
  const s = new Samples();
  const perRequest = (name: string, cpu: Cpu): void => {
    s.push(`${name}_us_per_req`, cpu.total);
    s.push(`${name}_sys_us_per_req`, cpu.system);
  };
  for (let round = 0; round < rounds; round++) {
    const upStreamBefore = await upstreamCpu();
    const streamed = await runChild('stream', up.port);
    s.push('direct_mbps', streamed.rate);
    s.push('generator_cpu_ms_per_mb', streamed.cpu.total / streamed.units);
    s.push('upstream_cpu_ms_per_mb', perUnit(await upstreamCpu(), upStreamBefore, streamed.units).total);
    for (const hop of hops) {
      const before = await hop.cpu();
      const load = await runChild('stream', hop.port);
      s.push(`${hop.name}_mbps`, load.rate);
      s.push(`${hop.name}_cpu_ms_per_mb`, perUnit(await hop.cpu(), before, load.units).total);
    }
    const upBefore = await upstreamCpu();
    const direct = await runChild('rr', up.port);
    s.push('direct_rps', direct.rate);
    perRequest('generator', perUnit(direct.cpu, { total: 0, system: 0 }, direct.units, 1000));
    perRequest('upstream', perUnit(await upstreamCpu(), upBefore, direct.units, 1000));
    for (const hop of hops) {
      const before = await hop.cpu();
      const load = await runChild('rr', hop.port);
      s.push(`${hop.name}_rps`, load.rate);
      perRequest(hop.name, perUnit(await hop.cpu(), before, load.units, 1000));
    }
  }
  await server.close();
  up.child.disconnect();
  pipe.child.disconnect();
  if (typeof toxiproxy !== 'string') toxiproxy.stop();
  const cores = availableParallelism();
  const m = (name: string): number => s.median(name);
  const ratio = (hop: string, what: 'mbps' | 'rps'): number | null =>
    fixed(m(`${hop}_${what}`) / m(`direct_${what}`), 3);
  const bound = (hop: string, per: '_us_per_req' | '_cpu_ms_per_mb'): number | null =>
    fixed(cpuBoundRatio(cores, m(`generator${per}`), m(`upstream${per}`), m(`${hop}${per}`)), 3);
  const result = {
    bench: 'proxy',
    direct_mbps: Math.round(m('direct_mbps')),
    proxy_mbps: Math.round(m('proxy_mbps')),
    mbps_ratio: ratio('proxy', 'mbps'),
    direct_rps: Math.round(m('direct_rps')),
    proxy_rps: Math.round(m('proxy_rps')),
    rps_ratio: ratio('proxy', 'rps'),
    pipe_mbps_ratio: ratio('pipe', 'mbps'),
    pipe_rps_ratio: ratio('pipe', 'rps'),
    toxiproxy_version: typeof toxiproxy === 'string' ? null : toxiproxy.version,
    toxiproxy_mbps_ratio: ratio('toxiproxy', 'mbps'),
    toxiproxy_rps_ratio: ratio('toxiproxy', 'rps'),
    generator_cpu_ms_per_mb: fixed(m('generator_cpu_ms_per_mb'), 3),
    upstream_cpu_ms_per_mb: fixed(m('upstream_cpu_ms_per_mb'), 3),
    proxy_cpu_ms_per_mb: fixed(m('proxy_cpu_ms_per_mb'), 3),
    pipe_cpu_ms_per_mb: fixed(m('pipe_cpu_ms_per_mb'), 3),
    toxiproxy_cpu_ms_per_mb: fixed(m('toxiproxy_cpu_ms_per_mb'), 3),
    generator_us_per_req: fixed(m('generator_us_per_req'), 2),
    upstream_us_per_req: fixed(m('upstream_us_per_req'), 2),
    proxy_us_per_req: fixed(m('proxy_us_per_req'), 2),
    pipe_us_per_req: fixed(m('pipe_us_per_req'), 2),
    toxiproxy_us_per_req: fixed(m('toxiproxy_us_per_req'), 2),
    generator_sys_us_per_req: fixed(m('generator_sys_us_per_req'), 2),
    upstream_sys_us_per_req: fixed(m('upstream_sys_us_per_req'), 2),
    proxy_sys_us_per_req: fixed(m('proxy_sys_us_per_req'), 2),
    pipe_sys_us_per_req: fixed(m('pipe_sys_us_per_req'), 2),
    toxiproxy_sys_us_per_req: fixed(m('toxiproxy_sys_us_per_req'), 2),
    mbps_ratio_cpu_bound: bound('proxy', '_cpu_ms_per_mb'),
    rps_ratio_cpu_bound: bound('proxy', '_us_per_req'),
    pipe_rps_ratio_cpu_bound: bound('pipe', '_us_per_req'),
    toxiproxy_rps_ratio_cpu_bound: bound('toxiproxy', '_us_per_req'),
    cores,
    target_ratio_min: 0.8,
  };
  const tox =
    typeof toxiproxy === 'string'
      ? 'not measured'
      : `${result.toxiproxy_mbps_ratio} MB/s, ${result.toxiproxy_rps_ratio} req/s (Toxiproxy ${toxiproxy.version})`;
  printTable(`fault proxy, no toxic, proxied ÷ direct (medians of ${rounds} rounds)`, [
    ['MB/s direct / proxied', `${result.direct_mbps} / ${result.proxy_mbps} (${result.mbps_ratio})`],
    ['requests/s direct / proxied', `${result.direct_rps} / ${result.proxy_rps} (${result.rps_ratio})`],
    ['reference: bare Node pipe proxy', `${result.pipe_mbps_ratio} MB/s, ${result.pipe_rps_ratio} req/s`],
    ['competitor: Toxiproxy', tox],
    [
      'CPU per MB: generator / upstream',
      `${result.generator_cpu_ms_per_mb} / ${result.upstream_cpu_ms_per_mb} ms (direct runs)`,
    ],
    ['CPU per MB: proxy / pipe', `${result.proxy_cpu_ms_per_mb} / ${result.pipe_cpu_ms_per_mb} ms`],
    [
      'CPU per request: generator / upstream',
      `${result.generator_us_per_req} / ${result.upstream_us_per_req} µs (direct runs)`,
    ],
    ['CPU per request: proxy / pipe', `${result.proxy_us_per_req} / ${result.pipe_us_per_req} µs`],
    [
      'of which in the kernel',
      `generator ${result.generator_sys_us_per_req}, upstream ${result.upstream_sys_us_per_req}, ` +
        `proxy ${result.proxy_sys_us_per_req}, pipe ${result.pipe_sys_us_per_req} µs`,
    ],
    [
      `ratios the ${cores} cores allow`,
      `MB/s ${result.mbps_ratio_cpu_bound}; req/s proxy ${result.rps_ratio_cpu_bound}, pipe ${result.pipe_rps_ratio_cpu_bound}`,
    ],
  ]);
  console.log(JSON.stringify(result));
}

const at = process.argv.indexOf('--load');
if (at >= 0) await child(process.argv[at + 1]!, Number(process.argv[at + 2]));
else if (process.argv.includes('--upstream')) await upstreamChild();
else if (process.argv.includes('--pipe-proxy'))
  await pipeProxyChild(Number(process.argv[process.argv.indexOf('--pipe-proxy') + 1]));
else await main();
