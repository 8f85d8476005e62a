/**
 * The drill target of examples/drills/lying-health-monitor.yaml: two healthy backends, a front that
 * serves from the backends in its set (`GET /` 200, or 503 when none is left), and health/'s
 * {@link HealthMonitor} keeping that set every 100 ms from a health source the drill makes lie
 * (lying-source.ts: `POST /lie` on `--health-port`). What the automation is:
 * - `--automation=naive`: the monitor trusts the one lying source with every guardrail off (no
 *   fail-open, no floor, no velocity limit, no hold-down), as the automation of 2025-10-20 followed its
 *   monitor: every backend reported down is removed, even all of them;
 * - `--automation=fail-open`: the same one source with failsmall's default guardrails: when every
 *   backend is voted down at once the set routes to all of them (the monitor is the likelier liar);
 * - `--automation=quorum`: a second, honest source (a probe of the data path) beside the lying one
 *   and a quorum of 2, with fail-open, floor and velocity off: the two disagree, the verdict holds,
 *   and the monitor escalates (`disagreement`) instead of removing anything.
 *
 * `GET /health` on the health port also shows the monitor's set and the escalations so far.
 * `--health-port --front-port --backend-a --backend-b`.
 */
import http from 'node:http';
import { HealthMonitor, httpProbe, type GuardrailOptions, type HealthTarget } from '../../health/index.js';
import { flags, onStop } from './args.js';
import { LyingSource, serveLyingSource } from './lying-source.js';

const f = flags();
const automation = f.get('automation', 'naive');
if (!['naive', 'fail-open', 'quorum'].includes(automation)) {
  process.stderr.write(`--automation: expected naive, fail-open or quorum, got ${automation}\n`);
  process.exit(2);
}
const ports = { a: f.num('backend-a'), b: f.num('backend-b') };
const backends = Object.entries(ports).map(([id, port]) => {
  const s = http.createServer((_req, res) => res.writeHead(200).end(`backend ${id}`));
  s.listen(port, '127.0.0.1');
  return s;
});
const targets: HealthTarget[] = Object.entries(ports).map(([id, port]) => ({ id, address: '127.0.0.1', port }));

// Fast rounds for a drill of seconds: rise 2 and fall 2 at 100 ms.
const riseFall = { rise: 2, fall: 2 };
const liar = new LyingSource(httpProbe({ name: 'nlb', path: '/', riseFall }));
const unguarded: GuardrailOptions = { failOpen: false, floor: 0, maxRemovedShare: 1, holdDown: 0, slowStart: false };
const monitor = new HealthMonitor({
  name: 'backends',
  targets,
  sources: automation === 'quorum' ? [liar, httpProbe({ name: 'data-path', path: '/', riseFall })] : [liar],
  ...(automation === 'quorum' ? { quorum: 2 } : {}),
  guardrails: automation === 'fail-open' ? { holdDown: 0, slowStart: false } : unguarded,
  interval: 100,
  jitter: 0,
  timeout: 1_000,
});
const escalations: { reason: string; targets: readonly string[] }[] = [];
monitor.onEscalation((e) => {
  if (escalations.length < 100) escalations.push({ reason: e.reason, targets: e.targets });
});
const control = await serveLyingSource(liar, targets, {
  port: f.num('health-port'),
  state: () => ({
    automation,
    in_set: monitor.healthy().map((m) => m.id),
    mode: monitor.snapshot().mode,
    escalations,
  }),
});
monitor.start();

let next = 0;
const front = http.createServer((_req, res) => {
  void (async () => {
    const serving = monitor.healthy();
    const member = serving[next++ % Math.max(1, serving.length)];
    if (member === undefined) return void res.writeHead(503).end('no backend in service');
    try {
      const r = await fetch(`http://127.0.0.1:${member.target.port}/`, { signal: AbortSignal.timeout(1_000) });
      res.writeHead(r.status).end(await r.text());
    } catch {
      res.writeHead(502).end('backend unreachable');
    }
  })();
});
await new Promise<void>((resolve) => front.listen(f.num('front-port'), '127.0.0.1', resolve));
process.stdout.write(`health-lie target (${automation}): front ${f.num('front-port')}, health ${control.url}\n`);
onStop(async () => {
  monitor.stop();
  await Promise.allSettled([
    control.close(),
    new Promise((r) => front.close(r)),
    ...backends.map((b) => new Promise((r) => b.close(r))),
  ]);
});
