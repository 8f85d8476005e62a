/**
 * How every SQLite store of failsmall opens its file and runs a transaction: one path rule, one
 * driver load (better-sqlite3, an optional peer), WAL mode with a busy timeout, the schema applied
 * under a recorded version, and driver errors mapped to one backend code. The plan, health and
 * outbox stores and the status backend differ only in their tables, `synchronous` level and code.
 * A store holds what it opened as one {@link SqliteStoreHandle}: its file, its transactions and
 * its `close()`.
 */
import { existsSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { ErrorCode } from '../core/error-codes.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';
import { nonNegativeNumber } from '../core/validate.js';

/** The options every SQLite store takes. */
export interface SqliteFileOptions {
  /** The database file (created if missing), or `:memory:` where the store allows it. */
  readonly path: string;
  /** How long a write waits for another process's lock, in milliseconds; default 5 s. */
  readonly busyTimeoutMs?: number;
}

/** What one store asks of {@link openSqlite}. */
export interface SqliteSpec {
  /** Names the store in messages: `the SQLite ${what}`, e.g. `plan store`. */
  readonly what: string;
  /** The tables (`CREATE … IF NOT EXISTS`), applied in one transaction. */
  readonly schema: string;
  /** The version of `schema` recorded in `failsmall_schema`; a file written by a newer one is refused. */
  readonly version: number;
  /** `NORMAL` (the default) or `FULL` (an acknowledged write is fsync'd). */
  readonly synchronous?: 'NORMAL' | 'FULL';
  /** Run SQLite's `quick_check` at open (a failure is reported as corruption). */
  readonly quickCheck?: boolean;
  /** `:memory:` is refused (a store whose point is durability). */
  readonly fileOnly?: boolean;
  /** The code of a failed open or statement; default `FS_ERR_STORE_BACKEND`. */
  readonly code?: ErrorCode;
  /**
   * Called once when an existing file is not a usable database (`SQLITE_NOTADB`, `SQLITE_CORRUPT`,
   * a failed `quick_check`) with the driver's error; the file is opened again after it returns (it
   * is expected to move the file aside). Without it the open fails with `code`.
   */
  readonly onCorrupt?: (cause: unknown) => void;
}

/** The validated path of a SQLite store's options (`FS_ERR_INVALID_ARGUMENT` otherwise). */
function checkPath(options: SqliteFileOptions | undefined, fileOnly: boolean): string {
  const path = options?.path;
  if (typeof path !== 'string' || path === '' || (fileOnly && path === ':memory:')) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`path\` to be a file path, got ${JSON.stringify(path)}`,
      {
        details: { option: 'path' },
      },
    );
  }
  return path;
}

/** True for the driver's errors that say the file is not (or no longer) a usable database. */
function isCorruption(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'SQLITE_NOTADB' || (typeof code === 'string' && code.startsWith('SQLITE_CORRUPT'));
}

function openFile(Driver: typeof Database, path: string, busyTimeoutMs: number, spec: SqliteSpec): Database.Database {
  const db = new Driver(path, { timeout: busyTimeoutMs });
  try {
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${spec.synchronous ?? 'NORMAL'}`);
    if (spec.quickCheck === true) {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw Object.assign(new Error(`quick_check: ${String(check)}`), { code: 'SQLITE_CORRUPT' });
    }
    db.transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS failsmall_schema (component TEXT PRIMARY KEY, version INTEGER NOT NULL)');
      const row = db.prepare('SELECT version FROM failsmall_schema WHERE component = ?').get(spec.what) as
        { version: number } | undefined;
      if (row !== undefined && row.version > spec.version) {
        throw new FailsmallError(
          spec.code ?? 'FS_ERR_STORE_BACKEND',
          `The SQLite ${spec.what} at ${path} has schema version ${row.version}, newer than this failsmall's ${spec.version}`,
          { details: { path, version: row.version, supported: spec.version } },
        );
      }
      db.exec(spec.schema);
      db.prepare(
        `INSERT INTO failsmall_schema (component, version) VALUES (?, ?)
         ON CONFLICT (component) DO UPDATE SET version = excluded.version`,
      ).run(spec.what, spec.version);
    }).immediate();
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * Validates `path` and `busyTimeoutMs`, loads better-sqlite3 (`FS_ERR_MISSING_PEER` naming it when
 * it is not installed) and opens the file as {@link SqliteSpec} says. Rejects with `spec.code` when
 * the file cannot be opened (a missing directory, no permission, a corrupt file without `onCorrupt`).
 */
export async function openSqlite(options: SqliteFileOptions, spec: SqliteSpec): Promise<Database.Database> {
  const path = checkPath(options, spec.fileOnly === true);
  const busy = nonNegativeNumber('busyTimeoutMs', options.busyTimeoutMs ?? 5_000);
  const driver = await importPeer<{ default: typeof Database }>('better-sqlite3', `the SQLite ${spec.what}`);
  const code = spec.code ?? 'FS_ERR_STORE_BACKEND';
  try {
    try {
      return openFile(driver.default, path, busy, spec);
    } catch (cause) {
      if (spec.onCorrupt === undefined || !isCorruption(cause) || !existsSync(path)) throw cause;
      spec.onCorrupt(cause);
      return openFile(driver.default, path, busy, spec);
    }
  } catch (cause) {
    if (isFailsmallError(cause)) throw cause;
    throw new FailsmallError(code, `Cannot open the SQLite ${spec.what} at ${path}: ${String(cause)}`, { cause });
  }
}

/** A driver error as the store's backend error (a failsmall error passes through). */
export function sqliteError(
  error: unknown,
  code: ErrorCode = 'FS_ERR_STORE_BACKEND',
  label = 'SQLite',
): FailsmallError {
  if (isFailsmallError(error)) return error;
  return new FailsmallError(code, `${label}: ${String(error)}`, { cause: error });
}

/** Runs `fn` in one immediate transaction of `db`, mapping driver errors with {@link sqliteError}. */
export function sqliteTx<T>(db: Database.Database, fn: () => T, label?: string): T {
  try {
    return db.transaction(fn).immediate();
  } catch (error) {
    throw sqliteError(error, 'FS_ERR_STORE_BACKEND', label);
  }
}

/** A JSON column's text decoded; `FS_ERR_STORE_CORRUPT` (`A stored ${what} is not JSON`) when it is not JSON. */
export function parseStoredJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new FailsmallError('FS_ERR_STORE_CORRUPT', `A stored ${what} is not JSON`, { cause });
  }
}

/** What one store asks of {@link openSqliteStore}, beyond {@link SqliteSpec}. */
export interface SqliteStoreSpec extends SqliteSpec {
  /** The error of a call after `close()`; default `FS_ERR_STORE_CLOSED`, `The ${what} is closed`. */
  readonly closed?: () => FailsmallError;
  /** Names the backend in a driver error's message; default `SQLite`. */
  readonly label?: string;
}

/**
 * A SQLite store's open database and closed state, as {@link openSqliteStore} opened it: every
 * transaction fails with the store's closed error after `close()`.
 */
export class SqliteStoreHandle {
  readonly path: string;
  readonly #db: Database.Database;
  readonly #closedError: () => FailsmallError;
  readonly #label: string | undefined;
  #closed = false;

  constructor(db: Database.Database, path: string, closedError: () => FailsmallError, label?: string) {
    this.#db = db;
    this.path = path;
    this.#closedError = closedError;
    this.#label = label;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs `fn` on the database in one immediate transaction ({@link sqliteTx}). */
  tx<T>(fn: (db: Database.Database) => T): T {
    if (this.#closed) throw this.#closedError();
    return sqliteTx(this.#db, () => fn(this.#db), this.#label);
  }

  /** Runs `fn` on the database in one deferred (read) transaction: a consistent view, no write lock. */
  read<T>(fn: (db: Database.Database) => T): T {
    if (this.#closed) throw this.#closedError();
    try {
      return this.#db.transaction(() => fn(this.#db)).deferred();
    } catch (error) {
      throw sqliteError(error, 'FS_ERR_STORE_BACKEND', this.#label);
    }
  }

  /** Closes the database; a second call does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** {@link openSqlite} for one store, returning its handle. */
export async function openSqliteStore(options: SqliteFileOptions, spec: SqliteStoreSpec): Promise<SqliteStoreHandle> {
  const db = await openSqlite(options, spec);
  const closed = spec.closed ?? (() => new FailsmallError('FS_ERR_STORE_CLOSED', `The ${spec.what} is closed`));
  return new SqliteStoreHandle(db, options.path, closed, spec.label);
}
