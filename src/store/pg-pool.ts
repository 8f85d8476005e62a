/**
 * How every PostgreSQL store of failsmall gets its pool and its tables: one schema-name rule, one
 * driver load (pg, an optional peer) with a bounded connect timeout, and one migration, serialised
 * across processes by an advisory lock and recorded under a schema version, that ends a pool it
 * created when it fails. A store holds what it opened as one {@link PgStoreHandle}: its tables by
 * name, its statements, and its `close()`.
 */
import type pg from 'pg';
import type { ErrorCode } from '../core/error-codes.js';
import { FailsmallError } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';
import { positiveInteger } from '../core/validate.js';
import { pgQuery, pgTransaction, type PgClientLike, type PgPoolLike, type PgRow } from './pg-query.js';

/** The options every PostgreSQL store takes. */
export interface PgStoreOptions {
  readonly connectionString?: string;
  readonly pool?: PgPoolLike;
  readonly schema?: string;
  readonly max?: number;
  readonly connectTimeoutMs?: number;
}

/** A store's pool: `owned` when failsmall created it (and so ends it on `close()`). */
export interface PgPoolHandle {
  readonly pool: PgPoolLike;
  readonly owned: boolean;
  readonly schema: string;
}

/** What one store asks of {@link openPgPool}. */
export interface PgSpec {
  /** Names the store in messages: `the PostgreSQL ${what}`. */
  readonly what: string;
  /** Connections in a pool failsmall creates. */
  readonly max: number;
  /** The code of a failed open or statement; default `FS_ERR_STORE_BACKEND`. */
  readonly code?: ErrorCode;
}

/** `schema` (default `public`) checked as a lower-case SQL identifier, `FS_ERR_INVALID_ARGUMENT` otherwise. */
export function pgSchemaName(schema: unknown = 'public'): string {
  if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`schema\` to be a lower-case SQL identifier, got ${JSON.stringify(schema)}`,
      { details: { option: 'schema' } },
    );
  }
  return schema;
}

/**
 * Validates the options, and returns the given pool or a new one (loading pg on first use:
 * `FS_ERR_MISSING_PEER` naming it when it is not installed). A pool failsmall creates ignores an
 * idle client's death (the next query reconnects).
 */
export async function openPgPool(options: PgStoreOptions, spec: PgSpec): Promise<PgPoolHandle> {
  const schema = pgSchemaName(options.schema);
  const max = positiveInteger('max', options.max ?? spec.max);
  const connectionTimeoutMillis = positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? 10_000);
  if (options.pool !== undefined) return { pool: options.pool, owned: false, schema };
  const driver = await importPeer<{ default: typeof pg }>('pg', `the PostgreSQL ${spec.what}`);
  const pool = new driver.default.Pool({
    ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
    max,
    connectionTimeoutMillis,
  });
  pool.on('error', () => undefined);
  return { pool, owned: true, schema };
}

/**
 * Creates the schema and runs `statements` in one transaction holding the advisory lock `lock` (two
 * processes starting at once must not race on `CREATE TABLE`), recording `version` for `component`
 * in `failsmall_schema` and refusing a database written by a newer version. Ends an owned pool
 * when it fails.
 */
export async function pgMigrate(
  handle: PgPoolHandle,
  migration: { readonly lock: string; readonly component: string; readonly version: number; readonly code?: ErrorCode },
  statements: readonly string[],
): Promise<void> {
  const { pool, schema } = handle;
  const versions = `"${schema}".failsmall_schema`;
  try {
    await pgTransaction(
      pool,
      async (client) => {
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [migration.lock]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${versions} (component TEXT PRIMARY KEY, version INTEGER NOT NULL)`,
        );
        const found = await client.query<{ version: number }>(`SELECT version FROM ${versions} WHERE component = $1`, [
          migration.component,
        ]);
        const stored = found.rows[0]?.version;
        if (stored !== undefined && stored > migration.version) {
          throw new FailsmallError(
            migration.code ?? 'FS_ERR_STORE_BACKEND',
            `The PostgreSQL ${migration.component} in schema "${schema}" has schema version ${stored}, newer than this failsmall's ${migration.version}`,
            { details: { schema, version: stored, supported: migration.version } },
          );
        }
        for (const statement of statements) await client.query(statement);
        await client.query(
          `INSERT INTO ${versions} (component, version) VALUES ($1, $2)
           ON CONFLICT (component) DO UPDATE SET version = excluded.version`,
          [migration.component, migration.version],
        );
      },
      migration.code,
    );
  } catch (error) {
    if (handle.owned) await pool.end().catch(() => undefined);
    throw error;
  }
}

/** What one store asks of {@link openPgStore}: its pool, its tables and their migration. */
export interface PgStoreSpec<K extends string> extends PgSpec {
  /** The advisory lock its migration holds (stores sharing tables share one). */
  readonly lock: string;
  /** The version of its tables recorded in `failsmall_schema` under `what`. */
  readonly version: number;
  /** Its tables: a short name for each table's name in the schema. */
  readonly tables: Readonly<Record<K, string>>;
  /** The `CREATE … IF NOT EXISTS` statements, given the tables' schema-qualified names. */
  readonly migrate: (t: Readonly<Record<K, string>>) => readonly string[];
  /** The error of a call after `close()`; default `FS_ERR_STORE_CLOSED`, `The ${what} is closed`. */
  readonly closed?: () => FailsmallError;
}

/**
 * A PostgreSQL store's pool, schema-qualified table names (`t`) and closed state, as
 * {@link openPgStore} opened them: every statement fails with the store's closed error after
 * `close()`, which ends the pool when failsmall created it.
 */
export class PgStoreHandle<K extends string> {
  readonly schema: string;
  readonly t: Readonly<Record<K, string>>;
  readonly #pool: PgPoolLike;
  readonly #owned: boolean;
  readonly #closedError: () => FailsmallError;
  readonly #code: ErrorCode | undefined;
  #closed = false;

  constructor(
    handle: PgPoolHandle,
    tables: Readonly<Record<K, string>>,
    closedError: () => FailsmallError,
    code?: ErrorCode,
  ) {
    this.#pool = handle.pool;
    this.#code = code;
    this.#owned = handle.owned;
    this.schema = handle.schema;
    const t = {} as Record<K, string>;
    for (const key of Object.keys(tables) as K[]) t[key] = `"${handle.schema}".${tables[key]}`;
    this.t = t;
    this.#closedError = closedError;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Runs one statement ({@link pgQuery}). */
  query<R extends PgRow>(text: string, values: unknown[]): Promise<R[]> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return pgQuery<R>(this.#pool, text, values, this.#code);
  }

  /** Runs `fn` in one transaction ({@link pgTransaction}). */
  tx<T>(fn: (client: PgClientLike) => Promise<T>): Promise<T> {
    if (this.#closed) return Promise.reject(this.#closedError());
    return pgTransaction(this.#pool, fn, this.#code);
  }

  /** The pool's counters, for a store's snapshot. */
  poolStats(): { total: number | undefined; idle: number | undefined; waiting: number | undefined } {
    return { total: this.#pool.totalCount, idle: this.#pool.idleCount, waiting: this.#pool.waitingCount };
  }

  /** Marks the store closed and ends the pool if failsmall created it; a second call does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#owned) await this.#pool.end();
  }
}

/**
 * {@link openPgPool} then {@link pgMigrate} for one store: validates the options, gets the pool,
 * creates the schema and the store's tables under `spec.lock`, and returns the store's handle.
 */
export async function openPgStore<K extends string>(
  options: PgStoreOptions,
  spec: PgStoreSpec<K>,
): Promise<PgStoreHandle<K>> {
  const pool = await openPgPool(options, spec);
  const handle = new PgStoreHandle(
    pool,
    spec.tables,
    spec.closed ?? (() => new FailsmallError('FS_ERR_STORE_CLOSED', `The ${spec.what} is closed`)),
    spec.code,
  );
  const migration = { lock: spec.lock, component: spec.what, version: spec.version };
  await pgMigrate(
    pool,
    spec.code === undefined ? migration : { ...migration, code: spec.code },
    spec.migrate(handle.t),
  );
  return handle;
}
