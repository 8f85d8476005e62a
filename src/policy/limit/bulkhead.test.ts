import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { bulkhead } from './bulkhead.js';
import type { BulkheadRejectEvent } from './bulkhead.js';

/** A call that runs until released by hand. */
function gate(): { run: () => Promise<string>; open: (value?: string) => void; started: boolean } {
  let resolve!: (value: string) => void;
  const g = {
    started: false,
    run: (): Promise<string> => {
      g.started = true;
      return new Promise<string>((r) => (resolve = r));
    },
    open: (value = 'done'): void => resolve(value),
  };
  return g;
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('bulkhead', () => {
  it('runs at most maxConcurrent calls, queues the next in FIFO order, rejects the rest', async () => {
    const limit = bulkhead({ maxConcurrent: 2, maxQueue: 2 });
    const gates = Array.from({ length: 4 }, gate);
    const calls = gates.map((g) => limit.execute(g.run));
    await turn();
    assert.deepEqual(
      gates.map((g) => g.started),
      [true, true, false, false],
    );
    assert.deepEqual([limit.active, limit.queued], [2, 2]);
    await assert.rejects(
      limit.execute(() => 'never'),
      (e) => isFailsmallError(e, 'FS_ERR_BULKHEAD_FULL'),
    );
    gates[1]!.open();
    await turn();
    assert.deepEqual(
      gates.map((g) => g.started),
      [true, true, true, false],
    );
    gates[0]!.open();
    await turn();
    assert.equal(gates[3]!.started, true);
    for (const g of gates) g.open();
    assert.deepEqual(await Promise.all(calls), ['done', 'done', 'done', 'done']);
    assert.deepEqual(limit.snapshot(), {
      kind: 'bulkhead',
      dependency: undefined,
      maxConcurrent: 2,
      maxQueue: 2,
      active: 0,
      queued: 0,
      rejected: 1,
    });
  });

  it('a queued call whose signal aborts leaves at once, and the others still get their turn', async () => {
    const limit = bulkhead({ maxConcurrent: 1, maxQueue: 3 });
    const running = gate();
    const first = limit.execute(running.run);
    const leaver = new AbortController();
    const waitingA = gate();
    const waitingB = gate();
    const a = limit.execute(waitingA.run);
    const left = limit.execute(() => assert.fail('must not run'), leaver.signal);
    const b = limit.execute(waitingB.run);
    await turn();
    assert.equal(limit.queued, 3);
    const reason = new Error('caller left');
    leaver.abort(reason);
    await assert.rejects(left, (e) => e === reason);
    assert.equal(limit.queued, 2);
    running.open();
    await first;
    await turn();
    assert.equal(waitingA.started, true);
    waitingA.open();
    await a;
    await turn();
    assert.equal(waitingB.started, true);
    waitingB.open();
    await b;
    assert.deepEqual([limit.active, limit.queued], [0, 0]);
  });

  it('1000 waiters queued on one signal add one listener and raise no MaxListenersExceededWarning', async () => {
    const warnings: Error[] = [];
    const onWarning = (w: Error): void => void warnings.push(w);
    process.on('warning', onWarning);
    try {
      const limit = bulkhead({ maxConcurrent: 1, maxQueue: 1000 });
      const holder = gate();
      const running = limit.execute(holder.run);
      const controller = new AbortController();
      const queued = Array.from({ length: 1000 }, (_, i) => limit.execute(() => i, controller.signal));
      assert.equal(limit.queued, 1000);
      // Let a pending warning (emitted on the next tick) arrive before looking.
      await turn();
      await turn();
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
        [],
      );
      // Half of them get their turn, then the signal aborts: the rest leave at once with its reason.
      holder.open();
      await running;
      for (let i = 0; i < 500; i++) assert.equal(await queued[i], i);
      const reason = new Error('gone');
      controller.abort(reason);
      const results = await Promise.allSettled(queued.slice(500));
      assert.equal(limit.queued, 0);
      assert.ok(results.every((r) => r.status === 'fulfilled' || r.reason === reason));
      assert.ok(results.some((r) => r.status === 'rejected'));
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning'),
        [],
      );
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('rejects at once with the reason when a signal is already aborted and no slot is free', async () => {
    const limit = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const running = gate();
    const first = limit.execute(running.run);
    await assert.rejects(
      limit.execute(() => 'x', AbortSignal.abort(new Error('already gone'))),
      /already gone/,
    );
    running.open();
    await first;
  });

  it('frees the slot when fn throws, synchronously or not', async () => {
    const limit = bulkhead({ maxConcurrent: 1 });
    await assert.rejects(
      limit.execute(() => {
        throw new Error('sync');
      }),
      /sync/,
    );
    await assert.rejects(
      limit.execute(() => Promise.reject(new Error('async'))),
      /async/,
    );
    assert.equal(await limit.execute(() => 'still usable'), 'still usable');
  });

  it('gives the slot back when its waiter aborted between the hand-over and its turn to run', async () => {
    const limit = bulkhead({ maxConcurrent: 1, maxQueue: 1 });
    const running = gate();
    const first = limit.execute(running.run);
    // A signal that turns aborted exactly when the bulkhead hands the slot over (it stops listening then).
    const signal = new AbortController().signal;
    let aborted = false;
    Object.defineProperty(signal, 'aborted', { get: () => aborted });
    Object.defineProperty(signal, 'reason', { get: () => new Error('late abort') });
    const remove = signal.removeEventListener.bind(signal);
    signal.removeEventListener = (...args: Parameters<AbortSignal['removeEventListener']>): void => {
      aborted = true;
      remove(...args);
    };
    let ran = false;
    const waiter = limit.execute(() => (ran = true), signal);
    running.open();
    await first;
    await assert.rejects(waiter, /late abort/);
    assert.equal(ran, false);
    assert.deepEqual([limit.active, limit.queued], [0, 0]);
    assert.equal(await limit.execute(() => 'slot is free'), 'slot is free');
  });

  it('emits onReject and publishes on failsmall:policy:bulkhead when full', async () => {
    const limit = bulkhead({ maxConcurrent: 1, dependency: 'db', clock: new VirtualClock() });
    const events: BulkheadRejectEvent[] = [];
    limit.onReject.on((e) => events.push(e));
    const published: unknown[] = [];
    const listener = (m: unknown): void => void published.push(m);
    diagnostics.subscribe('failsmall:policy:bulkhead', listener);
    const running = gate();
    const first = limit.execute(running.run);
    try {
      await assert.rejects(
        limit.execute(() => 'x'),
        (e) => isFailsmallError(e, 'FS_ERR_BULKHEAD_FULL') && /for db/.test(e.message),
      );
    } finally {
      diagnostics.unsubscribe('failsmall:policy:bulkhead', listener);
    }
    running.open();
    await first;
    assert.deepEqual(events, [{ active: 1, queued: 0, dependency: 'db' }]);
    assert.deepEqual(published, [{ type: 'rejected', kind: 'bulkhead', at: 0, ...events[0] }]);
  });

  it('never exceeds maxConcurrent and serves every admitted call (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.record({ abort: fc.boolean(), hold: fc.integer({ min: 0, max: 3 }) }), { maxLength: 20 }),
        async (maxConcurrent, maxQueue, plan) => {
          const limit = bulkhead({ maxConcurrent, maxQueue });
          let running = 0;
          let peak = 0;
          const controllers = plan.map(() => new AbortController());
          const calls = plan.map((p, i) =>
            limit
              .execute(async () => {
                running++;
                peak = Math.max(peak, running);
                for (let t = 0; t < p.hold; t++) await turn();
                running--;
                return 'ok';
              }, controllers[i]!.signal)
              .then(
                () => 'ok',
                (e: unknown) => (isFailsmallError(e, 'FS_ERR_BULKHEAD_FULL') ? 'full' : 'aborted'),
              ),
          );
          plan.forEach((p, i) => p.abort && controllers[i]!.abort());
          const outcomes = await Promise.all(calls);
          assert.ok(peak <= maxConcurrent);
          assert.equal(outcomes.filter((o) => o === 'full').length, limit.snapshot().rejected);
          assert.deepEqual([limit.active, limit.queued], [0, 0]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('validates with exact messages', () => {
    assert.throws(() => bulkhead({ maxConcurrent: 0 }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `maxConcurrent` to be a positive integer, got 0',
    });
    assert.throws(() => bulkhead({ maxConcurrent: 1, maxQueue: -1 }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `maxQueue` to be a non-negative integer, got -1',
    });
    assert.throws(() => bulkhead(undefined as never), {
      message: 'Expected `options` to be an object, got undefined',
    });
  });
});
