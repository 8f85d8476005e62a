import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { slowStartCurve, slowStartWeight } from './slow-start.js';

describe('slow start', () => {
  it('ramps from the minimum weight to 1 over the window', () => {
    const curve = slowStartCurve({ window: 60_000 });
    assert.equal(slowStartWeight(curve, 0), 0.1);
    assert.equal(slowStartWeight(curve, 30_000), 0.5);
    assert.equal(slowStartWeight(curve, 60_000), 1);
    assert.equal(slowStartWeight(curve, -5), 0.1);
    const steep = slowStartCurve({ window: 100, aggression: 2, minWeight: 0.01 });
    assert.equal(slowStartWeight(steep, 25), 0.5);
    assert.equal(slowStartWeight(slowStartCurve({ window: 0 }), 0), 1);
  });

  it('rejects bad options', () => {
    assert.throws(() => slowStartCurve({ window: -1 }), /Expected `window` to be a finite number >= 0, got -1/);
    assert.throws(() => slowStartCurve({ window: 1, minWeight: 0 }), /Expected `minWeight` to be a number in \(0, 1\]/);
    assert.throws(() => slowStartCurve({ window: 1, aggresion: 2 } as never), /Expected `aggresion` to be a known/);
  });

  it('property: the weight is monotonic in time and stays in [minWeight, 1]', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        fc.double({ min: 0.1, max: 10, noNaN: true }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 2e6, noNaN: true }),
        fc.double({ min: 0, max: 2e6, noNaN: true }),
        (window, aggression, minWeight, a, b) => {
          const c = slowStartCurve({ window, aggression, minWeight });
          const [lo, hi] = a < b ? [a, b] : [b, a];
          const wl = slowStartWeight(c, lo);
          const wh = slowStartWeight(c, hi);
          assert.ok(wl <= wh && wl >= minWeight && wh <= 1);
        },
      ),
    );
  });
});
