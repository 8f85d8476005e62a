import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decide, quorumOf } from './quorum.js';
import type { Vote } from './rise-fall.js';

describe('quorum', () => {
  it('takes a majority by default and checks an explicit quorum', () => {
    assert.equal(quorumOf(1), 1);
    assert.equal(quorumOf(2), 2);
    assert.equal(quorumOf(3), 2);
    assert.equal(quorumOf(3, 1), 1);
    assert.throws(() => quorumOf(2, 3), /Expected `quorum` to be an integer from 1 to 2/);
  });

  it('removes only on a quorum of down votes; two sources that disagree hold and escalate', () => {
    assert.deepEqual(decide(['down', 'up'], 2), {
      verdict: 'hold',
      reason: 'disagreement',
      escalate: true,
      up: 1,
      down: 1,
      abstained: 0,
    });
    assert.equal(decide(['down', 'down'], 2).verdict, 'down');
    assert.equal(decide(['down', 'down', 'up'], 2).verdict, 'down');
    assert.equal(decide(['down', 'faulty'], 2).reason, 'no-quorum');
    assert.equal(decide(['down', 'faulty'], 2).escalate, false);
    assert.equal(decide(['up', 'unknown', 'up'], 2).verdict, 'up');
  });

  it('property: faulty or unknown votes never make a target down; down needs k down votes', () => {
    const vote = fc.constantFrom<Vote>('up', 'down', 'unknown', 'faulty');
    fc.assert(
      fc.property(fc.array(vote, { minLength: 1, maxLength: 7 }), fc.nat(), (votes, q) => {
        const k = (q % votes.length) + 1;
        const d = decide(votes, k);
        const downs = votes.filter((v) => v === 'down').length;
        if (d.verdict === 'down') assert.ok(downs >= k);
        const cleaned = votes.map((v) => (v === 'down' ? 'down' : v === 'up' ? 'up' : 'faulty')) as Vote[];
        const asUp = votes.map((v) => (v === 'faulty' || v === 'unknown' ? 'up' : v)) as Vote[];
        // replacing abstentions by up votes can never turn a non-down into down
        if (decide(cleaned, k).verdict !== 'down') assert.notEqual(decide(asUp, k).verdict, 'down');
      }),
    );
  });
});
