import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFailsmallError } from '../core/errors.js';
import { WaveGate } from './waves.js';

describe('WaveGate', () => {
  it('admits `size` items per wave; the next opens once all finished and `interval` passed', () => {
    const gate = new WaveGate({ size: 2, interval: 100 });
    assert.equal(gate.enter(0), 0);
    assert.equal(gate.enter(0), 0);
    assert.equal(gate.enter(10), 90); // full and running: come back when the interval is over
    gate.leave();
    gate.leave();
    assert.equal(gate.enter(50), 50); // all done, but the interval is not over
    assert.equal(gate.enter(100), 0); // wave 2
    assert.deepEqual(gate.snapshot(), { size: 2, interval: 100, waves: 2, admitted: 1, running: 1 });
  });

  it('keeps a wave closed while any of its items runs', () => {
    const gate = new WaveGate({ size: 1 });
    assert.equal(gate.enter(0), 0);
    assert.equal(gate.enter(500), 1);
    gate.leave();
    assert.equal(gate.enter(501), 0);
  });

  it('rejects bad options', () => {
    for (const bad of [{ size: 0 }, { size: 1.5 }, { size: 2, interval: -1 }]) {
      assert.throws(
        () => new WaveGate(bad),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});
