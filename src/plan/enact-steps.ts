/**
 * The steps every enactor takes, written once: the options they share, picking up the newest plan of
 * a target, the attempt loop that retries a failing provider write, committing the active pointer,
 * clean-up, and journaling each decision. An enactor is the check it makes before it writes and how
 * it writes and cleans up; it plugs those into {@link EnactSteps.enact}.
 *
 * The production {@link Enactor} plugs in its fence and guards, re-checked on every attempt. The lab's
 * 2025-10-20 enactor (`lab/race/legacy-enactor.ts`) plugs in its one-time freshness check and its
 * unconditional write. Internal to the package: not exported from `failsmall/plan`, so the public
 * {@link Enactor} stays safe-only.
 */
import type diagnostics from 'node:diagnostics_channel';
import { systemClock, type Clock } from '../core/clock.js';
import { Emitter } from '../core/events.js';
import { invalid, nonNegativeInteger, positiveInteger } from '../core/validate.js';
import type { EnactorEvent, EnactorOptions, EnactOutcome, Gate } from './enactor.js';
import type { ActiveCondition, Json, JournalDecision, JournalInput, PlanStore } from './store.js';
import type { DnsProvider, Plan } from './types.js';

/** The options every enactor has (see {@link EnactorOptions} for each). */
export type StepOptions = Pick<
  EnactorOptions,
  'name' | 'store' | 'provider' | 'targets' | 'clock' | 'keep' | 'maxAttempts' | 'gate'
>;

const STEP_KEYS = ['name', 'store', 'provider', 'targets', 'clock', 'keep', 'maxAttempts', 'gate'];

/** A failure {@link EnactSteps.enact} retries; see {@link retryable}. */
class Retry {
  constructor(readonly error: unknown) {}
}

/**
 * Marks a failure of `effect` (a provider read or write) as one the attempt loop retries, up to
 * `maxAttempts`; any other failure (the store is down) propagates at once.
 */
export async function retryable<T>(effect: Promise<T>): Promise<T> {
  try {
    return await effect;
  } catch (error) {
    throw new Retry(error);
  }
}

/** What one attempt came to: the write went through (with the details to journal), or a decision. */
export type Attempt = { readonly written: Json | undefined } | { readonly done: EnactOutcome };

/** How an enactor applies a plan, plugged into {@link EnactSteps.enact}. */
export interface EnactVariant {
  /**
   * One attempt, after the `apply` gate: checks what it must, then writes through {@link retryable}.
   * Returns `{ done }` to end with a decision (dropped, refused), `{ written }` once the write landed.
   */
  attempt(): Promise<Attempt>;
  /** The journal's reason for a write that failed `maxAttempts` times with `error`. */
  failure(error: unknown): string;
  /** The journal's reason for the applied decision. */
  readonly reason: string;
  /** The condition of the active pointer's write, default none (unconditional). */
  readonly condition?: ActiveCondition;
  /** Clean-up after the commit. */
  cleanup(): Promise<void>;
}

/**
 * The state and steps an enactor shares with every other (see the file comment). Its fields are the
 * validated options.
 */
export class EnactSteps {
  readonly name: string;
  readonly events = new Emitter<EnactorEvent>();
  readonly store: PlanStore;
  readonly provider: DnsProvider;
  readonly targets: readonly string[];
  readonly clock: Clock;
  readonly keep: number;
  readonly maxAttempts: number;
  readonly gate: Gate | undefined;
  /** Per target, the newest generation this enactor has dealt with. */
  readonly seen = new Map<string, number>();
  readonly counts: Record<EnactOutcome['outcome'], number> = {
    idle: 0,
    applied: 0,
    refused: 0,
    dropped: 0,
    failed: 0,
  };
  readonly #decisions: diagnostics.Channel | undefined;

  /**
   * Validates `options`: the shared ones and `extraKeys` (checked by the enactor) are allowed, any
   * other key is refused. Decisions are published on `decisions` too, when given.
   */
  constructor(kind: string, options: StepOptions, extraKeys: readonly string[], decisions?: diagnostics.Channel) {
    const allowed = new Set([...STEP_KEYS, ...extraKeys]);
    for (const key of Object.keys(options ?? {})) {
      if (!allowed.has(key))
        invalid(key, `absent: ${kind} has no such option`, (options as unknown as Record<string, unknown>)[key]);
    }
    if (typeof options.name !== 'string' || options.name === '') invalid('name', 'a non-empty string', options.name);
    if (!Array.isArray(options.targets)) invalid('targets', 'an array of strings', options.targets);
    this.name = options.name;
    this.store = options.store;
    this.provider = options.provider;
    this.targets = [...options.targets];
    this.clock = options.clock ?? systemClock;
    this.keep = nonNegativeInteger('keep', options.keep ?? 10);
    this.maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 3);
    this.gate = options.gate;
    this.#decisions = decisions;
  }

  /** One pass over every target with `enactTarget`. */
  async runOnce(enactTarget: (target: string) => Promise<EnactOutcome>): Promise<EnactOutcome[]> {
    const outcomes: EnactOutcome[] = [];
    for (const target of this.targets) outcomes.push(await enactTarget(target));
    return outcomes;
  }

  /** Picks up the newest plan of `target` and hands it to `enact`, if it was not dealt with yet. */
  async pickUp(target: string, enact: (plan: Plan) => Promise<EnactOutcome>): Promise<EnactOutcome> {
    await this.gate?.('pickup', { target });
    const plan = (await this.store.latestPlan(target)) as Plan | undefined;
    if (plan === undefined || plan.generation <= (this.seen.get(target) ?? 0)) {
      return this.count({ target, generation: 0, outcome: 'idle', reason: 'nothing-new' });
    }
    this.seen.set(target, plan.generation);
    return enact(plan);
  }

  /**
   * The step sequence: attempts of `variant` (each after the `apply` gate) until one writes or
   * decides, a retryable failure retried up to `maxAttempts` times; then the `commit` gate, the
   * active pointer, the applied decision, and clean-up.
   */
  async enact(plan: Plan, variant: EnactVariant): Promise<EnactOutcome> {
    const { target, generation } = plan;
    let written: Json | undefined;
    for (let attempt = 1; ; attempt++) {
      await this.gate?.('apply', { target, generation });
      try {
        const result = await variant.attempt();
        if ('done' in result) return result.done;
        written = result.written;
        break;
      } catch (error) {
        if (!(error instanceof Retry)) throw error;
        if (attempt >= this.maxAttempts) {
          const reason = variant.failure(error.error);
          await this.journal(target, generation, 'failed', reason, { attempts: attempt, error: String(error.error) });
          return this.count({ target, generation, outcome: 'failed', reason });
        }
      }
    }
    await this.gate?.('commit', { target, generation });
    await this.store.setActive(target, { generation, at: this.clock.now(), by: this.name }, variant.condition);
    await this.journal(target, generation, 'applied', variant.reason, written);
    await variant.cleanup();
    return this.count({ target, generation, outcome: 'applied', reason: 'ok' });
  }

  /** Journals and counts a plan dropped for `reason`. */
  async drop(target: string, generation: number, reason: string, details: Json): Promise<EnactOutcome> {
    await this.journal(target, generation, 'dropped', reason, details);
    return this.count({ target, generation, outcome: 'dropped', reason });
  }

  /** A journal entry by this enactor, now. */
  entry(target: string, generation: number, decision: JournalDecision, reason: string, details?: Json): JournalInput {
    const at = this.clock.now();
    return details === undefined
      ? { target, generation, actor: this.name, decision, reason, at }
      : { target, generation, actor: this.name, decision, reason, at, details };
  }

  /** Appends a decision to the journal and emits it. */
  async journal(
    target: string,
    generation: number,
    decision: JournalDecision,
    reason: string,
    details?: Json,
  ): Promise<void> {
    const entry = this.entry(target, generation, decision, reason, details);
    await this.store.appendJournal(entry);
    if (this.events.hasListeners) this.events.emit({ type: 'decision', entry });
    if (this.#decisions?.hasSubscribers === true) this.#decisions.publish(entry);
  }

  /** Counts `outcome` and returns it. */
  count(outcome: EnactOutcome): EnactOutcome {
    this.counts[outcome.outcome]++;
    return outcome;
  }

  /** Plain JSON for metrics: name, targets, outcome counts and the newest generation seen per target. */
  snapshot(): Record<string, unknown> {
    return {
      name: this.name,
      targets: this.targets.length,
      outcomes: { ...this.counts },
      seen: Object.fromEntries(this.seen),
    };
  }
}
