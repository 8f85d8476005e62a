import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { aimd } from './aimd.js';
import { fixedLimit } from './limit.js';
import type { LimitSample } from './limit.js';
import { concurrencyLimiter } from './limiter.js';
import type { LimitRejectEvent } from './limiter.js';
import { pipeline } from '../core/pipeline.js';
import { deferred } from '../../test-support/deferred.js';

const named = (name: string): Error => Object.assign(new Error(name), { name });

describe('concurrencyLimiter policy', () => {
  it('rejects with FS_ERR_LIMIT_EXCEEDED once `limit` calls are in flight, and admits again after one ends', async () => {
    const limiter = concurrencyLimiter({ limit: fixedLimit(2), clock: new VirtualClock() });
    const a = deferred<string>();
    const b = deferred<string>();
    const first = limiter.execute(() => a.promise);
    const second = limiter.execute(() => b.promise);
    assert.equal(limiter.inflight, 2);
    await assert.rejects(
      limiter.execute(() => 'third'),
      (error) =>
        isFailsmallError(error, 'FS_ERR_LIMIT_EXCEEDED') &&
        error.details?.limit === 2 &&
        error.details.inflight === 2 &&
        error.details.algorithm === 'fixed',
    );
    a.resolve('a');
    assert.equal(await first, 'a');
    assert.equal(limiter.inflight, 1);
    assert.equal(await limiter.execute(() => 'fourth'), 'fourth');
    b.reject(named('Boom'));
    await assert.rejects(second, { name: 'Boom' });
    assert.equal(limiter.inflight, 0);
    assert.deepEqual(
      { inflight: limiter.snapshot().inflight, rejected: limiter.snapshot().rejected },
      { inflight: 0, rejected: 1 },
    );
  });

  it('feeds the limit with RTT on the injected clock and in-flight at start', async () => {
    const clock = new VirtualClock();
    const seen: LimitSample[] = [];
    const limit = aimd({ initialLimit: 2 });
    const original = limit.onSample.bind(limit);
    limit.onSample = (s) => (seen.push({ ...s }), original(s));
    const limiter = concurrencyLimiter({ limit, clock });
    const calls = [
      limiter.execute(() => clock.sleep(50).then(() => 'slow')),
      limiter.execute(() => clock.sleep(20).then(() => 'fast')),
    ];
    await clock.advance(100);
    assert.deepEqual(await Promise.all(calls), ['slow', 'fast']);
    assert.deepEqual(seen, [
      { now: 20, rtt: 20, inflight: 2, dropped: false },
      { now: 50, rtt: 50, inflight: 1, dropped: false },
    ]);
    assert.equal(limit.limit, 3); // the first sample was at full use (2 · 2 ≥ 2): +1; the second app-limited
  });

  it('classifies by default: overload and timeouts drop, other errors are ignored', async () => {
    const clock = new VirtualClock();
    const limit = aimd({ initialLimit: 20 });
    const limiter = concurrencyLimiter({ limit, clock });
    await assert.rejects(limiter.execute(() => Promise.reject(named('ResourceNotFoundException'))));
    assert.equal(limit.limit, 20); // ignored
    await assert.rejects(limiter.execute(() => Promise.reject(named('ThrottlingException'))));
    assert.equal(limit.limit, 18); // ⌊20 · 0.9⌋
    await assert.rejects(limiter.execute(() => Promise.reject(Object.assign(new Error('t'), { code: 'ETIMEDOUT' }))));
    assert.equal(limit.limit, 16);
    assert.equal(limiter.snapshot().dropped, 2);
  });

  it('takes a custom classifier that sees values', async () => {
    const limit = aimd({ initialLimit: 10 });
    const limiter = concurrencyLimiter({
      limit,
      clock: new VirtualClock(),
      classify: (o) => (o.ok && (o.value as { status: number }).status === 503 ? 'dropped' : 'ignore'),
    });
    await limiter.execute(() => ({ status: 503 }));
    assert.equal(limit.limit, 9);
    await limiter.execute(() => ({ status: 200 }));
    assert.equal(limit.limit, 9);
  });

  it('reports rejections on onReject and on failsmall:policy:limiter', async () => {
    const limiter = concurrencyLimiter({ limit: fixedLimit(1), clock: new VirtualClock(5) });
    const events: LimitRejectEvent[] = [];
    const published: unknown[] = [];
    const onMessage = (m: unknown): void => void published.push(m);
    limiter.onReject.on((e) => events.push(e));
    diagnostics.subscribe('failsmall:policy:limiter', onMessage);
    try {
      const hold = deferred<void>();
      const first = limiter.execute(() => hold.promise);
      await assert.rejects(
        limiter.run(() => 'x', {
          attempt: 1,
          deadline: Infinity,
          signal: new AbortController().signal,
          dependency: 'ddb',
        }),
      );
      assert.deepEqual(events, [{ limit: 1, inflight: 1, now: 5, dependency: 'ddb' }]);
      assert.deepEqual(published, [{ type: 'rejected', kind: 'limiter', at: 5, ...events[0] }]);
      hold.resolve();
      await first;
    } finally {
      diagnostics.unsubscribe('failsmall:policy:limiter', onMessage);
    }
  });

  it('rejects with the signal reason when aborted before the call, and survives a synchronous throw', async () => {
    const limiter = concurrencyLimiter({ limit: fixedLimit(1), clock: new VirtualClock() });
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await assert.rejects(
      limiter.execute(() => 'x', controller.signal),
      { message: 'gone' },
    );
    await assert.rejects(
      limiter.execute(() => {
        throw named('Sync');
      }),
      { name: 'Sync' },
    );
    assert.equal(limiter.inflight, 0);
    assert.equal(await limiter.execute(() => 'free again'), 'free again');
  });

  it("composes in a pipeline, and uses the pipeline's dependency name", async () => {
    const limiter = concurrencyLimiter({
      limit: fixedLimit(1),
      clock: new VirtualClock(),
      dependency: 'fallback-name',
    });
    const policy = pipeline(limiter).named('ddb');
    const hold = deferred<string>();
    const first = policy.execute(() => hold.promise);
    await assert.rejects(
      policy.execute(() => 'x'),
      (error) => {
        assert.ok(isFailsmallError(error, 'FS_ERR_LIMIT_EXCEEDED'));
        assert.equal(error.details?.dependency, 'ddb');
        return true;
      },
    );
    hold.resolve('done');
    assert.equal(await first, 'done');
    assert.equal(limiter.snapshot().dependency, 'fallback-name');
  });

  it('validates its options with exact messages', () => {
    const cases: [unknown, string][] = [
      [undefined, 'Expected `options` to be an object, got undefined'],
      [{}, 'Expected `limit` to be a Limit (e.g. aimd()), got undefined'],
      [{ limit: 10 }, 'Expected `limit` to be a Limit (e.g. aimd()), got 10'],
      [{ limit: fixedLimit(1), classify: 'x' }, 'Expected `classify` to be a function, got "x"'],
      [{ limit: fixedLimit(1), clock: Date }, 'Expected `clock` to be a Clock, got a function'],
      [{ limit: fixedLimit(1), dependency: 7 }, 'Expected `dependency` to be a non-empty string, got 7'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => concurrencyLimiter(options as never), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });
});
