/**
 * Status documents in an embedded SQLite file (better-sqlite3, WAL mode): the default, no server
 * needed. A write is one `BEGIN IMMEDIATE` transaction, so writers in several processes on one file
 * are serialised by SQLite's lock. The driver is an optional peer, loaded by {@link SqliteBackend.open}
 * on first use (`npm install better-sqlite3`).
 */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { FailsmallError } from '../core/errors.js';
import { openSqlite, sqliteError } from '../store/sqlite-open.js';
import { checkOpen, Mutex, type Doc, type DocumentKind, type DocumentTx, type StatusBackend } from './backend.js';
import { StatusErrorCodes } from './error-codes.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS failsmall_status_docs (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,
  UNIQUE (kind, id));
`;

/** Options of {@link SqliteBackend.open}. */
export interface SqliteBackendOptions {
  /** The database file (created if missing), or `:memory:`. */
  readonly path: string;
  /** How long a write waits for another process's lock, in milliseconds; default 5 s. */
  readonly busyTimeoutMs?: number;
}

/**
 * One mutex per database file in this process: a transaction's function awaits between statements,
 * and a second connection of the same process blocking in `BEGIN IMMEDIATE` would block the event
 * loop that the first needs to commit. Other processes wait on SQLite's own lock.
 */
const fileMutexes = new Map<string, Mutex>();

function mutexFor(path: string): Mutex {
  if (path === ':memory:' || path === '') return new Mutex();
  const key = resolve(path);
  let mutex = fileMutexes.get(key);
  if (mutex === undefined) fileMutexes.set(key, (mutex = new Mutex()));
  return mutex;
}

function parse(text: string): Doc {
  try {
    return JSON.parse(text) as Doc;
  } catch (cause) {
    throw new FailsmallError(StatusErrorCodes.STORE_BACKEND, 'A stored status document is not JSON', { cause });
  }
}

/**
 * The SQLite {@link StatusBackend}.
 *
 * @example
 * const store = createStatusStore(await SqliteBackend.open({ path: 'status.db' }));
 */
export class SqliteBackend implements StatusBackend {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: Database.Database;
  readonly #mutex: Mutex;
  readonly #stmts: {
    get: Database.Statement;
    list: Database.Statement;
    put: Database.Statement;
    del: Database.Statement;
  };
  #closed = false;

  /**
   * Loads better-sqlite3 (`FS_ERR_MISSING_PEER` when it is not installed) and opens or creates the
   * file. Rejects with `FS_ERR_STATUS_STORE_BACKEND` when the file cannot be opened.
   */
  static async open(options: SqliteBackendOptions): Promise<SqliteBackend> {
    const db = await openSqlite(options, {
      what: 'status store',
      schema: SCHEMA,
      version: 1,
      code: StatusErrorCodes.STORE_BACKEND,
    });
    return new SqliteBackend(db, options.path);
  }

  private constructor(db: Database.Database, path: string) {
    this.path = path;
    this.#mutex = mutexFor(path);
    this.#db = db;
    try {
      this.#stmts = {
        get: db.prepare('SELECT body FROM failsmall_status_docs WHERE kind = ? AND id = ?'),
        list: db.prepare('SELECT body FROM failsmall_status_docs WHERE kind = ? ORDER BY seq'),
        put: db.prepare(
          `INSERT INTO failsmall_status_docs (kind, id, body) VALUES (?, ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`,
        ),
        del: db.prepare('DELETE FROM failsmall_status_docs WHERE kind = ? AND id = ?'),
      };
    } catch (cause) {
      db.close();
      throw sqliteError(cause, StatusErrorCodes.STORE_BACKEND);
    }
  }

  #tx(writable: boolean): DocumentTx {
    const s = this.#stmts;
    return {
      get: async (kind: DocumentKind, id: string) => {
        const row = s.get.get(kind, id) as { body: string } | undefined;
        return row === undefined ? undefined : parse(row.body);
      },
      list: async (kind: DocumentKind) => (s.list.all(kind) as { body: string }[]).map((r) => parse(r.body)),
      put: async (kind: DocumentKind, id: string, doc: Doc) => {
        if (!writable) throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'A read transaction cannot write');
        s.put.run(kind, id, JSON.stringify(doc));
      },
      delete: async (kind: DocumentKind, id: string) => {
        if (!writable) throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'A read transaction cannot write');
        return s.del.run(kind, id).changes > 0;
      },
    };
  }

  write<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    return this.#mutex.run(async () => {
      checkOpen(this.#closed);
      this.#run(() => this.#db.exec('BEGIN IMMEDIATE'));
      try {
        const result = await fn(this.#tx(true));
        this.#run(() => this.#db.exec('COMMIT'));
        return result;
      } catch (error) {
        if (this.#db.inTransaction) this.#db.exec('ROLLBACK');
        throw sqliteError(error, StatusErrorCodes.STORE_BACKEND);
      }
    });
  }

  read<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    // Behind the mutex too: a read must not see a write of this process half applied.
    return this.#mutex.run(async () => {
      checkOpen(this.#closed);
      return fn(this.#tx(false));
    });
  }

  #run(fn: () => void): void {
    try {
      fn();
    } catch (cause) {
      throw sqliteError(cause, StatusErrorCodes.STORE_BACKEND);
    }
  }

  async close(): Promise<void> {
    await this.#mutex.run(async () => {
      if (this.#closed) return;
      this.#closed = true;
      this.#db.close();
    });
  }
}
