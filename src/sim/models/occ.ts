/**
 * Model 1, OCC contention: the model behind Marc Brooker's "Exponential Backoff And Jitter" (AWS
 * Architecture Blog, 2015; simulator aws-samples/aws-arch-backoff-simulator).
 *
 * N clients each write once to one row under optimistic concurrency. A client sends a read; the
 * server answers with the row's version; the client sends a write carrying that version; the write
 * succeeds (and bumps the version) if the version is unchanged, else it fails. Every message takes a
 * network delay drawn from |Normal(10 ms, 2 ms)| (core's {@link NormalPairs}: both values of each
 * Box–Muller pair). After a failed write the client waits its backoff
 * (base 5 ms, cap 2,000 ms) and starts again with a read. The backoff is failsmall's own
 * (`policy/retry/backoff.ts`), called with the simulation's random.
 *
 * Outputs, averaged over trials: write calls per client, and the completion time (the time of the
 * last event, when the last client succeeded).
 */
import { FailsmallError } from '../../core/errors.js';
import { NormalPairs } from '../../core/random.js';
import { knownOptions, oneOf, positiveInteger } from '../../core/validate.js';
import {
  constantBackoff,
  decorrelatedJitter,
  equalJitter,
  exponentialBackoff,
  fullJitter,
  type Backoff,
} from '../../policy/retry/backoff.js';
import { runCost, Simulation, type RunCost } from '../engine.js';

/** The backoff strategies of the published model. */
export const OCC_STRATEGIES = ['none', 'exponential', 'equal', 'full', 'decorrelated'] as const;
export type OccStrategy = (typeof OCC_STRATEGIES)[number];

/** Parameters of {@link runOcc}. */
export interface OccOptions {
  /** Clients, default 100. */
  readonly clients?: number;
  /** Backoff strategy, default `full`. */
  readonly strategy?: OccStrategy;
  /** Trials averaged, default 10; trial i runs with seed `seed + i`. */
  readonly trials?: number;
  /** Default 1. */
  readonly seed?: number;
  /** Backoff base and cap in ms, default 5 and 2,000 (the published model). */
  readonly base?: number;
  readonly cap?: number;
  /** Network delay |Normal(mean, sd)| in ms, default 10 and 2. */
  readonly networkMean?: number;
  readonly networkSd?: number;
}

/** Result of {@link runOcc}. */
export interface OccResult extends RunCost {
  readonly model: 'occ';
  readonly clients: number;
  readonly strategy: OccStrategy;
  readonly trials: number;
  readonly seed: number;
  /** Mean write calls per client. */
  readonly mean_calls: number;
  /** Mean completion time of a trial (time of the last event), ms. */
  readonly mean_completion_ms: number;
}

/** failsmall's backoff for a strategy of the model (`none` retries at once). */
export function occBackoff(strategy: OccStrategy, base: number, cap: number): Backoff {
  switch (strategy) {
    case 'none':
      return constantBackoff(0);
    case 'exponential':
      return exponentialBackoff({ base, cap });
    case 'equal':
      return equalJitter({ base, cap });
    case 'full':
      return fullJitter({ base, cap });
    case 'decorrelated':
      return decorrelatedJitter({ base, cap });
  }
}

// Event kinds.
const READ_AT_SERVER = 0;
const READ_REPLY = 1;
const WRITE_AT_SERVER = 2;
const WRITE_OK = 3;
const WRITE_FAILED = 4;
const START = 5;

const KEYS = new Set(['clients', 'strategy', 'trials', 'seed', 'base', 'cap', 'networkMean', 'networkSd']);

/**
 * Runs the OCC contention model.
 *
 * @example
 * runOcc({ clients: 100, strategy: 'full', trials: 5 }).mean_calls; // ≈ a few calls per client
 */
export function runOcc(options: OccOptions = {}): OccResult {
  knownOptions(options, KEYS);
  const clients = positiveInteger('clients', options.clients ?? 100);
  const strategy = oneOf('strategy', options.strategy ?? 'full', OCC_STRATEGIES);
  const trials = positiveInteger('trials', options.trials ?? 10);
  const seed = options.seed ?? 1;
  const backoff = occBackoff(strategy, options.base ?? 5, options.cap ?? 2_000);
  const mean = options.networkMean ?? 10;
  const sd = options.networkSd ?? 2;
  let calls = 0;
  let completion = 0;
  let events = 0;
  let wall = 0;
  const readVersion = new Int32Array(clients);
  const attempt = new Int32Array(clients);
  const previous = new Float64Array(clients);
  for (let trial = 0; trial < trials; trial++) {
    const sim = new Simulation({ seed: seed + trial, capacity: clients * 2 });
    const random = sim.random;
    const net = new NormalPairs(random);
    const q = sim.queue;
    let version = 0;
    let done = 0;
    let lastDone = 0;
    attempt.fill(0);
    previous.fill(0);
    for (let c = 0; c < clients; c++) q.push(0, START, c);
    const started = performance.now();
    while (sim.next()) {
      const c = q.a;
      const now = q.time;
      switch (q.kind) {
        case START:
          q.push(now + Math.abs(net.next(mean, sd)), READ_AT_SERVER, c);
          break;
        case READ_AT_SERVER:
          readVersion[c] = version;
          q.push(now + Math.abs(net.next(mean, sd)), READ_REPLY, c);
          break;
        case READ_REPLY:
          calls++;
          q.push(now + Math.abs(net.next(mean, sd)), WRITE_AT_SERVER, c);
          break;
        case WRITE_AT_SERVER:
          if (readVersion[c] === version) {
            version++;
            q.push(now + Math.abs(net.next(mean, sd)), WRITE_OK, c);
          } else q.push(now + Math.abs(net.next(mean, sd)), WRITE_FAILED, c);
          break;
        case WRITE_OK:
          done++;
          lastDone = now;
          break;
        case WRITE_FAILED: {
          const n = ++attempt[c]!;
          const delay = backoff.next(n, previous[c]!, random);
          previous[c] = delay;
          q.push(now + delay, START, c);
          break;
        }
      }
    }
    const stats = sim.stats(started);
    if (done !== clients) {
      throw new FailsmallError(
        'FS_ERR_SIM_INCOMPLETE',
        `OCC trial ${trial}: ${clients - done} of ${clients} clients never finished`,
        {
          details: { trial, unfinished: clients - done },
        },
      );
    }
    completion += lastDone;
    events += stats.events;
    wall += stats.wall_s;
  }
  return {
    model: 'occ',
    clients,
    strategy,
    trials,
    seed,
    mean_calls: calls / (clients * trials),
    mean_completion_ms: completion / trials,
    ...runCost({ events, wall_s: wall }),
  };
}
