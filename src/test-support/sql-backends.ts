/**
 * The databases of the SQL store suites: temporary SQLite files, and fresh PostgreSQL schemas
 * (dropped afterwards; the suites skip with {@link POSTGRES_SKIP_REASON} when no PostgreSQL is
 * configured, see scripts/with-postgres.sh). One setup for the plan, health, outbox and status
 * store contracts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_SKIP_REASON, postgresFromEnv } from '../store/pg-env.js';

/** Temporary SQLite files: `next()` names a new one, `last()` the latest (for a peer handle). */
export function tempSqliteFiles(name: string): { next(): string; last(): string; cleanup(): Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), `failsmall-${name}-`));
  let count = 0;
  let last = '';
  return {
    next: () => (last = join(dir, `${name}-${++count}.db`)),
    last: () => last,
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The connection options plus a schema, as every PostgreSQL store's `open` takes them. */
export interface PgTestOptions {
  readonly connectionString?: string;
  readonly schema: string;
}

/**
 * Fresh PostgreSQL schemas on the configured server: `next()` options with a new schema, `last()`
 * the latest one's (for a peer handle), `cleanup()` drops them all. `skip` is the reason to skip
 * (`false` when a server is configured) and `suite` the same as suite options.
 */
export function tempPgSchemas(name: string): {
  readonly skip: string | false;
  readonly suite: { skip?: string };
  next(): PgTestOptions;
  last(): PgTestOptions;
  cleanup(): Promise<void>;
} {
  const config = postgresFromEnv();
  const schemas: string[] = [];
  const run = `fs_${name}_${process.pid}_${Date.now().toString(36)}`;
  const options = (schema: string): PgTestOptions => ({ ...config, schema });
  return {
    skip: config === undefined ? POSTGRES_SKIP_REASON : false,
    suite: config === undefined ? { skip: POSTGRES_SKIP_REASON } : {},
    next: () => {
      const schema = `${run}_${schemas.length + 1}`;
      schemas.push(schema);
      return options(schema);
    },
    last: () => options(schemas.at(-1)!),
    cleanup: async () => {
      if (config === undefined || schemas.length === 0) return;
      const client = new pg.Client(
        config.connectionString === undefined ? {} : { connectionString: config.connectionString },
      );
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  };
}
