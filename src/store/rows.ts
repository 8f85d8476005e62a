/**
 * The rows of the SQL stores (SQLite and PostgreSQL share one schema) and their mapping to the
 * store contract's objects. Numbers come back as numbers from SQLite and as strings for PostgreSQL
 * `BIGINT` columns, so every numeric column goes through `Number`; JSON columns are decoded by the
 * store (SQLite keeps text, PostgreSQL `JSONB` arrives parsed). Also what the two SQL plan stores
 * do alike around their statements: the checks with SQL's defaults, and a write's result read back
 * from the JSON text written.
 */
import { checkJournalInput, checkPlanQuery, checkTarget, toJsonText } from '../plan/store-checks.js';
import type { ActivePointer, Json, JournalEntry, JournalInput, PlanQuery, StoredPlan } from '../plan/store.js';

/** A row of `failsmall_plans`; `B` is how the body column arrives. */
export interface PlanRow<B> {
  target: string;
  generation: number | string;
  created_at: number | string;
  created_by: string;
  body: B;
}

/** A row of `failsmall_active`. */
export interface ActiveRow {
  target: string;
  generation: number | string;
  updated_at: number | string;
  updated_by: string;
}

/** A row of `failsmall_journal`; `D` is how the details column arrives. */
export interface JournalRow<D> {
  seq: number | string;
  target: string;
  generation: number | string;
  actor: string;
  decision: string;
  reason: string;
  at: number | string;
  details: D;
}

/** A plan row as a {@link StoredPlan}, its body decoded by `decode`. */
export function planFromRow<B>(row: PlanRow<B>, decode: (body: B) => Json): StoredPlan {
  return {
    target: row.target,
    generation: Number(row.generation),
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
    body: decode(row.body),
  };
}

/** An active row as an {@link ActivePointer}; `undefined` when there is no row. */
export function activeFromRow(row: ActiveRow | undefined): ActivePointer | undefined {
  return row === undefined
    ? undefined
    : {
        target: row.target,
        generation: Number(row.generation),
        updatedAt: Number(row.updated_at),
        updatedBy: row.updated_by,
      };
}

/** A journal row as a {@link JournalEntry}, its details decoded by `decode`. */
export function entryFromRow<D>(row: JournalRow<D>, decode: (details: D) => Json): JournalEntry {
  return {
    seq: Number(row.seq),
    target: row.target,
    generation: Number(row.generation),
    actor: row.actor,
    decision: row.decision as JournalEntry['decision'],
    reason: row.reason,
    at: Number(row.at),
    details: decode(row.details),
  };
}

/** The plan `createPlan` stored as `generation`, from its checked write (the body read back from the text). */
export function createdPlan<B extends Json>(
  target: string,
  generation: number | string,
  at: number,
  write: { readonly text: string; readonly by: string },
): StoredPlan<B> {
  return {
    target,
    generation: Number(generation),
    createdAt: at,
    createdBy: write.by,
    body: JSON.parse(write.text) as B,
  };
}

/** Checks `listPlans`' arguments; returns its bounds, every generation where not given. */
export function checkPlanRange(target: string, query: PlanQuery): { below: number; above: number } {
  checkTarget(target);
  const bounds = checkPlanQuery(query);
  return { below: bounds.below ?? Number.MAX_SAFE_INTEGER, above: bounds.above ?? -1 };
}

/** Checks `appendJournal`'s entry; returns its details (default `null`) as the JSON text to store. */
export function checkJournalWrite(entry: JournalInput): string {
  checkJournalInput(entry);
  return toJsonText('details', entry.details === undefined ? null : entry.details);
}

/** The entry `appendJournal` stored as `seq` (its details read back from the text written). */
export function appendedEntry(entry: JournalInput, text: string, seq: number | string): JournalEntry {
  return { ...entry, details: JSON.parse(text) as Json, seq: Number(seq) };
}
