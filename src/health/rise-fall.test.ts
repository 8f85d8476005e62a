import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { INITIAL_RISE_FALL, observe, riseFallThresholds, type Observation, type RiseFallState } from './rise-fall.js';

function run(observations: readonly Observation[], options = {}): RiseFallState {
  const t = riseFallThresholds(options);
  return observations.reduce<RiseFallState>((s, o, i) => observe(s, o, i * 1000, t), INITIAL_RISE_FALL);
}

describe('rise/fall', () => {
  it('needs `fall` consecutive fails for down and `rise` consecutive passes for up', () => {
    assert.equal(run(['fail', 'fail']).vote, 'unknown');
    assert.equal(run(['fail', 'fail', 'fail']).vote, 'down');
    assert.equal(run(['fail', 'fail', 'fail', 'pass']).vote, 'down');
    const up = run(['fail', 'fail', 'fail', 'pass', 'pass']);
    assert.equal(up.vote, 'up');
    assert.equal(up.since, 4000);
    assert.equal(run(['pass', 'fail', 'pass', 'fail', 'pass', 'fail']).vote, 'unknown');
  });

  it('never counts a faulty check as a fail, and votes faulty after `faultyAfter` of them', () => {
    const s = run(['fail', 'fail', 'faulty', 'fail']);
    assert.equal(s.vote, 'down'); // the faulty check between the fails did not reset them either
    assert.equal(run(['pass', 'pass', 'faulty']).vote, 'up');
    assert.equal(run(['pass', 'pass', 'faulty', 'faulty']).vote, 'faulty');
    assert.equal(run(['faulty', 'faulty', 'faulty', 'pass']).vote, 'unknown');
  });

  it('rejects bad thresholds and unknown keys with exact messages', () => {
    assert.throws(() => riseFallThresholds({ rise: 0 }), /Expected `rise` to be a positive integer, got 0/);
    assert.throws(() => riseFallThresholds({ fal: 2 } as never), /Expected `fal` to be a known option/);
  });

  it('property: a down vote always follows at least `fall` consecutive fails; faulty checks never make down', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom<Observation>('pass', 'fail', 'faulty'), { maxLength: 60 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (obs, rise, fall) => {
          const t = riseFallThresholds({ rise, fall });
          let s = INITIAL_RISE_FALL;
          let realFails = 0;
          for (const o of obs) {
            const before = s.vote;
            s = observe(s, o, 0, t);
            if (o === 'fail') realFails++;
            else if (o === 'pass') realFails = 0;
            if (s.vote === 'down' && before !== 'down') assert.ok(realFails >= fall);
            if (o === 'faulty') assert.ok(s.vote === before || s.vote === 'faulty');
          }
        },
      ),
    );
  });
});
