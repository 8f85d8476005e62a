/**
 * The health store contract on SQLite (temporary files) and PostgreSQL (a fresh schema per store,
 * dropped afterwards; skipped with a plain message when no PostgreSQL is configured), and several
 * checker processes agreeing through one database: two monitors, each with its own store handle.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { initialSet } from '../health/guardrails.js';
import type { HealthStore } from '../health/store.js';
import { registerHealthStoreContract, twoCheckers } from '../test-support/health-store-contract.js';
import { tempPgSchemas, tempSqliteFiles } from '../test-support/sql-backends.js';
import { PostgresHealthStore } from './postgres-health-store.js';
import { SqliteHealthStore } from './sqlite-health-store.js';

const files = tempSqliteFiles('health');
after(files.cleanup);
registerHealthStoreContract('sqlite', () => SqliteHealthStore.open({ path: files.next() }));

const schemas = tempPgSchemas('health');
registerHealthStoreContract('postgres', () => PostgresHealthStore.open(schemas.next()), schemas.skip);
after(schemas.cleanup);

/** Two checkers, each with its own handle on one database, agree on one set. */
async function twoCheckersAgree(east: HealthStore, west: HealthStore): Promise<void> {
  const clock = new VirtualClock(0);
  const { east: e, west: w, answers } = twoCheckers({ east, west }, clock);
  answers.east.set('a', false);
  await e.evaluate();
  const r = await w.evaluate();
  assert.equal(r.decisions['a']!.reason, 'disagreement', "west counts east's vote from the database");
  answers.west.set('a', false);
  await w.evaluate();
  await clock.advance(10);
  await e.evaluate();
  assert.deepEqual(
    e.healthy().map((h) => h.id),
    ['b', 'c', 'd'],
  );
  assert.deepEqual(
    w.healthy().map((h) => h.id),
    ['b', 'c', 'd'],
  );
  await e.isolate('b', 'alice');
  await clock.advance(10);
  await w.evaluate();
  assert.deepEqual(
    w.healthy().map((h) => h.id),
    ['c', 'd'],
    "west respects east's operator",
  );
  const journal = await west.changes('orders');
  assert.deepEqual(
    journal.map((c) => [c.target, c.change, c.by]),
    [
      ['a', 'removed', 'automation@west'],
      ['b', 'removed', 'alice'],
    ],
  );
  // Both write on the same version at once: exactly one wins, the other sees the winner's state.
  const base = (await east.readSet('orders'))!;
  const results = await Promise.all([
    east.writeSet('orders', initialSet(['x']), base.version),
    west.writeSet('orders', initialSet(['y']), base.version),
  ]);
  assert.equal(results.filter((x) => x.ok).length, 1);
  const lost = results.find((x) => !x.ok);
  assert.ok(lost !== undefined && !lost.ok);
  assert.equal(lost.current.version, base.version + 1);
}

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
