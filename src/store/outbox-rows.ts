/**
 * The rows of the SQL outbox stores (SQLite and PostgreSQL share one schema) and their mapping to
 * the outbox store contract's objects. PostgreSQL's `BIGSERIAL` id arrives as a string, so it goes
 * through `Number`; the payload column is decoded by the store (SQLite keeps text, `JSONB` arrives
 * parsed).
 */
import type { DeadLetter, OutboxEntry, OutboxJson } from './outbox-store.js';

/** A row of `failsmall_outbox`; `P` is how the payload column arrives. */
export interface OutboxRow<P> {
  id: number | string;
  key: string;
  payload: P;
  priority: number;
  created_at: number;
  attempts: number;
  not_before: number;
  last_error: string | null;
  /** Absent from the dead letters' table. */
  claimed_until?: number;
}

/** A row of `failsmall_outbox_dead`. */
export interface DeadRow<P> extends OutboxRow<P> {
  reason: string;
  dead_at: number;
}

/** An outbox row as an {@link OutboxEntry}, its payload decoded by `decode`. */
export function entryFromRow<P>(row: OutboxRow<P>, decode: (payload: P) => OutboxJson): OutboxEntry {
  return {
    id: Number(row.id),
    key: row.key,
    payload: decode(row.payload),
    priority: row.priority,
    createdAt: row.created_at,
    attempts: row.attempts,
    notBefore: row.not_before,
    lastError: row.last_error,
    claimedUntil: row.claimed_until ?? 0,
  };
}

/** A dead letter's row as a {@link DeadLetter} (never claimed), its payload decoded by `decode`. */
export function deadLetterFromRow<P>(row: DeadRow<P>, decode: (payload: P) => OutboxJson): DeadLetter {
  return { ...entryFromRow(row, decode), claimedUntil: 0, reason: row.reason, deadAt: row.dead_at };
}
