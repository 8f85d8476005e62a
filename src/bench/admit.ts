/**
 * `npm run bench -- admit`: admission control against overload, on real sockets.
 *
 * The server (this process) has a known capacity: a pool of SLOTS slots (a core SlotQueue with an
 * unbounded FIFO queue, as a database pool or a worker pool behaves), each request holding one for
 * SERVICE_MS of real time. The load generator (a child process) sends open-loop load at 0.5×, 1×, 2×
 * and 3× capacity; each request has a deadline of DEADLINE_MS and up to TRIES tries, each try
 * limited to TRY_TIMEOUT_MS, with a short jittered backoff after a 503/429 unless the answer says
 * `x-failsmall-no-retry: 1`. Four servers, each fresh per load level:
 * - `unprotected`: node:http straight into the pool;
 * - `under_pressure`: fastify with @fastify/under-pressure (event-loop delay 70 ms, utilisation 0.98);
 * - `toobusy`: node:http with toobusy-js (lag 70 ms, its default);
 * - `failsmall`: node:http behind `admitHandler(admission(...))` with its defaults.
 * Per case: goodput (requests answered 200 within their deadline, and within the phase, per second ÷
 * capacity), p99 of those requests' end-to-end latency (retries included); after the 3× phase the load drops to 0.5× and recovery is
 * the time until every later 500 ms window has ≥ 90 % of its requests answered in time (null when
 * that never happens within the recovery phase).
 */
import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../core/clock.js';
import { SlotQueue } from '../core/slot-queue.js';
import { admission } from '../admit/admission.js';
import { admitHandler } from '../admit/http.js';
import { quantile, printTable } from './harness.js';

const SLOTS = 5;
const SERVICE_MS = 50;
const CAPACITY = (SLOTS * 1_000) / SERVICE_MS; // requests per second
const DEADLINE_MS = 1_000;
const TRY_TIMEOUT_MS = 400;
const TRIES = 3;
const LEVELS = [0.5, 1, 2, 3] as const;
const PHASE_MS = 3_000;
const OVERLOAD_MS = 4_000;
const RECOVERY_MS = 6_000;
const RECOVERY_RATE = 0.5;
const WINDOW_MS = 500;
const MAX_OUTSTANDING = 5_000; // the generator never holds more requests than this

interface Phase {
  readonly rate: number; // requests per second
  readonly ms: number;
}
/** One finished request: phase index, issue time in ms from the phase start, ok (0/1), latency ms. */
type Record4 = [number, number, number, number];
interface LoadCommand {
  readonly port: number;
  readonly phases: readonly Phase[];
}

// ---------------------------------------------------------------- load generator (child process)

async function runLoad(command: LoadCommand): Promise<Record4[]> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 2_000 });
  const records: Record4[] = [];
  const pending = new Set<Promise<void>>();
  let outstanding = 0;

  const tryOnce = (timeout: number, epochDeadline: number): Promise<{ status: number; noRetry: boolean }> =>
    new Promise((resolve) => {
      const req = http.get(
        {
          host: '127.0.0.1',
          port: command.port,
          path: '/',
          agent,
          headers: { 'x-request-deadline': String(epochDeadline) },
          signal: AbortSignal.timeout(Math.max(1, Math.ceil(timeout))),
        },
        (res) => {
          res.resume();
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, noRetry: res.headers['x-failsmall-no-retry'] === '1' }),
          );
          res.on('error', () => resolve({ status: 0, noRetry: false }));
        },
      );
      req.on('error', () => resolve({ status: 0, noRetry: false }));
    });

  const one = async (phase: number, issued: number): Promise<void> => {
    const start = performance.now();
    const deadlineAt = start + DEADLINE_MS;
    const epochDeadline = Date.now() + DEADLINE_MS;
    let ok = 0;
    for (let attempt = 1; attempt <= TRIES; attempt++) {
      const left = deadlineAt - performance.now();
      if (left <= 0) break;
      const { status, noRetry } = await tryOnce(Math.min(TRY_TIMEOUT_MS, left), epochDeadline);
      if (status === 200) {
        ok = performance.now() <= deadlineAt ? 1 : 0;
        break;
      }
      if (noRetry) break;
      if (status === 503 || status === 429) {
        // the SDK-style short jittered backoff before the next try
        const backoff = Math.random() * 25 * 2 ** attempt;
        if (backoff >= deadlineAt - performance.now()) break;
        await new Promise((r) => setTimeout(r, backoff));
      }
    }
    records.push([phase, issued, ok, performance.now() - start]);
  };

  for (let p = 0; p < command.phases.length; p++) {
    const { rate, ms } = command.phases[p]!;
    const gap = 1_000 / rate;
    const phaseStart = performance.now();
    let sent = 0;
    const total = Math.floor((ms / 1_000) * rate);
    await new Promise<void>((done) => {
      const tick = (): void => {
        const elapsed = performance.now() - phaseStart;
        while (sent < total && sent * gap <= elapsed) {
          if (outstanding < MAX_OUTSTANDING) {
            outstanding++;
            const task = one(p, sent * gap).finally(() => {
              outstanding--;
              pending.delete(task);
            });
            pending.add(task);
          }
          sent++;
        }
        if (sent >= total) done();
        else setTimeout(tick, 1);
      };
      tick();
    });
    // open loop: the next phase starts on time whatever is still in flight
    const rest = ms - (performance.now() - phaseStart);
    if (rest > 0) await new Promise((r) => setTimeout(r, rest));
  }
  await Promise.all(pending);
  agent.destroy();
  return records;
}

if (process.argv[2] === '--load') {
  process.on('message', (command: LoadCommand) => {
    void runLoad(command).then((records) => process.send!(records));
  });
  process.on('disconnect', () => process.exit(0));
}

// ---------------------------------------------------------------- servers (this process)

type Protection = 'unprotected' | 'under_pressure' | 'toobusy' | 'failsmall';
const PROTECTIONS: readonly Protection[] = ['unprotected', 'under_pressure', 'toobusy', 'failsmall'];

interface Running {
  readonly port: number;
  close(): Promise<void>;
}

/** The pool of known capacity: SLOTS slots, SERVICE_MS each, an unbounded FIFO in front. */
function capacityPool(): () => Promise<void> {
  const pool = new SlotQueue({ slots: SLOTS, maxQueue: Infinity });
  return async () => {
    if (!pool.tryAcquire()) await pool.wait();
    try {
      await systemClock.sleep(SERVICE_MS);
    } finally {
      pool.release();
    }
  };
}

function serve(handler: http.RequestListener): Promise<Running> {
  const server = http.createServer({ keepAliveTimeout: 5_000 }, handler);
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      }),
    );
  });
}

const respond = (work: () => Promise<void>) => (_req: http.IncomingMessage, res: http.ServerResponse) =>
  work().then(
    () => res.end('ok'),
    () => {
      res.statusCode = 500;
      res.end();
    },
  );

async function start(protection: Protection): Promise<Running> {
  const work = capacityPool();
  switch (protection) {
    case 'unprotected':
      return serve(respond(work));
    case 'toobusy': {
      const toobusy = createRequire(import.meta.url)('toobusy-js') as () => boolean;
      const inner = respond(work);
      const running = await serve((req, res) => {
        if (toobusy()) {
          res.writeHead(503, { 'retry-after': '1' });
          res.end('busy');
        } else void inner(req, res);
      });
      return running; // toobusy-js checks the lag on an unref'd interval of its own; nothing to stop
    }
    case 'under_pressure': {
      const { default: Fastify } = await import('fastify');
      const { default: underPressure } = await import('@fastify/under-pressure');
      const app = Fastify({ keepAliveTimeout: 5_000 });
      await app.register(underPressure, { maxEventLoopDelay: 70, maxEventLoopUtilization: 0.98, retryAfter: 1 });
      app.get('/', async () => {
        await work();
        return 'ok';
      });
      await app.listen({ port: 0, host: '127.0.0.1' });
      return {
        port: (app.server.address() as AddressInfo).port,
        close: async () => {
          app.server.closeAllConnections();
          await app.close();
        },
      };
    }
    case 'failsmall': {
      const admit = admission();
      return serve(admitHandler(admit, respond(work)));
    }
  }
}

interface CaseResult {
  readonly goodput: number;
  readonly p99: number | null;
  readonly recovery_s?: number | null;
}

function summarise(records: readonly Record4[], phase: number, ms: number): { goodput: number; p99: number | null } {
  // Answered in time and within the phase (issue time + latency ≤ its end): work a server finishes
  // after the phase is over does not count toward the phase's goodput.
  const ok = records.filter((r) => r[0] === phase && r[2] === 1 && r[1] + r[3] <= ms);
  return {
    goodput: ok.length / ((ms / 1_000) * CAPACITY),
    p99:
      ok.length === 0
        ? null
        : Math.round(
            quantile(
              ok.map((r) => r[3]),
              0.99,
            ),
          ),
  };
}

function recovery(records: readonly Record4[], phase: number): number | null {
  const windows = Math.floor(RECOVERY_MS / WINDOW_MS);
  const sent = new Array<number>(windows).fill(0);
  const ok = new Array<number>(windows).fill(0);
  for (const [p, issued, good] of records) {
    if (p !== phase) continue;
    const w = Math.min(windows - 1, Math.floor(issued / WINDOW_MS));
    sent[w]!++;
    ok[w]! += good;
  }
  let from: number | null = null;
  for (let w = windows - 1; w >= 0; w--) {
    if (sent[w]! > 0 && ok[w]! / sent[w]! < 0.9) break;
    from = w;
  }
  return from === null ? null : (from * WINDOW_MS) / 1_000;
}

async function drive(child: ChildProcess, command: LoadCommand): Promise<Record4[]> {
  return new Promise((resolve) => {
    child.once('message', (records) => resolve(records as Record4[]));
    child.send(command);
  });
}

if (process.argv[2] !== '--load') {
  const began = performance.now();
  const child = fork(fileURLToPath(import.meta.url), ['--load'], { stdio: 'inherit' });
  const results: Record<string, Record<string, CaseResult>> = {};
  for (const protection of PROTECTIONS) {
    results[protection] = {};
    for (const level of LEVELS) {
      const server = await start(protection);
      const overload = level === 3;
      const phases: Phase[] = [{ rate: level * CAPACITY, ms: overload ? OVERLOAD_MS : PHASE_MS }];
      if (overload) phases.push({ rate: RECOVERY_RATE * CAPACITY, ms: RECOVERY_MS });
      const records = await drive(child, { port: server.port, phases });
      await server.close();
      const summary = summarise(records, 0, phases[0]!.ms);
      results[protection][`${level}x`] = overload ? { ...summary, recovery_s: recovery(records, 1) } : summary;
    }
  }
  child.disconnect();

  const f = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : String(v));
  for (const protection of PROTECTIONS) {
    printTable(
      `${protection}: goodput (÷ capacity ${CAPACITY} rps), p99 of successes (ms)`,
      LEVELS.map((level) => {
        const r = results[protection]![`${level}x`]!;
        const rec = r.recovery_s === undefined ? '' : `   recovery ${f(r.recovery_s)} s`;
        return [`${level}x`, `goodput ${r.goodput.toFixed(2)}   p99 ${f(r.p99)}${rec}`] as const;
      }),
    );
  }
  const at3 = (p: Protection): CaseResult => results[p]!['3x']!;
  const round = (v: number): number => Math.round(v * 1_000) / 1_000;
  console.log(
    JSON.stringify({
      bench: 'admit',
      capacity_rps: CAPACITY,
      deadline_ms: DEADLINE_MS,
      tries: TRIES,
      failsmall_goodput_3x: round(at3('failsmall').goodput),
      unprotected_goodput_3x: round(at3('unprotected').goodput),
      under_pressure_goodput_3x: round(at3('under_pressure').goodput),
      toobusy_goodput_3x: round(at3('toobusy').goodput),
      failsmall_recovery_s: at3('failsmall').recovery_s ?? null,
      unprotected_recovery_s: at3('unprotected').recovery_s ?? null,
      under_pressure_recovery_s: at3('under_pressure').recovery_s ?? null,
      toobusy_recovery_s: at3('toobusy').recovery_s ?? null,
      failsmall_p99_3x_ms: at3('failsmall').p99,
      unprotected_p99_3x_ms: at3('unprotected').p99,
      cases: Object.fromEntries(
        PROTECTIONS.map((p) => [
          p,
          Object.fromEntries(
            LEVELS.map((l) => {
              const r = results[p]![`${l}x`]!;
              return [`${l}x`, { ...r, goodput: round(r.goodput) }];
            }),
          ),
        ]),
      ),
      seconds: Math.round((performance.now() - began) / 100) / 10,
    }),
  );
}
