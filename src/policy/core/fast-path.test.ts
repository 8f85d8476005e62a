import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { circuitBreaker } from '../breaker/breaker.js';
import { timeout } from '../timeout/timeout.js';
import { markObserved, offerObserver, takeObserver, wasObserved } from './fast-path.js';
import type { Observer } from './fast-path.js';
import { pipeline } from './pipeline.js';

const observer: Observer = { ok: (v) => v, fail: (e) => Promise.reject(e) };

/** A promise that settles when `signal` aborts, rejecting with its reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

describe('the observer handshake', () => {
  it('hands an offer only to the step it was addressed to, once, and clears it after the call', () => {
    const a = {};
    const b = {};
    offerObserver(a, observer);
    assert.equal(takeObserver(b), undefined);
    assert.equal(takeObserver(a), observer);
    assert.equal(takeObserver(a), undefined);
    markObserved();
    assert.equal(wasObserved(), true);
    assert.equal(wasObserved(), false);
    offerObserver(a, observer);
    assert.equal(wasObserved(), false, 'not taken: the outer step attaches its own reaction');
    assert.equal(takeObserver(a), undefined, 'the offer is gone once the call returned');
  });

  it('a breaker over a timeout sees every outcome when the timeout runs its handlers', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, halfOpenAfter: 1_000, strategy: { kind: 'consecutive', failures: 3 } });
    const guarded = pipeline(breaker, timeout(100, { clock }));
    const boom = new Error('boom');
    for (let i = 0; i < 2; i++)
      await assert.rejects(
        guarded.execute(() => Promise.reject(boom)),
        (e) => e === boom,
      );
    assert.equal(await guarded.execute(async () => 1), 1); // a success ends the run of failures
    for (let i = 0; i < 2; i++)
      await assert.rejects(
        guarded.execute(() => Promise.reject(boom)),
        (e) => e === boom,
      );
    assert.equal(breaker.state, 'closed');
    // The third failure in a row is a timeout: the breaker sees FS_ERR_TIMEOUT and opens.
    const slow = guarded.execute(({ signal }) => untilAborted(signal));
    const timedOut = assert.rejects(slow, (e) => isFailsmallError(e, 'FS_ERR_TIMEOUT'));
    await clock.advance(120);
    await timedOut;
    assert.equal(breaker.state, 'open');
    await assert.rejects(
      guarded.execute(async () => 1),
      (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'),
    );
    // A synchronous throw inside the timeout is counted too (the breaker's own reaction).
    breaker.reset();
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        guarded.execute(() => {
          throw boom;
        }),
        (e) => e === boom,
      );
    }
    assert.equal(breaker.state, 'open');
  });

  it('two breakers over one timeout each see only their own calls', async () => {
    const clock = new VirtualClock();
    const shared = timeout(100, { clock });
    const a = circuitBreaker({ clock, halfOpenAfter: 1_000, strategy: { kind: 'consecutive', failures: 2 } });
    const b = circuitBreaker({ clock, halfOpenAfter: 1_000, strategy: { kind: 'consecutive', failures: 2 } });
    const viaA = pipeline(a, shared);
    const viaB = pipeline(b, shared);
    const boom = new Error('boom');
    // Interleaved, all pending at once: each call runs its own breaker's handlers.
    const calls = [
      viaA.execute(() => Promise.reject(boom)),
      viaB.execute(async () => 1),
      viaA.execute(() => Promise.reject(boom)),
      viaB.execute(async () => 2),
    ];
    const settled = await Promise.allSettled(calls);
    assert.deepEqual(
      settled.map((s) => s.status),
      ['rejected', 'fulfilled', 'rejected', 'fulfilled'],
    );
    assert.equal(a.state, 'open');
    assert.equal(b.state, 'closed');
  });
});
