import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFailsmallError } from '../core/errors.js';
import { SlowStart } from './slow-start.js';

describe('SlowStart (Envoy curve)', () => {
  it('is 1 until started, ramps linearly from minWeight, and is 1 after the window', () => {
    const ramp = new SlowStart({ window: 10_000 });
    assert.equal(ramp.factor(0), 1);
    ramp.start(1_000);
    assert.equal(ramp.factor(1_000), 0.1); // minWeight
    assert.equal(ramp.factor(6_000), 0.5);
    assert.equal(ramp.scale(100, 6_000), 50);
    assert.equal(ramp.active(10_999), true);
    assert.equal(ramp.factor(11_000), 1);
    assert.equal(ramp.active(11_000), false);
    assert.equal(ramp.snapshot().startedAt, null);
  });

  it('aggression > 1 ramps faster at first; scale never goes below 1', () => {
    const fast = new SlowStart({ window: 1_000, aggression: 2, minWeight: 0 });
    fast.start(0);
    assert.equal(fast.factor(250), 0.5); // (1/4)^(1/2)
    assert.equal(fast.scale(1, 0), 1);
  });

  it('window 0 turns it off; bad options throw FS_ERR_INVALID_ARGUMENT', () => {
    const off = new SlowStart({ window: 0 });
    off.start(0);
    assert.equal(off.factor(0), 1);
    for (const bad of [{ window: -1 }, { aggression: 0 }, { minWeight: 1.5 }]) {
      assert.throws(
        () => new SlowStart(bad),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});
