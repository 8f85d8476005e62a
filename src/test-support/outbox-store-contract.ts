/**
 * The one contract test suite every {@link OutboxStore} passes: memory, SQLite and PostgreSQL register
 * it with their own factory (store/outbox-contract.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it as test } from 'node:test';
import type { OutboxStore } from '../store/outbox-store.js';
import { code, contractSuite, type ContractFactory, type ContractOptions } from './store-contract.js';

/** How a suite gets outbox stores. */
export interface OutboxStoreFactory extends ContractFactory {
  /** A fresh, empty store; with `claimMs`, its claims last that long. */
  open(claimMs?: number): Promise<OutboxStore>;
  /** The last store's data through a new connection (a restart); default none (those cases are skipped). */
  reopen?(): Promise<OutboxStore>;
  /**
   * A second handle on the last store's queue while the first stays open (another drainer: another
   * process or host), opened with `claimMs`; default none (those cases are skipped).
   */
  another?(claimMs: number): Promise<OutboxStore>;
}

/**
 * Registers the outbox store contract under `describe(name)`; with `skip` every case is skipped with
 * that reason.
 *
 * @example
 * registerOutboxStoreContract('memory', { open: async () => new MemoryOutboxStore() });
 */
export function registerOutboxStoreContract(
  name: string,
  factory: OutboxStoreFactory,
  options: ContractOptions = {},
): void {
  describe(`outbox store contract: ${name}`, { ...(options.skip === undefined ? {} : { skip: options.skip }) }, () => {
    const { tracked } = contractSuite<OutboxStore>(factory, options.skip);
    const fresh = tracked((claimMs?: number) => factory.open(claimMs));
    const second = tracked((claimMs: number) => factory.another!(claimMs));
    const reopen = tracked(() => factory.reopen!());
    const noSecond = factory.another === undefined ? 'no second handle for this store' : false;

    test('appends in order, deduplicates by key, and returns due entries oldest first', async () => {
      const store = await fresh();
      const a = await store.append({ key: 'a', payload: { n: 1 }, at: 100 });
      const b = await store.append({ key: 'b', payload: [1, 'x', null], priority: 5, at: 200 });
      const again = await store.append({ key: 'a', payload: { n: 2 }, at: 300 });
      assert.equal(a.duplicate, false);
      assert.equal(again.duplicate, true);
      assert.deepEqual(again.entry.payload, { n: 1 });
      assert.equal(again.entry.id, a.entry.id);
      assert.ok(b.entry.id > a.entry.id);
      assert.equal(await store.size(), 2);
      assert.equal(await store.oldest(), 100);
      const due = await store.due(10, 'oldest', 1_000);
      assert.deepEqual(
        due.map((e) => [e.key, e.priority, e.createdAt, e.attempts, e.notBefore, e.lastError]),
        [
          ['a', 0, 100, 0, 100, null],
          ['b', 5, 200, 0, 200, null],
        ],
      );
      assert.deepEqual(due[1]!.payload, [1, 'x', null]);
      assert.deepEqual(
        (await store.due(10, 'priority', 1_000)).map((e) => e.key),
        ['b', 'a'],
      );
      assert.deepEqual(
        (await store.due(1, 'oldest', 1_000)).map((e) => e.key),
        ['a'],
      );
      assert.deepEqual(await store.due(10, 'oldest', 150).then((d) => d.map((e) => e.key)), ['a']);
    });

    test('completes, retries later with a backoff, dead-letters and expires', async () => {
      const store = await fresh();
      const a = (await store.append({ key: 'a', payload: 1, at: 0 })).entry;
      const b = (await store.append({ key: 'b', payload: 2, at: 10 })).entry;
      const c = (await store.append({ key: 'c', payload: 3, at: 20 })).entry;
      await store.retryLater(a.id, 5_000, 'Error: down');
      assert.deepEqual(
        (await store.due(10, 'oldest', 1_000)).map((e) => e.key),
        ['b', 'c'],
      );
      const [retried] = await store.due(10, 'oldest', 5_000);
      assert.equal(retried!.attempts, 1);
      assert.equal(retried!.lastError, 'Error: down');
      assert.equal(await store.complete(b.id), true);
      assert.equal(await store.complete(b.id), false);
      await store.deadLetter(c.id, 'rejected', 6_000, 'Error: 400');
      assert.equal(await store.expire(5, 7_000), 1); // a, created at 0
      assert.equal(await store.size(), 0);
      assert.equal(await store.oldest(), null);
      const dead = await store.deadLetters(10);
      assert.deepEqual(dead.map((d) => [d.key, d.reason, d.deadAt, d.lastError]).sort(), [
        ['a', 'expired', 7_000, 'Error: down'],
        ['c', 'rejected', 6_000, 'Error: 400'],
      ]);
      // a key dead-lettered may be queued again
      assert.equal((await store.append({ key: 'c', payload: 3, at: 8_000 })).duplicate, false);
    });

    test('rejects bad input with FS_ERR_INVALID_ARGUMENT and use after close with FS_ERR_OUTBOX_CLOSED', async () => {
      const store = await fresh();
      await assert.rejects(store.append({ key: '', payload: 1, at: 0 }), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(store.append({ key: 'k', payload: 1, at: NaN }), code('FS_ERR_INVALID_ARGUMENT'));
      await assert.rejects(
        store.append({ key: 'k', payload: 1, priority: 1.5, at: 0 }),
        code('FS_ERR_INVALID_ARGUMENT'),
      );
      await assert.rejects(
        store.append({ key: 'k', payload: undefined as never, at: 0 }),
        code('FS_ERR_INVALID_ARGUMENT'),
      );
      await assert.rejects(store.due(0, 'oldest', 0), code('FS_ERR_INVALID_ARGUMENT'));
      await store.close();
      await assert.rejects(store.size(), code('FS_ERR_OUTBOX_CLOSED'));
      await assert.rejects(store.append({ key: 'k', payload: 1, at: 0 }), code('FS_ERR_OUTBOX_CLOSED'));
    });

    test('two drainers never hold the same entry; a claim that expired is taken over', { skip: noSecond }, async () => {
      const a = await fresh(1_000);
      const b = await second(1_000);
      for (const key of ['k1', 'k2', 'k3', 'k4']) await a.append({ key, payload: key, at: 0 });
      const keys = (entries: { key: string }[]) => entries.map((e) => e.key);
      const claimedByA = await a.due(2, 'oldest', 100);
      assert.deepEqual(keys(claimedByA), ['k1', 'k2']);
      assert.equal(claimedByA[0]!.claimedUntil, 1_100);
      assert.deepEqual(keys(await b.due(10, 'oldest', 100)), ['k3', 'k4']);
      assert.deepEqual(keys(await b.due(10, 'oldest', 200)), ['k3', 'k4'], 'its own claims come back, renewed');
      assert.deepEqual(keys(await a.due(10, 'oldest', 300)), ['k1', 'k2'], 'not the entries b holds');
      // a released claim: k1 failed on a and waits its backoff; then either drainer may take it
      await a.retryLater(claimedByA[0]!.id, 400, 'Error: down');
      await b.retryLater(claimedByA[1]!.id, 0, 'Error: not mine');
      assert.equal((await b.due(10, 'oldest', 400)).length, 3, 'k1 released: b takes it with its own');
      // a is "killed": its claim on k2 expires (claimed at 300 for 1 s) and b takes it over
      assert.deepEqual(keys(await b.due(10, 'oldest', 1_299)), ['k1', 'k3', 'k4']);
      const taken = await b.due(10, 'oldest', 1_300);
      assert.deepEqual(keys(taken), ['k1', 'k2', 'k3', 'k4']);
      assert.equal(taken[1]!.attempts, 0, "b's retryLater on a's claim did nothing");
      assert.deepEqual(await a.due(10, 'oldest', 1_400), []);
    });

    test('two drainers draining at once deliver every entry exactly once', { skip: noSecond }, async () => {
      const a = await fresh(60_000);
      const b = await second(60_000);
      const c = await second(60_000);
      const total = 60;
      for (let i = 0; i < total; i++) await a.append({ key: `w${i}`, payload: i, at: 0 });
      const delivered: string[] = [];
      const drainer = async (store: OutboxStore): Promise<void> => {
        for (let round = 0; round < total; round++) {
          const batch = await store.due(4, 'oldest', 10);
          if (batch.length === 0) return;
          for (const entry of batch) {
            delivered.push(entry.key);
            assert.equal(await store.complete(entry.id), true);
          }
        }
      };
      await Promise.all([drainer(a), drainer(b), drainer(c)]);
      assert.equal(delivered.length, total);
      assert.equal(new Set(delivered).size, total);
      assert.equal(await a.size(), 0);
    });

    test(
      'keeps entries across a reopen',
      { skip: factory.reopen === undefined ? 'no reopen for this store' : false },
      async () => {
        const store = await fresh();
        await store.append({ key: 'kept', payload: { v: 'x' }, at: 1 });
        await store.close();
        const again = await reopen();
        assert.deepEqual(
          (await again.due(10, 'oldest', 10)).map((e) => [e.key, e.payload]),
          [['kept', { v: 'x' }]],
        );
      },
    );
  });
}
