import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { CodelState } from './codel.js';

describe('CodelState (Facebook CoDel with adaptive LIFO)', () => {
  it('defaults to target 5 ms, interval 100 ms, FIFO', () => {
    const codel = new CodelState();
    assert.deepEqual(codel.snapshot(), { target: 5, interval: 100, standing: false, aboveSince: null, episodes: 0 });
    assert.equal(codel.order, 'fifo');
    assert.equal(codel.maxWait(1_000), 1_000);
  });

  it('a burst that drains is a good queue: no standing state', () => {
    const codel = new CodelState();
    for (let t = 0; t < 1_000; t += 10) codel.onDequeue(t, t % 50 === 0 ? 2 : 40);
    assert.equal(codel.standing, false);
  });

  it('a delay above target for a whole interval makes the queue standing: LIFO, short age bound', () => {
    const codel = new CodelState();
    assert.equal(codel.onDequeue(0, 6), false);
    assert.equal(codel.onDequeue(99, 6), false);
    assert.equal(codel.onDequeue(100, 6), true);
    assert.equal(codel.order, 'lifo');
    assert.equal(codel.maxWait(1_000), 5);
    codel.onDequeue(150, 3); // one piece of work under target: the queue drains again
    assert.equal(codel.order, 'fifo');
    codel.onHead(200, 10);
    codel.onHead(300, 10);
    assert.equal(codel.standing, true);
    codel.onEmpty();
    assert.equal(codel.standing, false);
    assert.equal(codel.snapshot().episodes, 2);
  });

  it('rejects bad options with FS_ERR_INVALID_ARGUMENT', () => {
    for (const bad of [{ target: 0 }, { interval: -1 }, { target: 10, interval: 5 }, { target: NaN }]) {
      assert.throws(
        () => new CodelState(bad),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });

  it('property: standing only after every delay of the last interval was >= target; LIFO only when standing', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 40 }), delay: fc.integer({ min: 0, max: 30 }) }), {
          maxLength: 200,
        }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 10, max: 200 }),
        (steps, target, interval) => {
          const codel = new CodelState({ target, interval });
          let now = 0;
          let lastBelow = -Infinity; // the last time a delay was under target
          let firstAbove: number | undefined;
          for (const { gap, delay } of steps) {
            now += gap;
            codel.onDequeue(now, delay);
            if (delay < target) {
              lastBelow = now;
              firstAbove = undefined;
            } else firstAbove ??= now;
            if (codel.standing) {
              assert.ok(firstAbove !== undefined && now - firstAbove >= interval);
              assert.ok(now - lastBelow >= interval || lastBelow === -Infinity);
              assert.equal(codel.order, 'lifo');
              assert.equal(codel.maxWait(10_000), target);
            } else {
              assert.equal(codel.order, 'fifo');
              // never standing while the delay has been over target for less than an interval
              if (firstAbove !== undefined && now - firstAbove < interval) assert.equal(codel.standing, false);
            }
          }
        },
      ),
    );
  });
});
