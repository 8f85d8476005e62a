/**
 * Status documents in PostgreSQL (pg), for a replicated status page: several status servers on
 * several hosts share one database. A write is one transaction holding a transaction-scoped advisory
 * lock, so writes from every server are serialised; reads need no lock. The driver is an optional
 * peer, loaded by {@link PostgresBackend.open} on first use (`npm install pg`).
 */
import type pg from 'pg';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';
import { positiveInteger } from '../core/validate.js';
import { checkOpen, type Doc, type DocumentKind, type DocumentTx, type StatusBackend } from './backend.js';
import { StatusErrorCodes } from './error-codes.js';

/** Options of {@link PostgresBackend.open}. */
export interface PostgresBackendOptions {
  /** `postgres://user:pass@host:port/db`; default from the `PG*` environment variables, as `pg` does. */
  readonly connectionString?: string;
  /** The schema holding the table (created if missing), default `public`. Lower-case letters, digits, `_`. */
  readonly schema?: string;
  /** Connections in the pool, default 4. */
  readonly max?: number;
  /** How long opening a connection may take, in milliseconds, default 10 s. */
  readonly connectTimeoutMs?: number;
}

/** The advisory lock key every status write takes (an arbitrary constant: "fsstatus"). */
const LOCK_KEY = 0x66737374;

function backendError(error: unknown): FailsmallError {
  if (isFailsmallError(error)) return error;
  return new FailsmallError(StatusErrorCodes.STORE_BACKEND, `PostgreSQL: ${String(error)}`, { cause: error });
}

/**
 * The PostgreSQL {@link StatusBackend}.
 *
 * @example
 * const store = createStatusStore(await PostgresBackend.open({ connectionString: process.env.DATABASE_URL }));
 */
export class PostgresBackend implements StatusBackend {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly #pool: pg.Pool;
  readonly #table: string;
  #closed = false;

  private constructor(pool: pg.Pool, schema: string) {
    this.#pool = pool;
    this.schema = schema;
    this.#table = `"${schema}".failsmall_status_docs`;
  }

  /**
   * Loads pg (`FS_ERR_MISSING_PEER` when it is not installed), connects, creates the schema and table
   * if missing. Rejects with `FS_ERR_STATUS_STORE_BACKEND` when the server cannot be reached.
   */
  static async open(options: PostgresBackendOptions = {}): Promise<PostgresBackend> {
    const schema = options.schema ?? 'public';
    if (typeof schema !== 'string' || !/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`schema\` to be a lower-case SQL identifier, got ${JSON.stringify(schema)}`,
        { details: { option: 'schema' } },
      );
    }
    const max = positiveInteger('max', options.max ?? 4);
    const connectionTimeoutMillis = positiveInteger('connectTimeoutMs', options.connectTimeoutMs ?? 10_000);
    const driver = await importPeer<{ default: typeof pg }>('pg', 'the PostgreSQL status store');
    const pool = new driver.default.Pool({
      ...(options.connectionString === undefined ? {} : { connectionString: options.connectionString }),
      max,
      connectionTimeoutMillis,
    });
    pool.on('error', () => undefined); // an idle client died: the next query reconnects
    const backend = new PostgresBackend(pool, schema);
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
      await pool.query(
        `CREATE TABLE IF NOT EXISTS ${backend.#table} (
           seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, body JSONB NOT NULL, UNIQUE (kind, id))`,
      );
    } catch (error) {
      await pool.end().catch(() => undefined);
      throw backendError(error);
    }
    return backend;
  }

  #tx(client: pg.Pool | pg.PoolClient, writable: boolean): DocumentTx {
    const t = this.#table;
    const readOnly = (): never => {
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'A read transaction cannot write');
    };
    return {
      get: async (kind: DocumentKind, id: string) => {
        const r = await client.query<{ body: Doc }>(`SELECT body FROM ${t} WHERE kind = $1 AND id = $2`, [kind, id]);
        return r.rows[0]?.body;
      },
      list: async (kind: DocumentKind) =>
        (await client.query<{ body: Doc }>(`SELECT body FROM ${t} WHERE kind = $1 ORDER BY seq`, [kind])).rows.map(
          (r) => r.body,
        ),
      put: writable
        ? async (kind: DocumentKind, id: string, doc: Doc) => {
            await client.query(
              `INSERT INTO ${t} (kind, id, body) VALUES ($1, $2, $3::jsonb)
               ON CONFLICT (kind, id) DO UPDATE SET body = excluded.body`,
              [kind, id, JSON.stringify(doc)],
            );
          }
        : readOnly,
      delete: writable
        ? async (kind: DocumentKind, id: string) =>
            ((await client.query(`DELETE FROM ${t} WHERE kind = $1 AND id = $2`, [kind, id])).rowCount ?? 0) > 0
        : readOnly,
    };
  }

  async write<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    checkOpen(this.#closed);
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (error) {
      throw backendError(error);
    }
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
      const result = await fn(this.#tx(client, true));
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw backendError(error);
    } finally {
      client.release();
    }
  }

  async read<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    checkOpen(this.#closed);
    try {
      return await fn(this.#tx(this.#pool, false));
    } catch (error) {
      throw backendError(error);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
