/**
 * The rows of the SQL stores (SQLite and PostgreSQL share one schema) and their mapping to the
 * store contract's objects. Numbers come back as numbers from SQLite and as strings for PostgreSQL
 * `BIGINT` columns, so every numeric column goes through `Number`; JSON columns are decoded by the
 * store (SQLite keeps text, PostgreSQL `JSONB` arrives parsed). The checks and a write's result
 * are the same for every plan store: plan/store-base.ts.
 */
import type { ActivePointer, Json, JournalEntry, StoredPlan } from '../plan/store.js';

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
