/**
 * `npm run bench -- status`: the public summary endpoint (`/api/v2/summary.json`) of the status
 * server with the page cached, under load from autocannon in a child process (this file, forked),
 * so the load generator does not share the server's event loop. The store holds a realistic page:
 * 12 components in 4 business processes, 2 open incidents with 5 updates each, 20 resolved ones and a
 * maintenance. Targets: ≥ 10,000 requests/s and p99 ≤ 10 ms. Bounded: for each of two servers, 3 s
 * warm-up and 10 s of load at 50 connections (`FAILSMALL_BENCH_SECONDS`, `FAILSMALL_BENCH_CONNECTIONS`
 * to change them). The bare baseline is `node:http` answering the same bytes and headers: what its
 * p99 shows is the machine's and the load generator's share, not the status server's. Beside the
 * load generator's figures, the serving process's own: CPU per request (the server's cost, least
 * sensitive to neighbours) and event-loop delay (a stall, whoever causes it, delays every request in
 * flight). Prints a table and one JSON line. On a machine shared with other work the rate says as
 * much about the neighbours as about the server: compare figures from one run.
 */
import { fork } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { MemoryBackend } from '../status/backend.js';
import { startStatusServer } from '../status/server.js';
import { StatusService } from '../status/service.js';
import { createStatusStore } from '../status/store.js';
import { printTable } from './harness.js';

interface LoadSpec {
  readonly url: string;
  readonly seconds: number;
  readonly connections: number;
}

interface LoadResult {
  /** CPU time of the load generator ÷ wall time of the measured run (1 = one core). */
  readonly loadgen_cpu: number;
  readonly requests_per_s: number;
  readonly latency_p50_ms: number;
  readonly latency_p99_ms: number;
  readonly latency_max_ms: number;
  readonly requests: number;
  readonly non_2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

type Autocannon = (options: Record<string, unknown>) => Promise<{
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}>;

const round2 = (n: number): number => Math.round(n * 100) / 100;

async function loadChild(spec: LoadSpec): Promise<void> {
  const name = 'autocannon'; // a devDependency, loaded by name: it ships no types
  const autocannon = ((await import(name)) as { default: Autocannon }).default;
  await autocannon({ url: spec.url, connections: spec.connections, duration: 3 }); // warm-up
  const cpu = process.cpuUsage();
  const wall = performance.now();
  const r = await autocannon({ url: spec.url, connections: spec.connections, duration: spec.seconds });
  const used = process.cpuUsage(cpu);
  const result: LoadResult = {
    loadgen_cpu: round2((used.user + used.system) / 1000 / (performance.now() - wall)),
    requests_per_s: Math.round(r.requests.average),
    latency_p50_ms: r.latency.p50,
    latency_p99_ms: r.latency.p99,
    latency_max_ms: r.latency.max,
    requests: r.requests.total,
    non_2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
  process.send!(result);
}

async function main(): Promise<void> {
  const seconds = Math.min(60, Math.max(1, Number(process.env['FAILSMALL_BENCH_SECONDS'] ?? 10)));
  const connections = Math.min(500, Math.max(1, Number(process.env['FAILSMALL_BENCH_CONNECTIONS'] ?? 50)));
  const service = new StatusService({ store: createStatusStore(new MemoryBackend()), page: { name: 'Bench status' } });
  const groups = ['Checkout', 'Sign-in', 'Search', 'Payments'];
  for (let i = 0; i < 12; i++)
    await service.putComponent({ id: `c${i}`, name: `Component ${i}`, group: groups[i % 4]! });
  for (let n = 0; n < 22; n++) {
    const incident = await service.openIncident({
      name: `Incident ${n}: elevated errors`,
      impact: 'major',
      body: 'We are investigating elevated error rates.',
      whatYouCanDo: 'Retry in a few minutes.',
      components: [{ id: `c${n % 12}`, status: 'partial_outage' }],
    });
    for (let u = 0; u < 4; u++)
      await service.updateIncident(incident.id, { status: 'identified', body: `Update ${u}.` });
    if (n >= 2) await service.updateIncident(incident.id, { status: 'resolved', body: 'Resolved.' });
  }
  await service.scheduleMaintenance({
    name: 'Database upgrade',
    body: 'Planned.',
    scheduledFor: Date.now() + 86_400_000,
    scheduledUntil: Date.now() + 90_000_000,
    components: ['c1'],
  });
  const server = await startStatusServer({ service, token: 'bench-token-0123456789' });
  const url = `${server.url}/api/v2/summary.json`;
  const first = await fetch(url); // fills the cache
  const body = Buffer.from(await first.arrayBuffer());
  // The bare baseline: node:http answering the same bytes with the same headers, no framework, no
  // cache lookup. Same machine, same load generator, same run: what is left of the p99 there is the
  // machine's (and the load generator's), not the status server's.
  const headers: Record<string, string> = {};
  first.headers.forEach((value, key) => {
    if (key !== 'date' && key !== 'connection' && key !== 'keep-alive') headers[key] = value;
  });
  const bare = http.createServer((_request, response) => {
    response.writeHead(200, headers).end(body);
  });
  await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
  const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/api/v2/summary.json`;
  try {
    const baseline = await measure({ url: bareUrl, seconds, connections });
    const status = await measure({ url, seconds, connections });
    const { load, server: s } = status;
    const meets = { requests_per_s: load.requests_per_s >= 10_000, p99: load.latency_p99_ms <= 10 };
    const b = baseline;
    printTable(
      `GET /api/v2/summary.json, cached (${body.length} bytes), ${connections} connections, ${seconds} s (load 1 min ${loadavg()[0]!.toFixed(2)})`,
      [
        ['', 'status server  |  bare node:http, same bytes'],
        [
          'requests/s (mean)',
          `${load.requests_per_s} (target >= 10000: ${meets.requests_per_s ? 'met' : 'missed'})  |  ${b.load.requests_per_s}`,
        ],
        ['latency p50', `${load.latency_p50_ms} ms  |  ${b.load.latency_p50_ms} ms`],
        [
          'latency p99',
          `${load.latency_p99_ms} ms (target <= 10 ms: ${meets.p99 ? 'met' : 'missed'})  |  ${b.load.latency_p99_ms} ms`,
        ],
        ['latency max', `${load.latency_max_ms} ms  |  ${b.load.latency_max_ms} ms`],
        ['requests', `${load.requests}  |  ${b.load.requests}`],
        [
          'non-2xx / errors / timeouts',
          `${load.non_2xx} / ${load.errors} / ${load.timeouts}  |  ${b.load.non_2xx} / ${b.load.errors} / ${b.load.timeouts}`,
        ],
        [
          'server event-loop delay p99 / max',
          `${s.server_loop_delay_p99_ms} / ${s.server_loop_delay_max_ms} ms  |  ${b.server.server_loop_delay_p99_ms} / ${b.server.server_loop_delay_max_ms} ms`,
        ],
        [
          'CPU: server / load generator',
          `${s.server_cpu} / ${load.loadgen_cpu} cores  |  ${b.server.server_cpu} / ${b.load.loadgen_cpu} cores`,
        ],
        ['server CPU per request', `${s.server_cpu_us_per_request} µs  |  ${b.server.server_cpu_us_per_request} µs`],
      ],
    );
    console.log(
      JSON.stringify({
        bench: 'status',
        endpoint: '/api/v2/summary.json',
        body_bytes: body.length,
        connections,
        seconds,
        ...load,
        ...s,
        baseline_requests_per_s: b.load.requests_per_s,
        baseline_latency_p99_ms: b.load.latency_p99_ms,
        baseline_server_cpu_us_per_request: b.server.server_cpu_us_per_request,
        baseline_loop_delay_p99_ms: b.server.server_loop_delay_p99_ms,
        ratio_requests_per_s_vs_bare: round2(load.requests_per_s / Math.max(1, b.load.requests_per_s)),
        target_requests_per_s: 10_000,
        target_p99_ms: 10,
        meets_requests_per_s: meets.requests_per_s,
        meets_p99: meets.p99,
      }),
    );
  } finally {
    await server.close();
    await new Promise((resolve) => bare.close(resolve));
  }
}

/**
 * One load run against `spec.url` from a forked load generator, with the serving process's side of
 * it: its event loop's delay (a stall delays every request in flight) and its CPU share, to tell the
 * server's cost from the machine's (and the load generator's) share of the two cores.
 */
async function measure(spec: LoadSpec): Promise<{
  load: LoadResult;
  server: {
    server_cpu: number;
    server_cpu_us_per_request: number;
    server_loop_delay_p99_ms: number;
    server_loop_delay_max_ms: number;
  };
}> {
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, FAILSMALL_STATUS_LOADGEN: JSON.stringify(spec) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let cpu = process.cpuUsage();
  let wall = performance.now();
  try {
    const load = await new Promise<LoadResult>((resolve, reject) => {
      child.once('message', (m) => resolve(m as LoadResult));
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
      // Measure the measured run only, not the 3 s warm-up.
      setTimeout(() => {
        loop.enable();
        cpu = process.cpuUsage();
        wall = performance.now();
      }, 3_000).unref();
    });
    loop.disable();
    const used = process.cpuUsage(cpu);
    const share = (used.user + used.system) / 1000 / (performance.now() - wall);
    return {
      load,
      server: {
        server_cpu: round2(share),
        server_cpu_us_per_request: Math.round((share * 1e6) / Math.max(1, load.requests_per_s)),
        server_loop_delay_p99_ms: round2(loop.percentile(99) / 1e6),
        server_loop_delay_max_ms: round2(loop.max / 1e6),
      },
    };
  } finally {
    child.kill();
  }
}

const spec = process.env['FAILSMALL_STATUS_LOADGEN'];
if (spec !== undefined) await loadChild(JSON.parse(spec) as LoadSpec);
else await main();
