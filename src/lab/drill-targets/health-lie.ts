/**
 * The drill target of examples/drills/lying-health-monitor.yaml: two healthy backends, a health
 * source that watches them (and that the drill makes lie: drill/health-liar.ts), and a front service
 * whose automation follows the health source, as the automation of 2025-10-20 followed its monitor:
 * every 100 ms it keeps the backends reported healthy and serves from them (`GET /` 200, or 503 when
 * none is left).
 * - `--automation=naive`: removes every backend reported down, even all of them;
 * - `--automation=fail-open`: when every backend is reported down at once it keeps them all (the
 *   monitor is more likely wrong than every backend dead: fail open, as Envoy's panic threshold does).
 *
 * `--health-port --front-port --backend-a --backend-b`.
 */
import http from 'node:http';
import { startLyingHealthSource } from '../../drill/index.js';
import { flags, onStop } from './args.js';

const f = flags();
const automation = f.get('automation', 'naive');
const ports = { a: f.num('backend-a'), b: f.num('backend-b') };
const backends = Object.entries(ports).map(([id, port]) => {
  const s = http.createServer((_req, res) => res.writeHead(200).end(`backend ${id}`));
  s.listen(port, '127.0.0.1');
  return s;
});
const source = await startLyingHealthSource({
  targets: { a: `http://127.0.0.1:${ports.a}/`, b: `http://127.0.0.1:${ports.b}/` },
  port: f.num('health-port'),
});
let serving = ['a', 'b'];
const timer = setInterval(() => {
  void (async () => {
    try {
      const res = await fetch(`${source.url}/health`, { signal: AbortSignal.timeout(1_000) });
      const { targets } = (await res.json()) as { targets: Record<string, boolean> };
      const healthy = Object.keys(targets).filter((k) => targets[k] === true);
      serving = healthy.length === 0 && automation === 'fail-open' ? Object.keys(targets) : healthy;
    } catch {
      // The monitor is unreachable: keep the current set.
    }
  })();
}, 100);
let next = 0;
const front = http.createServer((_req, res) => {
  void (async () => {
    const id = serving[next++ % Math.max(1, serving.length)];
    if (id === undefined) return void res.writeHead(503).end('no backend in service');
    try {
      const r = await fetch(`http://127.0.0.1:${ports[id as 'a' | 'b']}/`, { signal: AbortSignal.timeout(1_000) });
      res.writeHead(r.status).end(await r.text());
    } catch {
      res.writeHead(502).end('backend unreachable');
    }
  })();
});
await new Promise<void>((resolve) => front.listen(f.num('front-port'), '127.0.0.1', resolve));
process.stdout.write(`health-lie target: front ${f.num('front-port')}, health ${source.url}\n`);
onStop(async () => {
  clearInterval(timer);
  await Promise.allSettled([
    source.close(),
    new Promise((r) => front.close(r)),
    ...backends.map((b) => new Promise((r) => b.close(r))),
  ]);
});
