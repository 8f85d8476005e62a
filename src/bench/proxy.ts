/**
 * `npm run bench -- proxy`: throughput of the fault proxy with no toxic against a direct connection,
 * in one run. A load generator and the upstream each run in a child process (so the proxy shares no
 * event loop with them); the generator measures, against the upstream directly and through a proxy:
 * - MB/s: the upstream streams 64 MiB to each of 4 connections; the child reads to the end;
 * - requests/s: 32 connections each do 64-byte request/response round trips for 2 s.
 * Rounds alternate direct, proxied and a bare `pipe` proxy for reference (5 each, medians). The JSON
 * line reports each and the ratios (÷ direct; the target for the fault proxy is ≥ 0.8, i.e. ≤ 20 %
 * loss; `pipe_*_ratio` shows what any extra Node hop costs on the same machine in the same run).
 * Throughput ratios move with the machine's load (three processes share its cores); the CPU time the
 * proxy's process spends per MB streamed (`proxy_cpu_ms_per_mb`, user + system, beside the bare pipe's
 * `pipe_cpu_ms_per_mb`) is the cost of its data path itself and varies much less.
 */
import { fork } from 'node:child_process';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
import { startProxyServer } from '../chaos/proxy/index.js';
import { median, printTable } from './harness.js';

const streamBytes = 64 << 20;
const streamConnections = 4;
const rrConnections = 32;
const rrMs = 2_000;

async function child(kind: string, port: number): Promise<void> {
  const start = performance.now();
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
    const seconds = (performance.now() - start) / 1000;
    process.stdout.write(JSON.stringify({ mbps: total / 1e6 / seconds }) + '\n');
    return;
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
  const seconds = (performance.now() - start) / 1000;
  process.stdout.write(JSON.stringify({ rps: requests / seconds }) + '\n');
}

function runChild(kind: string, port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const c = fork(fileURLToPath(import.meta.url), ['--load', kind, String(port)], {
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    c.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    c.once('exit', (code) =>
      code === 0 ? resolve(JSON.parse(out) as Record<string, number>) : reject(new Error(`load child exited ${code}`)),
    );
  });
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
  process.on('message', (m) => {
    if (m === 'cpu') process.send!({ cpuMs: cpuMs() });
  });
  process.once('disconnect', () => server.close());
}

/** User + system CPU time of this process so far, in ms. */
function cpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** Asks the pipe proxy's process for its CPU time so far, in ms. */
function childCpuMs(c: ReturnType<typeof fork>): Promise<number> {
  return new Promise((resolve) => {
    c.once('message', (m) => resolve((m as { cpuMs: number }).cpuMs));
    c.send('cpu');
  });
}

/** One stream run against `port` with the CPU time `cpu` reports around it, per MB streamed. */
async function streamWithCpu(
  port: number,
  cpu: () => Promise<number> | number,
): Promise<{ mbps: number; cpu: number }> {
  const before = await cpu();
  const mbps = (await runChild('stream', port))['mbps']!;
  return { mbps, cpu: ((await cpu()) - before) / ((streamConnections * streamBytes) / 1e6) };
}

async function main(): Promise<void> {
  // Three processes: load generator, proxy (this one), upstream; so the proxy shares no event loop.
  const up = fork(fileURLToPath(import.meta.url), ['--upstream'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const upPort = await new Promise<number>((resolve) => up.once('message', (m) => resolve(m as number)));
  const pipe = fork(fileURLToPath(import.meta.url), ['--pipe-proxy', String(upPort)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pipePort = await new Promise<number>((resolve) => pipe.once('message', (m) => resolve(m as number)));
  const server = await startProxyServer({ port: 0 });
  const proxy = await server.proxies.create({ name: 'bench', listen: '127.0.0.1:0', upstream: `127.0.0.1:${upPort}` });
  const proxyPort = Number(proxy.listen.slice(proxy.listen.lastIndexOf(':') + 1));
  const r: Record<string, number[]> = {
    direct_mbps: [],
    proxy_mbps: [],
    pipe_mbps: [],
    direct_rps: [],
    proxy_rps: [],
    pipe_rps: [],
  };
  const cpu = { proxy: [] as number[], pipe: [] as number[] };
  for (let round = 0; round < 5; round++) {
    r['direct_mbps']!.push((await runChild('stream', upPort))['mbps']!);
    const proxied = await streamWithCpu(proxyPort, cpuMs);
    r['proxy_mbps']!.push(proxied.mbps);
    cpu.proxy.push(proxied.cpu);
    r['direct_rps']!.push((await runChild('rr', upPort))['rps']!);
    r['proxy_rps']!.push((await runChild('rr', proxyPort))['rps']!);
    const piped = await streamWithCpu(pipePort, () => childCpuMs(pipe));
    r['pipe_mbps']!.push(piped.mbps);
    cpu.pipe.push(piped.cpu);
    r['pipe_rps']!.push((await runChild('rr', pipePort))['rps']!);
  }
  await server.close();
  up.disconnect();
  pipe.disconnect();
  const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)])) as Record<string, number>;
  const result = {
    bench: 'proxy',
    direct_mbps: Math.round(m['direct_mbps']!),
    proxy_mbps: Math.round(m['proxy_mbps']!),
    mbps_ratio: Number((m['proxy_mbps']! / m['direct_mbps']!).toFixed(3)),
    direct_rps: Math.round(m['direct_rps']!),
    proxy_rps: Math.round(m['proxy_rps']!),
    rps_ratio: Number((m['proxy_rps']! / m['direct_rps']!).toFixed(3)),
    pipe_mbps_ratio: Number((m['pipe_mbps']! / m['direct_mbps']!).toFixed(3)),
    pipe_rps_ratio: Number((m['pipe_rps']! / m['direct_rps']!).toFixed(3)),
    proxy_cpu_ms_per_mb: Number(median(cpu.proxy).toFixed(3)),
    pipe_cpu_ms_per_mb: Number(median(cpu.pipe).toFixed(3)),
    target_ratio_min: 0.8,
  };
  printTable('fault proxy, no toxic, proxied ÷ direct (medians of 5 rounds)', [
    ['MB/s direct / proxied', `${result.direct_mbps} / ${result.proxy_mbps} (${result.mbps_ratio})`],
    ['requests/s direct / proxied', `${result.direct_rps} / ${result.proxy_rps} (${result.rps_ratio})`],
    ['reference: bare Node pipe proxy', `${result.pipe_mbps_ratio} MB/s, ${result.pipe_rps_ratio} req/s`],
    ['CPU per MB streamed: proxy / bare pipe', `${result.proxy_cpu_ms_per_mb} / ${result.pipe_cpu_ms_per_mb} ms`],
  ]);
  console.log(JSON.stringify(result));
}

const at = process.argv.indexOf('--load');
if (at >= 0) await child(process.argv[at + 1]!, Number(process.argv[at + 2]));
else if (process.argv.includes('--upstream')) await upstreamChild();
else if (process.argv.includes('--pipe-proxy'))
  await pipeProxyChild(Number(process.argv[process.argv.indexOf('--pipe-proxy') + 1]));
else await main();
