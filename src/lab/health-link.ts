/**
 * The replay's third link: health checks that remove healthy capacity. After the restore, the
 * network-propagation backlog of 2025-10-20 (from 05:30 PDT) made load-balancer health checks fail
 * intermittently on some nodes while those nodes served requests normally, and one monitor misreported
 * a healthy node outright. Automatic AZ DNS failover then removed serving capacity until it was
 * switched off at 09:36.
 *
 * Each group's region runs its own health automation feeding its own record set, over its own nodes
 * (real HTTP servers on loopback, each with finite capacity) under the same open-loop load:
 * - baseline: {@link NlbAutomation}, the day's automation: one source, immediate removal, AZ failover;
 * - failsmall: health/'s {@link HealthMonitor} with the same load-balancer check plus an independent
 *   second source (a probe of the data path), quorum, velocity control, a floor and fail-open.
 *
 * Clients pick an address from their group's record set for every request, as clients resolving a
 * name with a short TTL do; fewer addresses means the remaining nodes take all the load.
 */
import { createServer, Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ScaledClock, seededRandom, systemClock } from '../core/index.js';
import type { Random } from '../core/index.js';
import {
  HealthMonitor,
  floorCount,
  guardrails as guardrailSettings,
  httpProbe,
  providerSource,
  removalsPerWindow,
} from '../health/index.js';
import type { GuardrailOptions, HealthSource, HealthTarget } from '../health/index.js';
import { Capacity } from './capacity.js';
import { runLoad } from './load.js';
import type { Outcome } from './load.js';
import { NlbAutomation } from './nlb-automation.js';
import { formatDuration } from './scenario.js';
import { listening } from '../core/listening.js';

/** Options of {@link runHealthLink}; scenario durations in seconds. */
export interface HealthLinkOptions {
  /** Scenario seconds per real second, default 240. */
  readonly speed?: number;
  /** Where the link starts on the replay's scenario clock, seconds; default 0. */
  readonly startS?: number;
  /** Steady time before the checks start to flap, default 10 min. */
  readonly leadS?: number;
  /** How long the checks flap (the phase measured), default 1 h (05:30–06:30 PDT, the first hour). */
  readonly flapS?: number;
  /** Steady time after the phase, default 5 min. */
  readonly tailS?: number;
  /** Requests per real second per group, default 100. */
  readonly rate?: number;
  /** Share of the backlogged nodes' health checks that fail during the phase, default 0.5. */
  readonly flapShare?: number;
  /** failsmall's guardrails; default at most 1 of 6 nodes removed per 10 min, floor 50 %, fail-open. */
  readonly guardrails?: GuardrailOptions;
  /** Seeds the flapping and the load; default 1. */
  readonly seed?: number;
  readonly signal?: AbortSignal;
  /** A line per event of the link. */
  readonly onEvent?: (line: string) => void;
}

/** The nodes: two per zone; the backlog hits n1 and n3, the monitor misreports n2. */
const NODES = [
  { id: 'n1', zone: 'use1-az1', backlogged: true, misreported: false },
  { id: 'n2', zone: 'use1-az1', backlogged: false, misreported: true },
  { id: 'n3', zone: 'use1-az2', backlogged: true, misreported: false },
  { id: 'n4', zone: 'use1-az2', backlogged: false, misreported: false },
  { id: 'n5', zone: 'use1-az4', backlogged: false, misreported: false },
  { id: 'n6', zone: 'use1-az4', backlogged: false, misreported: false },
] as const;

/** One group's figures, snake_case for the JSON. */
export interface HealthGroupSummary {
  /** The least share of the nodes in the record set during the phase. */
  readonly min_capacity_share: number;
  /** Scenario seconds during the phase with less than every node in the record set. */
  readonly degraded_s: number;
  /** Share of the requests issued during the phase that succeeded. */
  readonly success_during_flap: number;
  readonly requests_during_flap: number;
  /** Requests during the phase that a node turned away (overload) or that timed out. */
  readonly overload_rejections: number;
  /** Escalations raised to a human (the baseline has no such thing: 0). */
  readonly escalations: number;
  /** Targets taken out of the record set. */
  readonly removals: number;
  /** The most targets removed within one velocity window. */
  readonly max_removed_per_window: number;
}

/** What {@link runHealthLink} returns. */
export interface HealthLinkResult {
  readonly phase: { readonly from_s: number; readonly to_s: number; readonly day: string; readonly speed: number };
  readonly nodes: number;
  readonly baseline: HealthGroupSummary;
  readonly failsmall: HealthGroupSummary & {
    readonly velocity_limit: number;
    readonly window_s: number;
    readonly floor_share: number;
  };
  readonly targets: Readonly<
    Record<string, { readonly value: number; readonly target: string; readonly met: boolean }>
  >;
  /** The record set's size per group over the link, stepped (scenario seconds). */
  readonly timeline: readonly { readonly atS: number; readonly baseline: number; readonly failsmall: number }[];
  readonly real_s: number;
}

interface Node {
  readonly target: HealthTarget;
  readonly server: Server;
  readonly capacity: Capacity;
}

/** Starts one group's nodes: `/item` is the data path (finite capacity), `/ping` the data path's probe, `/health` the load balancer's check. */
async function startNodes(group: number, flapping: () => boolean, share: number, random: Random): Promise<Node[]> {
  const nodes: Node[] = [];
  try {
    for (const [i, spec] of NODES.entries()) {
      const capacity = new Capacity({ concurrency: 2, queue: 16, serviceTimeMs: 50 });
      const server = createServer((req, res) => {
        if (req.url === '/health') {
          // The backlog: the health check's path has not caught up with the node's network state.
          if (spec.backlogged && flapping() && random.next() < share) {
            req.socket.destroy();
            return;
          }
          res.end('ok');
        } else if (req.url === '/ping') res.end('ok');
        else {
          const controller = new AbortController();
          res.on('close', () => controller.abort());
          capacity.serve(controller.signal).then(
            (served) => {
              res.statusCode = served ? 200 : 503;
              res.end(served ? 'ok' : 'overload');
            },
            () => res.destroy(),
          );
        }
      });
      server.keepAliveTimeout = 5_000;
      const address = `127.0.${30 + group}.${i + 1}`;
      await listening(server, (done) => server.listen(0, address, done));
      nodes.push({
        target: { id: spec.id, address, port: (server.address() as AddressInfo).port, zone: spec.zone },
        server,
        capacity,
      });
    }
  } catch (error) {
    await closeNodes(nodes);
    throw error;
  }
  return nodes;
}

async function closeNodes(nodes: readonly Node[]): Promise<void> {
  await Promise.allSettled(
    nodes.map(
      (n) =>
        new Promise<void>((resolve) => {
          n.capacity.close();
          n.server.close(() => resolve());
          n.server.closeAllConnections();
        }),
    ),
  );
}

/** The load balancer's check, as both groups see it: `/health`, and a misreport of n2. */
function nlbSource(): HealthSource {
  const probe = httpProbe({ name: 'nlb', path: '/health', riseFall: { rise: 3, fall: 2 } });
  return providerSource(
    'nlb',
    (target, signal) => (target.id === 'n2' ? false : (probe.check(target, signal) as Promise<boolean>)),
    { rise: 3, fall: 2 },
  );
}

function get(agent: Agent, target: HealthTarget, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: target.address, port: target.port, path: '/item', agent, signal }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) resolve();
        else reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { code: 'overload' }));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * The record set's size over time: the least share, the time below full, and (for a removal log)
 * the most removals within a window. Pure, for the tests.
 */
export function capacityFigures(
  steps: readonly { readonly atS: number; readonly size: number }[],
  total: number,
  fromS: number,
  toS: number,
): { minShare: number; degradedS: number } {
  let min = total;
  let degraded = 0;
  for (const [i, s] of steps.entries()) {
    // The step holds from its time to the next step's, clipped to [fromS, toS).
    const start = Math.max(fromS, s.atS);
    const end = Math.min(toS, steps[i + 1]?.atS ?? Infinity);
    if (end <= start) continue;
    min = Math.min(min, s.size);
    if (s.size < total) degraded += end - start;
  }
  return { minShare: min / total, degradedS: Math.round(degraded) };
}

/** The most entries of `times` (seconds) within any window of `windowS`. */
export function maxWithinWindow(times: readonly number[], windowS: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  let from = 0;
  for (let to = 0; to < sorted.length; to++) {
    while (sorted[to]! - sorted[from]! >= windowS) from++;
    best = Math.max(best, to - from + 1);
  }
  return best;
}

function groupFigures(
  steps: readonly { atS: number; size: number }[],
  removalTimes: readonly number[],
  outcomes: readonly Outcome[],
  from: number,
  to: number,
  escalations: number,
  windowS: number,
): HealthGroupSummary {
  const { minShare, degradedS } = capacityFigures(steps, NODES.length, from, to);
  const during = outcomes.filter((o) => o.startS >= from && o.startS < to);
  const ok = during.filter((o) => o.ok).length;
  return {
    min_capacity_share: Math.round(minShare * 1000) / 1000,
    degraded_s: degradedS,
    success_during_flap: during.length === 0 ? 0 : Math.round((ok / during.length) * 10000) / 10000,
    requests_during_flap: during.length,
    overload_rejections: during.filter((o) => !o.ok).length,
    escalations,
    removals: removalTimes.length,
    max_removed_per_window: maxWithinWindow(removalTimes, windowS),
  };
}

/**
 * Runs the link: both groups' nodes, automation and load, for lead + phase + tail; everything
 * started is stopped at the end, on failure and on abort too.
 *
 * @example
 * const health = await runHealthLink({ startS: scenario.totalS, seed: scenario.seed });
 * console.log(health.baseline.min_capacity_share, health.failsmall.min_capacity_share); // 0.333 1
 */
export async function runHealthLink(options: HealthLinkOptions = {}): Promise<HealthLinkResult> {
  const speed = options.speed ?? 240;
  const startS = options.startS ?? 0;
  const leadS = options.leadS ?? 600;
  const flapS = options.flapS ?? 3600;
  const tailS = options.tailS ?? 300;
  const rate = options.rate ?? 100;
  const share = options.flapShare ?? 0.5;
  const seed = options.seed ?? 1;
  const event = options.onEvent ?? (() => undefined);
  const g = guardrailSettings(
    options.guardrails ?? { maxRemovedShare: 1 / NODES.length, window: 600_000, floor: 0.5, holdDown: 60_000 },
  );
  const fromS = startS + leadS;
  const toS = fromS + flapS;
  const clock = new ScaledClock({ speed, start: startS * 1000 });
  const nowS = (): number => clock.now() / 1000;
  const flapping = (): boolean => {
    const t = nowS();
    return t >= fromS && t < toS;
  };
  const startedReal = systemClock.now();
  const groups: Node[][] = [];
  const agents = [new Agent({ keepAlive: true, maxSockets: 256 }), new Agent({ keepAlive: true, maxSockets: 256 })];
  let nlb: NlbAutomation | undefined;
  let monitor: HealthMonitor | undefined;
  const steps: Record<'baseline' | 'failsmall', { atS: number; size: number }[]> = {
    baseline: [{ atS: startS, size: NODES.length }],
    failsmall: [{ atS: startS, size: NODES.length }],
  };
  const removals = { baseline: [] as number[], failsmall: [] as number[] };
  let escalations = 0;
  let outcomes: Outcome[] = [];
  try {
    groups.push(await startNodes(0, flapping, share, seededRandom(seed + 11)));
    groups.push(await startNodes(1, flapping, share, seededRandom(seed + 11)));
    const [base, fs] = groups as [Node[], Node[]];
    let baselineSet: HealthTarget[] = base.map((n) => n.target);
    let failsmallSet: HealthTarget[] = fs.map((n) => n.target);
    const byId = (nodes: Node[]) => new Map(nodes.map((n) => [n.target.id, n.target]));
    const baseIds = byId(base);
    let lastBaseline = new Set(baselineSet.map((t) => t.id));
    nlb = new NlbAutomation({
      targets: base.map((n) => n.target),
      source: nlbSource(),
      interval: 30_000,
      timeoutMs: 1_000,
      clock,
      onSet: (ids) => {
        const at = nowS();
        for (const id of lastBaseline) if (!ids.includes(id)) removals.baseline.push(at);
        lastBaseline = new Set(ids);
        baselineSet = ids.map((id) => baseIds.get(id)!);
        steps.baseline.push({ atS: at, size: ids.length });
      },
    });
    monitor = new HealthMonitor({
      name: 'dynamodb-nlb',
      targets: fs.map((n) => n.target),
      sources: [nlbSource(), httpProbe({ name: 'data-path', path: '/ping', riseFall: { rise: 2, fall: 3 } })],
      guardrails: options.guardrails ?? {
        maxRemovedShare: 1 / NODES.length,
        window: 600_000,
        floor: 0.5,
        holdDown: 60_000,
      },
      interval: 30_000,
      timeout: 1_000 * speed, // one real second, as the baseline
      clock,
      random: seededRandom(seed + 12),
    });
    const m = monitor;
    m.onRound(() => {
      const next = m.healthy().map((h) => h.target);
      if (next.length !== failsmallSet.length) steps.failsmall.push({ atS: nowS(), size: next.length });
      failsmallSet = next;
    });
    m.onChange((c) => {
      if (c.change === 'removed') removals.failsmall.push(c.at / 1000);
    });
    m.onEscalation(() => escalations++);
    const timers = [
      clock.setTimer(
        () =>
          event(
            `${formatDuration(fromS).padStart(7)}  health flap (Oct 20 05:30 PDT): the propagation backlog fails health checks on n1 and n3; the monitor misreports n2`,
          ),
        fromS * 1000 - clock.now(),
      ),
      clock.setTimer(
        () => event(`${formatDuration(toS).padStart(7)}  health checks pass again (automatic AZ failover off)`),
        toS * 1000 - clock.now(),
      ),
    ];
    nlb.start();
    m.start();
    const pick = (set: readonly HealthTarget[], random: Random): HealthTarget | undefined =>
      set[Math.floor(random.next() * set.length)];
    const picks = [seededRandom(seed + 21), seededRandom(seed + 21)] as const;
    try {
      const load =
        options.signal?.aborted === true
          ? { outcomes: [] as Outcome[] } // stopped before it started: nothing to measure
          : await runLoad({
              rate,
              durationMs: ((leadS + flapS + tailS) / speed) * 1000,
              timeoutMs: 2_000,
              random: seededRandom(seed + 20),
              groups: {
                baseline: async (req) => {
                  const t = pick(baselineSet, picks[0]);
                  if (t === undefined) throw Object.assign(new Error('no address'), { code: 'empty' });
                  req.attempts++;
                  await get(agents[0]!, t, req.signal);
                },
                failsmall: async (req) => {
                  const t = pick(failsmallSet, picks[1]);
                  if (t === undefined) throw Object.assign(new Error('no address'), { code: 'empty' });
                  req.attempts++;
                  await get(agents[1]!, t, req.signal);
                },
              },
              scenarioClock: clock,
              ...(options.signal === undefined ? {} : { signal: options.signal }),
            });
      outcomes = load.outcomes;
    } finally {
      for (const cancel of timers) cancel();
    }
  } finally {
    nlb?.stop();
    monitor?.stop();
    for (const a of agents) a.destroy();
    await Promise.allSettled(groups.map(closeNodes));
  }
  const windowS = g.window / 1000;
  const byGroup = (name: 'baseline' | 'failsmall') => outcomes.filter((o) => o.group === name);
  const baseline = groupFigures(steps.baseline, removals.baseline, byGroup('baseline'), fromS, toS, 0, windowS);
  const f = groupFigures(steps.failsmall, removals.failsmall, byGroup('failsmall'), fromS, toS, escalations, windowS);
  const limit = removalsPerWindow(g, NODES.length);
  const floor = floorCount(g, NODES.length) / NODES.length;
  const failsmall = {
    ...f,
    velocity_limit: limit,
    window_s: windowS,
    floor_share: Math.round(floor * 1000) / 1000,
  };
  const timeline: { atS: number; baseline: number; failsmall: number }[] = [];
  const merged = [...steps.baseline.map((s) => s.atS), ...steps.failsmall.map((s) => s.atS), nowS()].sort(
    (a, b) => a - b,
  );
  const sizeAt = (list: readonly { atS: number; size: number }[], t: number): number =>
    list.filter((s) => s.atS <= t).at(-1)?.size ?? NODES.length;
  for (const t of merged) {
    timeline.push({
      atS: Math.round(t * 10) / 10,
      baseline: sizeAt(steps.baseline, t),
      failsmall: sizeAt(steps.failsmall, t),
    });
  }
  return {
    phase: { from_s: fromS, to_s: toS, day: 'Oct 20 05:30 PDT, first hour of the flapping', speed },
    nodes: NODES.length,
    baseline,
    failsmall,
    targets: {
      failsmall_success_during_flap: {
        value: failsmall.success_during_flap,
        target: '>= 0.999',
        met: failsmall.requests_during_flap > 0 && failsmall.success_during_flap >= 0.999,
      },
      failsmall_min_capacity_share: {
        value: failsmall.min_capacity_share,
        target: `>= ${failsmall.floor_share} (the floor)`,
        met: failsmall.min_capacity_share >= failsmall.floor_share,
      },
      failsmall_max_removed_per_window: {
        value: failsmall.max_removed_per_window,
        target: `<= ${limit} per ${formatDuration(windowS)} (the velocity limit)`,
        met: failsmall.max_removed_per_window <= limit,
      },
    },
    timeline,
    real_s: Math.round((systemClock.now() - startedReal) / 100) / 10,
  };
}
