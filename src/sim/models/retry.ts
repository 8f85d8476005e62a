/**
 * Model 2, retry amplification (after mbrooker/simulator_example, `retry_sim`, behind Marc Brooker's
 * "Fixing retries with token buckets and circuit breakers", 2022-02-28).
 *
 * `clients` (100) clients each start `calls` (100) calls as a Poisson process at `rate` (10/s per
 * client), open loop. Every attempt crosses the network (Exp(mean 10 ms) each way, as published)
 * and the server fails it independently with probability `p`; it is insensitive to load. A failed
 * attempt is retried at once (no backoff, as published) if the client's strategy allows:
 * - `none`: never;
 * - `retry3`: up to 3 retries (4 attempts);
 * - `token-bucket`: failsmall's {@link TokenBucketBudget} per client, 5 tokens at start and at most,
 *   `requestIncrement` 0.1 per call, a retry costs 1, nothing given back on success, no other cap;
 * - `breaker`: up to 3 retries, and failsmall's breaker state machine (`policy/breaker/state.ts`)
 *   per client gates the retries only (first attempts always go): it is fed every attempt's outcome,
 *   opens when the failure rate over a 10 s window of at least 10 attempts reaches 10 %, stays open 1 s, then lets one retry
 *   through as a probe (success closes it, failure re-opens it).
 *
 * The retry decision is failsmall's {@link nextRetry} (attempt cap and budget, in that order).
 *
 * Outputs: `success` (calls that succeeded ÷ calls) and `load` (attempts ÷ calls).
 *
 * Differences from the published rules, by design of failsmall's policies (docs/sim.md):
 * the published bucket needs more than 1 token for a retry, TokenBucketBudget at least the cost (1);
 * the published breaker compares failed attempts ÷ calls over the client's whole life with > 10 %,
 * failsmall's breaker failed attempts ÷ attempts over a sliding window with ≥ 10 %, and after opening
 * it probes with one retry instead of re-checking the ratio on every failure.
 */
import { exponential } from '../../core/random.js';
import { knownOptions, oneOf, positiveInteger, positiveNumber, ratio } from '../../core/validate.js';
import { TokenBucketBudget } from '../../policy/budget/token-bucket.js';
import { breakerConfig, createMachine, type BreakerConfig, type BreakerMachine } from '../../policy/breaker/state.js';
import { Verdict } from '../../policy/errors/classify.js';
import { constantBackoff } from '../../policy/retry/backoff.js';
import { nextRetry, type RetrySchedule } from '../../policy/retry/decision.js';
import { runCost, Simulation, type RunCost } from '../engine.js';
import { admitted, recordAttempt } from './breaker-gate.js';

/** The strategies of the published model. */
export const RETRY_STRATEGIES = ['none', 'retry3', 'token-bucket', 'breaker'] as const;
export type RetryStrategy = (typeof RETRY_STRATEGIES)[number];

/** Parameters of {@link runRetry}. */
export interface RetryModelOptions {
  /** Probability that the server fails an attempt, in [0, 1]; default 0.1. */
  readonly p?: number;
  /** Default `retry3`. */
  readonly strategy?: RetryStrategy;
  /** Clients, default 100. */
  readonly clients?: number;
  /** Calls per client, default 100. */
  readonly calls?: number;
  /** Calls started per second per client (Poisson), default 10. */
  readonly rate?: number;
  /** Mean one-way network delay, ms, default 10 (the published `net_rtt`). */
  readonly networkMs?: number;
  /** Default 1. */
  readonly seed?: number;
}

/** Result of {@link runRetry}. */
export interface RetryModelResult extends RunCost {
  readonly model: 'retry';
  readonly strategy: RetryStrategy;
  readonly p: number;
  readonly clients: number;
  readonly calls: number;
  readonly seed: number;
  /** Calls that succeeded ÷ calls. */
  readonly success: number;
  /** Attempts ÷ calls. */
  readonly load: number;
  readonly attempts: number;
}

/** The breaker of the `breaker` strategy (the config the state machine reads; see the module comment). */
export function retryBreakerConfig(random: BreakerConfig['random']): BreakerConfig {
  return breakerConfig(
    {
      strategy: {
        kind: 'time',
        duration: 10_000, // 10 buckets of 1 s: the published run lasts 10 s
        buckets: 10,
        failureRate: 0.1, // the published 10 %
        minimumCalls: 10, // failsmall's default: a ratio over fewer calls is noise (the published one is judged from the first call)
      },
      halfOpenAfter: 1_000,
    },
    random,
  );
}

// Event kinds.
const START = 0; // a client starts its next call
const AT_SERVER = 1;
const REPLY = 2; // b = 1 success, 0 failure

const KEYS = new Set(['p', 'strategy', 'clients', 'calls', 'rate', 'networkMs', 'seed']);

/**
 * Runs the retry amplification model once.
 *
 * @example
 * runRetry({ p: 0.5, strategy: 'retry3' }).load; // ≈ 1.875: three retries nearly double the load
 */
export function runRetry(options: RetryModelOptions = {}): RetryModelResult {
  knownOptions(options, KEYS);
  const p = ratio('p', options.p ?? 0.1);
  const strategy = oneOf('strategy', options.strategy ?? 'retry3', RETRY_STRATEGIES);
  const clients = positiveInteger('clients', options.clients ?? 100);
  const calls = positiveInteger('calls', options.calls ?? 100);
  const gap = 1000 / positiveNumber('rate', options.rate ?? 10);
  const network = positiveNumber('networkMs', options.networkMs ?? 10);
  const seed = options.seed ?? 1;

  const sim = new Simulation({ seed, capacity: clients * 4 });
  const random = sim.random;
  const noDelay = constantBackoff(0);
  const budgets: TokenBucketBudget[] = [];
  const machines: BreakerMachine[] = [];
  const breakerConfig = retryBreakerConfig(random);
  const schedules: RetrySchedule[] = [];
  for (let c = 0; c < clients; c++) {
    let budget: TokenBucketBudget | undefined;
    if (strategy === 'token-bucket') {
      budget = new TokenBucketBudget({
        initialTokens: 5,
        retryCost: 1,
        timeoutCost: 1,
        successIncrement: 0,
        requestIncrement: 0.1,
      });
      budgets.push(budget);
    }
    if (strategy === 'breaker') machines.push(createMachine(breakerConfig, 0));
    schedules.push({
      maxAttempts: strategy === 'none' ? 1 : strategy === 'token-bucket' ? Infinity : 4,
      backoff: noDelay,
      throttleBackoff: noDelay,
      maxRetryAfter: 0,
      budget,
    });
  }
  // A call's row: its client and its attempt number. Calls are numbered in start order.
  const total = clients * calls;
  const clientOf = new Int32Array(total);
  const attemptOf = new Int32Array(total);
  // The breaker generation each attempt was admitted under (its outcome is ignored if the breaker moved on).
  const genOf = new Int32Array(total);
  const started = new Int32Array(clients);
  let nextCall = 0;
  let attempts = 0;
  let successes = 0;

  for (let c = 0; c < clients; c++) sim.schedule(exponential(random, gap), START, c);
  const stats = sim.run((kind, a, b) => {
    switch (kind) {
      case START: {
        const c = a;
        const call = nextCall++;
        clientOf[call] = c;
        attemptOf[call] = 1;
        attempts++;
        budgets[c]?.recordRequest(sim.now);
        const m = machines[c];
        // A first attempt is no probe: its outcome counts only if the breaker is still closed under this generation.
        if (m !== undefined) genOf[call] = m.state === 'closed' ? m.gen : -1;
        sim.schedule(exponential(random, network), AT_SERVER, call);
        if (++started[c]! < calls) sim.schedule(exponential(random, gap), START, c);
        break;
      }
      case AT_SERVER:
        sim.schedule(exponential(random, network), REPLY, a, random.next() < p ? 0 : 1);
        break;
      case REPLY: {
        const call = a;
        const c = clientOf[call]!;
        const m = machines[c];
        if (m !== undefined) recordAttempt(breakerConfig, m, sim.now, genOf[call]!, b === 1, 0);
        if (b === 1) {
          successes++;
          break;
        }
        const attempt = attemptOf[call]!;
        const decision = nextRetry(
          { attempt, verdict: Verdict.error, now: sim.now, deadline: Infinity, previousDelay: 0, random },
          schedules[c]!,
        );
        if (!decision.retry) break;
        if (m !== undefined) {
          if (!admitted(breakerConfig, m, sim.now)) break;
          genOf[call] = m.gen;
        }
        attemptOf[call] = attempt + 1;
        attempts++;
        sim.schedule(decision.delay + exponential(random, network), AT_SERVER, call);
        break;
      }
    }
  });
  return {
    model: 'retry',
    strategy,
    p,
    clients,
    calls,
    seed,
    success: successes / total,
    load: attempts / total,
    attempts,
    ...runCost(stats),
  };
}
