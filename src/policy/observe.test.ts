import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { circuitBreaker } from './breaker/breaker.js';
import { pipeline } from './core/pipeline.js';
import { observe, type CallEvent } from './observe.js';

describe('observe', () => {
  it('measures each call: ok, error, a failure result, and a rejection of the breaker behind it', async () => {
    const clock = new VirtualClock();
    const seen: CallEvent[] = [];
    const probe = observe({ clock, dependency: 'db', isFailureResult: (v) => v === 'bad' });
    probe.onCall.on((e) => seen.push(e));
    const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 1 } });
    const policy = pipeline(probe, breaker);
    const slow = policy.execute(() => clock.sleep(30).then(() => 'fine'));
    await clock.advance(30);
    assert.equal(await slow, 'fine', 'the value passes unchanged');
    assert.equal(await policy.execute(() => 'bad'), 'bad');
    await assert.rejects(
      policy.execute(() => Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))),
    );
    await assert.rejects(
      policy.execute(() => 'never'),
      { code: 'FS_ERR_BREAKER_OPEN' },
    );
    assert.deepEqual(seen, [
      { dependency: 'db', outcome: 'ok', ms: 30 },
      { dependency: 'db', outcome: 'error', ms: 0 },
      { dependency: 'db', outcome: 'error', ms: 0, code: 'ECONNRESET' },
      { dependency: 'db', outcome: 'rejected', ms: 0, code: 'FS_ERR_BREAKER_OPEN' },
    ]);
    assert.deepEqual(probe.snapshot(), { kind: 'observe', dependency: 'db', calls: 4, errors: 2, rejected: 1 });
  });

  it('publishes `call` on failsmall:policy:observe only while someone listens', async () => {
    const messages: unknown[] = [];
    const listener = (m: unknown): void => void messages.push(m);
    const probe = observe({ clock: new VirtualClock(5), dependency: 'api' });
    await probe.execute(() => 1);
    diagnostics.subscribe('failsmall:policy:observe', listener);
    try {
      await probe.execute(() => 2);
    } finally {
      diagnostics.unsubscribe('failsmall:policy:observe', listener);
    }
    assert.deepEqual(messages, [{ type: 'call', kind: 'observe', dependency: 'api', at: 5, outcome: 'ok', ms: 0 }]);
  });
});
