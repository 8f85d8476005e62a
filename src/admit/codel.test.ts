import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { CodelState } from './codel.js';

describe('CodelState (Facebook CoDel with adaptive LIFO)', () => {
  it('defaults to target 5 ms, interval 100 ms, FIFO', () => {
    const codel = new CodelState();
    assert.deepEqual(codel.snapshot(), { target: 5, interval: 100, standing: false, busySince: null, episodes: 0 });
    assert.equal(codel.order, 'fifo');
    assert.equal(codel.maxWait(1_000), 1_000);
  });

  it('a burst that drains within the interval is a good queue', () => {
    const codel = new CodelState();
    for (let t = 0; t < 1_000; t += 10) {
      codel.onBusy(t);
      if (t % 50 === 40) codel.onEmpty();
    }
    assert.equal(codel.standing, false);
  });

  it('a queue busy for a whole interval stands: LIFO and the short age bound, until it empties', () => {
    const codel = new CodelState();
    assert.equal(codel.onBusy(0), false);
    assert.equal(codel.onBusy(99), false);
    assert.equal(codel.onBusy(100), true);
    assert.equal(codel.order, 'lifo');
    assert.equal(codel.maxWait(1_000), 5);
    assert.equal(codel.maxWait(2), 2);
    assert.equal(codel.onBusy(150), false); // still standing, no new episode
    codel.onEmpty();
    assert.equal(codel.order, 'fifo');
    codel.onBusy(200);
    codel.onBusy(300);
    assert.equal(codel.standing, true);
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

  it('property: standing exactly when the queue has not emptied for an interval; LIFO only then', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ gap: fc.integer({ min: 0, max: 40 }), empty: fc.boolean() }), { maxLength: 200 }),
        fc.integer({ min: 1, max: 10 }),
        fc.integer({ min: 10, max: 200 }),
        (steps, target, interval) => {
          const codel = new CodelState({ target, interval });
          let now = 0;
          let busySince: number | undefined;
          for (const { gap, empty } of steps) {
            now += gap;
            if (empty) {
              codel.onEmpty();
              busySince = undefined;
            } else {
              codel.onBusy(now);
              busySince ??= now;
            }
            const expected = busySince !== undefined && now - busySince >= interval;
            assert.equal(codel.standing, expected);
            assert.equal(codel.order, expected ? 'lifo' : 'fifo');
            assert.equal(codel.maxWait(10_000), expected ? target : 10_000);
          }
        },
      ),
    );
  });
});
