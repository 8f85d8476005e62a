/**
 * A {@link PlanStore} in memory: for the model, the property tests and a single-process setup that
 * needs no durability. Every method is atomic because it runs to completion without awaiting.
 */
import { FailsmallError } from '../core/errors.js';
import type {
  ActiveCondition,
  ActivePointer,
  Json,
  JournalEntry,
  JournalInput,
  JournalQuery,
  PlanDeletion,
  PlanQuery,
  PlanStore,
  SetActiveResult,
  StoredPlan,
} from './store.js';
import {
  checkActiveWrite,
  checkJournalInput,
  checkJournalQuery,
  checkPlanDeletion,
  checkPlanKey,
  checkPlanQuery,
  checkTarget,
  toJsonText,
} from './store-checks.js';
import { finiteNumber } from '../core/validate.js';

interface TargetState {
  lastGeneration: number;
  /** generation → plan, kept sorted by insertion (generations only grow). */
  readonly plans: Map<number, StoredPlan>;
  active: ActivePointer | undefined;
}

/**
 * Plans, active pointers and the journal in memory. Bodies are copied in and out as JSON, as a real
 * database would, so a caller can never mutate a stored plan.
 *
 * @example
 * const store = new MemoryPlanStore();
 * const plan = await store.createPlan('api.example.com/A', body, { at: 0, by: 'planner' });
 */
export class MemoryPlanStore implements PlanStore {
  readonly kind = 'memory';
  readonly #targets = new Map<string, TargetState>();
  readonly #journal: JournalEntry[] = [];
  #closed = false;
  /** Copy bodies through JSON on the way in and out (default true); the model turns it off for speed. */
  readonly #copy: boolean;

  /** @param options.copy - copy bodies through JSON (default true: a stored plan is immutable). */
  constructor(options: { copy?: boolean } = {}) {
    this.#copy = options.copy ?? true;
  }

  #open(): void {
    if (this.#closed) throw new FailsmallError('FS_ERR_STORE_CLOSED', 'The plan store is closed');
  }

  #state(target: string): TargetState {
    let state = this.#targets.get(target);
    if (state === undefined) {
      state = { lastGeneration: 0, plans: new Map(), active: undefined };
      this.#targets.set(target, state);
    }
    return state;
  }

  #out(plan: StoredPlan): StoredPlan {
    return this.#copy ? { ...plan, body: JSON.parse(JSON.stringify(plan.body)) as Json } : plan;
  }

  async createPlan<B extends Json>(target: string, body: B, meta: { at: number; by: string }): Promise<StoredPlan<B>> {
    this.#open();
    checkTarget(target);
    finiteNumber('at', meta.at);
    const text = this.#copy ? toJsonText('body', body) : '';
    const state = this.#state(target);
    const generation = ++state.lastGeneration;
    const stored: StoredPlan = {
      target,
      generation,
      createdAt: meta.at,
      createdBy: String(meta.by),
      body: this.#copy ? (JSON.parse(text) as Json) : body,
    };
    state.plans.set(generation, stored);
    return this.#out(stored) as StoredPlan<B>;
  }

  async getPlan(target: string, generation: number): Promise<StoredPlan | undefined> {
    this.#open();
    checkPlanKey(target, generation);
    const plan = this.#targets.get(target)?.plans.get(generation);
    return plan === undefined ? undefined : this.#out(plan);
  }

  async latestPlan(target: string): Promise<StoredPlan | undefined> {
    this.#open();
    checkTarget(target);
    const state = this.#targets.get(target);
    if (state === undefined) return undefined;
    let best: StoredPlan | undefined;
    for (const plan of state.plans.values()) if (best === undefined || plan.generation > best.generation) best = plan;
    return best === undefined ? undefined : this.#out(best);
  }

  async listPlans(target: string, query: PlanQuery = {}): Promise<StoredPlan[]> {
    this.#open();
    checkTarget(target);
    const bounds = checkPlanQuery(query);
    const below = bounds.below ?? Infinity;
    const above = bounds.above ?? -Infinity;
    const plans = [...(this.#targets.get(target)?.plans.values() ?? [])]
      .filter((p) => p.generation < below && p.generation > above)
      .sort((a, b) => a.generation - b.generation);
    return plans.map((p) => this.#out(p));
  }

  async deletePlans(target: string, which: PlanDeletion): Promise<number[]> {
    this.#open();
    checkTarget(target);
    const checked = checkPlanDeletion(which);
    const except = new Set(checked.except);
    const state = this.#targets.get(target);
    if (state === undefined) return [];
    const deleted: number[] = [];
    for (const generation of state.plans.keys()) {
      if (generation < checked.below && !except.has(generation)) deleted.push(generation);
    }
    for (const generation of deleted) state.plans.delete(generation);
    return deleted.sort((a, b) => a - b);
  }

  async getActive(target: string): Promise<ActivePointer | undefined> {
    this.#open();
    checkTarget(target);
    return this.#targets.get(target)?.active;
  }

  async setActive(
    target: string,
    next: { generation: number; at: number; by: string },
    condition?: ActiveCondition,
  ): Promise<SetActiveResult> {
    this.#open();
    checkTarget(target);
    checkActiveWrite(next);
    const state = this.#state(target);
    const current = state.active;
    if (condition !== undefined) {
      if ('onlyForward' in condition) {
        if (current !== undefined && current.generation >= next.generation) return { ok: false, current };
      } else if ((current?.generation ?? null) !== condition.expectedGeneration) {
        return { ok: false, current };
      }
    }
    state.active = { target, generation: next.generation, updatedAt: next.at, updatedBy: next.by };
    return { ok: true, current: state.active };
  }

  async appendJournal(entry: JournalInput): Promise<JournalEntry> {
    this.#open();
    checkJournalInput(entry);
    const details = entry.details === undefined ? null : entry.details;
    if (this.#copy) toJsonText('details', details);
    const stored: JournalEntry = { ...entry, details, seq: this.#journal.length + 1 };
    this.#journal.push(stored);
    return stored;
  }

  async readJournal(query: JournalQuery = {}): Promise<JournalEntry[]> {
    this.#open();
    const { afterSeq: after, target, decision, newestFirst, limit: max } = checkJournalQuery(query);
    const limit = max ?? Infinity;
    const match = (entry: JournalEntry): boolean =>
      (target === undefined || entry.target === target) && (decision === undefined || entry.decision === decision);
    const out: JournalEntry[] = [];
    if (newestFirst) {
      for (let i = this.#journal.length - 1; i >= after && out.length < limit; i--) {
        if (match(this.#journal[i]!)) out.push(this.#journal[i]!);
      }
    } else {
      for (let i = after; i < this.#journal.length && out.length < limit; i++) {
        if (match(this.#journal[i]!)) out.push(this.#journal[i]!);
      }
    }
    return out;
  }

  snapshot(): Record<string, unknown> {
    let plans = 0;
    for (const state of this.#targets.values()) plans += state.plans.size;
    return { kind: this.kind, targets: this.#targets.size, plans, journal: this.#journal.length, closed: this.#closed };
  }

  async close(): Promise<void> {
    this.#closed = true;
  }
}
