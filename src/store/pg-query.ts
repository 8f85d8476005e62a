/**
 * The two ways every PostgreSQL store talks to its pool: one statement, or one transaction. Driver
 * errors become `FS_ERR_STORE_BACKEND` (a failsmall error thrown inside a transaction passes through
 * after the rollback), so the stores share one error behaviour.
 */
import type pg from 'pg';
import { FailsmallError, isFailsmallError } from '../core/errors.js';

function backend(error: unknown): FailsmallError {
  return new FailsmallError('FS_ERR_STORE_BACKEND', `PostgreSQL: ${String(error)}`, { cause: error });
}

/** Runs one statement and returns its rows. */
export async function pgQuery<R extends pg.QueryResultRow>(
  pool: pg.Pool,
  text: string,
  values: unknown[],
): Promise<R[]> {
  try {
    return (await pool.query<R>(text, values)).rows;
  } catch (error) {
    throw backend(error);
  }
}

/** Runs `fn` in one transaction on a client of `pool`: committed when it resolves, rolled back when it throws. */
export async function pgTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  let client: pg.PoolClient;
  try {
    client = await pool.connect();
  } catch (error) {
    throw backend(error);
  }
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    if (isFailsmallError(error)) throw error;
    throw backend(error);
  } finally {
    client.release();
  }
}
