/**
 * The default durable {@link HealthStore}: an embedded SQLite database (better-sqlite3) in WAL mode,
 * so several checker processes on one host share one file and agree on one set. Every operation is
 * one immediate transaction; the set's compare-and-set is a conditional `UPDATE … WHERE version = ?`
 * (or an `INSERT … ON CONFLICT DO NOTHING` for the first write), so two checkers cannot both win.
 * The driver is an optional peer dependency, loaded by {@link SqliteHealthStore.open} on first use.
 */
import type { SetState } from '../health/guardrails.js';
import type { SetChange } from '../health/monitor.js';
import { HealthStoreBase, type StoredSet, type StoredVote, type WriteSetResult } from '../health/store.js';
import { changeFromRow, setFromRow, voteFromRow, type ChangeRow, type SetRow, type VoteRow } from './health-rows.js';
import { openSqliteStore, parseStoredJson, type SqliteStoreHandle } from './sqlite-open.js';

/** Options of {@link SqliteHealthStore.open}. */
export interface SqliteHealthStoreOptions {
  /** The database file (created if missing), or `:memory:`. It may be the plan store's file. */
  readonly path: string;
  /**
   * How long a write waits for another process's lock, in milliseconds; default 5 s: longer than any
   * single statement here, shorter than a checker's round.
   */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS failsmall_health_votes (
  set_name TEXT NOT NULL, checker TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
  vote TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (set_name, checker, source, target)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS failsmall_health_votes_at ON failsmall_health_votes (set_name, at);
CREATE TABLE IF NOT EXISTS failsmall_health_sets (
  set_name TEXT PRIMARY KEY, version INTEGER NOT NULL, state TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failsmall_health_changes (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, set_name TEXT NOT NULL, target TEXT NOT NULL, change TEXT NOT NULL,
  reason TEXT NOT NULL, at REAL NOT NULL, by_whom TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS failsmall_health_changes_set ON failsmall_health_changes (set_name, at, seq);
`;

const parseState = (text: string): SetState => parseStoredJson(text, 'health set');

/**
 * Votes, the set and its journal in one SQLite file.
 *
 * @example
 * const store = await SqliteHealthStore.open({ path: '/var/lib/failsmall/health.db' });
 * const monitor = new HealthMonitor({ name: 'orders-api', targets, sources, store, checker: 'use1-a', checkers: 2 });
 * @see https://www.sqlite.org/wal.html
 */
export class SqliteHealthStore extends HealthStoreBase {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: SqliteStoreHandle;

  /**
   * Loads better-sqlite3 (first call only; `FS_ERR_MISSING_PEER` naming it when it is not installed),
   * opens or creates the file in WAL mode with the health tables, and returns the store. Rejects with
   * `FS_ERR_STORE_BACKEND` when the file cannot be opened.
   */
  static async open(options: SqliteHealthStoreOptions): Promise<SqliteHealthStore> {
    return new SqliteHealthStore(await openSqliteStore(options, { what: 'health store', schema: SCHEMA, version: 1 }));
  }

  private constructor(db: SqliteStoreHandle) {
    super();
    this.#db = db;
    this.path = db.path;
  }

  protected async storeVotes(votes: readonly StoredVote[]): Promise<void> {
    this.#db.tx((db) => {
      const put = db.prepare(
        `INSERT INTO failsmall_health_votes (set_name, checker, source, target, vote, at) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (set_name, checker, source, target) DO UPDATE SET vote = excluded.vote, at = excluded.at`,
      );
      for (const v of votes) put.run(v.set, v.checker, v.source, v.target, v.vote, v.at);
    });
  }

  async votes(set: string, since: number): Promise<StoredVote[]> {
    const rows = this.#db.tx(
      (db) =>
        db.prepare('SELECT * FROM failsmall_health_votes WHERE set_name = ? AND at >= ?').all(set, since) as VoteRow[],
    );
    return rows.map(voteFromRow);
  }

  async readSet(set: string): Promise<StoredSet | undefined> {
    const row = this.#db.tx(
      (db) =>
        db.prepare('SELECT * FROM failsmall_health_sets WHERE set_name = ?').get(set) as SetRow<string> | undefined,
    );
    return row === undefined ? undefined : setFromRow(row, parseState);
  }

  async writeSet(set: string, state: SetState, expectedVersion: number): Promise<WriteSetResult> {
    const text = JSON.stringify(state);
    return this.#db.tx((db) => {
      const changes =
        expectedVersion === 0
          ? db
              .prepare(
                `INSERT INTO failsmall_health_sets (set_name, version, state) VALUES (?, 1, ?)
                 ON CONFLICT (set_name) DO NOTHING`,
              )
              .run(set, text).changes
          : db
              .prepare(
                'UPDATE failsmall_health_sets SET version = version + 1, state = ? WHERE set_name = ? AND version = ?',
              )
              .run(text, set, expectedVersion).changes;
      if (changes > 0) return { ok: true as const, version: expectedVersion + 1 };
      const row = db.prepare('SELECT * FROM failsmall_health_sets WHERE set_name = ?').get(set) as
        SetRow<string> | undefined;
      return { ok: false as const, current: row === undefined ? { state, version: 0 } : setFromRow(row, parseState) };
    });
  }

  async appendChange(change: SetChange): Promise<void> {
    this.#db.tx((db) =>
      db
        .prepare(
          `INSERT INTO failsmall_health_changes (set_name, target, change, reason, at, by_whom) VALUES (?, ?, ?, ?, ?, ?)`,
        )
        .run(change.set, change.target, change.change, change.reason, change.at, change.by),
    );
  }

  protected async selectChanges(set: string, q: { since: number; limit: number }): Promise<SetChange[]> {
    const rows = this.#db.tx(
      (db) =>
        db
          .prepare('SELECT * FROM failsmall_health_changes WHERE set_name = ? AND at >= ? ORDER BY seq LIMIT ?')
          .all(set, q.since, q.limit) as ChangeRow[],
    );
    return rows.map(changeFromRow);
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
