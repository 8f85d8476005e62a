import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { FailsmallError, isFailsmallError } from '../../core/errors.js';
import { circuitBreaker } from './breaker.js';
import type { BreakerOptions, BreakerStateChange, CircuitBreaker } from './breaker.js';
import type { BreakerStateJSON } from './state.js';

const boom = (): Promise<never> => Promise.reject(new Error('boom'));
const ok = (): Promise<string> => Promise.resolve('ok');

async function fail(breaker: CircuitBreaker, times = 1): Promise<void> {
  for (let i = 0; i < times; i++) await breaker.execute(boom).catch(() => undefined);
}

function setup(options: Omit<BreakerOptions, 'clock'> = {}): {
  clock: VirtualClock;
  breaker: CircuitBreaker;
  changes: string[];
} {
  const clock = new VirtualClock();
  const breaker = circuitBreaker({ clock, halfOpenAfter: 1_000, ...options });
  const changes: string[] = [];
  breaker.onStateChange.on((e) => changes.push(`${e.from}>${e.to}:${e.reason}`));
  return { clock, breaker, changes };
}

describe('circuitBreaker: consecutive failures', () => {
  it('opens after N failures in a row and rejects with FS_ERR_BREAKER_OPEN and retryAfter', async () => {
    const { clock, breaker, changes } = setup({ strategy: { kind: 'consecutive', failures: 3 } });
    await fail(breaker, 2);
    assert.equal(await breaker.execute(ok), 'ok'); // a success resets the run
    await fail(breaker, 2);
    assert.equal(breaker.state, 'closed');
    await fail(breaker);
    assert.equal(breaker.state, 'open');
    await clock.advance(400);
    let called = false;
    await assert.rejects(
      breaker.execute(() => (called = true)),
      (e) =>
        isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') &&
        e.details?.retryAfter === 600 &&
        e.details.state === 'open' &&
        e.stack === `FailsmallError: ${e.message}`,
    );
    assert.equal(called, false);
    assert.deepEqual(changes, ['closed>open:consecutive-failures']);
    assert.equal(breaker.snapshot().rejected, 1);
  });

  it('goes half-open ON TIME, with no call arriving, and closes after the probe succeeds', async () => {
    const { clock, breaker, changes } = setup({ strategy: { kind: 'consecutive', failures: 1 } });
    const halfOpen: number[] = [];
    breaker.onHalfOpen.on(() => halfOpen.push(clock.now()));
    const resets: string[] = [];
    breaker.onReset.on((e) => resets.push(e.reason));
    await fail(breaker);
    await clock.advance(999);
    assert.equal(breaker.state, 'open');
    await clock.advance(1);
    assert.equal(breaker.state, 'half-open');
    assert.deepEqual(halfOpen, [1_000]);
    assert.equal(await breaker.execute(ok), 'ok');
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(resets, ['probes-succeeded']);
    assert.deepEqual(changes, [
      'closed>open:consecutive-failures',
      'open>half-open:half-open-after',
      'half-open>closed:probes-succeeded',
    ]);
    assert.equal(clock.pending, 0);
  });

  it('re-opens when a probe fails, with the breaker’s onBreak event', async () => {
    const { clock, breaker, changes } = setup({ strategy: { kind: 'consecutive', failures: 1 } });
    const breaks: unknown[] = [];
    breaker.onBreak.on((e) => breaks.push(e));
    await fail(breaker);
    await clock.advance(1_000);
    await fail(breaker);
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes.at(-1), 'half-open>open:probe-failed');
    assert.deepEqual(breaks, [
      { reason: 'consecutive-failures', opens: 1, retryAfter: 1_000, dependency: undefined },
      { reason: 'probe-failed', opens: 2, retryAfter: 1_000, dependency: undefined },
    ]);
  });
});

describe('circuitBreaker: half-open probes', () => {
  it('lets at most `probes` calls through at once and needs `successThreshold` successes', async () => {
    const { clock, breaker } = setup({
      strategy: { kind: 'consecutive', failures: 1 },
      probes: 2,
      successThreshold: 3,
    });
    await fail(breaker);
    await clock.advance(1_000);
    const release: (() => void)[] = [];
    const probe = (): Promise<string> =>
      breaker.execute(() => new Promise<string>((resolve) => release.push(() => resolve('probed'))));
    const a = probe();
    const b = probe();
    await assert.rejects(
      breaker.execute(ok),
      (e) =>
        isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') && e.details?.state === 'half-open' && e.details.retryAfter === 0,
    );
    assert.equal(breaker.snapshot().probes, 2);
    release.shift()!();
    assert.equal(await a, 'probed');
    assert.equal(breaker.state, 'half-open');
    release.shift()!();
    await b;
    assert.equal(await breaker.execute(ok), 'ok');
    assert.equal(breaker.state, 'closed');
  });
});

describe('circuitBreaker: windows and slow calls', () => {
  it('count window: opens on the failure rate once the minimum number of calls is reached', async () => {
    const { breaker, changes } = setup({
      strategy: { kind: 'count', size: 10, failureRate: 0.5, minimumCalls: 4 },
    });
    await fail(breaker, 3);
    assert.equal(breaker.state, 'closed');
    await breaker.execute(ok);
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes, ['closed>open:failure-rate']);
  });

  it('time window: forgets failures older than the window', async () => {
    const { clock, breaker } = setup({
      strategy: { kind: 'time', duration: 10_000, buckets: 10, failureRate: 0.5, minimumCalls: 3 },
    });
    await fail(breaker, 2);
    await clock.advance(10_000);
    await fail(breaker);
    await breaker.execute(ok);
    await breaker.execute(ok);
    assert.equal(breaker.state, 'closed');
    assert.deepEqual([breaker.snapshot().calls, breaker.snapshot().failures], [3, 1]);
    await fail(breaker);
    assert.equal(breaker.state, 'open');
  });

  it('slow calls: opens when the slow-call rate reaches its threshold', async () => {
    const { clock, breaker, changes } = setup({
      strategy: { kind: 'count', size: 4, failureRate: 1, minimumCalls: 4 },
      slowCall: { duration: 100, rate: 0.5 },
    });
    const slow = (): Promise<string> => breaker.execute(() => clock.sleep(150).then(() => 'slow'));
    await breaker.execute(ok);
    await breaker.execute(ok);
    const first = slow();
    await clock.advance(150);
    await first;
    assert.equal(breaker.snapshot().slow, 1);
    const second = slow();
    await clock.advance(150);
    assert.equal(await second, 'slow');
    assert.equal(breaker.state, 'open');
    assert.deepEqual(changes, ['closed>open:slow-call-rate']);
  });
});

describe('circuitBreaker: classification', () => {
  it('counts only errors the classifier accepts; others count as successes', async () => {
    const { breaker } = setup({
      strategy: { kind: 'consecutive', failures: 2 },
      isFailure: (e) => !(e instanceof TypeError),
    });
    await fail(breaker);
    await breaker
      .execute(() => {
        throw new TypeError('bad input');
      })
      .catch(() => undefined);
    await fail(breaker);
    assert.equal(breaker.state, 'closed');
    await fail(breaker);
    assert.equal(breaker.state, 'open');
  });

  it('counts results the result classifier flags, and passes them through', async () => {
    const { breaker } = setup({
      strategy: { kind: 'consecutive', failures: 2 },
      isFailureResult: (v) => (v as { status: number }).status >= 500,
    });
    assert.deepEqual(await breaker.execute(() => ({ status: 503 })), { status: 503 });
    await breaker.execute(() => ({ status: 503 }));
    assert.equal(breaker.state, 'open');
  });

  it("ignores a failure when the caller's signal aborted (the caller gave up, not the dependency)", async () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', failures: 1 } });
    const caller = new AbortController();
    const call = breaker.execute(
      (ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
      caller.signal,
    );
    caller.abort(new Error('user left'));
    await assert.rejects(call, /user left/);
    assert.equal(breaker.state, 'closed');
  });

  it('a throwing classifier counts as a failure', async () => {
    const { breaker } = setup({
      strategy: { kind: 'consecutive', failures: 1 },
      isFailure: () => {
        throw new Error('classifier bug');
      },
    });
    await fail(breaker);
    assert.equal(breaker.state, 'open');
  });
});

describe('circuitBreaker: manual control', () => {
  it('isolate() holds it open until every handle is released', async () => {
    const { breaker, changes } = setup();
    const a = breaker.isolate();
    const b = breaker.isolate();
    await assert.rejects(breaker.execute(ok), (e) => isFailsmallError(e, 'FS_ERR_BREAKER_ISOLATED'));
    a.dispose();
    a.dispose();
    assert.equal(breaker.state, 'isolated');
    b.dispose();
    assert.equal(breaker.state, 'closed');
    assert.deepEqual(changes, ['closed>isolated:isolated', 'isolated>closed:released']);
  });

  it('reset() closes from any state and drops isolations; a stale handle does nothing', async () => {
    const { clock, breaker, changes } = setup({ strategy: { kind: 'consecutive', failures: 1 } });
    await fail(breaker);
    breaker.reset();
    assert.equal(breaker.state, 'closed');
    assert.equal(clock.pending, 0, 'the half-open timer is cancelled');
    const handle = breaker.isolate();
    breaker.reset();
    const again = breaker.isolate();
    handle.dispose(); // from before the reset: must not release the new isolation
    assert.equal(breaker.state, 'isolated');
    again.dispose();
    assert.deepEqual(changes, [
      'closed>open:consecutive-failures',
      'open>closed:reset',
      'closed>isolated:isolated',
      'isolated>closed:reset',
      'closed>isolated:isolated',
      'isolated>closed:released',
    ]);
  });
});

describe('circuitBreaker: serialisation', () => {
  it('toJSON() → state: an open breaker stays open across a restart and half-opens on time', async () => {
    const { clock, breaker } = setup({ strategy: { kind: 'consecutive', failures: 1 } });
    await fail(breaker);
    await clock.advance(300);
    const saved = JSON.parse(JSON.stringify(breaker)) as BreakerStateJSON;
    assert.equal(saved.state, 'open');
    const restored = circuitBreaker({ clock, halfOpenAfter: 1_000, state: saved });
    assert.equal(restored.state, 'open');
    await assert.rejects(
      restored.execute(ok),
      (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN') && e.details?.retryAfter === 700,
    );
    await clock.advance(700);
    assert.equal(restored.state, 'half-open');
  });

  it('an open state whose time has passed hydrates as half-open', () => {
    const clock = new VirtualClock(10_000);
    const state: BreakerStateJSON = {
      version: 1,
      state: 'open',
      reason: 'consecutive-failures',
      since: 0,
      opens: 1,
      openDelay: 1_000,
      halfOpenAt: 1_000,
      successes: 0,
      window: { strategy: 'consecutive', consecutive: 0 },
    };
    assert.equal(circuitBreaker({ clock, state }).state, 'half-open');
  });

  it('keeps the window: three failures saved, two more after the restart open it', async () => {
    const { clock, breaker } = setup({ strategy: { kind: 'count', size: 5, failureRate: 1, minimumCalls: 5 } });
    await fail(breaker, 3);
    const restored = circuitBreaker({
      clock,
      strategy: { kind: 'count', size: 5, failureRate: 1, minimumCalls: 5 },
      state: breaker.toJSON(),
    });
    await fail(restored, 2);
    assert.equal(restored.state, 'open');
  });

  it('rejects a state that did not come from toJSON()', () => {
    assert.throws(() => circuitBreaker({ state: { version: 9 } as never }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `state` to be a breaker state from toJSON(), got object',
    });
  });
});

describe('circuitBreaker: observability', () => {
  it('publishes every transition on failsmall:policy:breaker, with the dependency', async () => {
    const { clock, breaker } = setup({ strategy: { kind: 'consecutive', failures: 1 }, dependency: 'dynamodb' });
    const got: BreakerStateChange[] = [];
    const listener = (m: unknown): void => void got.push(m as BreakerStateChange);
    diagnostics.subscribe('failsmall:policy:breaker', listener);
    try {
      await fail(breaker);
      await clock.advance(1_000);
    } finally {
      diagnostics.unsubscribe('failsmall:policy:breaker', listener);
    }
    assert.deepEqual(got, [
      {
        type: 'state-change',
        kind: 'breaker',
        from: 'closed',
        to: 'open',
        reason: 'consecutive-failures',
        dependency: 'dynamodb',
        at: 0,
      },
      {
        type: 'state-change',
        kind: 'breaker',
        from: 'open',
        to: 'half-open',
        reason: 'half-open-after',
        dependency: 'dynamodb',
        at: 1_000,
      },
    ]);
    await assert.rejects(breaker.execute(boom));
    await assert.rejects(breaker.execute(ok), (e) => e instanceof FailsmallError && /for dynamodb/.test(e.message));
  });

  it('snapshot() is plain JSON', async () => {
    const { clock, breaker } = setup({ strategy: { kind: 'consecutive', failures: 2 }, dependency: 'db' });
    await fail(breaker);
    assert.deepEqual(breaker.snapshot(), {
      kind: 'breaker',
      dependency: 'db',
      state: 'closed',
      reason: 'initial',
      since: 0,
      opens: 0,
      retryAfter: 0,
      probes: 0,
      calls: 0,
      failures: 1,
      slow: 0,
      rejected: 0,
      isolations: 0,
    });
    await fail(breaker);
    await clock.advance(250);
    assert.equal(breaker.snapshot().retryAfter, 750);
    breaker.isolate();
    assert.equal(breaker.snapshot().retryAfter, Infinity);
  });
});

describe('circuitBreaker: options', () => {
  it('validates with exact messages', () => {
    const cases: [BreakerOptions, string][] = [
      [
        { strategy: { kind: 'consecutive', failures: 0 } },
        'Expected `strategy.failures` to be a positive integer, got 0',
      ],
      [
        { strategy: { kind: 'often' } as never },
        'Expected `strategy.kind` to be one of "consecutive", "count", "time", got "often"',
      ],
      [
        { strategy: { kind: 'count', failureRate: 0 } },
        'Expected `strategy.failureRate` to be a number > 0 and <= 1, got 0',
      ],
      [
        { strategy: { kind: 'count', size: 10, minimumCalls: 11 } },
        'Expected `strategy.minimumCalls` to be an integer <= strategy.size (10), got 11',
      ],
      [{ strategy: { kind: 'time', duration: -5 } }, 'Expected `strategy.duration` to be a finite number > 0, got -5'],
      [{ strategy: { kind: 'time', buckets: 1.5 } }, 'Expected `strategy.buckets` to be a positive integer, got 1.5'],
      [
        { slowCall: { duration: 100 } },
        'Expected `strategy.kind` to be "count" or "time" when `slowCall` is set, got "consecutive"',
      ],
      [
        { strategy: { kind: 'count' }, slowCall: { duration: 100, rate: 2 } },
        'Expected `slowCall.rate` to be a number > 0 and <= 1, got 2',
      ],
      [{ halfOpenAfter: -1 }, 'Expected `halfOpenAfter` to be a finite number >= 0, got -1'],
      [{ halfOpenAfter: '5s' as never }, 'Expected `halfOpenAfter` to be a duration in ms or a Backoff, got "5s"'],
      [{ probes: 0 }, 'Expected `probes` to be a positive integer, got 0'],
      [{ successThreshold: -1 }, 'Expected `successThreshold` to be a positive integer, got -1'],
      [{ isFailure: 'yes' as never }, 'Expected `isFailure` to be a function, got "yes"'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => circuitBreaker(options), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });

  it('rejects at once when the caller’s signal has already aborted', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock() });
    let called = false;
    await assert.rejects(
      breaker.execute(() => (called = true), AbortSignal.abort(new Error('gone'))),
      /gone/,
    );
    assert.equal(called, false);
  });
});

describe('circuitBreaker: the closed fast path (execute without a signal)', () => {
  it('updates the state before the caller’s continuation runs, and hands back the original rejection', async () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', failures: 2 } });
    await breaker.execute(ok); // the fast path is on from here
    const error = new Error('down');
    const seen: [unknown, string, number][] = [];
    const failing = (): Promise<never> => Promise.reject(error);
    await breaker.execute(failing).catch((e: unknown) => seen.push([e, breaker.state, breaker.snapshot().failures]));
    await breaker.execute(failing).catch((e: unknown) => seen.push([e, breaker.state, breaker.snapshot().failures]));
    assert.deepEqual(seen, [
      [error, 'closed', 1],
      [error, 'open', 2],
    ]);
    assert.equal(seen[0]![0], error);
  });

  it('leaves no unhandled rejection behind when the caller handles the failure', async () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', failures: 100 } });
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      for (let i = 0; i < 3; i++) await assert.rejects(breaker.execute(boom), /boom/);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    assert.deepEqual(unhandled, []);
  });

  it('a synchronous throw rejects (never throws) and counts as a failure', async () => {
    const { breaker } = setup({ strategy: { kind: 'consecutive', failures: 2 } });
    await breaker.execute(ok);
    const thrower = (): never => {
      throw new Error('sync');
    };
    const first = breaker.execute(thrower);
    assert.ok(first instanceof Promise);
    await assert.rejects(first, /sync/);
    await assert.rejects(breaker.execute(thrower), /sync/);
    assert.equal(breaker.state, 'open');
  });

  it('checks fn and hands it a root context, as every policy does', async () => {
    const breaker = circuitBreaker({ clock: new VirtualClock(), dependency: 'dynamodb' });
    await breaker.execute(ok);
    await assert.rejects(breaker.execute(42 as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
    const ctx = await breaker.execute((c) => c);
    assert.deepEqual(
      { attempt: ctx.attempt, deadline: ctx.deadline, aborted: ctx.signal.aborted, dependency: ctx.dependency },
      { attempt: 1, deadline: Infinity, aborted: false, dependency: 'dynamodb' },
    );
  });

  it('a success admitted before the breaker opened and closed again does not end the new run of failures', async () => {
    const { clock, breaker } = setup({ strategy: { kind: 'consecutive', failures: 2 } });
    await breaker.execute(ok);
    let finish: (value: string) => void = () => undefined;
    const late = breaker.execute(() => new Promise<string>((resolve) => (finish = resolve)));
    await fail(breaker, 2); // open
    await clock.advance(1_000); // half-open
    assert.equal(await breaker.execute(ok), 'ok'); // the probe closes it
    await fail(breaker); // one failure of the new closed state
    finish('late');
    assert.equal(await late, 'late');
    await fail(breaker);
    assert.equal(breaker.state, 'open');
  });
});

describe('circuitBreaker: the fast path of the windows and the result classifier', () => {
  it('count window: a success that fills the window to its minimum opens it, before the caller continues', async () => {
    const { breaker } = setup({ strategy: { kind: 'count', size: 4, failureRate: 0.5, minimumCalls: 4 } });
    await fail(breaker, 2);
    await breaker.execute(ok);
    const state = await breaker.execute(ok).then(() => breaker.state);
    assert.equal(state, 'open');
  });

  it('a throwing result classifier rejects the call with its error and records nothing', async () => {
    const { breaker } = setup({
      strategy: { kind: 'count', size: 2, failureRate: 0.5, minimumCalls: 1 },
      isFailureResult: () => {
        throw new Error('classifier');
      },
    });
    await assert.rejects(breaker.execute(ok), /classifier/);
    assert.equal(breaker.snapshot().calls, 0);
    assert.equal(breaker.state, 'closed');
  });
});
