import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { VirtualClock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { rootContext } from '../core/context.js';
import { drive } from '../../test-support/policy.js';
import { hedge } from './hedge.js';
import type { HedgeEvent } from './hedge.js';
import { tokenBucketBudget } from '../budget/token-bucket.js';
import type { PolicyContext } from '../core/types.js';

interface Step {
  readonly after: number;
  readonly error?: unknown;
}

/** An fn whose attempt n takes `plan[n-1].after` ms, then fails with `error` or returns `attempt-n`. */
function planned(
  clock: VirtualClock,
  plan: Step[],
): { fn: (ctx: PolicyContext) => Promise<string>; seen: PolicyContext[] } {
  const seen: PolicyContext[] = [];
  return {
    seen,
    fn: async (ctx) => {
      seen.push(ctx);
      const step = plan[ctx.attempt - 1] ?? { after: 0 };
      await clock.sleep(step.after, ctx.signal);
      if (step.error !== undefined) throw step.error;
      return `attempt-${ctx.attempt}`;
    },
  };
}

const transient = (): Error => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

describe('hedge: fixed delay', () => {
  it('does not hedge a call that answers before the delay, and leaves no timer', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const { fn, seen } = planned(clock, [{ after: 50 }]);
    assert.deepEqual(await drive(clock, policy.execute(fn)), { ok: true, value: 'attempt-1' });
    assert.equal(seen.length, 1);
    assert.equal(clock.pending, 0);
    assert.equal(policy.kind, 'hedge');
  });

  it('starts a hedge after the delay; the first success wins and the loser is aborted', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const events: HedgeEvent[] = [];
    policy.onHedge.on((e) => events.push(e));
    const { fn, seen } = planned(clock, [{ after: 1_000 }, { after: 50 }]);
    const r = await drive(clock, policy.execute(fn));
    assert.deepEqual(r, { ok: true, value: 'attempt-2' });
    assert.equal(clock.now(), 150);
    assert.deepEqual(
      seen.map((c) => c.attempt),
      [1, 2],
    );
    assert.notEqual(seen[0]!.signal, seen[1]!.signal);
    assert.equal(seen[0]!.signal.aborted, true);
    assert.equal((seen[0]!.signal.reason as FailsmallError).code, 'FS_ERR_RACE_LOST'); // core staggeredRace's one loser reason
    assert.equal(seen[1]!.signal.aborted, false);
    assert.equal(clock.pending, 0); // the loser's sleep was cancelled through its signal
    assert.deepEqual(events, [{ attempt: 2, trigger: 'delay', elapsed: 100, dependency: undefined }]);
    assert.equal(policy.snapshot().hedgeWins, 1);
  });

  it('starts up to maxHedges hedges, one delay apart', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, maxHedges: 2, clock });
    const starts: number[] = [];
    const { fn } = planned(clock, [{ after: 1_000 }, { after: 1_000 }, { after: 1_000 }, { after: 1 }]);
    const r = await drive(
      clock,
      policy.execute((ctx) => (starts.push(clock.now()), fn(ctx))),
    );
    assert.deepEqual(starts, [0, 100, 200]);
    assert.deepEqual(r, { ok: true, value: 'attempt-1' });
  });

  it('a retryable failure starts the next hedge at once; all failed → the primary error', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const primary = transient();
    const second = transient();
    const starts: number[] = [];
    const { fn } = planned(clock, [
      { after: 10, error: primary },
      { after: 10, error: second },
    ]);
    const r = await drive(
      clock,
      policy.execute((ctx) => (starts.push(clock.now()), fn(ctx))),
    );
    assert.deepEqual(starts, [0, 10]);
    assert.equal(!r.ok && r.error, primary);
    assert.equal(policy.snapshot().failures, 1);
  });

  it('a non-retryable error ends the call at once and aborts the others', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const fatal = Object.assign(new Error('bad request'), { status: 400 });
    const { fn, seen } = planned(clock, [{ after: 1_000 }, { after: 10, error: fatal }]);
    const r = await drive(clock, policy.execute(fn));
    assert.equal(!r.ok && r.error, fatal);
    assert.equal(clock.now(), 110);
    assert.equal(seen[0]!.signal.aborted, true);
  });

  it('does not hedge past the deadline', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const { fn, seen } = planned(clock, [{ after: 300 }]);
    const ctx: PolicyContext = { ...rootContext(undefined), deadline: 50 };
    await drive(clock, policy.run(fn, ctx));
    assert.equal(seen.length, 1);
  });
});

describe('hedge: budget', () => {
  it('draws hedges from the retry budget: no token, no hedge', async () => {
    const clock = new VirtualClock();
    const budget = tokenBucketBudget({ initialTokens: 5, successIncrement: 0 });
    const policy = hedge({ delay: 100, clock, budget });
    const first = planned(clock, [{ after: 1_000 }, { after: 1_000 }]);
    await drive(clock, policy.execute(first.fn));
    assert.equal(first.seen.length, 2);
    assert.equal(budget.tokens, 0); // the primary won: the hedge's token is not refunded
    const second = planned(clock, [{ after: 1_000 }]);
    await drive(clock, policy.execute(second.fn));
    assert.equal(second.seen.length, 1);
    assert.equal(policy.snapshot().budgetDenied, 1);
  });
});

describe('hedge: budget refunds', () => {
  it('refunds a winning hedge exactly what it was charged (a timeout hedge costs 10)', async () => {
    const clock = new VirtualClock();
    const budget = tokenBucketBudget();
    const policy = hedge({ delay: 1_000, clock, budget });
    const timedOut = Object.assign(new Error('t'), { code: 'ETIMEDOUT' });
    const { fn } = planned(clock, [{ after: 5, error: timedOut }, { after: 5 }]);
    const r = await drive(clock, policy.execute(fn));
    assert.deepEqual(r, { ok: true, value: 'attempt-2' });
    assert.equal(budget.tokens, 500);
    assert.equal(budget.snapshot().granted, 1);
  });
});

describe('hedge: percentile', () => {
  it('does not hedge before minSamples, then hedges after max(min, p-quantile)', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ percentile: { p: 0.9, window: 100, min: 5, minSamples: 10 }, clock });
    assert.equal(policy.currentDelay(), Infinity);
    for (let i = 1; i <= 10; i++) {
      const { fn, seen } = planned(clock, [{ after: i * 10 }]);
      await drive(clock, policy.execute(fn));
      assert.equal(seen.length, 1);
    }
    assert.equal(policy.currentDelay(), 90); // p90 of 10, 20, ..., 100
    const { fn, seen } = planned(clock, [{ after: 1_000 }, { after: 10 }]);
    const before = clock.now();
    const r = await drive(clock, policy.execute(fn));
    assert.deepEqual(r, { ok: true, value: 'attempt-2' });
    assert.equal(clock.now() - before, 100);
    assert.equal(seen.length, 2);
  });
});

describe('hedge: cancellation', () => {
  it('the caller signal rejects at once and aborts every attempt', async () => {
    const clock = new VirtualClock();
    const policy = hedge({ delay: 100, clock });
    const controller = new AbortController();
    const { fn, seen } = planned(clock, [{ after: 1_000 }, { after: 1_000 }]);
    const p = policy.execute(fn, controller.signal);
    const settled = p.then(
      () => 'resolved',
      (e: unknown) => e,
    );
    await clock.advance(150);
    controller.abort(new FailsmallError('FS_ERR_ABORTED', 'caller left'));
    const error = await settled;
    assert.equal((error as FailsmallError).code, 'FS_ERR_ABORTED');
    assert.ok(seen.every((c) => c.signal.aborted));
    await clock.advance(0);
    assert.equal(clock.pending, 0);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      hedge({ delay: 1 }).execute(() => 1, controller.signal),
      { name: 'AbortError' },
    );
  });
});

describe('hedge: options', () => {
  const code = { code: 'FS_ERR_INVALID_ARGUMENT' };
  it('validates at construction with exact messages', () => {
    assert.throws(() => hedge({}), { ...code, message: 'Expected `delay` to be a finite number >= 0, got undefined' });
    assert.throws(() => hedge({ delay: 1, percentile: { p: 0.9 } }), {
      ...code,
      message: 'Expected `percentile` to be undefined when `delay` is given, got object',
    });
    assert.throws(() => hedge({ percentile: { p: 0 } }), {
      message: 'Expected `percentile.p` to be a number in (0, 1], got 0',
    });
    assert.throws(() => hedge({ percentile: { p: 0.9, window: 0 } }), {
      message: 'Expected `percentile.window` to be a positive integer, got 0',
    });
    assert.throws(() => hedge({ percentile: { p: 0.9, min: -1 } }), code);
    assert.throws(() => hedge({ percentile: { p: 0.9, minSamples: 1.5 } }), code);
    assert.throws(() => hedge({ delay: 1, maxHedges: -1 }), {
      message: 'Expected `maxHedges` to be a non-negative integer, got -1',
    });
    assert.throws(() => hedge({ delay: 1, budget: {} as never }), code);
    assert.throws(() => hedge({ delay: 1, classify: 3 as never }), code);
    assert.throws(() => hedge({ delay: 1, clock: {} as never }), code);
    // The shared checks of policy-options.ts: a budget it would call, null clock, empty dependency.
    assert.throws(() => hedge({ delay: 1, budget: { tryAcquire: () => true } as never }), {
      ...code,
      message: 'Expected `budget` to be a RetryBudget, got object',
    });
    assert.throws(() => hedge({ delay: 1, clock: null as never }), code);
    assert.throws(() => hedge({ delay: 1, dependency: '' }), code);
    assert.throws(() => hedge(undefined as never), code);
  });

  it('rejects a non-function fn with FS_ERR_INVALID_ARGUMENT', async () => {
    await assert.rejects(hedge({ delay: 1 }).execute(null as never), code);
  });

  it('snapshot() is plain JSON', () => {
    const snap = hedge({ percentile: { p: 0.99 } }).snapshot();
    // `dependency` is undefined (as in every policy), so JSON drops it.
    const { dependency, ...rest } = snap;
    assert.equal(dependency, undefined);
    assert.deepEqual(JSON.parse(JSON.stringify(snap)), rest);
    assert.equal(snap.delay, null);
  });
});
