import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { Capacity } from './capacity.js';

describe('Capacity', () => {
  it('serves up to concurrency at once, queues the next, rejects beyond the queue', async () => {
    const clock = new VirtualClock();
    const gate = new Capacity({ concurrency: 2, queue: 1, serviceTimeMs: 10, clock });
    const done: number[] = [];
    const served = [0, 1, 2, 3].map((i) =>
      gate.serve().then((ok) => {
        done.push(clock.now());
        return ok ? i : -1;
      }),
    );
    await clock.advance(0);
    assert.equal(gate.snapshot().inService, 2);
    assert.equal(gate.snapshot().queued, 1);
    assert.equal(gate.snapshot().rejected, 1);
    await clock.advance(10);
    assert.equal(gate.snapshot().inService, 1);
    await clock.advance(10);
    assert.deepEqual(await Promise.all(served), [0, 1, 2, -1]);
    // the rejected one finished at once, two after one service time, the queued one after two
    assert.deepEqual(done, [0, 10, 10, 20]);
    const s = gate.snapshot();
    assert.equal(s.completed, 3);
    assert.equal(s.inService, 0);
    assert.equal(s.peakQueued, 1);
  });

  it('lets a queued caller give up through its signal', async () => {
    const clock = new VirtualClock();
    const gate = new Capacity({ concurrency: 1, queue: 4, serviceTimeMs: 10, clock });
    const first = gate.serve();
    const controller = new AbortController();
    const second = gate.serve(controller.signal);
    controller.abort(new Error('gave up'));
    await assert.rejects(second, /gave up/);
    await clock.advance(10);
    assert.equal(await first, true);
    assert.equal(gate.snapshot().abandoned, 1);
    assert.equal(gate.snapshot().inService, 0);
  });

  it('close rejects waiters and requests in service, and later calls', async () => {
    const clock = new VirtualClock();
    const gate = new Capacity({ concurrency: 1, queue: 1, serviceTimeMs: 10, clock });
    const a = gate.serve();
    const b = gate.serve();
    gate.close();
    await assert.rejects(a, (e) => isFailsmallError(e, 'FS_ERR_LAB_CLOSED'));
    await assert.rejects(b, (e) => isFailsmallError(e, 'FS_ERR_LAB_CLOSED'));
    await assert.rejects(gate.serve(), (e) => isFailsmallError(e, 'FS_ERR_LAB_CLOSED'));
    assert.equal(clock.pending, 0);
  });

  it('drops what waits on a restart, lets work in service finish without abortInService, and takes a new bound', async () => {
    const clock = new VirtualClock();
    const restarted = Symbol('restarted');
    const gate = new Capacity({ concurrency: 1, queue: Infinity, serviceTimeMs: 10, clock, abortInService: false });
    const controller = new AbortController();
    const working = gate.serve(controller.signal);
    const waiting = [gate.serve(), gate.serve()];
    assert.equal(gate.queued, 2, 'queued before serve() returns');
    controller.abort(new Error('gone'));
    assert.equal(gate.drop(restarted), 2);
    for (const w of waiting) await assert.rejects(w, (e) => e === restarted);
    gate.queueLimit = 0;
    assert.equal(await gate.serve(), false, 'the new bound: no queue');
    await clock.advance(10);
    assert.equal(await working, true, 'its caller left, the work went on');
    const s = gate.snapshot();
    assert.deepEqual([s.completed, s.abandoned, s.rejected, s.queueLimit], [1, 0, 1, 0]);
    assert.throws(() => (gate.queueLimit = -1), /`queue`/);
  });

  it('never exceeds its concurrency nor its queue, and accounts for every call', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 0, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 15 }), { minLength: 1, maxLength: 30 }),
        async (concurrency, queue, gaps) => {
          const clock = new VirtualClock();
          const gate = new Capacity({ concurrency, queue, serviceTimeMs: 7, clock });
          const calls: Promise<boolean>[] = [];
          for (const gap of gaps) {
            calls.push(gate.serve());
            const s = gate.snapshot();
            if (s.inService > concurrency || s.queued > queue) return false;
            await clock.advance(gap);
          }
          await clock.advance(1_000);
          const results = await Promise.all(calls);
          const s = gate.snapshot();
          return (
            s.inService === 0 &&
            s.completed === results.filter(Boolean).length &&
            s.rejected === results.filter((r) => !r).length
          );
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects invalid options with the option named', () => {
    assert.throws(() => new Capacity({ concurrency: 0 }), /`concurrency`/);
    assert.throws(() => new Capacity({ queue: -1 }), /`queue`/);
    assert.throws(() => new Capacity({ serviceTimeMs: NaN }), /`serviceTimeMs`/);
  });
});
