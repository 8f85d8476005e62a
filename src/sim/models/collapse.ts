/**
 * Model 3, metastable collapse (after mbrooker/simulator_example, `simple_collapse_sim`): an
 * open-loop client population whose retries keep a server overloaded after the trigger is gone.
 *
 * Requests arrive as a Poisson process at `rps` (40/s), with a spike to `spikeRps` (80/s) for
 * `spikeS` (5 s) from `spikeAt` (20 s). Each attempt crosses the network (Exp(mean 0.1 s) each
 * way); the server works on every attempt it receives at once, each taking
 * `1.0 s + 0.01 s × concurrency`, so more concurrent work makes all of it slower. The client gives an
 * attempt `timeout` (3 s, counted from when the attempt is sent) and makes `tries` attempts in all
 * (3); with backoff it waits failsmall's full-jitter backoff before each retry. A timed-out attempt is still worked on by the server: that
 * is the wasted work that keeps the overload going. The run lasts `horizonS` (80 s).
 *
 * Outputs: goodput (attempts answered in time) and retries per second, the final concurrency, and
 * whether the system recovered (goodput over the last 10 s at least 90 % of `rps`).
 */
import { exponential } from '../../core/random.js';
import { knownOptions, nonNegativeNumber, oneOf, positiveInteger, positiveNumber } from '../../core/validate.js';
import { fullJitter, type Backoff } from '../../policy/retry/backoff.js';
import { runCost, Simulation, type RunCost } from '../engine.js';
import { binCounts, countAt } from './bin-counts.js';

/** Parameters of {@link runCollapse}; times in seconds as in the published model. */
export interface CollapseOptions {
  readonly rps?: number;
  readonly spikeRps?: number;
  readonly spikeAt?: number;
  readonly spikeS?: number;
  readonly horizonS?: number;
  readonly timeoutS?: number;
  readonly tries?: number;
  /**
   * `none` (retry at once) or `jitter`: failsmall's full jitter with base `backoffBaseS` (default
   * 20 s) and cap `backoffCapS` (default 320 s), i.e. the n-th retry waits uniform(0, 20 s × 2^(n-1)),
   * the published model's client (its backoff starts at 10 s and doubles before each wait).
   */
  readonly backoff?: 'none' | 'jitter';
  readonly backoffBaseS?: number;
  readonly backoffCapS?: number;
  /** Service time = `serviceS + serviceSlopeS × concurrency`. */
  readonly serviceS?: number;
  readonly serviceSlopeS?: number;
  /** Mean one-way network delay. */
  readonly networkS?: number;
  readonly seed?: number;
}

/** Result of {@link runCollapse}. */
export interface CollapseResult extends RunCost {
  readonly model: 'collapse';
  readonly seed: number;
  readonly backoff: 'none' | 'jitter';
  readonly spike_rps: number;
  readonly spike_s: number;
  readonly tries: number;
  /** Attempts answered within the timeout, per second of the run. */
  readonly goodput_per_s: readonly number[];
  /** Retries sent, per second of the run. */
  readonly retries_per_s: readonly number[];
  readonly final_concurrency: number;
  readonly peak_concurrency: number;
  readonly recovered: boolean;
  readonly requests: number;
}

const ARRIVAL = 0;
const AT_SERVER = 1;
const SERVER_DONE = 2;
const AT_CLIENT = 3;
const TIMEOUT = 4;
const SEND = 5;

const KEYS = new Set([
  'rps',
  'spikeRps',
  'spikeAt',
  'spikeS',
  'horizonS',
  'timeoutS',
  'tries',
  'backoff',
  'backoffBaseS',
  'backoffCapS',
  'serviceS',
  'serviceSlopeS',
  'networkS',
  'seed',
]);

/**
 * The model's recovery rule: the goodput over the last 10 seconds is at least 90 % of the steady
 * arrival rate `rps`. Exported so that the loopback cross-check judges a real run by the same rule.
 */
export function collapseRecovered(goodputPerS: readonly number[], rps: number): boolean {
  const tail = goodputPerS.slice(Math.max(0, goodputPerS.length - 10));
  return tail.length > 0 && tail.reduce((a, b) => a + b, 0) / tail.length >= 0.9 * rps;
}

/**
 * Runs the metastable collapse model once.
 *
 * @example
 * runCollapse({ backoff: 'none' }).recovered; // false: the 5 s spike leaves the server collapsed
 */
export function runCollapse(options: CollapseOptions = {}): CollapseResult {
  knownOptions(options, KEYS);
  const rps = positiveNumber('rps', options.rps ?? 40);
  const spikeRps = positiveNumber('spikeRps', options.spikeRps ?? 80);
  const spikeAt = nonNegativeNumber('spikeAt', options.spikeAt ?? 20) * 1000;
  const spikeMs = nonNegativeNumber('spikeS', options.spikeS ?? 5) * 1000;
  const horizon = positiveNumber('horizonS', options.horizonS ?? 80) * 1000;
  const timeout = positiveNumber('timeoutS', options.timeoutS ?? 3) * 1000;
  const tries = positiveInteger('tries', options.tries ?? 3);
  const mode = oneOf('backoff', options.backoff ?? 'none', ['none', 'jitter']);
  const backoff: Backoff | undefined =
    mode === 'jitter'
      ? fullJitter({ base: (options.backoffBaseS ?? 20) * 1000, cap: (options.backoffCapS ?? 320) * 1000 })
      : undefined;
  const service = nonNegativeNumber('serviceS', options.serviceS ?? 1) * 1000;
  const slope = nonNegativeNumber('serviceSlopeS', options.serviceSlopeS ?? 0.01) * 1000;
  const network = nonNegativeNumber('networkS', options.networkS ?? 0.1) * 1000;
  const seed = options.seed ?? 1;

  const sim = new Simulation({ seed, until: horizon, capacity: 4096 });
  const random = sim.random;
  const goodput = binCounts(horizon, 1000);
  const retries = binCounts(horizon, 1000);
  // Rows per request, grown as requests arrive.
  let cap = 4096;
  let attempt = new Int32Array(cap); // current attempt number (1-based); 0 = finished
  let previous = new Float64Array(cap); // previous backoff delay
  let requests = 0;
  let concurrency = 0;
  let peak = 0;
  const rateAt = (t: number) => (t >= spikeAt && t < spikeAt + spikeMs ? spikeRps : rps);
  const grow = () => {
    cap *= 2;
    const a = new Int32Array(cap);
    a.set(attempt);
    attempt = a;
    const p = new Float64Array(cap);
    p.set(previous);
    previous = p;
  };
  const q = sim.queue;
  q.push(exponential(random, 1000 / rateAt(0)), ARRIVAL);
  const started = performance.now();
  while (sim.next()) {
    const r = q.a;
    const n = q.b;
    const now = q.time;
    switch (q.kind) {
      case ARRIVAL: {
        if (requests === cap) grow();
        const id = requests++;
        attempt[id] = 1;
        q.push(now, SEND, id, 1);
        q.push(now + exponential(random, 1000 / rateAt(now)), ARRIVAL);
        break;
      }
      case SEND:
        q.push(now + exponential(random, network), AT_SERVER, r, n);
        q.push(now + timeout, TIMEOUT, r, n);
        break;
      case AT_SERVER:
        concurrency++;
        if (concurrency > peak) peak = concurrency;
        q.push(now + service + slope * concurrency, SERVER_DONE, r, n);
        break;
      case SERVER_DONE:
        concurrency--;
        q.push(now + exponential(random, network), AT_CLIENT, r, n);
        break;
      case AT_CLIENT:
        if (attempt[r] === n) {
          attempt[r] = 0; // answered in time: done
          countAt(goodput, 1000, now);
        }
        break;
      case TIMEOUT:
        if (attempt[r] !== n) break; // answered, or already retried
        if (n >= tries) {
          attempt[r] = 0; // gave up
          break;
        }
        attempt[r] = n + 1;
        countAt(retries, 1000, now);
        if (backoff === undefined) q.push(now, SEND, r, n + 1);
        else {
          const delay = backoff.next(n, previous[r]!, random);
          previous[r] = delay;
          q.push(now + delay, SEND, r, n + 1);
        }
        break;
    }
  }
  const stats = sim.stats(started);
  const recovered = collapseRecovered(goodput, rps);
  return {
    model: 'collapse',
    seed,
    backoff: mode,
    spike_rps: spikeRps,
    spike_s: spikeMs / 1000,
    tries,
    goodput_per_s: goodput,
    retries_per_s: retries,
    final_concurrency: concurrency,
    peak_concurrency: peak,
    recovered,
    requests,
    ...runCost(stats),
  };
}
