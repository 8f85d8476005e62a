import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { rootContext } from '../core/context.js';
import { timeout } from './timeout.js';
import type { TimeoutEvent } from './timeout.js';
import type { PolicyContext } from '../core/types.js';

const isTimeout = (e: unknown): boolean => isFailsmallError(e, 'FS_ERR_TIMEOUT');

/** A promise that settles when `signal` aborts, rejecting with its reason. */
function untilAborted(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

/** Counts AbortControllers built while `fn` runs. */
async function countControllers(fn: () => Promise<void>): Promise<number> {
  const Original = globalThis.AbortController;
  let built = 0;
  globalThis.AbortController = class extends Original {
    constructor() {
      super();
      built++;
    }
  };
  try {
    await fn();
  } finally {
    globalThis.AbortController = Original;
  }
  return built;
}

describe('timeout (cooperative)', () => {
  it('aborts the signal at the deadline and rejects with FS_ERR_TIMEOUT', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock });
    const events: TimeoutEvent[] = [];
    policy.onTimeout.on((e) => events.push(e));
    let seen: unknown;
    const call = policy.execute(async ({ signal }) => {
      try {
        return await untilAborted(signal);
      } catch (error) {
        seen = error;
        throw error;
      }
    });
    const outcome = assert.rejects(call, (e) => isTimeout(e) && e === seen);
    await clock.advance(99);
    assert.equal(seen, undefined);
    await clock.advance(1);
    await outcome;
    assert.equal(events.length, 1);
    assert.deepEqual(
      { ...events[0], elapsed: 0 },
      {
        timeout: 100,
        elapsed: 0,
        source: 'timeout',
        strategy: 'cooperative',
        dependency: undefined,
      },
    );
    assert.equal(events[0]!.elapsed, 100);
    assert.deepEqual(policy.snapshot(), {
      kind: 'timeout',
      dependency: undefined,
      timeout: 100,
      strategy: 'cooperative',
      calls: 1,
      timeouts: 1,
    });
  });

  it('waits for a function that ignores the signal, and returns its value', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock });
    let aborted = false;
    const call = policy.execute(async (ctx) => {
      await clock.sleep(300);
      aborted = ctx.signal.aborted;
      return 'late but done';
    });
    await clock.advance(300);
    assert.equal(await call, 'late but done');
    assert.equal(aborted, true);
  });

  it('rethrows the timeout itself when fn wraps it as cause (node:timers AbortError)', async () => {
    const clock = new VirtualClock();
    const policy = timeout(50, { clock });
    const call = policy.execute(async ({ signal }) => {
      await untilAborted(signal).catch((reason: unknown) => {
        throw new DOMException('The operation was aborted', { name: 'AbortError', cause: reason } as never);
      });
    });
    let reason: unknown;
    const outcome = assert.rejects(call, (e) => isTimeout(e) && (reason = e) !== undefined);
    await clock.advance(60);
    await outcome;
    assert.equal((reason as Error).cause, undefined);
  });

  it('turns another error thrown after the deadline into FS_ERR_TIMEOUT, keeping it as cause', async () => {
    const clock = new VirtualClock();
    const policy = timeout(50, { clock });
    const cause = new Error('socket closed');
    const call = policy.execute(async ({ signal }) => {
      await untilAborted(signal).catch(() => undefined);
      throw cause;
    });
    const outcome = assert.rejects(call, (e) => isTimeout(e) && (e as Error).cause === cause);
    await clock.advance(60);
    await outcome;
  });

  it('passes results and errors through untouched before the deadline, and clears its timer entry', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock });
    assert.equal(await policy.execute(() => 42), 42);
    const boom = new Error('boom');
    await assert.rejects(
      policy.execute(() => {
        throw boom;
      }),
      (e) => e === boom,
    );
    await assert.rejects(
      policy.execute(() => Promise.reject(boom)),
      (e) => e === boom,
    );
    await clock.advance(2_000);
    assert.equal(policy.snapshot().timeouts, 0);
    assert.equal(clock.pending, 0);
  });

  it('builds no AbortController unless fn reads the signal', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock });
    const unused = await countControllers(async () => {
      for (let i = 0; i < 100; i++) await policy.execute(() => i);
    });
    assert.equal(unused, 0);
    const fired = await countControllers(async () => {
      const call = policy.execute(() => clock.sleep(2_000));
      await clock.advance(2_000);
      await call;
    });
    assert.equal(fired, 0, 'nobody read the signal, so none is built even when the timeout fires');
    const read = await countControllers(async () => {
      await policy.execute(({ signal }) => signal.aborted);
    });
    assert.equal(read, 1);
  });

  it('never aborts the signal of a call that settled, when a call started with it runs out of time', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock });
    let early: AbortSignal | undefined;
    // Started together (one group, one deadline): two settle at once, one reading its signal before
    // it returns and one after; the third never settles by itself.
    assert.equal(
      await policy.execute((ctx) => {
        early = ctx.signal;
        return 1;
      }),
      1,
    );
    const slow = policy.execute(({ signal }) => untilAborted(signal));
    let reader: PolicyContext | undefined;
    assert.equal(
      await policy.execute((ctx) => {
        reader = ctx;
        return 2;
      }),
      2,
    );
    const late = reader!.signal;
    const outcome = assert.rejects(slow, isTimeout);
    await clock.advance(110);
    await outcome;
    assert.equal(early!.aborted, false);
    assert.equal(late.aborted, false);
    assert.equal(policy.snapshot().timeouts, 1);
    // A signal first read after the group ran out of time is aborted already.
    const reason = policy.execute(async (ctx) => (await clock.sleep(200), ctx.signal.reason));
    await clock.advance(300);
    assert.ok(isTimeout(await reason));
  });

  it('gives the calls started together one deadline, never earlier than the last of them', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock });
    const deadlines: Record<string, number> = {};
    const first = policy.execute((ctx) => clock.sleep(10).then(() => (deadlines.first = ctx.deadline)));
    const also = policy.execute((ctx) => clock.sleep(10).then(() => (deadlines.also = ctx.deadline)));
    await clock.advance(5);
    const second = policy.execute((ctx) => ((deadlines.second = ctx.deadline), clock.sleep(10)));
    await clock.advance(20);
    await Promise.all([first, also, second]);
    assert.deepEqual(deadlines, { first: 100, also: 100, second: 105 });
  });

  it('files every call in one coarse timer: at most one clock timer for any number of calls', async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock });
    const calls = Array.from({ length: 200 }, (_, i) => policy.execute(() => clock.sleep(i)));
    assert.equal(clock.pending, 201); // 200 sleeps + 1 coarse timer
    await clock.advance(300);
    await Promise.all(calls);
  });

  it('hands an already aborted signal to fn when read after the timeout fired', async () => {
    const clock = new VirtualClock();
    const policy = timeout(10, { clock });
    const call = policy.execute(async (ctx) => {
      await clock.sleep(50);
      return ctx.signal.reason;
    });
    await clock.advance(50);
    assert.ok(isTimeout(await call));
  });

  it("chains the caller's signal", async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock });
    const caller = new AbortController();
    const reason = new Error('user left');
    const call = policy.execute(({ signal }) => untilAborted(signal), caller.signal);
    await clock.advance(10);
    caller.abort(reason);
    await assert.rejects(call, (e) => e === reason);
    // an already aborted caller signal is visible at once
    const early = new AbortController();
    early.abort(reason);
    assert.equal(await policy.run(({ signal }) => signal.reason, rootContext(early.signal)), reason);
  });

  it("never gives an attempt more time than the caller's deadline", async () => {
    const clock = new VirtualClock();
    const outer = timeout(300, { clock });
    const inner = timeout(1_000, { clock });
    const events: TimeoutEvent[] = [];
    inner.onTimeout.on((e) => events.push(e));
    let seenDeadline = 0;
    const call = outer.execute((ctx) =>
      inner.run((c) => {
        seenDeadline = c.deadline;
        return untilAborted(c.signal);
      }, ctx),
    );
    const outcome = assert.rejects(call, isTimeout);
    await clock.advance(300);
    await outcome;
    assert.equal(seenDeadline, 300);
    assert.equal(events[0]?.source, 'deadline');
  });

  it('keeps the tighter own deadline inside a looser caller deadline', async () => {
    const clock = new VirtualClock(1_000);
    const policy = timeout(100, { clock });
    const ctx: PolicyContext = { attempt: 2, deadline: 5_000, signal: rootContext(undefined).signal, dependency: 'db' };
    const seen = await policy.run((c) => [c.deadline, c.attempt, c.dependency], ctx);
    assert.deepEqual(seen, [1_100, 2, 'db']);
  });

  it('rejects at once, without calling fn, when the deadline has passed', async () => {
    const clock = new VirtualClock(500);
    const policy = timeout(100, { clock });
    let called = false;
    const ctx: PolicyContext = { ...rootContext(undefined), deadline: 500 };
    await assert.rejects(
      policy.run(() => (called = true), ctx),
      (e) => isTimeout(e) && (e as { details: { source: string } }).details.source === 'deadline',
    );
    assert.equal(called, false);
  });

  it('with Infinity, applies only the caller deadline', async () => {
    const clock = new VirtualClock();
    const policy = timeout(Infinity, { clock });
    assert.equal(await policy.execute((ctx) => ctx.deadline), Infinity);
    assert.equal(clock.pending, 0);
    const call = policy.run((c) => untilAborted(c.signal), { ...rootContext(undefined), deadline: 40 });
    const outcome = assert.rejects(call, isTimeout);
    await clock.advance(50);
    await outcome;
  });

  it('publishes on failsmall:policy:timeout only when subscribed', async () => {
    const clock = new VirtualClock();
    const policy = timeout(10, { clock });
    const got: unknown[] = [];
    const listener = (message: unknown): void => void got.push(message);
    diagnostics.subscribe('failsmall:policy:timeout', listener);
    try {
      const call = policy.execute(({ signal }) => untilAborted(signal));
      const outcome = assert.rejects(call, isTimeout);
      await clock.advance(20);
      await outcome;
    } finally {
      diagnostics.unsubscribe('failsmall:policy:timeout', listener);
    }
    assert.equal(got.length, 1);
    assert.equal((got[0] as TimeoutEvent).source, 'timeout');
  });
});

describe('timeout (aggressive)', () => {
  it('rejects at the deadline even if fn never settles, and aborts the signal', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock, strategy: 'aggressive' });
    let signal: AbortSignal | undefined;
    const call = policy.execute((ctx) => {
      signal = ctx.signal;
      return new Promise<never>(() => undefined);
    });
    const outcome = assert.rejects(call, isTimeout);
    await clock.advance(100);
    await outcome;
    assert.equal(signal?.aborted, true);
    assert.ok(isTimeout(signal?.reason));
  });

  it('drops a result that arrives after the deadline', async () => {
    const clock = new VirtualClock();
    const policy = timeout(10, { clock, strategy: 'aggressive' });
    const call = policy.execute(() => clock.sleep(50).then(() => 'too late'));
    const outcome = assert.rejects(call, isTimeout);
    await clock.advance(50);
    await outcome;
  });

  it('resolves and rejects like fn before the deadline', async () => {
    const clock = new VirtualClock();
    const policy = timeout(100, { clock, strategy: 'aggressive' });
    assert.equal(await policy.execute(() => 'ok'), 'ok');
    const boom = new Error('boom');
    await assert.rejects(
      policy.execute(() => {
        throw boom;
      }),
      (e) => e === boom,
    );
    await clock.advance(200);
    assert.equal(policy.snapshot().timeouts, 0);
  });

  it("rejects at once when the caller's signal aborts, or was aborted", async () => {
    const clock = new VirtualClock();
    const policy = timeout(1_000, { clock, strategy: 'aggressive' });
    const caller = new AbortController();
    const reason = new Error('cancelled');
    const call = policy.execute(() => new Promise<never>(() => undefined), caller.signal);
    caller.abort(reason);
    await assert.rejects(call, (e) => e === reason);
    let called = false;
    await assert.rejects(
      policy.execute(() => (called = true), caller.signal),
      (e) => e === reason,
    );
    assert.equal(called, false);
  });
});

describe('timeout options', () => {
  it('validates with exact messages', () => {
    assert.throws(() => timeout(-1), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `ms` to be a finite number > 0, got -1',
    });
    assert.throws(() => timeout(0), { message: 'Expected `ms` to be a finite number > 0, got 0' });
    assert.throws(() => timeout(NaN), { message: 'Expected `ms` to be a finite number > 0, got NaN' });
    assert.throws(() => timeout(10, { strategy: 'hard' as never }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `strategy` to be one of "cooperative", "aggressive", got "hard"',
    });
  });
});
