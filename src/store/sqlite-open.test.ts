import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { isFailsmallError } from '../core/errors.js';
import { FailsmallError } from '../core/errors.js';
import { openSqlite, openSqliteStore, parseStoredJson } from './sqlite-open.js';

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

describe('openSqliteStore', () => {
  it('runs transactions and reads on its file, maps driver errors, and refuses both after close()', async () => {
    const store = await openSqliteStore({ path: join(dir, 'h.db') }, { ...spec, label: 'SQLite test' });
    store.tx((db) => db.prepare('INSERT INTO t (x) VALUES (?)').run(7));
    assert.deepEqual(
      store.read((db) => db.prepare('SELECT x FROM t').all()),
      [{ x: 7 }],
    );
    assert.throws(
      () => store.tx((db) => db.prepare('SELECT * FROM missing').all()),
      (e) => isFailsmallError(e, 'FS_ERR_STORE_BACKEND') && e.message.startsWith('SQLite test: '),
    );
    assert.equal(store.closed, false);
    store.close();
    store.close(); // a second close does nothing
    assert.equal(store.closed, true);
    const closed = (e: unknown) =>
      isFailsmallError(e, 'FS_ERR_STORE_CLOSED') && e.message === 'The test store is closed';
    assert.throws(() => store.tx(() => 1), closed);
    assert.throws(() => store.read(() => 1), closed);
  });

  it("throws the store's own closed error when it has one", async () => {
    const own = () => new FailsmallError('FS_ERR_OUTBOX_CLOSED', 'closed');
    const store = await openSqliteStore({ path: join(dir, 'i.db') }, { ...spec, closed: own });
    store.close();
    assert.throws(
      () => store.tx(() => 1),
      (e) => isFailsmallError(e, 'FS_ERR_OUTBOX_CLOSED'),
    );
  });

  it('decodes a stored JSON column, FS_ERR_STORE_CORRUPT naming it when it is not JSON', () => {
    assert.deepEqual(parseStoredJson('{"a":[1]}', 'plan body'), { a: [1] });
    assert.throws(
      () => parseStoredJson('{', 'plan body'),
      (e) => isFailsmallError(e, 'FS_ERR_STORE_CORRUPT') && e.message === 'A stored plan body is not JSON',
    );
  });
});
