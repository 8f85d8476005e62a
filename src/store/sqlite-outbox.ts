/**
 * The durable outbox store on one SQLite file (better-sqlite3, an optional peer): WAL mode with
 * `synchronous = FULL`, so `append` resolves only after its transaction is committed and fsync'd:
 * an acknowledged write survives `kill -9` and a power loss. Several processes may share the file
 * (each operation is one immediate transaction).
 *
 * A file that is not a readable SQLite database, or fails SQLite's `quick_check`, is never
 * silently dropped nor overwritten: it is renamed to `<file>.corrupt-<ms>` (with its `-wal` and
 * `-shm`), reported (`onCorrupt`, and `recovered` on the store, code `FS_ERR_OUTBOX_CORRUPT`), and
 * a new empty outbox is created in its place. A stored row whose payload is not JSON moves to the
 * dead letters (`corrupt`).
 *
 * Each store handle is one drainer: `due` claims what it returns (`claimed_by`, `claimed_until`) in
 * the same immediate transaction, so two processes draining one file never get the same entry
 * while a claim holds (see outbox-store.ts). A file written before claims existed gets the two
 * columns added at open.
 */
import { existsSync, renameSync } from 'node:fs';
import type Database from 'better-sqlite3';
import { FailsmallError } from '../core/errors.js';
import { func } from '../core/validate.js';
import {
  OutboxStoreBase,
  checkClaimMs,
  outboxClosed,
  type DeadLetter,
  type OutboxEntry,
  type OutboxInput,
  type OutboxJson,
  type OutboxOrder,
} from './outbox-store.js';
import { deadLetterFromRow, entryFromRow, type DeadRow, type OutboxRow } from './outbox-rows.js';
import { openSqliteStore, type SqliteStoreHandle } from './sqlite-open.js';

/** Options of {@link SqliteOutboxStore.open}. */
export interface SqliteOutboxStoreOptions {
  /** The database file (created if missing). */
  readonly path: string;
  /** How long a write waits for another process's lock, in ms; default 5 s. */
  readonly busyTimeoutMs?: number;
  /** Called when a corrupt file was moved aside (the error has `details.movedTo`); default: a process warning. */
  readonly onCorrupt?: (error: FailsmallError) => void;
  /** How long a claim taken by `due` holds, in ms; default 30 s (see {@link OutboxStore.claimMs}). */
  readonly claimMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS failsmall_outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT, key TEXT NOT NULL UNIQUE, payload TEXT NOT NULL,
  priority INTEGER NOT NULL, created_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
  not_before REAL NOT NULL, last_error TEXT, claimed_by TEXT, claimed_until REAL NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS failsmall_outbox_due ON failsmall_outbox (not_before);
CREATE TABLE IF NOT EXISTS failsmall_outbox_dead (
  id INTEGER PRIMARY KEY, key TEXT NOT NULL, payload TEXT NOT NULL, priority INTEGER NOT NULL,
  created_at REAL NOT NULL, attempts INTEGER NOT NULL, not_before REAL NOT NULL, last_error TEXT,
  reason TEXT NOT NULL, dead_at REAL NOT NULL);
`;

type Row = OutboxRow<string> & { id: number };
const toEntry = (row: Row): OutboxEntry => entryFromRow(row, (text) => JSON.parse(text) as OutboxJson);

/** A dead letter's payload: its JSON, or the text itself when it is not JSON (for an operator to read). */
function lenientPayload(text: string): OutboxJson {
  try {
    return JSON.parse(text) as OutboxJson;
  } catch {
    return text;
  }
}

/**
 * See the module comment.
 *
 * @example
 * const store = await SqliteOutboxStore.open({ path: '/var/lib/app/orders-outbox.db' });
 * const orders = outbox({ store, dependency: 'orders', apply });
 */
export class SqliteOutboxStore extends OutboxStoreBase {
  readonly kind = 'sqlite';
  readonly path: string;
  /** Set when the file found at open was corrupt and moved aside (`details.movedTo`). */
  readonly recovered: FailsmallError | undefined;
  readonly #db: SqliteStoreHandle;

  /**
   * Loads better-sqlite3 (`FS_ERR_MISSING_PEER` when absent), opens or creates the file, moving a
   * corrupt one aside (see the module comment). Rejects with `FS_ERR_STORE_BACKEND` when the file
   * cannot be opened at all (a missing directory, no permission).
   */
  static async open(options: SqliteOutboxStoreOptions): Promise<SqliteOutboxStore> {
    const claimMs = checkClaimMs(options?.claimMs);
    const onCorrupt =
      options?.onCorrupt === undefined
        ? (error: FailsmallError) => process.emitWarning(error.message, { code: error.code })
        : func<(error: FailsmallError) => void>('onCorrupt', options.onCorrupt);
    let recovered: FailsmallError | undefined;
    const moveAside = (cause: unknown): void => {
      const movedTo = `${options.path}.corrupt-${Date.now()}`;
      renameSync(options.path, movedTo);
      for (const suffix of ['-wal', '-shm']) {
        if (existsSync(options.path + suffix)) renameSync(options.path + suffix, movedTo + suffix);
      }
      recovered = new FailsmallError(
        'FS_ERR_OUTBOX_CORRUPT',
        `The outbox file ${options.path} is corrupt (${String((cause as Error).message ?? cause)}); moved to ${movedTo}, a new outbox was created`,
        { cause, details: { path: options.path, movedTo } },
      );
      onCorrupt(recovered);
    };
    const db = await openSqliteStore(options, {
      what: 'outbox store',
      schema: SCHEMA,
      version: 1,
      synchronous: 'FULL', // acknowledged means fsync'd
      quickCheck: true,
      fileOnly: true,
      onCorrupt: moveAside,
      closed: outboxClosed,
      label: 'SQLite outbox',
    });
    // claims (tables made before them get the columns here)
    db.tx((d) => {
      const columns = (d.pragma('table_info(failsmall_outbox)') as { name: string }[]).map((c) => c.name);
      if (!columns.includes('claimed_by')) {
        d.exec(`ALTER TABLE failsmall_outbox ADD COLUMN claimed_by TEXT;
          ALTER TABLE failsmall_outbox ADD COLUMN claimed_until REAL NOT NULL DEFAULT 0;`);
      }
    });
    return new SqliteOutboxStore(db, recovered, claimMs);
  }

  private constructor(db: SqliteStoreHandle, recovered: FailsmallError | undefined, claimMs: number) {
    super(claimMs);
    this.#db = db;
    this.path = db.path;
    this.recovered = recovered;
  }

  protected async insert(
    input: OutboxInput,
    text: string,
    priority: number,
  ): Promise<{ entry: OutboxEntry; duplicate: boolean }> {
    return Promise.resolve(
      this.#db.tx((db) => {
        const found = db.prepare('SELECT * FROM failsmall_outbox WHERE key = ?').get(input.key) as Row | undefined;
        if (found !== undefined) return { entry: toEntry(found), duplicate: true };
        const row = db
          .prepare(
            `INSERT INTO failsmall_outbox (key, payload, priority, created_at, attempts, not_before)
             VALUES (?, ?, ?, ?, 0, ?) RETURNING *`,
          )
          .get(input.key, text, priority, input.at, input.at) as Row;
        return { entry: toEntry(row), duplicate: false };
      }),
    );
  }

  protected async claim(limit: number, order: OutboxOrder, now: number): Promise<OutboxEntry[]> {
    const orderBy = order === 'priority' ? 'priority DESC, id' : 'id';
    return Promise.resolve(
      this.#db.tx((db) => {
        const rows = db
          .prepare(
            `UPDATE failsmall_outbox SET claimed_by = ?, claimed_until = ? WHERE id IN (
               SELECT id FROM failsmall_outbox
               WHERE not_before <= ? AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until <= ?)
               ORDER BY ${orderBy} LIMIT ?)
             RETURNING *`,
          )
          .all(this.owner, now + this.claimMs, now, this.owner, now, limit) as Row[];
        const entries: OutboxEntry[] = [];
        for (const row of rows) {
          try {
            entries.push(toEntry(row));
          } catch {
            this.#moveDead(db, row.id, 'corrupt', now, 'the stored payload is not JSON');
          }
        }
        return entries; // in any order (RETURNING keeps none): OutboxStoreBase sorts them
      }),
    );
  }

  async complete(id: number): Promise<boolean> {
    return Promise.resolve(
      this.#db.tx((db) => db.prepare('DELETE FROM failsmall_outbox WHERE id = ?').run(id).changes > 0),
    );
  }

  async retryLater(id: number, notBefore: number, error: string): Promise<void> {
    this.#db.tx((db) =>
      db
        .prepare(
          `UPDATE failsmall_outbox SET attempts = attempts + 1, not_before = ?, last_error = ?,
             claimed_by = NULL, claimed_until = 0
           WHERE id = ? AND (claimed_by IS NULL OR claimed_by = ?)`,
        )
        .run(notBefore, error, id, this.owner),
    );
    return Promise.resolve();
  }

  #moveDead(db: Database.Database, id: number, reason: string, at: number, error: string | undefined): void {
    db.prepare(
      `INSERT OR REPLACE INTO failsmall_outbox_dead
         SELECT id, key, payload, priority, created_at, attempts, not_before, COALESCE(?, last_error), ?, ?
         FROM failsmall_outbox WHERE id = ?`,
    ).run(error ?? null, reason, at, id);
    db.prepare('DELETE FROM failsmall_outbox WHERE id = ?').run(id);
  }

  async deadLetter(id: number, reason: string, at: number, error?: string): Promise<void> {
    this.#db.tx((db) => this.#moveDead(db, id, reason, at, error));
    return Promise.resolve();
  }

  expire(before: number, at: number): Promise<number> {
    return Promise.resolve(
      this.#db.tx((db) => {
        db.prepare(
          `INSERT OR REPLACE INTO failsmall_outbox_dead
             SELECT id, key, payload, priority, created_at, attempts, not_before, last_error, 'expired', ?
             FROM failsmall_outbox WHERE created_at < ?`,
        ).run(at, before);
        return db.prepare('DELETE FROM failsmall_outbox WHERE created_at < ?').run(before).changes;
      }),
    );
  }

  async size(): Promise<number> {
    return Promise.resolve(
      this.#db.tx((db) => (db.prepare('SELECT COUNT(*) AS n FROM failsmall_outbox').get() as { n: number }).n),
    );
  }

  async oldest(): Promise<number | null> {
    return Promise.resolve(
      this.#db.tx(
        (db) => (db.prepare('SELECT MIN(created_at) AS t FROM failsmall_outbox').get() as { t: number | null }).t,
      ),
    );
  }

  protected async selectDead(limit: number): Promise<DeadLetter[]> {
    return Promise.resolve(
      this.#db.tx((db) =>
        (
          db.prepare('SELECT * FROM failsmall_outbox_dead ORDER BY dead_at, id LIMIT ?').all(limit) as DeadRow<string>[]
        ).map((row) => deadLetterFromRow(row, lenientPayload)),
      ),
    );
  }

  async close(): Promise<void> {
    this.#db.close();
    return Promise.resolve();
  }
}
