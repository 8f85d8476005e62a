import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type pg from 'pg';
import { isFailsmallError } from '../core/errors.js';
import { POSTGRES_SKIP_REASON, postgresFromEnv } from './pg-env.js';
import { openPgPool, openPgStore, pgMigrate, pgSchemaName } from './pg-pool.js';
import type { PgPoolLike, PgResultLike } from './pg-query.js';

const pgConfig = postgresFromEnv();

describe('pg-pool', () => {
  it('a pg.Pool fits the structural pool type of the public options', () => {
    const fits: (pool: pg.Pool) => PgPoolLike = (pool) => pool;
    assert.equal(typeof fits, 'function');
  });

  it('schema names are lower-case SQL identifiers', () => {
    assert.equal(pgSchemaName(undefined), 'public');
    for (const bad of ['Public', 'a-b', '', 7, 'x'.repeat(64)]) {
      assert.throws(
        () => pgSchemaName(bad),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });

  it(
    'records the schema version and refuses a newer one',
    { skip: pgConfig === undefined && POSTGRES_SKIP_REASON },
    async () => {
      const schema = `fs_pgpool_${process.pid}_${Date.now().toString(36)}`;
      const handle = await openPgPool({ ...pgConfig, schema }, { what: 'test store', max: 1 });
      const migration = { lock: 'failsmall-test-migrate', component: 'test store', version: 2 };
      try {
        await pgMigrate(handle, migration, [`CREATE TABLE IF NOT EXISTS "${schema}".t (x INTEGER)`]);
        await pgMigrate(handle, migration, []); // the same version again
        await handle.pool.query(`UPDATE "${schema}".failsmall_schema SET version = 3`);
        await assert.rejects(pgMigrate({ ...handle, owned: false }, migration, []), (error) => {
          assert.ok(isFailsmallError(error, 'FS_ERR_STORE_BACKEND'));
          assert.match(error.message, /schema version 3, newer than this failsmall's 2/);
          return true;
        });
      } finally {
        await handle.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await handle.pool.end();
      }
    },
  );
});

/** A pool that answers every statement with no rows and records it. */
function recordingPool(): { pool: PgPoolLike; statements: string[]; ended: () => boolean } {
  const statements: string[] = [];
  let ended = false;
  const query = async <R>(text: string): Promise<PgResultLike<R & object>> => {
    statements.push(text);
    return { rows: [], rowCount: 0 };
  };
  const pool: PgPoolLike = {
    query,
    connect: async () => ({ query, release: () => undefined }),
    end: async () => {
      ended = true;
    },
  };
  return { pool, statements, ended: () => ended };
}

describe('openPgStore', () => {
  it('migrates its tables by schema-qualified name, runs statements, and refuses them after close()', async () => {
    const { pool, statements, ended } = recordingPool();
    const store = await openPgStore(
      { pool, schema: 'fs_test' },
      {
        what: 'test store',
        max: 1,
        lock: 'failsmall-test-migrate',
        version: 1,
        tables: { things: 'failsmall_things' },
        migrate: (t) => [`CREATE TABLE IF NOT EXISTS ${t.things} (x INTEGER)`],
      },
    );
    assert.equal(store.schema, 'fs_test');
    assert.deepEqual(store.t, { things: '"fs_test".failsmall_things' });
    assert.ok(statements.includes('CREATE TABLE IF NOT EXISTS "fs_test".failsmall_things (x INTEGER)'));
    assert.deepEqual(await store.query(`SELECT * FROM ${store.t.things}`, []), []);
    await store.close();
    await store.close();
    assert.equal(store.closed, true);
    assert.equal(ended(), false, 'a pool it was given is not ended');
    const closed = (e: unknown) =>
      isFailsmallError(e, 'FS_ERR_STORE_CLOSED') && e.message === 'The test store is closed';
    await assert.rejects(store.query('SELECT 1', []), closed);
    await assert.rejects(
      store.tx(async () => 1),
      closed,
    );
  });
});
