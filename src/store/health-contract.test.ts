/**
 * The health store contract on SQLite (temporary files) and PostgreSQL (a fresh schema per store,
 * dropped afterwards; skipped with a plain message when no PostgreSQL is configured), and several
 * checker processes agreeing through one database: two monitors, each with its own store handle.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { registerHealthStoreContract, twoCheckersAgree } from '../test-support/health-store-contract.js';
import { tempPgSchemas, tempSqliteFiles } from '../test-support/sql-backends.js';
import { PostgresHealthStore } from './postgres-health-store.js';
import { SqliteHealthStore } from './sqlite-health-store.js';

const files = tempSqliteFiles('health');
after(files.cleanup);
registerHealthStoreContract('sqlite', () => SqliteHealthStore.open({ path: files.next() }));

const schemas = tempPgSchemas('health');
registerHealthStoreContract('postgres', () => PostgresHealthStore.open(schemas.next()), schemas.skip);
after(schemas.cleanup);

describe('checkers on several processes agree through one database', () => {
  it('two monitors with two handles on one SQLite file', async () => {
    const path = files.next();
    const east = await SqliteHealthStore.open({ path });
    const west = await SqliteHealthStore.open({ path });
    try {
      await twoCheckersAgree(east, west);
    } finally {
      await east.close();
      await west.close();
    }
  });

  it('two monitors with two pools on one PostgreSQL schema', { skip: schemas.skip }, async () => {
    const east = await PostgresHealthStore.open(schemas.next());
    const west = await PostgresHealthStore.open(schemas.last());
    try {
      await twoCheckersAgree(east, west);
    } finally {
      await east.close();
      await west.close();
    }
  });

  it('a closed store rejects with FS_ERR_STORE_CLOSED; a bad path or schema is FS_ERR_INVALID_ARGUMENT', async () => {
    const store = await SqliteHealthStore.open({ path: files.next() });
    await store.close();
    await assert.rejects(store.votes('s', 0), { code: 'FS_ERR_STORE_CLOSED' });
    await assert.rejects(SqliteHealthStore.open({ path: '' }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    await assert.rejects(PostgresHealthStore.open({ schema: 'Bad-Name' }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    await assert.rejects(SqliteHealthStore.open({ path: `${files.next()}-missing/x.db` }), {
      code: 'FS_ERR_STORE_BACKEND',
    });
  });
});
