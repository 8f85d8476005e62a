/**
 * The store contract: durable state for plans, the active pointer of each target and the journal of
 * decisions. It lives with plan enactment, its only user: the planner and the enactor depend only on
 * this interface. The implementations live in `failsmall/plan` (in memory, for tests and models) and
 * `failsmall/store` (embedded SQLite by default, PostgreSQL when enactors run on several hosts), which
 * re-exports this contract. One contract test suite runs against all of them.
 *
 * Every write that must not race is a single atomic operation of the store: allocating a generation
 * together with inserting the plan ({@link PlanStore.createPlan}), a compare-and-set of the active
 * pointer ({@link PlanStore.setActive}) and a bulk delete with exceptions
 * ({@link PlanStore.deletePlans}). No operation needs a transaction spanning several calls, which is
 * what keeps the contract small enough for any database.
 */
import type { ErrorCode } from '../core/errors.js';

/** A JSON value: what a store keeps as a plan body or journal details. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** A plan as stored: immutable once created. */
export interface StoredPlan<B extends Json = Json> {
  /** The target it is for, such as `dynamodb.us-east-1.example.` (any non-empty string). */
  readonly target: string;
  /** Its generation: 1 for the first plan of a target, then strictly increasing, never reused. */
  readonly generation: number;
  /** When it was created, in milliseconds on the creator's clock. */
  readonly createdAt: number;
  /** Who created it (a planner's name). */
  readonly createdBy: string;
  /** The plan itself: plain JSON. */
  readonly body: B;
}

/** The pointer to the plan currently applied to a target. */
export interface ActivePointer {
  readonly target: string;
  /** The generation applied. */
  readonly generation: number;
  /** When it was set, in milliseconds on the writer's clock. */
  readonly updatedAt: number;
  /** Who set it (an enactor's name). */
  readonly updatedBy: string;
}

/**
 * The condition of {@link PlanStore.setActive}. Without one the write is unconditional.
 */
export type ActiveCondition =
  /** Succeeds only if the current pointer's generation equals this one (`null`: no pointer yet). */
  | { readonly expectedGeneration: number | null }
  /** Succeeds only if there is no pointer yet or the new generation is strictly greater (a fence). */
  | { readonly onlyForward: true };

/** The outcome of {@link PlanStore.setActive}. */
export interface SetActiveResult {
  /** Whether the pointer was written. */
  readonly ok: boolean;
  /** The pointer after the call (the new one when `ok`, the one that won otherwise). */
  readonly current: ActivePointer | undefined;
}

/** What a decision was, in the journal. */
export type JournalDecision =
  'created' | 'applied' | 'refused' | 'dropped' | 'failed' | 'deleted' | 'escalated' | 'rolled-back';

/** A journal entry as written: who decided what about which generation, and why. */
export interface JournalInput {
  /** The target concerned. */
  readonly target: string;
  /** The generation concerned (0 when none). */
  readonly generation: number;
  /** Who decided (planner, enactor or operator name). */
  readonly actor: string;
  /** What was decided. */
  readonly decision: JournalDecision;
  /** Why, as a short stable word such as `stale`, `guard-empty`, `cleanup` or `ok`. */
  readonly reason: string;
  /** When, in milliseconds on the writer's clock. */
  readonly at: number;
  /** Extra facts (plain JSON), default `null`. */
  readonly details?: Json;
}

/** A journal entry as read back, with its sequence number (strictly increasing per store). */
export interface JournalEntry extends JournalInput {
  readonly seq: number;
  readonly details: Json;
}

/** A query of {@link PlanStore.readJournal}. */
export interface JournalQuery {
  /** Only entries of this target. */
  readonly target?: string;
  /** Only entries with `seq` greater than this. */
  readonly afterSeq?: number;
  /** Only entries with this decision. */
  readonly decision?: JournalDecision;
  /** Newest first (default false: oldest first). */
  readonly newestFirst?: boolean;
  /** At most this many entries, default all. */
  readonly limit?: number;
}

/** A query of {@link PlanStore.listPlans}. */
export interface PlanQuery {
  /** Only generations strictly below this one. */
  readonly below?: number;
  /** Only generations strictly above this one. */
  readonly above?: number;
}

/** Which plans {@link PlanStore.deletePlans} deletes. */
export interface PlanDeletion {
  /** Deletes generations strictly below this one. */
  readonly below: number;
  /** Never deletes these generations. */
  readonly except?: readonly number[];
}

/**
 * Durable state for plan enactment. All methods are asynchronous and each is atomic on its own.
 * Implementations: `MemoryPlanStore` (failsmall/plan), `SqlitePlanStore` and `PostgresPlanStore`
 * (failsmall/store).
 *
 * @example
 * const plan = await store.createPlan('api.example.', { records: [] }, { at: clock.now(), by: 'planner' });
 * const won = await store.setActive('api.example.', { generation: plan.generation, at: clock.now(), by: 'e1' },
 *   { onlyForward: true });
 */
export interface PlanStore {
  /** What it is: `memory`, `sqlite` or `postgres`. */
  readonly kind: string;
  /**
   * Allocates the next generation of `target` (one more than any generation it ever had, deleted
   * ones included) and stores the plan with it, atomically.
   */
  createPlan<B extends Json>(target: string, body: B, meta: { at: number; by: string }): Promise<StoredPlan<B>>;
  /** The plan of that generation, or `undefined` when it does not exist (never created or deleted). */
  getPlan(target: string, generation: number): Promise<StoredPlan | undefined>;
  /** The plan with the highest generation still stored, or `undefined`. */
  latestPlan(target: string): Promise<StoredPlan | undefined>;
  /** The plans still stored, oldest generation first. */
  listPlans(target: string, query?: PlanQuery): Promise<StoredPlan[]>;
  /** Deletes plans atomically; returns the generations deleted, in ascending order. */
  deletePlans(target: string, which: PlanDeletion): Promise<number[]>;
  /** The active pointer of `target`, or `undefined` when none was ever set. */
  getActive(target: string): Promise<ActivePointer | undefined>;
  /** Writes the active pointer, atomically under `condition` (a compare-and-set); see {@link ActiveCondition}. */
  setActive(
    target: string,
    next: { generation: number; at: number; by: string },
    condition?: ActiveCondition,
  ): Promise<SetActiveResult>;
  /** Appends one entry to the journal; returns it with its sequence number. */
  appendJournal(entry: JournalInput): Promise<JournalEntry>;
  /** Reads the journal, oldest first unless `newestFirst`. */
  readJournal(query?: JournalQuery): Promise<JournalEntry[]>;
  /** Plain JSON for metrics. */
  snapshot(): Record<string, unknown>;
  /** Releases the store; later calls reject with `FS_ERR_STORE_CLOSED`. Calling twice does nothing. */
  close(): Promise<void>;
}

/** Codes shared by every store implementation (documented under `## store` in docs/errors.md). */
export const StoreErrorCodes = {
  /** The store was closed. */
  CLOSED: 'FS_ERR_STORE_CLOSED',
  /** The database failed or answered something unexpected; `cause` holds the driver's error. */
  BACKEND: 'FS_ERR_STORE_BACKEND',
  /** A stored row could not be read back (corrupt JSON, a schema from another version). */
  CORRUPT: 'FS_ERR_STORE_CORRUPT',
} as const satisfies Record<string, ErrorCode>;

/** Every {@link JournalDecision}. */
export const JOURNAL_DECISIONS: readonly JournalDecision[] = [
  'created',
  'applied',
  'refused',
  'dropped',
  'failed',
  'deleted',
  'escalated',
  'rolled-back',
];
