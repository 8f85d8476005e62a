/**
 * Model 4b, the lease manager's recovery on 2025-10-20 (EC2's DropletWorkflow Manager, OUTAGE.md):
 * when DynamoDB came back at 02:25, every host whose lease had timed out during the outage asked the
 * manager to re-establish it at once; the work timed out before it completed and was re-queued, and
 * the manager fell into congestive collapse until engineers throttled incoming work (04:14).
 *
 * `hosts` (20,000) hosts ask within the first second. The manager works on `workers` (40) leases at
 * a time, each taking `workS` (0.2 s): 200 leases/s, so 100 s of work in all. A host waits `timeoutS` (10 s) for its lease; then it gives
 * up on that request and sends a new one at once. The manager does not know a request was abandoned:
 * it works on it anyway when its turn comes (wasted work). A lease counts as re-established when the
 * manager finishes a request its host is still waiting for.
 *
 * - `none`: one unbounded FIFO queue: the day's manager.
 * - `admit`: failsmall's `admit/` decisions, not a copy: {@link AdmitDecisions.CodelState} (a standing
 *   queue is served LIFO and work older than its target is shed), the queue-size throttle
 *   (`acceptProbability`, AWS's announced fix, maxQueue `maxQueue`), and, when `waveSize` is set,
 *   a `WaveGate` (`waveSize` leases per wave, a wave at most every `waveS`). A refused host asks again
 *   after failsmall's full-jitter backoff (base 1 s, cap 30 s) or when the wave gate says.
 *
 * `admit/` is a sibling layer that may be missing from a build: {@link loadAdmit} loads it lazily and
 * returns undefined when absent.
 *
 * Outputs: `leases_per_min` (re-established per minute), `recovered_s` (when every lease was back,
 * or null), `wasted_share` (work done for abandoned requests ÷ work done), `peak_queue`.
 */
import { exponential } from '../../core/random.js';
import { knownOptions, positiveInteger, positiveNumber } from '../../core/validate.js';
import { fullJitter } from '../../policy/retry/backoff.js';
import { runCost, Simulation, type RunCost } from '../engine.js';
import { binCounts, countAt } from './bin-counts.js';

/** The pure decisions of `admit/` this model drives (their shapes, as `failsmall/admit` exports them). */
export interface AdmitDecisions {
  readonly CodelState: new (options?: { target?: number; interval?: number }) => {
    onBusy(now: number): boolean;
    onEmpty(): void;
    maxWait(maxAge: number): number;
    readonly order: 'fifo' | 'lifo';
  };
  readonly resolveQueueThrottle: (options: undefined) => unknown;
  readonly acceptProbability: (throttle: never, criticality: 'critical', length: number, maxQueue: number) => number;
  readonly WaveGate: new (options: { size: number; interval?: number }) => {
    enter(now: number): number;
    leave(): void;
  };
}

/** The `admit/` module, or undefined when this build has none. */
export async function loadAdmit(): Promise<AdmitDecisions | undefined> {
  const specifier: string = '../../admit/index.js'; // a string, so that a build without admit/ compiles
  try {
    const mod = (await import(specifier)) as Partial<AdmitDecisions>;
    return typeof mod.CodelState === 'function' && typeof mod.WaveGate === 'function'
      ? (mod as AdmitDecisions)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Parameters of {@link runLease}; times in seconds. */
export interface LeaseOptions {
  readonly hosts?: number;
  readonly workers?: number;
  readonly workS?: number;
  readonly timeoutS?: number;
  readonly horizonS?: number;
  /** admit: the queue-size throttle's full queue (default 10,000), CoDel target/interval (ms, default 1,000 and 5,000), wave size (default: no waves) and period (default 1 s). */
  readonly maxQueue?: number;
  readonly codelTargetMs?: number;
  readonly codelIntervalMs?: number;
  readonly waveSize?: number;
  readonly waveS?: number;
  readonly seed?: number;
}

/** Result of {@link runLease}. */
export interface LeaseResult extends RunCost {
  readonly admission: 'none' | 'admit';
  readonly hosts: number;
  readonly leases_per_min: readonly number[];
  readonly recovered_s: number | null;
  readonly established: number;
  readonly wasted_share: number;
  readonly peak_queue: number;
}

const ASK = 0; // host a sends a request
const DONE = 1; // a worker finishes request a
const GIVE_UP = 2; // host a's request of generation b times out
const KEYS = new Set([
  'hosts',
  'workers',
  'workS',
  'timeoutS',
  'horizonS',
  'maxQueue',
  'codelTargetMs',
  'codelIntervalMs',
  'waveSize',
  'waveS',
  'seed',
]);

/**
 * Runs the lease manager's recovery, without admission control (`admit` undefined) or with the
 * decisions of `admit/`.
 *
 * @example
 * runLease().recovered_s; // null: the FIFO manager collapses
 */
export function runLease(options: LeaseOptions = {}, admit?: AdmitDecisions): LeaseResult {
  knownOptions(options, KEYS);
  const hosts = positiveInteger('hosts', options.hosts ?? 20_000);
  const workers = positiveInteger('workers', options.workers ?? 40);
  const work = positiveNumber('workS', options.workS ?? 0.2) * 1000;
  const timeout = positiveNumber('timeoutS', options.timeoutS ?? 10) * 1000;
  const horizon = positiveNumber('horizonS', options.horizonS ?? 1_800) * 1000;
  const maxQueue = positiveInteger('maxQueue', options.maxQueue ?? 10_000);
  const waveSize = positiveInteger('waveSize', options.waveSize ?? 1);
  const sim = new Simulation({ seed: options.seed ?? 1, until: horizon, capacity: 4096 });
  const random = sim.random;
  const q = sim.queue;
  const codel =
    admit === undefined
      ? undefined
      : new admit.CodelState({ target: options.codelTargetMs ?? 1_000, interval: options.codelIntervalMs ?? 5_000 });
  const throttle = admit?.resolveQueueThrottle(undefined) as never;
  // Re-establishment in waves bounds what the hosts ask for at once (admit/'s WaveGate); off unless waveSize is set.
  const waves =
    admit === undefined || options.waveSize === undefined
      ? undefined
      : new admit.WaveGate({ size: waveSize, interval: (options.waveS ?? 1) * 1000 });
  const retryLater = fullJitter({ base: 1_000, cap: 30_000 });

  // Hosts: the generation of the request the host waits for (0 = lease established), refusals so far.
  const gen = new Int32Array(hosts);
  const refusals = new Int32Array(hosts);
  // Requests: host, generation, enqueue time, in a ring deque (front = oldest).
  let cap = 1 << 16;
  let rHost = new Int32Array(cap);
  let rGen = new Int32Array(cap);
  let rAt = new Float64Array(cap);
  let head = 0;
  let length = 0;
  const grow = (): void => {
    const h = new Int32Array(cap * 2);
    const g = new Int32Array(cap * 2);
    const t = new Float64Array(cap * 2);
    for (let i = 0; i < length; i++) {
      const j = (head + i) & (cap - 1);
      h[i] = rHost[j]!;
      g[i] = rGen[j]!;
      t[i] = rAt[j]!;
    }
    rHost = h;
    rGen = g;
    rAt = t;
    head = 0;
    cap *= 2;
  };
  // Work in progress: worker slots hold a request's host and generation.
  const wHost = new Int32Array(workers);
  const wGen = new Int32Array(workers);
  const free: number[] = [];
  for (let w = workers - 1; w >= 0; w--) free.push(w);
  const perMinute = binCounts(horizon, 60_000);
  let established = 0;
  let recoveredAt: number | null = null;
  let done = 0;
  let wasted = 0;
  let peak = 0;

  /** Starts queued work on free workers (FIFO, or LIFO while CoDel says the queue stands), shedding stale work. */
  const dispatch = (now: number): void => {
    while (free.length > 0 && length > 0) {
      if (codel !== undefined) {
        codel.onBusy(now);
        const maxWait = codel.maxWait(timeout);
        // Shed from the old end what waited longer than CoDel allows (its host is told to ask again).
        while (length > 0 && now - rAt[head]! > maxWait) {
          const h = rHost[head]!;
          if (gen[h] === rGen[head]) refuse(h, now);
          head = (head + 1) & (cap - 1);
          length--;
          waves?.leave();
        }
        if (length === 0) break;
      }
      let j: number;
      if (codel !== undefined && codel.order === 'lifo') j = (head + length - 1) & (cap - 1);
      else {
        j = head;
        head = (head + 1) & (cap - 1);
      }
      length--;
      const w = free.pop()!;
      wHost[w] = rHost[j]!;
      wGen[w] = rGen[j]!;
      q.push(now + work, DONE, w, 0);
    }
    if (length === 0) codel?.onEmpty();
  };
  /** The host's request was refused or shed: it asks again later, and stops waiting for it. */
  const refuse = (h: number, now: number): void => {
    gen[h] = -Math.abs(gen[h]!) - 1; // waiting for nothing until it asks again
    const n = ++refusals[h]!;
    q.push(now + retryLater.next(n, 0, random), ASK, h, 0);
  };

  for (let h = 0; h < hosts; h++) q.push(exponential(random, 100), ASK, h, 0); // all within a second or so
  const started = performance.now();
  while (sim.next()) {
    const now = q.time;
    switch (q.kind) {
      case ASK: {
        const h = q.a;
        if (gen[h] === 0 && refusals[h] === -1) break; // established
        const g = Math.abs(gen[h]!) + 1;
        if (waves !== undefined) {
          const wait = waves.enter(now);
          if (wait > 0) {
            gen[h] = -g;
            q.push(now + wait + random.next() * wait, ASK, h, 0);
            break;
          }
        }
        if (admit !== undefined && random.next() >= admit.acceptProbability(throttle, 'critical', length, maxQueue)) {
          gen[h] = -g;
          waves?.leave();
          refuse(h, now);
          break;
        }
        gen[h] = g;
        if (length === cap) grow();
        const j = (head + length) & (cap - 1);
        rHost[j] = h;
        rGen[j] = g;
        rAt[j] = now;
        length++;
        if (length > peak) peak = length;
        q.push(now + timeout, GIVE_UP, h, g);
        dispatch(now);
        break;
      }
      case DONE: {
        const w = q.a;
        const h = wHost[w]!;
        free.push(w);
        done++;
        waves?.leave();
        if (gen[h] === wGen[w] && refusals[h] !== -1) {
          gen[h] = 0;
          refusals[h] = -1; // established: the host is done
          established++;
          countAt(perMinute, 60_000, now);
          if (established === hosts) recoveredAt = now;
        } else wasted++;
        dispatch(now);
        break;
      }
      case GIVE_UP: {
        const h = q.a;
        if (gen[h] !== q.b || refusals[h] === -1) break; // answered, refused, or re-asked
        q.push(now, ASK, h, 0); // give up on this request and ask again at once (re-queued)
        break;
      }
    }
  }
  const stats = sim.stats(started);
  return {
    admission: admit === undefined ? 'none' : 'admit',
    hosts,
    leases_per_min: perMinute,
    recovered_s: recoveredAt === null ? null : recoveredAt / 1000,
    established,
    wasted_share: done > 0 ? wasted / done : 0,
    peak_queue: peak,
    ...runCost(stats),
  };
}
