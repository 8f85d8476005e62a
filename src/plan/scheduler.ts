/**
 * A deterministic scheduler for asynchronous actors. Each actor is an async function that awaits a
 * {@link Gate} before every effect; exactly one actor runs at a time, from one gate to the next, and a
 * {@link SchedulePolicy} decides who goes next, or crashes an actor at its gate (its work is abandoned
 * where it stands, as when a host dies, and a fresh incarnation starts from scratch). The same actors,
 * policies and seeds give the same interleaving on every run, also against a real server on loopback,
 * because the scheduler waits for each step to reach its next gate before choosing again.
 *
 * Time is a {@link VirtualClock}: a policy may give each step a duration (a delay), and the clock
 * jumps to the moment the chosen step is due.
 */
import type { VirtualClock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import type { Gate, GateInfo } from './enactor.js';

/** An actor as a policy sees it, parked at a gate. */
export interface ActorView {
  /** Unique per incarnation. */
  readonly id: number;
  /** Its role, stable across restarts: `planner`, `enactor-1` … */
  readonly name: string;
  /** Its fixed position among the roles (0-based), stable across restarts. */
  readonly slot: number;
  /** 1 for the first incarnation, 2 after the first restart … */
  readonly incarnation: number;
  /** The gate it waits at: `pickup`, `apply`, `commit`, `cleanup`, `delete`, `plan`, `idle` … */
  readonly label: string;
  readonly info: GateInfo;
  /** When its next step is due, in clock milliseconds. */
  readonly readyAt: number;
  /** Whether it may be crashed (and restarted). */
  readonly crashable: boolean;
}

/** A policy's choice. */
export interface ScheduleDecision {
  /** The `id` of a parked actor. */
  readonly actor: number;
  /** Run its next step, or crash it at its gate. */
  readonly action: 'step' | 'crash';
}

/** Chooses the interleaving. */
export interface SchedulePolicy {
  /**
   * The next step among the parked actors (never empty, in slot order), or `undefined` to hand over to the drain
   * phase: round-robin, no crashes, until every actor has finished.
   */
  choose(now: number, parked: readonly ActorView[]): ScheduleDecision | undefined;
  /** How long the step an actor just parked for takes, in milliseconds (default 0). */
  duration?(now: number, actor: Omit<ActorView, 'readyAt'>): number;
}

/** One executed step, for traces and counterexamples. */
export interface ScheduleStep {
  readonly at: number;
  readonly actor: string;
  readonly incarnation: number;
  readonly action: 'step' | 'crash';
  readonly label: string;
  readonly info: GateInfo;
}

/** An actor's body: it receives the gate to await before every effect. */
export type ActorBody = (gate: Gate, incarnation: number) => Promise<void>;

interface Actor {
  readonly id: number;
  readonly name: string;
  readonly slot: number;
  readonly incarnation: number;
  readonly body: ActorBody;
  readonly crashable: boolean;
  status: 'running' | 'parked' | 'done' | 'crashed';
  label: string;
  info: GateInfo;
  readyAt: number;
  resume: (() => void) | undefined;
  onPark: (() => void) | undefined;
  error: unknown;
}

/** The outcome of {@link Scheduler.run}. */
export interface ScheduleResult {
  readonly steps: number;
  readonly crashes: number;
  /** Steps taken by the policy before the drain phase. */
  readonly explored: number;
  /** Errors thrown by actor bodies (bugs: an actor should handle its own failures). */
  readonly errors: readonly { actor: string; error: unknown }[];
}

/** Options of {@link Scheduler}. */
export interface SchedulerOptions {
  readonly clock: VirtualClock;
  readonly policy: SchedulePolicy;
  /** Stop with `FS_ERR_PLAN_SCHEDULE_LIMIT` past this many steps, default 100,000 (a livelock guard). */
  readonly maxSteps?: number;
  /** Called before every step runs (or a crash), synchronously: the place to trace the interleaving. */
  readonly beforeStep?: (step: ScheduleStep) => void;
  /** Called after every step, awaited: the place to observe the world (invariant monitors). */
  readonly afterStep?: (step: ScheduleStep) => Promise<void> | void;
}

/**
 * Runs actors one step at a time in the order a policy chooses.
 *
 * @example
 * const scheduler = new Scheduler({ clock: new VirtualClock(), policy: roundRobin() });
 * scheduler.spawn('planner', async (gate) => { await gate('plan', { target }); await planner.publish(body); });
 * await scheduler.run();
 */
export class Scheduler {
  readonly #clock: VirtualClock;
  readonly #policy: SchedulePolicy;
  readonly #maxSteps: number;
  readonly #afterStep: SchedulerOptions['afterStep'];
  readonly #beforeStep: SchedulerOptions['beforeStep'];
  readonly #actors: Actor[] = [];
  readonly #errors: { actor: string; error: unknown }[] = [];
  #nextId = 1;
  #draining = false;
  #rr = 0;

  constructor(options: SchedulerOptions) {
    this.#clock = options.clock;
    this.#policy = options.policy;
    this.#maxSteps = options.maxSteps ?? 100_000;
    this.#afterStep = options.afterStep;
    this.#beforeStep = options.beforeStep;
  }

  /** Adds an actor; it starts running at once up to its first gate (when {@link run} starts). */
  spawn(name: string, body: ActorBody, options: { crashable?: boolean } = {}): void {
    const slot = new Set(this.#actors.map((a) => a.name)).size;
    this.#actors.push(this.#make(name, slot, 1, body, options.crashable ?? false));
  }

  #make(name: string, slot: number, incarnation: number, body: ActorBody, crashable: boolean): Actor {
    return {
      id: this.#nextId++,
      name,
      slot,
      incarnation,
      body,
      crashable,
      status: 'running',
      label: 'start',
      info: { target: '' },
      readyAt: this.#clock.now(),
      resume: undefined,
      onPark: undefined,
      error: undefined,
    };
  }

  #start(actor: Actor): Promise<void> {
    const parked = this.#parked(actor);
    const gate: Gate = (label, info) =>
      new Promise<void>((resolve) => {
        actor.label = label;
        actor.info = info;
        actor.status = 'parked';
        actor.resume = resolve;
        actor.readyAt = this.#clock.now() + Math.max(0, this.#policy.duration?.(this.#clock.now(), actor) ?? 0);
        const notify = actor.onPark;
        actor.onPark = undefined;
        notify?.();
      });
    actor.body(gate, actor.incarnation).then(
      () => this.#finish(actor, undefined),
      (error: unknown) => this.#finish(actor, error ?? new Error('actor rejected')),
    );
    return parked;
  }

  #finish(actor: Actor, error: unknown): void {
    if (actor.status === 'crashed') return;
    actor.status = 'done';
    if (error !== undefined) {
      actor.error = error;
      this.#errors.push({ actor: actor.name, error });
    }
    const notify = actor.onPark;
    actor.onPark = undefined;
    notify?.();
  }

  #parked(actor: Actor): Promise<void> {
    return new Promise<void>((resolve) => {
      actor.onPark = resolve;
    });
  }

  /** Runs until every actor has finished. */
  async run(): Promise<ScheduleResult> {
    for (const actor of [...this.#actors]) await this.#start(actor);
    let steps = 0;
    let crashes = 0;
    let explored = 0;
    for (;;) {
      const parked = this.#actors.filter((a) => a.status === 'parked');
      if (parked.length === 0) break;
      if (steps >= this.#maxSteps) {
        throw new FailsmallError('FS_ERR_PLAN_SCHEDULE_LIMIT', `The schedule ran past ${this.#maxSteps} steps`, {
          details: { steps, parked: parked.map((a) => `${a.name}@${a.label}`) },
        });
      }
      let decision: ScheduleDecision | undefined;
      if (!this.#draining) {
        decision = this.#policy.choose(this.#clock.now(), parked);
        if (decision === undefined) this.#draining = true;
        else explored++;
      }
      let actor: Actor;
      let action: 'step' | 'crash' = 'step';
      if (decision === undefined) {
        // Drain: round-robin over the roles, earliest due first within a turn.
        parked.sort((a, b) => a.slot - b.slot);
        actor = parked.find((a) => a.slot >= this.#rr) ?? parked[0]!;
        this.#rr = actor.slot + 1;
      } else {
        const chosen = parked.find((a) => a.id === decision.actor);
        if (chosen === undefined) {
          throw new FailsmallError(
            'FS_ERR_INVALID_ARGUMENT',
            `The policy chose actor ${decision.actor}, which is not parked`,
          );
        }
        actor = chosen;
        action = decision.action === 'crash' && chosen.crashable ? 'crash' : 'step';
      }
      if (actor.readyAt > this.#clock.now()) this.#clock.tick(actor.readyAt - this.#clock.now());
      steps++;
      const step: ScheduleStep = {
        at: this.#clock.now(),
        actor: actor.name,
        incarnation: actor.incarnation,
        action,
        label: actor.label,
        info: actor.info,
      };
      this.#beforeStep?.(step);
      if (action === 'crash') {
        crashes++;
        actor.status = 'crashed';
        actor.resume = undefined; // abandoned where it stands: nothing after its gate runs
        const next = this.#make(actor.name, actor.slot, actor.incarnation + 1, actor.body, actor.crashable);
        this.#actors[this.#actors.indexOf(actor)] = next;
        await this.#afterStep?.(step);
        await this.#start(next);
        continue;
      }
      actor.status = 'running';
      const parkedAgain = this.#parked(actor);
      const resume = actor.resume!;
      actor.resume = undefined;
      resume();
      await parkedAgain;
      await this.#afterStep?.(step);
    }
    return { steps, crashes, explored, errors: [...this.#errors] };
  }
}

/**
 * A policy driven by a list of numbers (what fast-check generates and shrinks): each number picks the
 * role `n % roles` (the next parked role after it when that one is not parked) and, when
 * `n >= crashAbove`, crashes it instead of stepping it, at most `maxCrashes` times. When the list runs
 * out, the drain phase finishes the run.
 */
export function choicePolicy(
  choices: readonly number[],
  options: { roles: number; crashAbove?: number; maxCrashes?: number; stepMs?: number },
): SchedulePolicy {
  let i = 0;
  let crashes = 0;
  const crashAbove = options.crashAbove ?? Infinity;
  const maxCrashes = options.maxCrashes ?? 0;
  const stepMs = options.stepMs ?? 10;
  return {
    choose(_now, parked) {
      if (i >= choices.length) return undefined;
      const n = choices[i++]!;
      const want = n % options.roles;
      const actor = parked.find((a) => a.slot >= want) ?? parked[0]!;
      if (n >= crashAbove && actor.crashable && crashes < maxCrashes) {
        crashes++;
        return { actor: actor.id, action: 'crash' };
      }
      return { actor: actor.id, action: 'step' };
    },
    duration: () => stepMs,
  };
}

/**
 * A time-driven policy: every step takes `duration(actor)` milliseconds and the earliest due step runs
 * first; ties go to the lower role. What the CLI's race uses, with one enactor's apply delayed.
 */
export function timedPolicy(duration: (now: number, actor: Omit<ActorView, 'readyAt'>) => number): SchedulePolicy {
  return {
    choose(_now, parked) {
      let best = parked[0]!;
      for (const a of parked)
        if (a.readyAt < best.readyAt || (a.readyAt === best.readyAt && a.slot < best.slot)) best = a;
      return { actor: best.id, action: 'step' };
    },
    duration,
  };
}
