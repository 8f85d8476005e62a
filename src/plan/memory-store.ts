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
  SetActiveResult,
  StoredPlan,
} from './store.js';
import { PlanStoreBase } from './store-base.js';
import type { ActiveWrite, CheckedJournalQuery, CheckedPlanDeletion, PlanRange, PlanWrite } from './store-checks.js';

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
export class MemoryPlanStore extends PlanStoreBase {
  readonly kind = 'memory';
  readonly #targets = new Map<string, TargetState>();
  readonly #journal: JournalEntry[] = [];
  #closed = false;
  /**
   * @param options.copy - copy bodies through JSON on the way in and out (default true: a stored
   *   plan is immutable); the model turns it off for speed.
   */
  constructor(options: { copy?: boolean } = {}) {
    super(options.copy ?? true);
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
    return this.copies ? { ...plan, body: JSON.parse(JSON.stringify(plan.body)) as Json } : plan;
  }

  protected async insertPlan(target: string, write: PlanWrite): Promise<number> {
    this.#open();
    const state = this.#state(target);
    const generation = ++state.lastGeneration;
    state.plans.set(generation, {
      target,
      generation,
      createdAt: write.at,
      createdBy: write.by,
      body: this.copies ? (JSON.parse(write.text) as Json) : write.body,
    });
    return generation;
  }

  protected async selectPlan(target: string, generation: number): Promise<StoredPlan | undefined> {
    this.#open();
    const plan = this.#targets.get(target)?.plans.get(generation);
    return plan === undefined ? undefined : this.#out(plan);
  }

  protected async selectLatest(target: string): Promise<StoredPlan | undefined> {
    this.#open();
    const state = this.#targets.get(target);
    if (state === undefined) return undefined;
    let best: StoredPlan | undefined;
    for (const plan of state.plans.values()) if (best === undefined || plan.generation > best.generation) best = plan;
    return best === undefined ? undefined : this.#out(best);
  }

  protected async selectPlans(target: string, range: PlanRange): Promise<StoredPlan[]> {
    this.#open();
    const plans = [...(this.#targets.get(target)?.plans.values() ?? [])]
      .filter((p) => p.generation < range.below && p.generation > range.above)
      .sort((a, b) => a.generation - b.generation);
    return plans.map((p) => this.#out(p));
  }

  protected async deleteBelow(target: string, which: CheckedPlanDeletion): Promise<number[]> {
    this.#open();
    const except = new Set(which.except);
    const state = this.#targets.get(target);
    if (state === undefined) return [];
    const deleted: number[] = [];
    for (const generation of state.plans.keys()) {
      if (generation < which.below && !except.has(generation)) deleted.push(generation);
    }
    for (const generation of deleted) state.plans.delete(generation);
    return deleted.sort((a, b) => a - b);
  }

  protected async selectActive(target: string): Promise<ActivePointer | undefined> {
    this.#open();
    return this.#targets.get(target)?.active;
  }

  protected async updateActive(
    target: string,
    next: ActiveWrite,
    condition: ActiveCondition | undefined,
  ): Promise<SetActiveResult> {
    this.#open();
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

  protected async insertEntry(entry: JournalInput & { readonly details: Json }): Promise<number> {
    this.#open();
    const seq = this.#journal.length + 1;
    this.#journal.push({ ...entry, seq });
    return seq;
  }

  protected async selectEntries(query: CheckedJournalQuery): Promise<JournalEntry[]> {
    this.#open();
    const { afterSeq: after, target, decision, newestFirst, limit: max } = query;
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
