/**
 * The one contract test suite every {@link PlanStore} passes: memory, SQLite and PostgreSQL register it
 * with their own factory (store/contract.test.ts). It imports `node:test`, so it lives in test support,
 * which is not shipped; a new backend registers it the same way in its own test file. It knows only
 * the production, fenced {@link Enactor}: the 2025-10-20 race against each SQL store is run by the
 * lab's tests (lab/race/race-store.test.ts).
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { Enactor } from '../plan/enactor.js';
import { MemoryDnsProvider } from '../plan/memory-provider.js';
import { readAddresses, readFence } from '../plan/plan-body.js';
import { Planner } from '../plan/planner.js';
import type { PlanStore } from '../plan/store.js';
import { code, contractSuite, type ContractFactory, type ContractOptions } from './store-contract.js';

/** How a suite gets stores. */
export interface StoreFactory extends ContractFactory {
  /** A fresh, empty store. */
  open(): Promise<PlanStore>;
  /**
   * A second client on the same data as the last store `open` returned (another process or host),
   * when the backend has such a thing; default none (those cases are skipped).
   */
  openPeer?(): Promise<PlanStore>;
}

const meta = (by = 'planner', at = 1_000): { at: number; by: string } => ({ at, by });

/**
 * Registers the contract tests for a store under `describe(name)`. With `skip`, every case is
 * reported as skipped with that reason (a database that is not available), never failed.
 *
 * @example
 * registerStoreContract('sqlite', { open: () => SqlitePlanStore.open({ path: tmpFile() }) });
 */
export function registerStoreContract(name: string, factory: StoreFactory, options: ContractOptions = {}): void {
  describe(`PlanStore contract: ${name}`, () => {
    const { it, tracked } = contractSuite<PlanStore>(factory, options.skip);
    const open = tracked(() => factory.open());
    const peer = factory.openPeer === undefined ? async () => undefined : tracked(() => factory.openPeer!());

    it('numbers plans 1, 2, 3 … per target and keeps bodies as JSON', async () => {
      const store = await open();
      const body = { zone: 'example.com', records: [{ address: '192.0.2.1', weight: 7 }], note: 'ünïcode ✓', n: null };
      const p1 = await store.createPlan('a/A', body, meta('planner-1', 1_500.5));
      assert.deepEqual(p1, { target: 'a/A', generation: 1, createdAt: 1_500.5, createdBy: 'planner-1', body });
      assert.equal((await store.createPlan('a/A', { v: 2 }, meta())).generation, 2);
      assert.equal((await store.createPlan('b/A', { v: 1 }, meta())).generation, 1, 'per target');
      assert.deepEqual(await store.getPlan('a/A', 1), p1);
      assert.equal(await store.getPlan('a/A', 9), undefined);
      assert.equal(await store.latestPlan('none/A'), undefined);
      assert.deepEqual((await store.latestPlan('a/A'))?.body, { v: 2 });
    });

    it('never reuses a generation, even after every plan was deleted', async () => {
      const store = await open();
      for (let i = 0; i < 3; i++) await store.createPlan('t/A', { i }, meta());
      assert.deepEqual(await store.deletePlans('t/A', { below: 100 }), [1, 2, 3]);
      assert.equal(await store.latestPlan('t/A'), undefined);
      assert.equal((await store.createPlan('t/A', { i: 3 }, meta())).generation, 4);
    });

    it('allocates distinct generations to concurrent creators', async () => {
      const store = await open();
      const other = (await peer()) ?? store;
      const created = await Promise.all(
        Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? store : other).createPlan('c/A', { i }, meta())),
      );
      assert.deepEqual(
        created.map((p) => p.generation).sort((a, b) => a - b),
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    });

    it('lists and deletes by range, with exceptions, oldest first', async () => {
      const store = await open();
      for (let i = 0; i < 8; i++) await store.createPlan('l/A', { i }, meta());
      assert.deepEqual(
        (await store.listPlans('l/A', { below: 6, above: 2 })).map((p) => p.generation),
        [3, 4, 5],
      );
      assert.deepEqual(await store.deletePlans('l/A', { below: 6, except: [2, 4] }), [1, 3, 5]);
      assert.deepEqual(
        (await store.listPlans('l/A')).map((p) => p.generation),
        [2, 4, 6, 7, 8],
      );
      assert.deepEqual(await store.deletePlans('l/A', { below: 1 }), []);
      assert.deepEqual(await store.deletePlans('nothing/A', { below: 10 }), []);
    });

    it('compare-and-sets the active pointer', async () => {
      const store = await open();
      assert.equal(await store.getActive('x/A'), undefined);
      const w = (generation: number, by = 'e1') => ({ generation, at: 2_000, by });
      assert.equal((await store.setActive('x/A', w(3), { expectedGeneration: null })).ok, true);
      assert.equal((await store.setActive('x/A', w(4), { expectedGeneration: null })).ok, false);
      const lost = await store.setActive('x/A', w(5), { expectedGeneration: 2 });
      assert.deepEqual(lost, {
        ok: false,
        current: { target: 'x/A', generation: 3, updatedAt: 2_000, updatedBy: 'e1' },
      });
      assert.equal((await store.setActive('x/A', w(5, 'e2'), { expectedGeneration: 3 })).ok, true);
      assert.equal((await store.setActive('x/A', w(5), { onlyForward: true })).ok, false, 'equal is not forward');
      assert.equal((await store.setActive('x/A', w(4), { onlyForward: true })).ok, false);
      assert.equal((await store.setActive('x/A', w(6), { onlyForward: true })).ok, true);
      assert.equal((await store.setActive('y/A', w(1), { onlyForward: true })).ok, true, 'no pointer yet');
      // Unconditional: the legacy write, which can go backwards.
      const back = await store.setActive('x/A', w(2, 'legacy'));
      assert.deepEqual(back.current, { target: 'x/A', generation: 2, updatedAt: 2_000, updatedBy: 'legacy' });
    });

    it('moves forward only, whatever the order of concurrent fenced writers', async () => {
      const store = await open();
      const other = (await peer()) ?? store;
      const order = [7, 3, 12, 1, 9, 15, 4, 11, 2, 14, 6, 13, 5, 10, 8];
      const results = await Promise.all(
        order.map((g, i) =>
          (i % 2 === 0 ? store : other).setActive('f/A', { generation: g, at: g, by: `e${g}` }, { onlyForward: true }),
        ),
      );
      assert.ok(results.some((r) => r.ok));
      assert.equal((await store.getActive('f/A'))?.generation, 15);
    });

    it('appends to the journal and reads it back by target, decision, sequence and order', async () => {
      const store = await open();
      const base = { actor: 'e1', reason: 'ok', at: 3_000 } as const;
      const first = await store.appendJournal({ ...base, target: 'j/A', generation: 1, decision: 'applied' });
      assert.equal(first.details, null);
      const second = await store.appendJournal({
        ...base,
        target: 'j/A',
        generation: 2,
        decision: 'refused',
        reason: 'guard-empty',
        details: { share: 1, list: [1, 2] },
      });
      assert.ok(second.seq > first.seq);
      await store.appendJournal({ ...base, target: 'k/A', generation: 1, decision: 'applied' });
      await store.appendJournal({ ...base, target: 'j/A', generation: 3, decision: 'applied' });
      const all = await store.readJournal({ target: 'j/A' });
      assert.deepEqual(
        all.map((e) => e.generation),
        [1, 2, 3],
      );
      assert.deepEqual(all[1], { ...second });
      assert.deepEqual(
        (await store.readJournal({ target: 'j/A', decision: 'applied', newestFirst: true, limit: 1 })).map(
          (e) => e.generation,
        ),
        [3],
      );
      assert.deepEqual(
        (await store.readJournal({ afterSeq: second.seq })).map((e) => e.target),
        ['k/A', 'j/A'],
      );
      assert.equal((await store.readJournal({ limit: 0 })).length, 0);
    });

    it('rejects bad input with FS_ERR_INVALID_ARGUMENT', async () => {
      const store = await open();
      await assert.rejects(store.createPlan('', {}, meta()), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.createPlan('t/A', { n: 1n } as never, meta()), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.createPlan('t/A', {}, { at: NaN, by: 'p' }), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.getPlan('t/A', 0), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.getPlan('t/A', 1.5), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.setActive('t/A', { generation: -1, at: 0, by: 'e' }), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(
        store.appendJournal({
          target: 't/A',
          generation: 1,
          actor: 'e',
          decision: 'maybe' as never,
          reason: '',
          at: 0,
        }),
        code('FS_ERR_INVALID_ARGUMENT'),
      );
      await assert.rejects(store.readJournal({ limit: -1 }), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.readJournal({ decision: 'nope' as never }), code('FS_ERR_INVALID_ARGUMENT'));
      assert.equal(typeof store.snapshot().kind, 'string');
    });

    it('rejects calls after close with FS_ERR_STORE_CLOSED; closing twice is fine', async () => {
      const store = await factory.open();
      await store.close();
      await store.close();
      await assert.rejects(store.latestPlan('t/A'), code('FS_ERR_STORE_CLOSED'));
      await assert.rejects(store.createPlan('t/A', {}, meta()), code('FS_ERR_STORE_CLOSED'));
    });

    it('carries fenced enactment: a delayed enactor drops its stale plan, clean-up keeps the active one', async () => {
      const store = await open();
      const clock = new VirtualClock(1_000);
      const provider = new MemoryDnsProvider({ zones: [{ name: 'example.com' }] });
      const planner = new Planner({ store, clock });
      const key = { zone: 'example.com', name: 'api.example.com', type: 'A' as const };
      const publish = (weight: number) =>
        planner.publish({ ...key, ttl: 30, records: [{ address: '10.0.0.1', weight }] });
      const enactor = (name: string, gate?: (label: string) => Promise<void>) =>
        new Enactor({
          name,
          store,
          provider,
          clock,
          targets: ['api.example.com/A'],
          keep: 1,
          ...(gate ? { gate } : {}),
        });
      await publish(1);
      // enactor-1 picks up generation 1 and is delayed before it applies (the gate of its `apply` step).
      let release!: () => void;
      const delayed = new Promise<void>((resolve) => (release = resolve));
      let reachedApply!: () => void;
      const atApply = new Promise<void>((resolve) => (reachedApply = resolve));
      const slow = enactor('enactor-1', async (label) => {
        if (label !== 'apply') return;
        reachedApply();
        await delayed;
      });
      const firstPickup = slow.runOnce();
      await atApply;
      for (let w = 2; w <= 5; w++) await publish(w);
      // enactor-2 applies generation 5 and cleans up below 4, never the active plan.
      const [fast] = await enactor('enactor-2').runOnce();
      assert.deepEqual([fast?.generation, fast?.outcome], [5, 'applied']);
      release();
      const [late] = await firstPickup;
      assert.equal(late?.outcome, 'dropped', 'the delayed enactor dropped its stale plan');
      const zone = await provider.readZone('example.com');
      assert.equal(readFence(zone.records, key), 5);
      assert.deepEqual(readAddresses(zone.records, key), [{ address: '10.0.0.1', weight: 5 }]);
      assert.equal((await store.getActive('api.example.com/A'))?.generation, 5);
      assert.notEqual(await store.getPlan('api.example.com/A', 5), undefined, 'the active plan is kept');
      const deleted = (await store.readJournal({ decision: 'deleted' })).flatMap(
        (e) => (e.details as { generations?: number[] }).generations ?? [],
      );
      assert.ok(deleted.length > 0 && !deleted.includes(5), `clean-up deleted ${deleted.join(', ')}`);
      const dropped = await store.readJournal({ decision: 'dropped' });
      assert.deepEqual(
        dropped.map((e) => [e.actor, e.generation]),
        [['enactor-1', 1]],
      );
    });
  });
}
