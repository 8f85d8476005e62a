import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { CRITICALITIES } from './criticality.js';
import { acceptProbability, resolveQueueThrottle } from './queue-throttle.js';

describe('queue-size throttle (AWS fix after 2025-10-20)', () => {
  const throttle = resolveQueueThrottle(undefined);

  it('accepts everything while the queue is short, nothing when it is full', () => {
    assert.equal(acceptProbability(throttle, 'critical-plus', 0, 100), 1);
    assert.equal(acceptProbability(throttle, 'critical-plus', 25, 100), 1);
    assert.equal(acceptProbability(throttle, 'critical-plus', 100, 100), 0);
    assert.ok(Math.abs(acceptProbability(throttle, 'critical-plus', 50, 100) - 2 / 3) < 1e-12);
    assert.equal(acceptProbability(throttle, 'critical', 0, 0), 0);
  });

  it('lower levels stop queueing first: sheddable is refused from a quarter full', () => {
    assert.equal(acceptProbability(throttle, 'sheddable', 25, 100), 0);
    assert.ok(acceptProbability(throttle, 'sheddable', 10, 100) < acceptProbability(throttle, 'critical', 10, 100));
  });

  it('property: the acceptance rate never rises as the queue grows, nor with lower criticality', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 0, max: 1_000 }), (max, length) => {
        let previous = 1;
        for (const level of CRITICALITIES) {
          const p = acceptProbability(throttle, level, length, max);
          assert.ok(p >= 0 && p <= 1);
          assert.ok(p <= previous + 1e-12);
          assert.ok(acceptProbability(throttle, level, length + 1, max) <= p + 1e-12);
          previous = p;
        }
      }),
    );
  });

  it('validates its options', () => {
    assert.equal(resolveQueueThrottle({ start: 0.5, weights: { sheddable: 8 } }).weights.sheddable, 8);
    for (const bad of [{ start: 2 }, { weights: { urgent: 2 } }, { weights: { critical: 0.5 } }, 'x']) {
      assert.throws(
        () => resolveQueueThrottle(bad as never),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});
