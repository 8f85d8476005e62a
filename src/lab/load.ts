/**
 * Open-loop load: Poisson arrivals at a fixed rate, each arrival one logical request handed to every
 * client group at the same instant, whatever the groups are doing. Open loop matters: a closed loop
 * (a fixed set of callers waiting for each other) slows down when the service does, and hides the
 * storm; real traffic keeps arriving. Bounded in count, in time and in requests outstanding.
 *
 * Each logical request records its outcome, its latency, and how many HTTP attempts it caused (the
 * group's function counts them in {@link RequestContext.attempts}), so amplification is
 * attempts / logical requests.
 *
 * @see https://www.usenix.org/conference/nsdi-06/open-versus-closed-cautionary-tale (Schroeder et al., open versus closed)
 */
import { setMaxListeners } from 'node:events';
import { abortReason, exponential, FailsmallError, seededRandom, systemClock, validate } from '../core/index.js';
import type { Clock, Random } from '../core/index.js';

/** One logical request as a group's function sees it. */
export interface RequestContext {
  /** Unique over the run and the group: `<group>:<index>`. */
  readonly id: string;
  /** The arrival's index, 0-based, the same for every group. */
  readonly index: number;
  readonly group: string;
  readonly kind: 'read' | 'write';
  /** The key to read or write, `item-<n>`. */
  readonly key: string;
  /** Aborts at the request's deadline. */
  readonly signal: AbortSignal;
  /** HTTP attempts so far: the group's function adds to it as it sends them. */
  attempts: number;
}

/** A client group: performs one logical request; resolves on success, throws on failure. */
export type GroupFunction = (request: RequestContext) => Promise<void>;

/** What happened to one logical request in one group. */
export interface Outcome {
  readonly group: string;
  readonly index: number;
  readonly kind: 'read' | 'write';
  /** Issue time, scenario seconds. */
  readonly startS: number;
  /** Latency, real milliseconds (the deadline when it timed out). */
  readonly latencyMs: number;
  readonly ok: boolean;
  /** HTTP attempts it caused (at least 1 unless it failed before sending anything). */
  readonly attempts: number;
  /** A short error class when it failed: an error `code`, `name`, or `timeout`. */
  readonly error?: string;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  /** Mean arrivals per real second (each arrival goes to every group). */
  readonly rate: number;
  /** Stop issuing after this long, real milliseconds. */
  readonly durationMs: number;
  /** Stop issuing after this many arrivals; default 1,000,000. */
  readonly maxRequests?: number;
  /** Deadline of one logical request, real milliseconds; its signal aborts then. */
  readonly timeoutMs: number;
  /** Draws the arrival gaps, kinds and keys. */
  readonly random: Random;
  /** Share of reads, default 1. */
  readonly readShare?: number;
  /** Keys are `item-0` … `item-<keys-1>`; default 1000. */
  readonly keys?: number;
  /** The client groups, by name. */
  readonly groups: Readonly<Record<string, GroupFunction>>;
  /** Schedules arrivals and deadlines, real time; default {@link systemClock}. */
  readonly clock?: Clock;
  /** Timestamps outcomes (its `now()` in milliseconds, reported in seconds); default `clock`. */
  readonly scenarioClock?: Pick<Clock, 'now'>;
  /** Most requests outstanding per group; an arrival beyond it is recorded as failed (`overflow`). Default 10,000. */
  readonly maxInFlight?: number;
  /** Called with each outcome as it settles (the progress display). */
  readonly onOutcome?: (outcome: Outcome) => void;
  /** Stops issuing; outstanding requests are aborted. */
  readonly signal?: AbortSignal;
}

/** What {@link runLoad} returns. */
export interface LoadResult {
  /** Every outcome, in the order they settled. */
  readonly outcomes: Outcome[];
  /** Arrivals issued (each to every group). */
  readonly arrivals: number;
  /** Real milliseconds from the first arrival to the last outcome. */
  readonly elapsedMs: number;
}

/** What every kind of scenario says about its load: the arrivals' seed, the items, the load section. */
export interface ScenarioLoad {
  readonly seed: number;
  readonly table: { readonly items: number };
  readonly load: {
    readonly rate: number;
    readonly readShare: number;
    readonly timeoutMs: number;
    readonly maxRequests: number;
  };
}

/**
 * The options of {@link runLoad} that a scenario sets, for `groups`: rate, deadline, bound, read
 * share and keys from the scenario, arrivals drawn from its seed. The run adds its duration and clocks.
 */
export function scenarioLoad(
  scenario: ScenarioLoad,
  groups: readonly { readonly name: string; readonly run: GroupFunction }[],
): Pick<LoadOptions, 'rate' | 'maxRequests' | 'timeoutMs' | 'random' | 'readShare' | 'keys' | 'groups'> {
  return {
    rate: scenario.load.rate,
    maxRequests: scenario.load.maxRequests,
    timeoutMs: scenario.load.timeoutMs,
    random: seededRandom(scenario.seed),
    readShare: scenario.load.readShare,
    keys: scenario.table.items,
    groups: Object.fromEntries(groups.map((g) => [g.name, g.run])),
  };
}

function errorClass(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const e = error as { code?: unknown; name?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    if (typeof e.name === 'string' && e.name !== '' && e.name !== 'Error') return e.name;
    if (e.cause !== undefined) return errorClass(e.cause);
  }
  return 'error';
}

/**
 * Runs the load until `durationMs` or `maxRequests`, then waits for every outstanding request
 * (each ends by its deadline at the latest).
 *
 * @example
 * const { outcomes } = await runLoad({
 *   rate: 50, durationMs: 10_000, timeoutMs: 2_000, random: seededRandom(1),
 *   groups: { baseline: async (req) => { req.attempts++; await callService(req.key, req.signal); } },
 * });
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const rate = validate.positiveNumber('rate', options.rate);
  const durationMs = validate.nonNegativeNumber('durationMs', options.durationMs);
  const maxRequests = validate.positiveInteger('maxRequests', options.maxRequests ?? 1_000_000);
  const timeoutMs = validate.positiveNumber('timeoutMs', options.timeoutMs);
  const readShare = validate.ratio('readShare', options.readShare ?? 1);
  const keys = validate.positiveInteger('keys', options.keys ?? 1000);
  const maxInFlight = validate.positiveInteger('maxInFlight', options.maxInFlight ?? 10_000);
  const clock = options.clock ?? systemClock;
  const scenarioClock = options.scenarioClock ?? clock;
  const groups = Object.entries(options.groups);
  if (groups.length === 0) validate.invalid('groups', 'at least one group', options.groups);
  for (const [name, fn] of groups) validate.func(`groups.${name}`, fn);
  const random = options.random;
  const signal = options.signal;

  const outcomes: Outcome[] = [];
  const inFlight = new Map<string, number>(groups.map(([name]) => [name, 0]));
  const pending = new Set<Promise<void>>();
  const stop = new AbortController();
  // Every outstanding request listens on it: up to maxInFlight per group.
  setMaxListeners(maxInFlight * groups.length + 16, stop.signal);
  const onStop = (): void => stop.abort(abortReason(signal!));
  signal?.addEventListener('abort', onStop, { once: true });

  const record = (outcome: Outcome): void => {
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  };

  const issue = (index: number, kind: 'read' | 'write', key: string): void => {
    const startS = scenarioClock.now() / 1000;
    for (const [group, fn] of groups) {
      if (inFlight.get(group)! >= maxInFlight) {
        record({ group, index, kind, startS, latencyMs: 0, ok: false, attempts: 0, error: 'overflow' });
        continue;
      }
      const started = clock.now();
      const deadline = new AbortController();
      const context: RequestContext = {
        id: `${group}:${index}`,
        index,
        group,
        kind,
        key,
        signal: deadline.signal,
        attempts: 0,
      };
      let settled = false;
      const settle = (ok: boolean, error?: string): void => {
        if (settled) return;
        settled = true;
        cancelTimer();
        stop.signal.removeEventListener('abort', onAbort);
        inFlight.set(group, inFlight.get(group)! - 1);
        const outcome: Outcome = {
          group,
          index,
          kind,
          startS,
          latencyMs: clock.now() - started,
          ok,
          attempts: context.attempts,
          ...(error === undefined ? {} : { error }),
        };
        record(outcome);
      };
      const onAbort = (): void => {
        deadline.abort(new FailsmallError('FS_ERR_ABORTED', 'The load was stopped'));
        settle(false, 'aborted');
      };
      const cancelTimer = clock.setTimer(() => {
        deadline.abort(new FailsmallError('FS_ERR_LAB_TIMEOUT', `The request missed its ${timeoutMs} ms deadline`));
        settle(false, 'timeout');
      }, timeoutMs);
      stop.signal.addEventListener('abort', onAbort, { once: true });
      inFlight.set(group, inFlight.get(group)! + 1);
      let call: Promise<void>;
      try {
        call = Promise.resolve(fn(context));
      } catch (error) {
        call = Promise.reject(error);
      }
      const done = call.then(
        () => settle(true),
        (error: unknown) => settle(false, deadline.signal.aborted ? 'timeout' : errorClass(error)),
      );
      pending.add(done);
      void done.finally(() => pending.delete(done));
    }
  };

  const start = clock.now();
  let arrivals = 0;
  let next = start + exponential(random, 1000 / rate);
  try {
    while (arrivals < maxRequests && next - start <= durationMs && !stop.signal.aborted) {
      const wait = next - clock.now();
      if (wait > 0) {
        try {
          await clock.sleep(wait, stop.signal);
        } catch {
          break;
        }
      }
      const kind = random.next() < readShare ? 'read' : 'write';
      const key = `item-${Math.floor(random.next() * keys)}`;
      issue(arrivals, kind, key);
      arrivals++;
      next += exponential(random, 1000 / rate);
    }
    // Every request ends by its deadline; wait for them (a bounded number of rounds).
    for (let round = 0; pending.size > 0 && round < 1_000_000; round++) await Promise.race(pending);
  } finally {
    signal?.removeEventListener('abort', onStop);
  }
  return { outcomes, arrivals, elapsedMs: clock.now() - start };
}
