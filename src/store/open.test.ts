import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { openPlanStore } from './open.js';
import { postgresFromEnv } from './pg-env.js';
import { PostgresPlanStore } from './postgres-store.js';
import { SqlitePlanStore } from './sqlite-store.js';

describe('openPlanStore', () => {
  it('opens memory and SQLite stores from one string, and rejects an empty one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-open-'));
    try {
      const memory = await openPlanStore('memory');
      assert.equal(memory.kind, 'memory');
      for (const spec of [`sqlite:${join(dir, 'a.db')}`, join(dir, 'b.db')]) {
        const store = await openPlanStore(spec);
        assert.equal(store.kind, 'sqlite');
        await store.createPlan('t/A', { ok: true }, { at: 0, by: 'p' });
        await store.close();
        const again = await openPlanStore(spec);
        assert.equal((await again.latestPlan('t/A'))?.generation, 1, 'durable');
        await again.close();
      }
      await assert.rejects(openPlanStore(''), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with FS_ERR_STORE_BACKEND when the file cannot be opened, and validates options', async () => {
    assert.throws(
      () => new SqlitePlanStore({ path: '/nonexistent-dir/x/plans.db' }),
      (e) => isFailsmallError(e, 'FS_ERR_STORE_BACKEND'),
    );
    assert.throws(
      () => new SqlitePlanStore({ path: '' }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });

  it('PostgreSQL: a bad schema name is refused before connecting; an unreachable server is FS_ERR_STORE_BACKEND', async () => {
    await assert.rejects(PostgresPlanStore.open({ schema: 'Bad-Name' }), (e) =>
      isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(PostgresPlanStore.open({ connectionString: 'postgres://nobody@127.0.0.1:1/none' }), (e) =>
      isFailsmallError(e, 'FS_ERR_STORE_BACKEND'),
    );
  });

  it('reads PostgreSQL settings from the environment', () => {
    assert.deepEqual(postgresFromEnv({ FAILSMALL_PG_URL: 'postgres://u@127.0.0.1:5/db' }), {
      connectionString: 'postgres://u@127.0.0.1:5/db',
    });
    assert.deepEqual(postgresFromEnv({ PGHOST: '127.0.0.1' }), {});
    assert.equal(postgresFromEnv({}), undefined);
  });
});
