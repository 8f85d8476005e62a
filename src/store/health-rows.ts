/**
 * The rows of the SQL health stores (SQLite and PostgreSQL share one schema) and their mapping to
 * the health store contract's objects. Numbers go through `Number` (PostgreSQL `BIGINT` arrives as a
 * string); the set's state column is decoded by the store (SQLite keeps text, `JSONB` arrives parsed).
 */
import type { SetState } from '../health/guardrails.js';
import type { SetChange } from '../health/monitor.js';
import type { Vote } from '../health/rise-fall.js';
import type { StoredSet, StoredVote } from '../health/store.js';

/** A row of `failsmall_health_votes`. */
export interface VoteRow {
  set_name: string;
  checker: string;
  source: string;
  target: string;
  vote: string;
  at: number | string;
}

/** A row of `failsmall_health_sets`; `S` is how the state column arrives. */
export interface SetRow<S> {
  set_name: string;
  version: number | string;
  state: S;
}

/** A row of `failsmall_health_changes`. */
export interface ChangeRow {
  seq: number | string;
  set_name: string;
  target: string;
  change: string;
  reason: string;
  at: number | string;
  by_whom: string;
}

/** A vote row as a {@link StoredVote}. */
export function voteFromRow(row: VoteRow): StoredVote {
  return {
    set: row.set_name,
    checker: row.checker,
    source: row.source,
    target: row.target,
    vote: row.vote as Vote,
    at: Number(row.at),
  };
}

/** A set row as a {@link StoredSet}, its state decoded by `decode`. */
export function setFromRow<S>(row: SetRow<S>, decode: (state: S) => SetState): StoredSet {
  return { state: decode(row.state), version: Number(row.version) };
}

/** A journal row as a {@link SetChange}. */
export function changeFromRow(row: ChangeRow): SetChange {
  return {
    set: row.set_name,
    target: row.target,
    change: row.change as SetChange['change'],
    reason: row.reason,
    at: Number(row.at),
    by: row.by_whom,
  };
}
