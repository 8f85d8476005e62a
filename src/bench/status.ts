/**
 * `npm run bench -- status`: the public summary endpoint (`/api/v2/summary.json`) of the status
 * server with the page cached, under load from autocannon in a child process (this file, forked),
 * so the load generator does not share the server's event loop. The store holds a realistic page:
 * 12 components in 4 business processes, 2 open incidents with 5 updates each, 20 resolved ones and a
 * maintenance. Targets: ≥ 10,000 requests/s and p99 ≤ 10 ms. Bounded: 3 s warm-up and 10 s of load
 * at 50 connections (`FAILSMALL_BENCH_SECONDS` to change the length). Prints a table and one JSON
 * line. On a machine shared with other work the rate says as much about the neighbours as about the
 * server: compare figures from one run.
 */
import { fork } from 'node:child_process';
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

async function loadChild(spec: LoadSpec): Promise<void> {
  const name = 'autocannon'; // a devDependency, loaded by name: it ships no types
  const autocannon = ((await import(name)) as { default: Autocannon }).default;
  await autocannon({ url: spec.url, connections: spec.connections, duration: 3 }); // warm-up
  const r = await autocannon({ url: spec.url, connections: spec.connections, duration: spec.seconds });
  const result: LoadResult = {
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
  const connections = 50;
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
  const body = await (await fetch(url)).text(); // fills the cache
  try {
    const child = fork(fileURLToPath(import.meta.url), [], {
      env: {
        ...process.env,
        FAILSMALL_STATUS_LOADGEN: JSON.stringify({ url, seconds, connections } satisfies LoadSpec),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const result = await new Promise<LoadResult>((resolve, reject) => {
      child.once('message', (m) => resolve(m as LoadResult));
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code}`)));
    });
    child.kill();
    const meets = { requests_per_s: result.requests_per_s >= 10_000, p99: result.latency_p99_ms <= 10 };
    printTable(`GET /api/v2/summary.json, cached (${body.length} bytes), ${connections} connections, ${seconds} s`, [
      ['requests/s (mean)', `${result.requests_per_s}  (target >= 10000: ${meets.requests_per_s ? 'met' : 'missed'})`],
      ['latency p50', `${result.latency_p50_ms} ms`],
      ['latency p99', `${result.latency_p99_ms} ms  (target <= 10 ms: ${meets.p99 ? 'met' : 'missed'})`],
      ['latency max', `${result.latency_max_ms} ms`],
      ['requests', String(result.requests)],
      ['non-2xx / errors / timeouts', `${result.non_2xx} / ${result.errors} / ${result.timeouts}`],
    ]);
    console.log(
      JSON.stringify({
        bench: 'status',
        endpoint: '/api/v2/summary.json',
        body_bytes: body.length,
        connections,
        seconds,
        ...result,
        target_requests_per_s: 10_000,
        target_p99_ms: 10,
        meets_requests_per_s: meets.requests_per_s,
        meets_p99: meets.p99,
      }),
    );
  } finally {
    await server.close();
  }
}

const spec = process.env['FAILSMALL_STATUS_LOADGEN'];
if (spec !== undefined) await loadChild(JSON.parse(spec) as LoadSpec);
else await main();
