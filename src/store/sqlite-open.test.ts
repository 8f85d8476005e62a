import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isFailsmallError } from '../core/errors.js';
import { openSqlite } from './sqlite-open.js';

const dir = mkdtempSync(join(tmpdir(), 'failsmall-sqlite-open-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const spec = { what: 'test store', schema: 'CREATE TABLE IF NOT EXISTS t (x INTEGER);', version: 2 };

describe('openSqlite', () => {
  it('opens in WAL mode, applies the schema and records its version', async () => {
    const path = join(dir, 'a.db');
    const db = await openSqlite({ path }, spec);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.deepEqual(db.prepare('SELECT * FROM failsmall_schema').all(), [{ component: 'test store', version: 2 }]);
    db.close();
    (await openSqlite({ path }, spec)).close(); // the same version opens again
  });

  it('refuses a file written by a newer schema version, with the store backend code', async () => {
    const path = join(dir, 'b.db');
    (await openSqlite({ path }, spec)).close();
    const raw = new Database(path);
    raw.prepare('UPDATE failsmall_schema SET version = 3').run();
    raw.close();
    await assert.rejects(openSqlite({ path }, spec), (error) => {
      assert.ok(isFailsmallError(error, 'FS_ERR_STORE_BACKEND'));
      assert.match(error.message, /schema version 3, newer than this failsmall's 2/);
      return true;
    });
  });

  it('rejects a bad path and maps an unopenable file to the given code', async () => {
    await assert.rejects(openSqlite({ path: '' }, spec), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(openSqlite({ path: ':memory:' }, { ...spec, fileOnly: true }), (e) =>
      isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(
      openSqlite({ path: join(dir, 'missing', 'c.db') }, { ...spec, code: 'FS_ERR_STATUS_STORE_BACKEND' }),
      (e) => isFailsmallError(e, 'FS_ERR_STATUS_STORE_BACKEND'),
    );
  });
});
