import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from './clock.js';
import { SlotQueue } from './slot-queue.js';
import type { SlotOrder } from './slot-queue.js';

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('SlotQueue', () => {
  it('hands a freed slot to the oldest waiter (fifo) or the newest (lifo)', async () => {
    for (const order of ['fifo', 'lifo'] as const) {
      const gate = new SlotQueue({ slots: 1, maxQueue: 3, order });
      assert.equal(gate.tryAcquire(), true);
      assert.equal(gate.tryAcquire(), false);
      const served: number[] = [];
      for (const id of [1, 2, 3]) void gate.wait()!.then(() => served.push(id));
      assert.equal(gate.wait(), undefined, 'the queue is full');
      assert.equal(gate.queued, 3);
      for (let i = 0; i < 3; i++) {
        gate.release();
        await turn();
      }
      assert.deepEqual(served, order === 'fifo' ? [1, 2, 3] : [3, 2, 1]);
      assert.equal(gate.active, 1);
      gate.release();
      assert.equal(gate.active, 0);
      gate.release(); // a release with nothing held does nothing
      assert.equal(gate.active, 0);
    }
  });

  it('an aborted waiter leaves at once with the reason and drops its listener', async () => {
    const gate = new SlotQueue({ slots: 1, maxQueue: 2 });
    gate.tryAcquire();
    const controller = new AbortController();
    const waiting = gate.wait(controller.signal)!;
    const other = gate.wait()!;
    const reason = new Error('left');
    controller.abort(reason);
    await assert.rejects(waiting, (e) => e === reason);
    assert.equal(gate.queued, 1);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
    gate.release();
    await other;
    await assert.rejects(gate.wait(AbortSignal.abort())!, { name: 'AbortError' });
    assert.equal(gate.queued, 0);
  });

  it('shouldDrop turns away waiters that waited too long, on hand-over and on prune', async () => {
    const clock = new VirtualClock();
    const gate = new SlotQueue({
      slots: 1,
      maxQueue: Infinity,
      clock,
      shouldDrop: (w, now) => (now - w.enqueuedAt > 100 || now > w.deadline ? `dropped at ${now}` : undefined),
    });
    gate.tryAcquire();
    const old = gate.wait()!;
    await clock.advance(60);
    const young = gate.wait()!;
    const late = gate.wait(undefined, 70)!;
    await clock.advance(50);
    assert.equal(gate.oldest()?.enqueuedAt, 0);
    assert.equal(gate.prune(), 2); // `old` waited 110 ms, `late` passed its deadline
    await assert.rejects(old, (e) => e === 'dropped at 110');
    await assert.rejects(late, (e) => e === 'dropped at 110');
    await clock.advance(51);
    const fresh = gate.wait()!;
    gate.release(); // `young` waited 101 ms: dropped, the slot goes to `fresh`
    await assert.rejects(young, (e) => e === 'dropped at 161');
    await fresh;
    assert.equal(gate.active, 1);
  });

  it('raising slots serves waiters at once; lowering takes effect on release', async () => {
    const gate = new SlotQueue({ slots: 1, maxQueue: 5 });
    gate.tryAcquire();
    const a = gate.wait()!;
    const b = gate.wait()!;
    gate.slots = 3;
    await Promise.all([a, b]);
    assert.equal(gate.active, 3);
    gate.slots = 1;
    const c = gate.wait()!;
    gate.release();
    gate.release();
    assert.equal(gate.queued, 1);
    gate.release();
    await c;
    assert.equal(gate.active, 1);
  });

  it('clear rejects every waiter', async () => {
    const gate = new SlotQueue({ slots: 1, maxQueue: 2 });
    gate.tryAcquire();
    const all = [gate.wait()!, gate.wait()!];
    assert.equal(gate.clear('closed'), 2);
    for (const p of all) await assert.rejects(p, (e) => e === 'closed');
    assert.equal(gate.queued, 0);
  });

  it('validates its options with exact messages', () => {
    assert.throws(() => new SlotQueue({ slots: 0 }), { message: 'Expected `slots` to be a positive integer, got 0' });
    assert.throws(() => new SlotQueue({ slots: 1, maxQueue: -1 }), {
      message: 'Expected `maxQueue` to be a non-negative integer, got -1',
    });
    assert.throws(() => new SlotQueue({ slots: 1, order: 'random' as never }), {
      message: 'Expected `order` to be one of "fifo", "lifo", got "random"',
    });
    assert.throws(() => new SlotQueue({ slots: 1, queue: 3 } as never), {
      message: 'Expected `queue` to be a known option, got "queue"',
    });
    const gate = new SlotQueue({ slots: 1 });
    assert.throws(() => (gate.slots = 1.5), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });

  it('property: behaves like a naive array model', async () => {
    type Op =
      | { op: 'acquire'; abortable: boolean; deadline: number }
      | { op: 'release' }
      | { op: 'abort'; k: number }
      | { op: 'slots'; n: number }
      | { op: 'order'; order: SlotOrder }
      | { op: 'advance'; ms: number }
      | { op: 'prune' };
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({
        op: fc.constant('acquire' as const),
        abortable: fc.boolean(),
        deadline: fc.oneof(fc.constant(Infinity), fc.integer({ min: 0, max: 300 })),
      }),
      fc.constant({ op: 'release' as const }),
      fc.record({ op: fc.constant('abort' as const), k: fc.nat(10) }),
      fc.record({ op: fc.constant('slots' as const), n: fc.integer({ min: 1, max: 4 }) }),
      fc.record({ op: fc.constant('order' as const), order: fc.constantFrom<SlotOrder>('fifo', 'lifo') }),
      fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 80 }) }),
      fc.constant({ op: 'prune' as const }),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(op, { maxLength: 40 }),
        async (slots, maxQueue, ops) => {
          const clock = new VirtualClock();
          const maxAge = 100;
          const tooOld = (at: number, deadline: number, now: number): boolean => now - at > maxAge || now > deadline;
          const gate = new SlotQueue({
            slots,
            maxQueue,
            clock,
            shouldDrop: (w, now) => (tooOld(w.enqueuedAt, w.deadline, now) ? 'dropped' : undefined),
          });
          // The model.
          let mSlots = slots;
          let mActive = 0;
          let mOrder: SlotOrder = 'fifo';
          const mQueue: { id: number; at: number; deadline: number; controller?: AbortController }[] = [];
          const expected = new Map<number, string>();
          const actual = new Map<number, string>();
          let nextId = 0;
          const pump = (): void => {
            while (mActive < mSlots && mQueue.length > 0) {
              const w = mOrder === 'fifo' ? mQueue.shift()! : mQueue.pop()!;
              if (tooOld(w.at, w.deadline, clock.now())) expected.set(w.id, 'dropped');
              else {
                mActive++;
                expected.set(w.id, 'served');
              }
            }
          };
          for (const o of ops) {
            switch (o.op) {
              case 'acquire': {
                const got = gate.tryAcquire();
                assert.equal(got, mActive < mSlots);
                if (got) {
                  mActive++;
                  break;
                }
                const id = nextId++;
                const controller = o.abortable ? new AbortController() : undefined;
                const p = gate.wait(controller?.signal, o.deadline);
                if (mQueue.length >= maxQueue) {
                  assert.equal(p, undefined);
                  break;
                }
                assert.ok(p !== undefined);
                p.then(
                  () => actual.set(id, 'served'),
                  (e: unknown) => actual.set(id, e === 'dropped' ? 'dropped' : 'aborted'),
                );
                mQueue.push({ id, at: clock.now(), deadline: o.deadline, ...(controller ? { controller } : {}) });
                break;
              }
              case 'release':
                gate.release();
                if (mActive > 0) {
                  mActive--;
                  pump();
                }
                break;
              case 'abort': {
                const abortable = mQueue.filter((w) => w.controller !== undefined);
                const w = abortable[o.k % Math.max(1, abortable.length)];
                if (w === undefined) break;
                mQueue.splice(mQueue.indexOf(w), 1);
                expected.set(w.id, 'aborted');
                w.controller!.abort();
                break;
              }
              case 'slots':
                gate.slots = o.n;
                mSlots = o.n;
                pump();
                break;
              case 'order':
                gate.order = o.order;
                mOrder = o.order;
                break;
              case 'advance':
                await clock.advance(o.ms);
                break;
              case 'prune': {
                const now = clock.now();
                const before = mQueue.length;
                for (const w of [...mQueue]) {
                  if (!tooOld(w.at, w.deadline, now)) continue;
                  mQueue.splice(mQueue.indexOf(w), 1);
                  expected.set(w.id, 'dropped');
                }
                assert.equal(gate.prune(), before - mQueue.length);
                break;
              }
            }
            assert.equal(gate.active, mActive);
            assert.equal(gate.queued, mQueue.length);
            assert.ok(gate.queued === 0 || gate.active >= gate.slots, 'a waiter waits only while every slot is taken');
          }
          await turn();
          assert.deepEqual(actual, expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('grant() hands the next waiter a slot beyond `slots`, asking shouldDrop, for a coordinator of several queues', async () => {
    const clock = new VirtualClock();
    const gate = new SlotQueue({
      slots: 1,
      maxQueue: 5,
      clock,
      shouldDrop: (w, now) => (now - w.enqueuedAt > 10 ? 'stale' : undefined),
    });
    assert.equal(gate.tryAcquire(), true);
    const outcomes: string[] = [];
    const stale = gate.wait()!.then(
      () => outcomes.push('stale served'),
      (r: unknown) => outcomes.push(String(r)),
    );
    clock.tick(20);
    const fresh = gate.wait()!.then(() => outcomes.push('fresh served'));
    assert.equal(gate.grant(), true); // fifo: the stale one is dropped, the fresh one served
    await Promise.all([stale, fresh]);
    assert.deepEqual(outcomes, ['stale', 'fresh served']);
    assert.equal(gate.active, 2);
    assert.equal(gate.grant(), false);
    gate.release();
    assert.equal(gate.active, 1);
  });
});
