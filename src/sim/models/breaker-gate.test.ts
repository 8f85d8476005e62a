import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seededRandom } from '../../core/random.js';
import { breakerConfig, createMachine, isolate } from '../../policy/breaker/state.js';
import { admitted, recordAttempt } from './breaker-gate.js';

describe('breaker gate', () => {
  // 2 failures in a row open it for 1 s; one probe at a time, one success closes it.
  const config = breakerConfig(
    { strategy: { kind: 'consecutive', failures: 2 }, halfOpenAfter: 1_000, probes: 1, successThreshold: 1 },
    seededRandom(1),
  );

  it('lets attempts through while closed, refuses them while open, then lets one probe through', () => {
    const m = createMachine(config, 0);
    assert.equal(admitted(config, m, 0), true);
    recordAttempt(config, m, 10, m.gen, false, 10);
    assert.equal(admitted(config, m, 20), true);
    recordAttempt(config, m, 30, m.gen, false, 10);
    assert.equal(m.state, 'open');
    assert.equal(admitted(config, m, 500), false);
    assert.equal(admitted(config, m, 1_030), true); // the probe
    assert.equal(m.state, 'half-open');
    assert.equal(admitted(config, m, 1_031), false); // its one slot is taken
    recordAttempt(config, m, 1_040, m.gen, true, 10);
    assert.equal(m.state, 'closed');
  });

  it('ignores an outcome of an older generation, and refuses everything while isolated', () => {
    const m = createMachine(config, 0);
    const gen = m.gen;
    recordAttempt(config, m, 0, gen, false, 0);
    recordAttempt(config, m, 0, gen, false, 0);
    assert.equal(m.state, 'open');
    recordAttempt(config, m, 1, gen, true, 0); // admitted before it opened: counts for nothing
    assert.equal(m.state, 'open');
    isolate(m, 2);
    assert.equal(admitted(config, m, 10_000), false);
  });
});
