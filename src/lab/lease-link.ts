/**
 * The replay's second link: the lease manager at 02:25 PDT on 2025-10-20. DynamoDB is back, every
 * host's lease timed out while it was unreachable, and every host asks EC2's lease manager (DWFM) to
 * re-establish it at once. Each group gets the same state and the same manager ({@link LeaseManager}:
 * `concurrency` workers, `workMs` of work per lease, a fixed work timeout, the leases stored in its own
 * table service over DynamoDB JSON on loopback), one HTTP server on loopback in front of it, and
 * `hosts` hosts asking over real sockets:
 *
 * - **baseline**: the manager as usually written (a FIFO queue without bound, no look at a piece of
 *   work's age), hosts retrying with the AWS SDK's default standard strategy (one per host) and
 *   asking again after a fixed pause. If not every lease is held by 04:14 PDT the operators
 *   intervene as they did: incoming work is throttled (a bounded queue) and the manager restarted (the
 *   queue dropped), and the link measures on.
 * - **failsmall**: the same manager behind `admit/` (its limit the workers' count, queue-size
 *   throttling, CoDel with adaptive LIFO, the caller's deadline from `x-request-deadline`; waves of
 *   re-establishment work when `waves` is given), hosts with failsmall's retry strategy (a retry budget, admit's
 *   `x-failsmall-no-retry` honoured) and failsmall's jittered pacing behind the server's retry-after.
 *
 * The groups run one after the other, each from the same state, on real time with their own servers
 * and addresses (nothing shared with the replay's region: no DNS, no shared table capacity). Times
 * inside are real milliseconds; they are reported in scenario seconds (real × `speed`) from 02:25.
 *
 * With failsmall's resolver the leases would not have expired at all (the table service was reachable
 * at its addresses all along): this link shows the second line of defence, from the day's state.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { admission, answerFor, workItemOf } from '../admit/index.js';
import type { Admission, WorkItem } from '../admit/index.js';
import { awsRetryStrategy } from '../client/index.js';
import { seededRandom, systemClock, validate } from '../core/index.js';
import { fixedLimit } from '../policy/index.js';
import { leaseAsk } from './lease-client.js';
import type { RetryStrategyLike } from './lease-client.js';
import { fixedPause, retryAfterJitter, runHosts } from './lease-hosts.js';
import { LeaseManager, lowerBoundMs } from './lease-manager.js';
import type { LeaseAnswer } from './lease-manager.js';
import { loadReplayPeers } from './peers.js';
import { formatDuration } from './scenario.js';
import { startTableService } from './table-service.js';
import { listening } from '../core/listening.js';

/** Options of {@link runLeaseLink}. Real milliseconds unless the name says scenario seconds. */
export interface LeaseLinkOptions {
  /** Hosts whose lease timed out; default 1,000. */
  readonly hosts?: number;
  /** The manager's workers; default 5. */
  readonly concurrency?: number;
  /** Work per lease, ms; default 50 (with 5 workers: 100 leases per real second). */
  readonly workMs?: number;
  /** The manager's fixed work timeout, ms from arrival; default 3,000 (60 work costs). */
  readonly workTimeoutMs?: number;
  /** The lease's own timeout (written with the lease), ms; default 60,000: no lease needs renewing within the phase. */
  readonly leaseTimeoutMs?: number;
  /** Scenario seconds per real second; default 360 (the lower bound, 10 real seconds, is 1 h). */
  readonly speed?: number;
  /** Where the phase starts on the replay's timeline, scenario seconds (the restore); default 0. */
  readonly startS?: number;
  /** When the operators throttle and restart, scenario seconds after the phase start; default 6,540 (02:25 → 04:14 PDT). */
  readonly interventionS?: number;
  /** How long a group may take at most, scenario seconds after the phase start; default the intervention plus 3 lower bounds. */
  readonly horizonS?: number;
  /** The baseline hosts' fixed pause between two asks, ms; default 2,000. */
  readonly baselinePauseMs?: number;
  /**
   * Admit failsmall's re-establishment work in waves (`admit/`'s `waves`); default off: with one kind
   * of work on a known capacity, waves only add idle gaps (measured 2.3-2.9x the lower bound with
   * waves of 2 s of work, 1.65x without, with a queue of one second's work on the same loaded machine).
   */
  readonly waves?: { readonly size: number; readonly interval?: number };
  readonly seed?: number;
  readonly signal?: AbortSignal;
  readonly onEvent?: (line: string) => void;
}

/** One group's figures (snake_case, scenario seconds from 02:25). */
export interface LeaseGroupSummary {
  /** When every lease was held, scenario seconds after the phase start; null if not within the horizon. */
  readonly all_leases_s: number | null;
  /** Hosts whose lease was held at the end. */
  readonly held: number;
  /** Share of the manager's capacity, over the recovery, spent on work that held a lease. */
  readonly goodput: number;
  /** Work started and then timed out. */
  readonly wasted_work: number;
  readonly work_started: number;
  /** Most work waiting at the manager at once. */
  readonly peak_queue: number;
  /** Requests that reached the manager (every attempt of every host). */
  readonly requests: number;
  /** Requests refused before any work (shed by admit/, throttled or dropped by the intervention). */
  readonly refused: number;
  /** When the operators intervened, scenario seconds after the phase start; null if they did not have to. */
  readonly intervened_at_s: number | null;
  /** Leases held when the operators intervened (null without intervention). */
  readonly held_at_intervention: number | null;
}

/** What {@link runLeaseLink} returns. */
export interface LeaseLinkResult {
  readonly phase: {
    readonly from_s: number;
    readonly day: string;
    readonly speed: number;
    /** The operators' intervention (04:14 PDT), scenario seconds after the phase start. */
    readonly intervention_s: number;
  };
  readonly hosts: number;
  readonly concurrency: number;
  readonly work_ms: number;
  readonly work_timeout_ms: number;
  /** hosts × work cost ÷ workers, scenario seconds. */
  readonly lower_bound_s: number;
  readonly baseline: LeaseGroupSummary;
  readonly failsmall: LeaseGroupSummary & { readonly shed: Readonly<Record<string, number>> };
  readonly targets: Readonly<
    Record<string, { readonly value: number | null; readonly target: string; readonly met: boolean }>
  >;
  /** Leases held per group over the phase, scenario seconds after its start. */
  readonly timeline: {
    readonly baseline: readonly { readonly atS: number; readonly held: number }[];
    readonly failsmall: readonly { readonly atS: number; readonly held: number }[];
  };
  readonly real_s: number;
}

interface Settings {
  readonly hosts: number;
  readonly concurrency: number;
  readonly workMs: number;
  readonly workTimeoutMs: number;
  readonly leaseTimeoutMs: number;
  readonly speed: number;
  readonly interventionMs: number;
  readonly horizonMs: number;
  readonly pauseMs: number;
  readonly seed: number;
  readonly waves: { readonly size: number; readonly interval?: number } | undefined;
}

const TABLE = 'leases';
const ADDRESSES = {
  baseline: { table: '127.0.70.1', manager: '127.0.70.2' },
  failsmall: { table: '127.0.71.1', manager: '127.0.71.2' },
} as const;

async function listen(server: http.Server, address: string): Promise<number> {
  // A backlog for thousands of hosts connecting at once.
  await listening(server, (done) => server.listen({ host: address, port: 0, backlog: 4096 }, done));
  return (server.address() as AddressInfo).port;
}

/** Writes `host`'s lease into the table service (`PutItem`, DynamoDB JSON 1.0). */
function putLease(address: string, port: number, agent: http.Agent, host: string, expiresAt: number): Promise<void> {
  const body = JSON.stringify({ TableName: TABLE, Item: { host: { S: host }, expires_at: { N: String(expiresAt) } } });
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: address,
        port,
        method: 'POST',
        path: '/',
        agent,
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.PutItem',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode === 200 ? resolve() : reject(new Error(`PutItem: HTTP ${res.statusCode}`)),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

function answer(res: http.ServerResponse, a: LeaseAnswer): void {
  switch (a.kind) {
    case 'held':
      return send(res, 200, { held: true });
    case 'timed-out':
      return send(res, 500, { __type: 'InternalServerError', message: 'lease work timed out' });
    case 'throttled':
      return send(
        res,
        429,
        { __type: 'ThrottlingException', message: 'incoming work is throttled', retryAfterMs: a.retryAfterMs },
        { 'retry-after': String(Math.max(1, Math.ceil(a.retryAfterMs / 1000))) },
      );
    case 'restarted':
    case 'store-failed':
      return send(res, 503, { __type: 'ServiceUnavailable', message: `lease work ${a.kind}` });
  }
}

/** The manager's HTTP front: `POST /lease/<host>`; behind admit/ when `admit` is given. */
function managerHandler(manager: LeaseManager, admit: Admission | undefined, workTimeoutMs: number) {
  return (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const match = /^\/lease\/([^/?]+)$/.exec(req.url ?? '');
    req.resume();
    if (req.method !== 'POST' || match === null) return send(res, 404, { message: 'POST /lease/<host>' });
    const host = decodeURIComponent(match[1]!);
    let item: WorkItem = {};
    if (admit !== undefined) {
      try {
        item = workItemOf(req, { timeout: workTimeoutMs, wave: () => true });
      } catch (error) {
        const a = answerFor(error);
        return a === undefined
          ? send(res, 400, { message: String(error) })
          : send(res, a.status, JSON.parse(a.body), a.headers);
      }
    }
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    manager.establish(host, item, gone.signal).then(
      (a) => answer(res, a),
      (error: unknown) => {
        const a = answerFor(error);
        if (a === undefined) send(res, 503, { __type: 'ServiceUnavailable', message: String(error) });
        else send(res, a.status, JSON.parse(a.body) as unknown, a.headers);
      },
    );
  };
}

function round(x: number, digits = 0): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Runs one group from the state of 02:25: every lease timed out. */
async function runGroup(
  name: 'baseline' | 'failsmall',
  s: Settings,
  sdkStrategy: RetryStrategyLike,
  signal: AbortSignal | undefined,
  event: (line: string) => void,
  startS: number,
): Promise<{ summary: LeaseGroupSummary; shed: Record<string, number>; timeline: { atS: number; held: number }[] }> {
  const where = ADDRESSES[name];
  const table = await startTableService({
    addresses: [where.table],
    concurrency: 64,
    queue: 8_192,
    serviceTimeMs: 0,
    tables: { [TABLE]: ['host'] },
  });
  const hostNames = Array.from({ length: s.hosts }, (_, i) => `i-${name}-${String(i).padStart(5, '0')}`);
  // The day's state: every lease in the table has expired.
  for (const h of hostNames) table.seed(TABLE, { host: { S: h }, expires_at: { N: String(Date.now() - 1) } });
  const tableAgent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const hostAgent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const admit =
    name === 'failsmall'
      ? admission({
          limit: fixedLimit(s.concurrency), // the manager's workers: a known capacity
          maxQueue: Math.max(1, Math.round((s.concurrency / s.workMs) * 2_000)), // two seconds of work
          // CoDel and the age bound set from the work's own timeout (the defaults suit a 5 ms request path).
          codel: { target: s.workTimeoutMs / 6, interval: s.workTimeoutMs / 3 },
          maxAge: s.workTimeoutMs / 2,
          ...(s.waves === undefined ? {} : { waves: s.waves }),
          random: seededRandom(s.seed + 31),
          name: 'lease-manager',
        })
      : undefined;
  const manager = new LeaseManager({
    concurrency: s.concurrency,
    workMs: s.workMs,
    workTimeoutMs: s.workTimeoutMs,
    ...(admit === undefined ? {} : { admission: admit }),
    store: (h) => putLease(where.table, table.port, tableAgent, h, Date.now() + s.leaseTimeoutMs),
  });
  const server = http.createServer({ keepAliveTimeout: 10_000 }, managerHandler(manager, admit, s.workTimeoutMs));
  server.on('clientError', (_e, socket) => socket.destroy());
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal?.addEventListener('abort', onAbort, { once: true });
  if (signal?.aborted === true) stop.abort();
  const timers: NodeJS.Timeout[] = [];
  const timeline: { atS: number; held: number }[] = [{ atS: 0, held: 0 }];
  let intervenedAt: number | null = null;
  let heldAtIntervention: number | null = null;
  let t0 = systemClock.now();
  const scenarioS = (realMs: number): number => round((realMs / 1000) * s.speed);
  try {
    const port = await listen(server, where.manager);
    const random = seededRandom(s.seed + (name === 'baseline' ? 41 : 42));
    const Standard = sdkStrategy.constructor as new (maxAttempts: unknown) => RetryStrategyLike;
    const maxAttempts = (sdkStrategy as unknown as { maxAttemptsProvider: unknown }).maxAttemptsProvider;
    // One strategy per host (its own client: its own quota or budget), built before the clock starts.
    const strategies = new Map<string, RetryStrategyLike>(
      hostNames.map((h) => [
        h,
        name === 'baseline'
          ? new Standard(maxAttempts) // the SDK's default strategy
          : (awsRetryStrategy({ random }) as RetryStrategyLike),
      ]),
    );
    const ask = leaseAsk({
      address: where.manager,
      port,
      agent: hostAgent,
      strategy: (h) => strategies.get(h)!,
      ...(name === 'failsmall'
        ? {
            // The deadline travels with the request and the manager sheds what cannot meet it; no
            // client-side timeout on top (it would tear the connection down and reconnect).
            headers: () => ({ 'x-request-deadline': String(Date.now() + s.workTimeoutMs) }),
          }
        : {}),
    });
    t0 = systemClock.now();
    event(
      `${formatDuration(startS).padStart(7)}  lease manager, ${name} (Oct 20 02:25 PDT): ${s.hosts} leases timed out, every host asks at once`,
    );
    if (name === 'baseline') {
      timers.push(
        setTimeout(() => {
          if (manager.held.size >= s.hosts) return;
          intervenedAt = systemClock.now() - t0;
          heldAtIntervention = manager.held.size;
          const dropped = manager.intervene(
            Math.max(1, Math.floor(((s.concurrency / s.workMs) * s.workTimeoutMs) / 2)),
          );
          event(
            `${formatDuration(startS + scenarioS(intervenedAt)).padStart(7)}  lease manager, baseline (Oct 20 04:14 PDT): ${heldAtIntervention} of ${s.hosts} leases held; operators throttle incoming work and restart (${dropped} queued dropped)`,
          );
        }, s.interventionMs),
      );
    }
    timers.push(setTimeout(() => stop.abort(), s.horizonMs));
    const sample = (): void => {
      timeline.push({ atS: scenarioS(systemClock.now() - t0), held: manager.held.size });
    };
    timers.push(setInterval(sample, Math.max(50, s.horizonMs / 400)));
    await runHosts({
      hosts: hostNames,
      ask,
      pacing: name === 'baseline' ? fixedPause(s.pauseMs) : retryAfterJitter({ base: 500, cap: 4_000, random }),
      spreadMs: 2_000,
      random,
      signal: stop.signal,
      onHeld: () => {
        if (manager.held.size >= s.hosts) stop.abort();
      },
    });
    sample();
  } finally {
    for (const t of timers) clearTimeout(t);
    signal?.removeEventListener('abort', onAbort);
    stop.abort();
    manager.close();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    hostAgent.destroy();
    tableAgent.destroy();
    await table.close();
  }
  const snap = manager.snapshot();
  const times = [...manager.held.values()];
  const doneMs = manager.held.size >= s.hosts ? Math.max(...times) - t0 : undefined;
  const elapsedMs = doneMs ?? Math.max(1, (timeline.at(-1)?.atS ?? 0) * (1000 / s.speed));
  const all = doneMs === undefined ? null : scenarioS(doneMs);
  event(
    `${formatDuration(startS + (all ?? scenarioS(elapsedMs))).padStart(7)}  lease manager, ${name}: ${all === null ? `only ${snap.held} of ${s.hosts} leases held at the horizon` : `every lease held after ${formatDuration(all)}`} (${snap.wasted} pieces of work wasted, peak queue ${snap.peakQueue})`,
  );
  const shed =
    admit === undefined ? {} : Object.fromEntries(Object.entries(admit.snapshot().shed).filter(([, n]) => n > 0));
  return {
    summary: {
      all_leases_s: all,
      held: snap.held,
      goodput: round((snap.held * s.workMs) / (s.concurrency * elapsedMs), 3),
      wasted_work: snap.wasted,
      work_started: snap.started,
      peak_queue: snap.peakQueue,
      requests: snap.requests,
      refused: snap.refused + snap.throttled + snap.restarted,
      intervened_at_s: intervenedAt === null ? null : scenarioS(intervenedAt),
      held_at_intervention: heldAtIntervention,
    },
    shed,
    timeline,
  };
}

/**
 * Runs the link: the failsmall group, then the baseline, each from the state of 02:25. Everything
 * started is stopped at the end, on failure and on abort too.
 *
 * @example
 * const lease = await runLeaseLink({ startS: 10_620 });
 * console.log(lease.failsmall.all_leases_s / lease.lower_bound_s); // about 1.2
 */
export async function runLeaseLink(options: LeaseLinkOptions = {}): Promise<LeaseLinkResult> {
  const started = systemClock.now();
  const hosts = validate.positiveInteger('hosts', options.hosts ?? 1_000);
  const concurrency = validate.positiveInteger('concurrency', options.concurrency ?? 5);
  const workMs = validate.positiveNumber('workMs', options.workMs ?? 50);
  const workTimeoutMs = validate.positiveNumber('workTimeoutMs', options.workTimeoutMs ?? 3_000);
  const speed = validate.positiveNumber('speed', options.speed ?? 360);
  const startS = validate.nonNegativeNumber('startS', options.startS ?? 0);
  const interventionS = validate.nonNegativeNumber('interventionS', options.interventionS ?? 6_540);
  const boundMs = lowerBoundMs(hosts, workMs, concurrency);
  const horizonS = validate.positiveNumber(
    'horizonS',
    options.horizonS ?? interventionS + (3 * boundMs * speed) / 1000,
  );
  const s: Settings = {
    hosts,
    concurrency,
    workMs,
    workTimeoutMs,
    leaseTimeoutMs: validate.positiveNumber('leaseTimeoutMs', options.leaseTimeoutMs ?? 60_000),
    speed,
    interventionMs: (interventionS / speed) * 1000,
    horizonMs: (horizonS / speed) * 1000,
    pauseMs: validate.nonNegativeNumber('baselinePauseMs', options.baselinePauseMs ?? 2_000),
    seed: options.seed ?? 1,
    waves: options.waves,
  };
  const event = options.onEvent ?? (() => undefined);
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { sdk } = await loadReplayPeers();
  // The SDK's default retry strategy for DynamoDB (standard mode), as its client builds it.
  const client = new sdk.DynamoDBClient({
    region: 'us-east-1',
    credentials: { accessKeyId: 'failsmall-lab', secretAccessKey: 'failsmall-lab' },
  });
  const sdkStrategy = (await client.config.retryStrategy()) as unknown as RetryStrategyLike;
  client.destroy();
  const f = await runGroup('failsmall', s, sdkStrategy, options.signal, event, startS);
  const b = await runGroup('baseline', s, sdkStrategy, options.signal, event, startS);
  const lowerBoundS = round((boundMs / 1000) * speed);
  const fRatio = f.summary.all_leases_s === null ? null : round(f.summary.all_leases_s / lowerBoundS, 2);
  const bRatio = b.summary.all_leases_s === null ? null : round(b.summary.all_leases_s / lowerBoundS, 2);
  const afterIntervention = b.summary.intervened_at_s !== null;
  return {
    phase: { from_s: startS, day: 'Oct 20 02:25 PDT, every lease timed out', speed, intervention_s: interventionS },
    hosts,
    concurrency,
    work_ms: workMs,
    work_timeout_ms: workTimeoutMs,
    lower_bound_s: lowerBoundS,
    baseline: b.summary,
    failsmall: { ...f.summary, shed: f.shed },
    targets: {
      failsmall_all_leases_vs_lower_bound: {
        value: fRatio,
        target: '<= 1.5',
        met: fRatio !== null && fRatio <= 1.5,
      },
      baseline_collapse_visible: {
        value: bRatio,
        target: '>= 5, or all leases only after the intervention',
        met: bRatio === null || bRatio >= 5 || afterIntervention,
      },
    },
    timeline: { baseline: b.timeline, failsmall: f.timeline },
    real_s: round((systemClock.now() - started) / 1000, 1),
  };
}
