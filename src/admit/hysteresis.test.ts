import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { Hysteresis } from './hysteresis.js';

describe('Hysteresis', () => {
  it('enters at `enter`, leaves at `exit`, holds for minDwell', () => {
    const h = new Hysteresis({ enter: 100, exit: 50, minDwell: 1_000, smoothing: 1 });
    assert.equal(h.update(0, 99), false);
    assert.equal(h.update(100, 100), true);
    assert.equal(h.on, true);
    assert.equal(h.update(200, 0), false); // dwell: stays on
    assert.equal(h.update(1_100, 60), false); // above exit
    assert.equal(h.update(1_200, 50), true);
    assert.equal(h.on, false);
    assert.equal(h.snapshot().switches, 2);
  });

  it('smooths: a lone spike does not switch it on', () => {
    const h = new Hysteresis({ enter: 70, exit: 35 }); // smoothing 0.3
    h.update(0, 5);
    assert.equal(h.update(100, 200), false); // 5 + 0.3 × 195 = 63.5
    assert.equal(h.on, false);
  });

  it('ignores non-finite samples and rejects bad options', () => {
    const h = new Hysteresis({ enter: 1, exit: 0 });
    assert.equal(h.update(0, NaN), false);
    for (const bad of [
      { enter: 1, exit: 1 },
      { enter: 1, exit: 0, smoothing: 0 },
      { enter: -1, exit: -2 },
    ]) {
      assert.throws(
        () => new Hysteresis(bad),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });

  it('property: never switches twice within minDwell', () => {
    fc.assert(
      fc.property(fc.array(fc.float({ min: 0, max: 500, noNaN: true }), { maxLength: 300 }), (samples) => {
        const h = new Hysteresis({ enter: 100, exit: 40, minDwell: 1_000 });
        let last = -Infinity;
        samples.forEach((s, i) => {
          if (h.update(i * 100, s)) {
            assert.ok(i * 100 - last >= 1_000);
            last = i * 100;
          }
        });
      }),
    );
  });
});
