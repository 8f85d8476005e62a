import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
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
      await assert.rejects(openPlanStore('sqlite:'), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails with FS_ERR_STORE_BACKEND when the file cannot be opened, and validates options', async () => {
    await assert.rejects(SqlitePlanStore.open({ path: '/nonexistent-dir/x/plans.db' }), (e) =>
      isFailsmallError(e, 'FS_ERR_STORE_BACKEND'),
    );
    await assert.rejects(openPlanStore('sqlite:/nonexistent-dir/x/plans.db'), (e) =>
      isFailsmallError(e, 'FS_ERR_STORE_BACKEND'),
    );
    await assert.rejects(SqlitePlanStore.open({ path: '' }), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(SqlitePlanStore.open({ path: 'x.db', busyTimeoutMs: -1 }), (e) =>
      isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });

  it('refuses an unknown scheme instead of taking it as a file path', async () => {
    for (const spec of ['mysql://x', 'sqlite3:x.db', 'redis://127.0.0.1:6379']) {
      await assert.rejects(
        openPlanStore(spec),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && /unknown scheme/.test((e as Error).message),
        spec,
      );
    }
  });

  it('loads no database driver on import, and only the driver of the kind opened', async () => {
    const dist = fileURLToPath(new URL('..', import.meta.url));
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-lazy-'));
    const script = `
      import { createRequire } from 'node:module';
      const loaded = () => Object.keys(createRequire(import.meta.url).cache)
        .filter((k) => /[\\/]node_modules[\\/](better-sqlite3|pg)[\\/]/.test(k))
        .map((k) => k.includes('better-sqlite3') ? 'better-sqlite3' : 'pg');
      const store = await import(${JSON.stringify(join(dist, 'store/index.js'))});
      await import(${JSON.stringify(join(dist, 'plan/index.js'))});
      const afterImport = [...new Set(loaded())];
      const s = await store.openPlanStore(${JSON.stringify(`sqlite:${join(dir, 'lazy.db')}`)});
      await s.close();
      console.log(JSON.stringify({ afterImport, afterOpen: [...new Set(loaded())] }));`;
    try {
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script]);
      assert.deepEqual(JSON.parse(stdout), { afterImport: [], afterOpen: ['better-sqlite3'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
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
