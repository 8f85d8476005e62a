/**
 * Model 4, the fleet of 2025-10-20 (docs/sim.md; the facts are in the project's OUTAGE.md): a fleet
 * of DynamoDB clients while the endpoint's record is empty for 2 h 37 min (9,420 s) and the servers
 * behind it stay up.
 *
 * Each of `clients` clients (a million by default) calls DynamoDB as a Poisson process (simulated as
 * the fleet's one Poisson process with a uniformly drawn client per call: the same law), one call
 * every `callEveryS` (3,600 s) on average, over `horizonS` (3 h from the moment the record empties).
 * Two fleets run the same arrivals:
 * - `sdk`: the AWS SDK v3's defaults. The resolver believes the empty answer (and, after the record
 *   is restored, keeps the cached empty answer `negativeCacheS`, 900 s: the day's 02:25 → 02:40), so
 *   each attempt fails at once; the retry decision is failsmall's {@link nextRetry} with the SDK's
 *   schedule (3 attempts, full jitter base 100 ms cap 20 s) and the SDK's token bucket
 *   ({@link TokenBucketBudget}: 500 tokens, 5 per retry, 10 per timeout), one per client.
 * - `failsmall`: the last-known-good guard (`dns/guard.ts`: {@link observe}, {@link reachable}) keeps
 *   the addresses the client resolved before the outage, so attempts reach the servers, which are
 *   up; a failed attempt (`serverFailure`, default 0) is retried by the same {@link nextRetry} with
 *   failsmall's defaults, a ratio budget ({@link RatioBudget}) and a breaker (the state machine of
 *   `policy/breaker/state.ts`), both created on a client's first failure so that a healthy client
 *   costs no object. The guard's `reachableWithin` is raised to ten call intervals: a client that
 *   calls every hour keeps its evidence between calls (with twice the interval, the one gap in
 *   seven longer than that releases the guard and the call fails).
 *
 * Clients are rows of typed arrays; the per-client objects are the SDK's token bucket (a small
 * object, as in the SDK) and, for failsmall, the guard's state while it holds.
 *
 * Outputs per fleet: `success_during_empty`, `success` over the run, `load` (attempts ÷ calls) and
 * attempts per minute.
 */
import { exponential } from '../../core/random.js';
import {
  invalid,
  knownOptions,
  nonNegativeNumber,
  oneOf,
  positiveInteger,
  positiveNumber,
  ratio,
} from '../../core/validate.js';
import { guardConfig, idleGuard, observe, reachable, type GuardState, type Observation } from '../../dns/guard.js';
import type { DnsAddress } from '../../dns/types.js';
import { RatioBudget } from '../../policy/budget/ratio.js';
import { TokenBucketBudget } from '../../policy/budget/token-bucket.js';
import { breakerConfig, createMachine, type BreakerConfig, type BreakerMachine } from '../../policy/breaker/state.js';
import { Verdict } from '../../policy/errors/classify.js';
import { fullJitter } from '../../policy/retry/backoff.js';
import { nextRetry, type RetrySchedule } from '../../policy/retry/decision.js';
import { runCost, Simulation, type RunCost } from '../engine.js';
import { binCounts, countAt } from './bin-counts.js';
import { admitted, recordAttempt } from './breaker-gate.js';

/** The two fleets. */
export type OutageFleet = 'sdk' | 'failsmall';

/** Parameters of {@link runOutageFleet}; times in seconds. */
export interface OutageOptions {
  /** Clients per fleet, default 1,000,000. */
  readonly clients?: number;
  /** Mean time between a client's calls, default 3,600 s (a compute budget: a million clients in well under a minute). */
  readonly callEveryS?: number;
  /** How long the record stays empty, default 9,420 s (2 h 37 min). */
  readonly emptyS?: number;
  /** How long the SDK's resolver keeps the empty answer after the restore, default 900 s. */
  readonly negativeCacheS?: number;
  /** The run, from the moment the record empties; default 10,800 s (3 h). */
  readonly horizonS?: number;
  /** Probability that the (reachable) server fails an attempt, default 0. */
  readonly serverFailure?: number;
  /** Latency of an attempt that reaches the server, ms, default 10; a resolution failure takes 1 ms. */
  readonly latencyMs?: number;
  /** Default 1. */
  readonly seed?: number;
  /** Called about every 2^20 events with the simulated time reached (s) and the events so far. */
  readonly onProgress?: (simulatedS: number, events: number) => void;
}

/** Result of one fleet. */
export interface OutageFleetResult extends RunCost {
  readonly fleet: OutageFleet;
  readonly clients: number;
  readonly calls: number;
  readonly attempts: number;
  /** Calls that succeeded ÷ calls started while the record was empty. */
  readonly success_during_empty: number;
  /** Calls that succeeded ÷ calls, over the run. */
  readonly success: number;
  /** Attempts ÷ calls. */
  readonly load: number;
  /** Retries refused by the retry budget. */
  readonly budget_denied: number;
  /** Attempts started per minute of the run. */
  readonly attempts_per_min: readonly number[];
}

const CALL = 0; // a client starts a call (a = client)
const DONE = 1; // an attempt ends (a = client, b = 1 success, 0 failure, 2 refused by the breaker)
const RETRY = 2; // a retry's delay is over: send it (a = client)

const KEYS = new Set([
  'clients',
  'callEveryS',
  'emptyS',
  'negativeCacheS',
  'horizonS',
  'serverFailure',
  'latencyMs',
  'seed',
  'onProgress',
]);

/** The addresses every client resolved before the record was emptied. */
const LKG: readonly DnsAddress[] = Object.freeze([
  { address: '10.0.0.1', family: 4 },
  { address: '10.0.0.2', family: 4 },
] as const);
const EMPTY: Observation = Object.freeze({ kind: 'empty' });
const ANSWER: Observation = Object.freeze({ kind: 'addresses', addresses: LKG });

/** failsmall's breaker for the fleet: 5 failures in a row open it for 30 s (the breaker's defaults). */
function fleetBreaker(random: BreakerConfig['random']): BreakerConfig {
  return breakerConfig({}, random);
}

/**
 * Runs one fleet of the outage model.
 *
 * @example
 * runOutageFleet('failsmall', { clients: 10_000 }).success_during_empty; // 1: the guard kept the addresses
 */
export function runOutageFleet(fleet: OutageFleet, options: OutageOptions = {}): OutageFleetResult {
  oneOf('fleet', fleet, ['sdk', 'failsmall']);
  knownOptions(options, KEYS);
  const clients = positiveInteger('clients', options.clients ?? 1_000_000);
  const gap = positiveNumber('callEveryS', options.callEveryS ?? 3_600) * 1000;
  const empty = nonNegativeNumber('emptyS', options.emptyS ?? 9_420) * 1000;
  const negative = nonNegativeNumber('negativeCacheS', options.negativeCacheS ?? 900) * 1000;
  const horizon = positiveNumber('horizonS', options.horizonS ?? 10_800) * 1000;
  const pFail = ratio('serverFailure', options.serverFailure ?? 0);
  const latency = positiveNumber('latencyMs', options.latencyMs ?? 10);
  const seed = options.seed ?? 1;
  const onProgress = options.onProgress;
  if (onProgress !== undefined && typeof onProgress !== 'function') invalid('onProgress', 'a function', onProgress);

  const sim = new Simulation({ seed, until: horizon, capacity: 4096 });
  const random = sim.random;
  const q = sim.queue;
  const sdkSchedule: Omit<RetrySchedule, 'budget'> = {
    maxAttempts: 3,
    backoff: fullJitter({ base: 100, cap: 20_000 }),
    throttleBackoff: fullJitter({ base: 500, cap: 20_000 }),
    maxRetryAfter: 20_000,
  };
  const fsSchedule: Omit<RetrySchedule, 'budget'> = {
    maxAttempts: 3,
    backoff: fullJitter(),
    throttleBackoff: fullJitter({ base: 500, cap: 20_000 }),
    maxRetryAfter: 20_000,
  };
  // One schedule object per fleet, its budget set to the client's before each decision (no allocation per failure).
  const schedule: { -readonly [K in keyof RetrySchedule]: RetrySchedule[K] } = {
    ...(fleet === 'sdk' ? sdkSchedule : fsSchedule),
    budget: undefined,
  };
  const guard = guardConfig({ reachableWithin: Math.max(300_000, 10 * gap) });
  const breakerConfig = fleetBreaker(random);
  // Rows.
  const attempt = new Uint8Array(clients); // attempt of the call in flight (0 = none)
  const previous = new Float32Array(clients); // the delay slept before the attempt in flight
  const startedAt = new Float64Array(clients); // when the call in flight started (ms)
  const buckets: (TokenBucketBudget | undefined)[] =
    fleet === 'sdk' ? new Array<TokenBucketBudget | undefined>(clients).fill(undefined) : [];
  const ratios = new Map<number, RatioBudget>();
  const breakers = new Map<number, BreakerMachine>();
  const breakerGen = new Int32Array(fleet === 'failsmall' ? clients : 0);
  const guards: (GuardState | undefined)[] =
    fleet === 'failsmall' ? new Array<GuardState | undefined>(clients).fill(undefined) : [];
  const perMinute = binCounts(horizon, 60_000);
  let calls = 0;
  let callsEmpty = 0;
  let okEmpty = 0;
  let ok = 0;
  let attempts = 0;
  let denied = 0;

  const resolves = (now: number): boolean => now >= empty + negative; // the SDK's resolver
  /** Sends the current attempt of client `c`: schedules its end. */
  const send = (c: number, now: number): void => {
    attempts++;
    countAt(perMinute, 60_000, now);
    if (fleet === 'sdk') {
      if (!resolves(now)) q.push(now + 1, DONE, c, 0);
      else q.push(now + latency, DONE, c, random.next() < pFail ? 0 : 1);
      return;
    }
    // failsmall: the guard decides which addresses to use.
    const observation = now < empty ? EMPTY : ANSWER;
    const state = guards[c] ?? idleGuard;
    const d = observe(state, LKG, observation, now, guard);
    guards[c] = d.state.engaged ? d.state : undefined;
    const usable = d.action === 'hold' || (d.adopt.kind === 'addresses' && d.adopt.addresses.length > 0);
    if (!usable) {
      q.push(now + 1, DONE, c, 0);
      return;
    }
    const m = breakers.get(c);
    if (m !== undefined) {
      if (!admitted(breakerConfig, m, now)) {
        q.push(now, DONE, c, 2); // refused by the breaker, never sent
        return;
      }
      breakerGen[c] = m.gen;
    }
    q.push(now + latency, DONE, c, random.next() < pFail ? 0 : 1);
  };

  // The fleet's calls: N independent Poisson processes of rate 1/gap are one Poisson process of rate
  // N/gap whose every event belongs to a client drawn uniformly. One pending arrival instead of a
  // million keeps the event list small (the same distribution, another stream of draws).
  const fleetGap = gap / clients;
  q.push(exponential(random, fleetGap), CALL, 0, 0);
  const started = performance.now();
  let events = 0;
  while (q.size > 0 && q.peekTime() <= horizon) {
    q.pop();
    const now = (sim.now = q.time);
    let c = q.a;
    events++;
    if ((events & 0xfffff) === 0 && onProgress !== undefined) onProgress(now / 1000, events);
    if (q.kind === CALL) {
      q.push(now + exponential(random, fleetGap), CALL, 0, 0);
      c = Math.floor(random.next() * clients);
      if (attempt[c] !== 0) continue; // the previous call is still retrying: this one is skipped
      calls++;
      if (now < empty) callsEmpty++;
      attempt[c] = 1;
      previous[c] = 0;
      startedAt[c] = now;
      if (fleet === 'sdk') buckets[c]?.recordRequest(now);
      else ratios.get(c)?.recordRequest(now);
      send(c, now);
      continue;
    }
    if (q.kind === RETRY) {
      send(c, now);
      continue;
    }
    // DONE
    const result = q.b;
    const n = attempt[c]!;
    if (fleet === 'failsmall') {
      if (result !== 2) {
        const m = breakers.get(c);
        if (m !== undefined) recordAttempt(breakerConfig, m, now, breakerGen[c]!, result === 1, latency);
        const g = guards[c];
        if (result === 1 && g !== undefined) guards[c] = reachable(g, LKG, LKG[0]!.address, now);
      }
    }
    if (result === 1) {
      ok++;
      if (startedAt[c]! < empty) okEmpty++;
      if (fleet === 'sdk') buckets[c]?.recordSuccess(now, n > 1, 'error');
      attempt[c] = 0;
      continue;
    }
    let budget: TokenBucketBudget | RatioBudget | undefined;
    if (fleet === 'sdk') budget = buckets[c] ??= new TokenBucketBudget();
    else {
      budget = ratios.get(c);
      if (budget === undefined) {
        budget = new RatioBudget();
        budget.recordRequest(startedAt[c]!);
        ratios.set(c, budget);
      }
      if (result === 0 && !breakers.has(c)) breakers.set(c, createMachine(breakerConfig, now));
    }
    schedule.budget = budget;
    const decision = nextRetry(
      { attempt: n, verdict: Verdict.error, now, deadline: Infinity, previousDelay: previous[c]!, random },
      schedule,
    );
    if (!decision.retry) {
      if (decision.reason === 'budget') denied++;
      attempt[c] = 0;
      continue;
    }
    attempt[c] = n + 1;
    previous[c] = decision.delay;
    q.push(now + decision.delay, RETRY, c, 0);
  }
  const wall = (performance.now() - started) / 1000;
  return {
    fleet,
    clients,
    calls,
    attempts,
    success_during_empty: callsEmpty > 0 ? okEmpty / callsEmpty : 1,
    success: calls > 0 ? ok / calls : 1,
    load: calls > 0 ? attempts / calls : 0,
    budget_denied: denied,
    attempts_per_min: perMinute,
    ...runCost({ events, wall_s: wall }),
  };
}
