/**
 * The contract every {@link HealthStore} passes: memory, SQLite and PostgreSQL run this one suite.
 * Loaded by tests only.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { initialSet } from '../health/guardrails.js';
import { HealthMonitor } from '../health/monitor.js';
import { providerSource, type HealthTarget } from '../health/source.js';
import type { HealthStore, StoredVote } from '../health/store.js';

const targets: HealthTarget[] = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, address: `127.0.0.${i + 2}`, port: 1 }));

/**
 * Two checkers, `east` and `west`, each a monitor of the set `orders` (targets a–d) with its own
 * store handle (one memory store passed twice, or two handles on one database), agree on one set:
 * each counts the other's votes, respects the other's operator, both see one journal, a checker
 * alone is no quorum once the other's votes are stale, and of two writes on one version exactly
 * one wins.
 */
export async function twoCheckersAgree(east: HealthStore, west: HealthStore): Promise<void> {
  const clock = new VirtualClock(0);
  const answers = { east: new Map<string, boolean>(), west: new Map<string, boolean>() };
  const make = (checker: 'east' | 'west', store: HealthStore): HealthMonitor =>
    new HealthMonitor({
      name: 'orders',
      targets,
      sources: [providerSource('probe', (t) => answers[checker].get(t.id) ?? true, { rise: 1, fall: 1 })],
      guardrails: { maxRemovedShare: 1, floor: 0, holdDown: 0, slowStart: false },
      store,
      checker,
      checkers: 2,
      interval: 1000,
      clock,
    });
  const e = make('east', east);
  const w = make('west', west);
  const healthy = (m: HealthMonitor): string[] => m.healthy().map((h) => h.id);
  answers.east.set('a', false);
  await e.evaluate();
  const r = await w.evaluate();
  assert.equal(r.decisions['a']!.reason, 'disagreement', "west counts east's down vote against its own up vote");
  answers.west.set('a', false);
  await w.evaluate();
  assert.deepEqual(healthy(w), ['b', 'c', 'd']);
  await clock.advance(10);
  await e.evaluate();
  assert.deepEqual(healthy(e), ['b', 'c', 'd'], 'east applies the same set');
  await e.isolate('b', 'alice');
  assert.equal((await west.readSet('orders'))!.state.members['b']!.override, 'isolate');
  await clock.advance(10);
  await w.evaluate();
  assert.deepEqual(healthy(w), ['c', 'd'], "west respects east's operator");
  assert.deepEqual(
    (await west.changes('orders')).map((c) => [c.target, c.change, c.by]),
    [
      ['a', 'removed', 'automation@west'],
      ['b', 'removed', 'alice'],
    ],
  );
  await clock.advance(5000); // west's votes are now stale: east alone is no quorum, the set holds
  answers.east.clear();
  const r2 = await e.evaluate();
  assert.equal(r2.decisions['a']!.reason, 'no-quorum', 'only fresh votes count, and one checker is no quorum');
  assert.deepEqual(healthy(e), ['c', 'd']);
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

/** Registers the contract suite for the store `open` returns (a fresh, empty store each call). */
export function registerHealthStoreContract(
  name: string,
  open: () => Promise<HealthStore>,
  skip?: string | false,
): void {
  describe(`HealthStore contract: ${name}`, { skip: skip ?? false }, () => {
    const vote = (over: Partial<StoredVote> = {}): StoredVote => ({
      set: 's',
      checker: 'c1',
      source: 'probe',
      target: 'a',
      vote: 'up',
      at: 100,
      ...over,
    });

    it('keeps the latest vote per (checker, source, target) and filters by age', async () => {
      const store = await open();
      try {
        await store.putVotes([vote(), vote({ target: 'b', vote: 'down' }), vote({ checker: 'c2', at: 50 })]);
        await store.putVotes([vote({ vote: 'down', at: 200 })]);
        const fresh = await store.votes('s', 100);
        const key = (v: StoredVote) => `${v.checker}/${v.source}/${v.target}=${v.vote}@${v.at}`;
        assert.deepEqual(fresh.map(key).sort(), ['c1/probe/a=down@200', 'c1/probe/b=down@100']);
        assert.equal((await store.votes('s', 0)).length, 3);
        assert.deepEqual(await store.votes('other', 0), []);
      } finally {
        await store.close();
      }
    });

    it('writes the set with compare-and-set on its version', async () => {
      const store = await open();
      try {
        assert.equal(await store.readSet('s'), undefined);
        const s1 = initialSet(['a', 'b']);
        assert.deepEqual(await store.writeSet('s', s1, 0), { ok: true, version: 1 });
        const s2 = { ...s1, members: { ...s1.members, a: { inSet: false, since: 5 } }, removals: [{ at: 5, id: 'a' }] };
        const stale = await store.writeSet('s', s2, 0);
        assert.equal(stale.ok, false);
        if (!stale.ok) assert.deepEqual(stale.current, { state: s1, version: 1 });
        assert.deepEqual(await store.writeSet('s', s2, 1), { ok: true, version: 2 });
        assert.deepEqual(await store.readSet('s'), { state: s2, version: 2 });
      } finally {
        await store.close();
      }
    });

    it('journals changes in order and answers queries', async () => {
      const store = await open();
      try {
        for (let i = 0; i < 5; i++) {
          await store.appendChange({
            set: 's',
            target: `t${i}`,
            change: i % 2 ? 'added' : 'removed',
            reason: 'unhealthy',
            at: i * 10,
            by: 'automation',
          });
        }
        const all = await store.changes('s');
        assert.deepEqual(
          all.map((c) => c.target),
          ['t0', 't1', 't2', 't3', 't4'],
        );
        assert.deepEqual(
          (await store.changes('s', { since: 20, limit: 2 })).map((c) => c.target),
          ['t2', 't3'],
        );
        assert.deepEqual(all[1], {
          set: 's',
          target: 't1',
          change: 'added',
          reason: 'unhealthy',
          at: 10,
          by: 'automation',
        });
      } finally {
        await store.close();
      }
    });

    it('rejects malformed votes and queries with FS_ERR_HEALTH_STORE_INVALID and stores nothing', async () => {
      const store = await open();
      try {
        const invalid = (e: unknown) => (e as { code?: string }).code === 'FS_ERR_HEALTH_STORE_INVALID';
        await assert.rejects(store.putVotes([vote(), vote({ vote: 'maybe' as never })]), invalid);
        await assert.rejects(store.putVotes([vote({ checker: '' })]), invalid);
        await assert.rejects(store.putVotes([vote({ at: Number.NaN })]), invalid);
        assert.deepEqual(await store.votes('s', 0), []);
        await assert.rejects(store.changes('s', { limit: 0 }), invalid);
      } finally {
        await store.close();
      }
    });
  });
}
