/**
 * The two ways every PostgreSQL store talks to its pool: one statement, or one transaction. Driver
 * errors become `FS_ERR_STORE_BACKEND` (or the store's own backend code; a failsmall error thrown
 * inside a transaction passes through after the rollback), so the stores share one error behaviour.
 *
 * The pool is typed structurally ({@link PgPoolLike}): a `pg.Pool` fits, and the shipped `.d.ts`
 * need no `@types/pg`.
 */
import type { ErrorCode } from '../core/error-codes.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';

/** A row as the driver returns it. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- pg's own QueryResultRow
export type PgRow = Record<string, any>;

/** What failsmall reads of a query's result (a `pg.QueryResult` fits). */
export interface PgResultLike<R extends PgRow = PgRow> {
  readonly rows: R[];
  readonly rowCount: number | null;
}

/** What failsmall calls on a client checked out of a pool (a `pg.PoolClient` fits). */
export interface PgClientLike {
  query<R extends PgRow = PgRow>(text: string, values?: unknown[]): Promise<PgResultLike<R>>;
  release(): void;
}

/** What failsmall calls on a connection pool (a `pg.Pool` fits). */
export interface PgPoolLike {
  query<R extends PgRow = PgRow>(text: string, values?: unknown[]): Promise<PgResultLike<R>>;
  connect(): Promise<PgClientLike>;
  end(): Promise<void>;
  /** Connections open, idle and waited for (pg's counters; shown in a store's snapshot when present). */
  readonly totalCount?: number;
  readonly idleCount?: number;
  readonly waitingCount?: number;
}

/** A driver error as the store's backend error (a failsmall error passes through). */
export function pgError(error: unknown, code: ErrorCode = 'FS_ERR_STORE_BACKEND'): FailsmallError {
  if (isFailsmallError(error)) return error;
  return new FailsmallError(code, `PostgreSQL: ${String(error)}`, { cause: error });
}

/** Runs one statement and returns its rows. */
export async function pgQuery<R extends PgRow>(
  pool: PgPoolLike,
  text: string,
  values: unknown[],
  code?: ErrorCode,
): Promise<R[]> {
  try {
    return (await pool.query<R>(text, values)).rows;
  } catch (error) {
    throw pgError(error, code);
  }
}

/** Runs `fn` in one transaction on a client of `pool`: committed when it resolves, rolled back when it throws. */
export async function pgTransaction<T>(
  pool: PgPoolLike,
  fn: (client: PgClientLike) => Promise<T>,
  code?: ErrorCode,
): Promise<T> {
  let client: PgClientLike;
  try {
    client = await pool.connect();
  } catch (error) {
    throw pgError(error, code);
  }
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw pgError(error, code);
  } finally {
    client.release();
  }
}
