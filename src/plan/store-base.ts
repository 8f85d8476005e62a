/**
 * The shell every {@link PlanStore} shares: each public method checks its arguments (the checks of
 * store-checks.ts, in one order, so the memory, SQLite and PostgreSQL stores refuse the same inputs
 * with the same `FS_ERR_INVALID_ARGUMENT` before touching their backend), fills in the defaults a
 * backend compares with, and builds what a write returns from what was written. A store extends
 * {@link PlanStoreBase} and writes only its backend's side: one protected method per operation,
 * handed checked arguments (internal: not part of the public surface).
 *
 * No method awaits anything before it calls the backend, so a backend that runs to completion
 * without awaiting (the memory store) stays atomic.
 */
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
  checkPlanWrite,
  checkTarget,
  toJsonText,
  type ActiveWrite,
  type CheckedJournalQuery,
  type CheckedPlanDeletion,
  type PlanRange,
  type PlanWrite,
} from './store-checks.js';

/**
 * The base of every plan store. See the module comment.
 */
export abstract class PlanStoreBase implements PlanStore {
  abstract readonly kind: string;
  /**
   * Bodies and details go through JSON text on the way in: checked as plain JSON, and copied (a
   * caller can never mutate what was stored). Always for a database; the memory store may turn it off.
   */
  protected readonly copies: boolean;

  /** @param copies - see {@link PlanStoreBase.copies}; default true. */
  protected constructor(copies = true) {
    this.copies = copies;
  }

  async createPlan<B extends Json>(target: string, body: B, meta: { at: number; by: string }): Promise<StoredPlan<B>> {
    const write = checkPlanWrite(target, body, meta, this.copies);
    const generation = await this.insertPlan(target, write);
    return {
      target,
      generation: Number(generation),
      createdAt: write.at,
      createdBy: write.by,
      body: this.copies ? (JSON.parse(write.text) as B) : body,
    };
  }

  async getPlan(target: string, generation: number): Promise<StoredPlan | undefined> {
    checkPlanKey(target, generation);
    return this.selectPlan(target, generation);
  }

  async latestPlan(target: string): Promise<StoredPlan | undefined> {
    checkTarget(target);
    return this.selectLatest(target);
  }

  async listPlans(target: string, query: PlanQuery = {}): Promise<StoredPlan[]> {
    checkTarget(target);
    const bounds = checkPlanQuery(query);
    // Generations are positive safe integers: these defaults bound every one of them.
    return this.selectPlans(target, { below: bounds.below ?? Number.MAX_SAFE_INTEGER, above: bounds.above ?? -1 });
  }

  async deletePlans(target: string, which: PlanDeletion): Promise<number[]> {
    checkTarget(target);
    return this.deleteBelow(target, checkPlanDeletion(which));
  }

  async getActive(target: string): Promise<ActivePointer | undefined> {
    checkTarget(target);
    return this.selectActive(target);
  }

  async setActive(
    target: string,
    next: { generation: number; at: number; by: string },
    condition?: ActiveCondition,
  ): Promise<SetActiveResult> {
    checkTarget(target);
    checkActiveWrite(next);
    return this.updateActive(target, next, condition);
  }

  async appendJournal(entry: JournalInput): Promise<JournalEntry> {
    checkJournalInput(entry);
    const details = entry.details === undefined ? null : entry.details;
    const text = this.copies ? toJsonText('details', details) : '';
    const seq = await this.insertEntry({ ...entry, details }, text);
    return { ...entry, details: this.copies ? (JSON.parse(text) as Json) : details, seq: Number(seq) };
  }

  async readJournal(query: JournalQuery = {}): Promise<JournalEntry[]> {
    return this.selectEntries(checkJournalQuery(query));
  }

  abstract snapshot(): Record<string, unknown>;

  abstract close(): Promise<void>;

  /** Allocates the next generation of `target` and stores the plan with it, atomically; returns the generation. */
  protected abstract insertPlan(target: string, write: PlanWrite): Promise<number | string>;

  /** {@link PlanStore.getPlan}, its arguments checked. */
  protected abstract selectPlan(target: string, generation: number): Promise<StoredPlan | undefined>;

  /** {@link PlanStore.latestPlan}, its target checked. */
  protected abstract selectLatest(target: string): Promise<StoredPlan | undefined>;

  /** The plans in `range`, oldest first. */
  protected abstract selectPlans(target: string, range: PlanRange): Promise<StoredPlan[]>;

  /** Deletes the plans `which` names, atomically; returns their generations in ascending order. */
  protected abstract deleteBelow(target: string, which: CheckedPlanDeletion): Promise<number[]>;

  /** {@link PlanStore.getActive}, its target checked. */
  protected abstract selectActive(target: string): Promise<ActivePointer | undefined>;

  /** {@link PlanStore.setActive}, its arguments checked. */
  protected abstract updateActive(
    target: string,
    next: ActiveWrite,
    condition: ActiveCondition | undefined,
  ): Promise<SetActiveResult>;

  /**
   * Appends the checked entry (its details default `null`) to the journal; returns its sequence
   * number. `text` is the details as JSON text (`''` when the store does not copy, as {@link PlanWrite.text}).
   */
  protected abstract insertEntry(
    entry: JournalInput & { readonly details: Json },
    text: string,
  ): Promise<number | string>;

  /** {@link PlanStore.readJournal}, its query checked and defaulted. */
  protected abstract selectEntries(query: CheckedJournalQuery): Promise<JournalEntry[]>;
}
