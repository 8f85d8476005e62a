import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailsmallError, VirtualClock, isFailsmallError } from '../../core/index.js';
import { drive } from '../../test-support/policy.js';
import { outbox, type OutboxWrite } from './outbox.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryOutboxStore } from '../../store/outbox-store.js';
import { SqliteOutboxStore } from '../../store/sqlite-outbox.js';

async function driven<T>(clock: VirtualClock, promise: Promise<T>): Promise<T> {
  const settled = await drive(clock, promise);
  if (!settled.ok) throw settled.error;
  return settled.value;
}

const breakerOpen = (): FailsmallError =>
  new FailsmallError('FS_ERR_BREAKER_OPEN', 'open', { details: { kind: 'overload', neverSent: true } });

/** A dependency that is down while `down` is true, and records what it applied (by idempotency key). */
function fakeDependency() {
  const state = {
    down: false,
    /** A failure after the write was sent (a reset) instead of an open breaker. */
    sent: false,
    applied: new Map<string, number>(),
    calls: 0,
    reject: new Set<string>(),
  };
  const apply = (write: OutboxWrite): Promise<string> => {
    state.calls++;
    if (state.reject.has(write.key)) {
      return Promise.reject(new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'bad write', { details: { kind: 'fatal' } }));
    }
    if (state.down) {
      return Promise.reject(
        state.sent ? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) : breakerOpen(),
      );
    }
    state.applied.set(write.key, (state.applied.get(write.key) ?? 0) + 1);
    return Promise.resolve(`ok ${write.key}`);
  };
  return { state, apply };
}

describe('outbox', () => {
  it('applies directly while the dependency is up, queues while it is down, drains oldest-first after recovery', async () => {
    const clock = new VirtualClock(0);
    const dep = fakeDependency();
    const box = outbox({ store: new MemoryOutboxStore(), apply: dep.apply, clock, rate: 10, dependency: 'orders' });
    assert.deepEqual(await box.write({ key: 'w1', payload: 1 }), { status: 'applied', value: 'ok w1' });
    dep.state.down = true;
    const queued = await box.write({ key: 'w2', payload: 2 });
    assert.equal(queued.status, 'queued');
    assert.ok(queued.status === 'queued' && isFailsmallError(queued.cause, 'FS_ERR_BREAKER_OPEN'));
    dep.state.down = false;
    // while something is queued, a new write queues behind it even though the dependency is up
    assert.equal((await box.write({ key: 'w3', payload: 3 })).status, 'queued');
    assert.equal((await box.write({ key: 'w3', payload: 3 })).status, 'queued'); // same key: one entry
    assert.equal(box.pending, 2);
    const order: string[] = [];
    box.events.on((e) => e.type === 'applied' && order.push(e.key));
    const result = await driven(clock, box.drain());
    assert.deepEqual(result, { applied: 2, failed: 0, dead: 0, expired: 0, refused: 0, stopped: false });
    assert.deepEqual(order, ['w2', 'w3']);
    assert.equal(clock.now() >= 100, true); // paced at 10/s: the second write 100 ms after the first
    assert.deepEqual([...dep.state.applied.keys()], ['w1', 'w2', 'w3']);
    assert.equal(box.pending, 0);
    const snapshot = box.snapshot();
    assert.equal(snapshot.direct, 1);
    assert.equal(snapshot.queued, 2);
    assert.equal(snapshot.duplicates, 1);
    assert.equal(snapshot.drained, 2);
    await box.close();
  });

  it('stops a pass while the dependency is still down, backs off, dead-letters what it refuses and what is too old', async () => {
    const clock = new VirtualClock(0);
    const dep = fakeDependency();
    const box = outbox({
      store: new MemoryOutboxStore(),
      apply: dep.apply,
      clock,
      maxAge: 60_000,
      retryDelay: 1_000,
    });
    dep.state.down = true;
    dep.state.sent = true;
    await box.write({ key: 'a', payload: 1 });
    await box.write({ key: 'b', payload: 2 });
    dep.state.reject.add('b');
    const first = await driven(clock, box.drain());
    assert.equal(first.stopped, true);
    assert.equal(first.failed, 1);
    const calls = dep.state.calls;
    // 'a' waits its backoff (1 s); 'b' is due and refused for good
    const second = await driven(clock, box.drain());
    assert.equal(second.dead, 1);
    assert.equal(dep.state.calls, calls + 1);
    dep.state.down = false;
    await clock.advance(1_000);
    assert.equal((await driven(clock, box.drain())).applied, 1);
    dep.state.down = true;
    await box.write({ key: 'c', payload: 3 });
    await clock.advance(61_000);
    assert.equal((await driven(clock, box.drain())).expired, 1);
    const dead = await box.deadLetters();
    assert.deepEqual(
      dead.map((d) => [d.key, d.reason]),
      [
        ['b', 'rejected'],
        ['c', 'expired'],
      ],
    );
    await box.close();
  });

  it('refuses a write it cannot store (FS_ERR_OUTBOX_FULL) and rethrows a fatal error without queueing', async () => {
    const dep = fakeDependency();
    const box = outbox({ store: new MemoryOutboxStore(), apply: dep.apply, clock: new VirtualClock(0), maxEntries: 1 });
    dep.state.down = true;
    await box.write({ key: 'a', payload: 1 });
    await assert.rejects(box.write({ key: 'b', payload: 2 }), (e) => isFailsmallError(e, 'FS_ERR_OUTBOX_FULL'));
    const fresh = outbox({ store: new MemoryOutboxStore(), apply: dep.apply, clock: new VirtualClock(0) });
    dep.state.reject.add('x');
    await assert.rejects(fresh.write({ key: 'x', payload: 1 }), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    assert.equal(fresh.pending, 0);
    await box.close();
    await fresh.close();
    await assert.rejects(box.write({ key: 'c', payload: 1 }), (e) => isFailsmallError(e, 'FS_ERR_OUTBOX_CLOSED'));
  });

  it('drains in the background after start()', async () => {
    const clock = new VirtualClock(0);
    const dep = fakeDependency();
    const box = await outbox({ store: new MemoryOutboxStore(), apply: dep.apply, clock, drainInterval: 500 }).start();
    dep.state.down = true;
    await box.write({ key: 'a', payload: 1 });
    dep.state.down = false;
    await clock.advance(500);
    await clock.advance(100);
    assert.equal(dep.state.applied.get('a'), 1);
    assert.equal(box.pending, 0);
    await box.close();
  });

  it('two outboxes draining one SQLite file apply every queued write once, in batches that fit a claim', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-outbox-two-'));
    try {
      const clock = new VirtualClock(0);
      const dep = fakeDependency();
      const path = join(dir, 'outbox.db');
      // 40 writes/s with 1 s claims: batches of 20, each applied within half its claim
      const one = outbox({
        store: await SqliteOutboxStore.open({ path, claimMs: 1_000 }),
        apply: dep.apply,
        clock,
        rate: 40,
      });
      const two = outbox({
        store: await SqliteOutboxStore.open({ path, claimMs: 1_000 }),
        apply: dep.apply,
        clock,
        rate: 40,
      });
      dep.state.down = true;
      for (let i = 0; i < 60; i++) await one.write({ key: `w${i}`, payload: i });
      dep.state.down = false;
      const [a, b] = await driven(clock, Promise.all([one.drain(), two.drain()]));
      assert.equal(a.applied + b.applied, 60);
      assert.ok(a.applied > 0 && b.applied > 0, `both drained: ${a.applied} + ${b.applied}`);
      assert.equal(dep.state.applied.size, 60);
      assert.ok(
        [...dep.state.applied.values()].every((n) => n === 1),
        'no write applied twice',
      );
      await one.close();
      await two.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('keeps an entry refused before anything was sent in its place: no attempt counted, no backoff', async () => {
    const clock = new VirtualClock(0);
    const dep = fakeDependency();
    const box = outbox({ store: new MemoryOutboxStore(), apply: dep.apply, clock, retryDelay: 60_000 });
    dep.state.down = true; // an open breaker
    await box.write({ key: 'a', payload: 1 });
    await box.write({ key: 'b', payload: 2 });
    for (let i = 0; i < 3; i++) {
      const pass = await driven(clock, box.drain());
      assert.deepEqual(pass, { applied: 0, failed: 0, dead: 0, expired: 0, refused: 1, stopped: true });
    }
    const [head] = await box.store.due(10, 'oldest', clock.now());
    assert.equal(head!.key, 'a');
    assert.equal(head!.attempts, 0);
    dep.state.down = false;
    const order: string[] = [];
    box.events.on((e) => e.type === 'applied' && order.push(e.key));
    assert.equal((await driven(clock, box.drain())).applied, 2); // at once: no backoff to wait
    assert.deepEqual(order, ['a', 'b']);
    await box.close();
  });

  it('validates its options by name', () => {
    const store = new MemoryOutboxStore();
    const apply = (): Promise<void> => Promise.resolve();
    const cases: [Record<string, unknown>, string][] = [
      [{ store, apply, rate: 0 }, 'Expected `rate` to be a finite number > 0, got 0'],
      [{ store, apply, order: 'newest' }, 'Expected `order` to be one of "oldest", "priority", got "newest"'],
      [{ store, apply, maxEntries: 0 }, 'Expected `maxEntries` to be a positive integer, got 0'],
      [{ store }, 'Expected `apply` to be a function, got undefined'],
      [{ store: {}, apply }, 'Expected `store` to be an OutboxStore, got object'],
      [{ store, apply, size: 1 }, 'Unknown option `size`; expected one of '],
    ];
    for (const [options, message] of cases) {
      assert.throws(
        () => outbox(options as never),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && (e as Error).message.startsWith(message),
        message,
      );
    }
  });
});
