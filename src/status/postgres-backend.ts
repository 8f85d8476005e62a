/**
 * Status documents in PostgreSQL (pg), for a replicated status page: several status servers on
 * several hosts share one database. A write is one transaction holding a transaction-scoped advisory
 * lock, so writes from every server are serialised; reads need no lock. The driver is an optional
 * peer, loaded by {@link PostgresBackend.open} on first use (`npm install pg`).
 */
import { FailsmallError } from '../core/errors.js';
import { openPgPool, pgMigrate } from '../store/pg-pool.js';
import { pgError, pgTransaction, type PgClientLike, type PgPoolLike } from '../store/pg-query.js';
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

/**
 * The PostgreSQL {@link StatusBackend}.
 *
 * @example
 * const store = createStatusStore(await PostgresBackend.open({ connectionString: process.env.DATABASE_URL }));
 */
export class PostgresBackend implements StatusBackend {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly #pool: PgPoolLike;
  readonly #table: string;
  #closed = false;

  private constructor(pool: PgPoolLike, schema: string) {
    this.#pool = pool;
    this.schema = schema;
    this.#table = `"${schema}".failsmall_status_docs`;
  }

  /**
   * Loads pg (`FS_ERR_MISSING_PEER` when it is not installed), connects, creates the schema and table
   * if missing. Rejects with `FS_ERR_STATUS_STORE_BACKEND` when the server cannot be reached.
   */
  static async open(options: PostgresBackendOptions = {}): Promise<PostgresBackend> {
    const code = StatusErrorCodes.STORE_BACKEND;
    const handle = await openPgPool(options, { what: 'status store', max: 4, code });
    const backend = new PostgresBackend(handle.pool, handle.schema);
    await pgMigrate(handle, { lock: 'failsmall-status-migrate', component: 'status store', version: 1, code }, [
      `CREATE TABLE IF NOT EXISTS ${backend.#table} (
         seq BIGSERIAL PRIMARY KEY, kind TEXT NOT NULL, id TEXT NOT NULL, body JSONB NOT NULL, UNIQUE (kind, id))`,
    ]);
    return backend;
  }

  #tx(client: PgPoolLike | PgClientLike, writable: boolean): DocumentTx {
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
    return pgTransaction(
      this.#pool,
      async (client) => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [LOCK_KEY]);
        return fn(this.#tx(client, true));
      },
      StatusErrorCodes.STORE_BACKEND,
    );
  }

  async read<T>(fn: (tx: DocumentTx) => Promise<T>): Promise<T> {
    checkOpen(this.#closed);
    try {
      return await fn(this.#tx(this.#pool, false));
    } catch (error) {
      throw pgError(error, StatusErrorCodes.STORE_BACKEND);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.end();
  }
}
