/**
 * The discrete-event engine: one event list ({@link EventQueue}), one seeded {@link Random}, one
 * clock that jumps from event to event. A model keeps its clients as rows of typed arrays and
 * handles events by kind in one function, so a million clients cost a few bytes each and no
 * closure. Runs are reproducible bit for bit from the seed.
 *
 * Policies are not copied into models: a model calls failsmall's own pure decision functions
 * (backoff, budgets, breaker state, throttles, admission) with `sim.now` and `sim.random`. For code
 * that wants a {@link Clock} (a policy shell), {@link Simulation.clock} adapts the engine to one.
 */
import type { Cancel, Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { seededRandom, type Random } from '../core/random.js';
import { duration, finiteNumber, invalid, positiveInteger } from '../core/validate.js';
import { EventQueue } from './event-queue.js';

/** Options of {@link Simulation}. */
export interface SimulationOptions {
  /** The seed of the run's random numbers. Required: a run is named by its seed. */
  readonly seed: number;
  /** Stop after this many events, default 10^9 (a bound on every run). */
  readonly maxEvents?: number;
  /** Stop at this simulated time, in ms, default Infinity (run until no event is left). */
  readonly until?: number;
  /** Initial room of the event list, in events; default 1024 (it grows). */
  readonly capacity?: number;
}

/** The cost of a run (measured, not a result of the model), as every model's result reports it. */
export interface RunCost {
  /** Events handled. */
  readonly events: number;
  /** Events handled per wall-clock second (0 when no time was measured). */
  readonly events_per_s: number;
  /** Wall-clock seconds the run took. */
  readonly wall_s: number;
}

/**
 * The {@link RunCost} of `events` handled in `wall_s` wall-clock seconds, and only that (a model's
 * result takes it from its {@link RunStats}, or from the sums of several runs).
 *
 * @example
 * runCost({ events: 2_000_000, wall_s: 0.5 }); // { events: 2000000, events_per_s: 4000000, wall_s: 0.5 }
 */
export function runCost(run: Pick<RunCost, 'events' | 'wall_s'>): RunCost {
  const { events, wall_s } = run;
  return { events, events_per_s: wall_s > 0 ? events / wall_s : 0, wall_s };
}

/** How a run ended, with its cost. */
export interface RunStats extends RunCost {
  /** Simulated time at the end, ms. */
  readonly simulated_ms: number;
  /** `empty` (no event left), `until` or `max-events`. */
  readonly stopped: 'empty' | 'until' | 'max-events';
}

/** Handles one event: `kind` and the two arguments the model pushed. */
export type EventHandler = (kind: number, a: number, b: number) => void;

/** Event kind reserved for {@link Simulation.clock} timers; models use kinds ≥ 0. */
const TIMER = -1;

/** One simulation run. */
export class Simulation {
  readonly random: Random;
  readonly queue: EventQueue;
  readonly seed: number;
  /** Simulated time of the event being handled, in ms. */
  now = 0;
  /** Events handled so far. */
  events = 0;
  readonly #maxEvents: number;
  readonly #until: number;
  readonly #timers: ((() => void) | undefined)[] = [];
  /** The generation of each timer slot, so a cancelled timer's event never fires the slot's next timer. */
  readonly #timerGen: number[] = [];
  readonly #freeTimers: number[] = [];
  #gen = 0;
  #stopped: RunStats['stopped'] = 'empty';

  constructor(options: SimulationOptions) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (key !== 'seed' && key !== 'maxEvents' && key !== 'until' && key !== 'capacity')
        invalid(key, 'a known option', key);
    }
    this.seed = finiteNumber('seed', options.seed);
    this.random = seededRandom(options.seed);
    this.#maxEvents = positiveInteger('maxEvents', options.maxEvents ?? 1e9);
    this.#until = duration('until', options.until ?? Infinity, true);
    this.queue = new EventQueue(positiveInteger('capacity', options.capacity ?? 1024));
  }

  /** Schedules an event `delay` ms from now. */
  schedule(delay: number, kind: number, a = 0, b = 0): void {
    this.queue.push(this.now + (delay > 0 ? delay : 0), kind, a, b);
  }

  /** Schedules an event at absolute time `time` (not before now). */
  at(time: number, kind: number, a = 0, b = 0): void {
    this.queue.push(time > this.now ? time : this.now, kind, a, b);
  }

  /**
   * Moves to the next model event within the bounds: pops it, sets `now`, counts it, and returns
   * true with the event in `queue.kind`, `queue.a`, `queue.b`; returns false when the run is over
   * (see {@link stopped}). Clock timers are handled here. This is the hot loop of a model, without
   * a handler call per event:
   *
   * ```ts
   * const started = performance.now();
   * while (sim.next()) switch (sim.queue.kind) { ... }
   * const stats = sim.stats(started);
   * ```
   */
  next(): boolean {
    const q = this.queue;
    for (;;) {
      // One test per bound on the hot path (each event), the cold ending apart: small enough to inline.
      if (q.size === 0 || this.events >= this.#maxEvents || q.peekTime() > this.#until) return this.#end();
      q.pop();
      this.now = q.time;
      this.events++;
      if (q.kind !== TIMER) return true;
      this.#fire(q.a, q.b);
    }
  }

  /** Records why the run ended (see {@link next}); false. */
  #end(): false {
    if (this.queue.size === 0) this.#stopped = 'empty';
    else if (this.events >= this.#maxEvents) this.#stopped = 'max-events';
    else {
      this.now = this.#until;
      this.#stopped = 'until';
    }
    return false;
  }

  /** Why the run stopped, once {@link next} returned false. */
  get stopped(): RunStats['stopped'] {
    return this.#stopped;
  }

  /** The cost of the run since `started` (a `performance.now()` reading) and `firstEvent` events. */
  stats(started: number, firstEvent = 0): RunStats {
    const cost = runCost({ events: this.events - firstEvent, wall_s: (performance.now() - started) / 1000 });
    return { ...cost, simulated_ms: this.now, stopped: this.#stopped };
  }

  /**
   * Runs events in time order through `handler` until none is left, `until` is reached, or
   * `maxEvents` were handled. Can be called again to go on. (Models on the hot path loop on
   * {@link next} instead, to save the call per event.)
   */
  run(handler: EventHandler): RunStats {
    const q = this.queue;
    const started = performance.now();
    const first = this.events;
    while (this.next()) handler(q.kind, q.a, q.b);
    return this.stats(started, first);
  }

  /**
   * The engine as a {@link Clock}, for code that schedules its own timers (a policy shell). Timers
   * are events of the run; `sleep` resolves when its event is handled (its continuation then runs
   * as a microtask, before the next event only if the model awaits it).
   */
  clock(): Clock {
    const setTimer = (fn: () => void, ms: number): Cancel => {
      const id = this.#freeTimers.pop() ?? this.#timers.length;
      const gen = (this.#gen = (this.#gen + 1) | 0);
      this.#timers[id] = fn;
      this.#timerGen[id] = gen;
      this.schedule(ms, TIMER, id, gen);
      return () => {
        if (this.#timerGen[id] === gen && this.#timers[id] !== undefined) this.#release(id);
      };
    };
    return {
      now: () => this.now,
      setTimer,
      sleep: (ms: number, signal?: AbortSignal) =>
        new Promise<void>((resolve, reject) => {
          if (signal?.aborted) return reject(signal.reason ?? new FailsmallError('FS_ERR_ABORTED', 'Aborted'));
          const cancel = setTimer(resolve, ms);
          signal?.addEventListener(
            'abort',
            () => {
              cancel();
              reject(signal.reason);
            },
            { once: true },
          );
        }),
    };
  }

  #fire(id: number, gen: number): void {
    const fn = this.#timers[id];
    if (fn === undefined || this.#timerGen[id] !== gen) return;
    this.#release(id);
    fn();
  }

  #release(id: number): void {
    this.#timers[id] = undefined;
    this.#freeTimers.push(id);
  }
}
