import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import type { Random } from '../../core/random.js';
import { AdaptiveThrottleState, adaptiveThrottle } from './adaptive.js';
import type { ThrottleLevelEvent, ThrottleRejectEvent } from './adaptive.js';
import { pipeline } from '../core/pipeline.js';

const fixed = (r: number): Random => ({ next: () => r });
const throttled = (): never => {
  throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
};

describe('AdaptiveThrottleState (SRE book formula)', () => {
  it('computes p = max(0, (requests − K·accepts) / (requests + 1))', () => {
    assert.equal(AdaptiveThrottleState.probabilityOf(10, 0, 2), 10 / 11);
    assert.equal(AdaptiveThrottleState.probabilityOf(10, 5, 2), 0);
    assert.equal(AdaptiveThrottleState.probabilityOf(10, 10, 2), 0);
    assert.equal(AdaptiveThrottleState.probabilityOf(100, 30, 2), 40 / 101);
    assert.equal(AdaptiveThrottleState.probabilityOf(100, 30, 3), 10 / 101);
    assert.equal(AdaptiveThrottleState.probabilityOf(0, 0, 2), 0);
  });

  it('counts requests and accepts into the window', () => {
    const state = new AdaptiveThrottleState();
    for (let i = 0; i < 70; i++) state.recordRequest(i * 10);
    for (let i = 70; i < 100; i++) state.recordOutcome(i * 10, true);
    assert.equal(state.requests(1_000), 100);
    assert.equal(state.accepts(1_000), 30);
    assert.equal(state.probability(1_000), 40 / 101);
    assert.deepEqual(state.snapshot(1_000), {
      k: 2,
      window: 120_000,
      requests: 100,
      accepts: 30,
      probability: 40 / 101,
    });
  });

  it('forgets history bucket by bucket as the window slides', () => {
    const state = new AdaptiveThrottleState({ window: 10_000, buckets: 10 }); // 1 s buckets
    for (let i = 0; i < 5; i++) state.recordRequest(500); // bucket 0
    for (let i = 0; i < 3; i++) state.recordRequest(4_200); // bucket 4
    assert.equal(state.requests(9_999), 8);
    assert.equal(state.requests(10_000), 3); // bucket 0 left the window (the window is the last 10 buckets)
    assert.equal(state.requests(13_999), 3);
    assert.equal(state.requests(14_000), 0); // bucket 4 too
    state.recordRequest(1_000_000); // a long idle gap clears everything at once
    assert.equal(state.requests(1_000_000), 1);
  });

  it('counts time that goes backwards into the newest bucket, and ignores non-finite time', () => {
    const state = new AdaptiveThrottleState({ window: 10_000, buckets: 10 });
    state.recordRequest(5_000);
    state.recordRequest(1_000);
    state.recordRequest(NaN);
    assert.equal(state.requests(5_000), 3);
    assert.equal(state.requests(14_999), 3);
    assert.equal(state.requests(15_000), 0);
  });

  it('handles negative times (clocks with any origin)', () => {
    const state = new AdaptiveThrottleState({ window: 10_000, buckets: 10 });
    state.recordOutcome(-25_500, true);
    assert.equal(state.requests(-25_000), 1);
    assert.equal(state.accepts(-20_000), 1);
    assert.equal(state.requests(-15_000), 0);
  });

  it('decides with the current probability, counts only rejections, and never draws at p = 0', () => {
    const state = new AdaptiveThrottleState();
    let draws = 0;
    const counting: Random = { next: () => (draws++, 0) };
    assert.equal(state.shouldReject(0, counting), false);
    assert.equal(draws, 0);
    assert.equal(state.requests(0), 0); // a call let through is counted with its outcome
    state.recordOutcome(0, false); // 1 request, 0 accepts: p = 1/2
    assert.equal(state.shouldReject(0, fixed(0.49)), true);
    assert.equal(state.requests(0), 2); // a local rejection is a request: p = 2/3
    assert.equal(state.shouldReject(0, fixed(0.67)), false);
    assert.equal(state.requests(0), 2);
    state.recordOutcome(0, true); // 3 requests, 1 accept: p = (3 − 2) / 4
    assert.equal(state.probability(0), 0.25);
  });

  it('with countRejected: false counts only calls that reached the backend, and recovers in a few calls', () => {
    const random = seededRandom(5);
    const run = (countRejected: boolean): { sent: number; callsToRecover: number } => {
      const state = new AdaptiveThrottleState({ window: 120_000, countRejected });
      let sent = 0;
      let t = 0;
      for (; t < 600_000; t += 100) {
        // 10 min of outage at 10 calls/s
        if (!state.shouldReject(t, random)) {
          sent++;
          state.recordOutcome(t, false);
        }
      }
      let calls = 0;
      for (; state.probability(t) > 0; t += 100, calls++) {
        if (!state.shouldReject(t, random)) state.recordOutcome(t, true);
      }
      return { sent, callsToRecover: calls };
    };
    const book = run(true);
    const sentOnly = run(false);
    assert.ok(book.sent < 30, `book: ${JSON.stringify(book)}`); // about ln(n) per window
    assert.ok(book.callsToRecover > 2_000, `book: ${JSON.stringify(book)}`); // several windows
    assert.ok(sentOnly.sent > 100 && sentOnly.sent < 400, `sent only: ${JSON.stringify(sentOnly)}`); // about √(2n) per window
    assert.ok(sentOnly.callsToRecover < 500, `sent only: ${JSON.stringify(sentOnly)}`);
  });

  it('validates its options with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ countRejected: 'no' }, 'Expected `countRejected` to be a boolean, got "no"'],
      [{ k: 0.5 }, 'Expected `k` to be a finite number >= 1, got 0.5'],
      [{ k: NaN }, 'Expected `k` to be a finite number >= 1, got NaN'],
      [{ k: '2' }, 'Expected `k` to be a finite number >= 1, got "2"'],
      [{ window: 0 }, 'Expected `window` to be a finite number > 0, got 0'],
      [{ window: Infinity }, 'Expected `window` to be a finite number > 0, got Infinity'],
      [{ buckets: 0 }, 'Expected `buckets` to be a positive integer, got 0'],
      [{ buckets: 1.5 }, 'Expected `buckets` to be a positive integer, got 1.5'],
      [{ buckets: 200_000 }, 'Expected `buckets` to be a positive integer <= 100000, got 200000'],
      [null, 'Expected `options` to be an object, got null'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => new AdaptiveThrottleState(options as never), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });

  it('property: p stays in [0, 1) whatever the sequence', () => {
    fc.assert(
      fc.property(
        fc.record({ k: fc.double({ min: 1, max: 10, noNaN: true }), buckets: fc.integer({ min: 1, max: 50 }) }),
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.constantFrom('req', 'acc', 'decide', 'ok', 'refused')),
          {
            maxLength: 300,
          },
        ),
        fc.integer(),
        (options, steps, seed) => {
          const state = new AdaptiveThrottleState({ ...options, window: 60_000 });
          const random = seededRandom(seed);
          let now = 0;
          for (const [dt, op] of steps) {
            now += dt;
            if (op === 'req') state.recordRequest(now);
            else if (op === 'acc') state.recordOutcome(now, true);
            else if (op === 'ok' || op === 'refused') state.recordOutcome(now, op === 'ok');
            else state.shouldReject(now, random);
            const p = state.probability(now);
            if (!(p >= 0 && p < 1)) return false;
            if (state.requests(now) < 0 || state.accepts(now) < 0) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('adaptiveThrottle policy', () => {
  it('lets everything through while the backend accepts', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: seededRandom(1) });
    for (let i = 0; i < 1_000; i++) {
      assert.equal(await throttle.execute(() => i), i);
      await clock.advance(10);
    }
    assert.equal(throttle.probability, 0);
    assert.equal(throttle.snapshot().rejected, 0);
  });

  it('counts application errors as accepts (the backend did its job)', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: seededRandom(1) });
    const notFound = Object.assign(new Error('no such item'), { name: 'ResourceNotFoundException' });
    for (let i = 0; i < 200; i++) {
      await assert.rejects(
        throttle.execute(() => {
          throw notFound;
        }),
        notFound,
      );
    }
    assert.equal(throttle.probability, 0);
    assert.equal(throttle.snapshot().accepts, 200);
  });

  it('sheds locally while the backend throttles, and converges to the formula', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: seededRandom(42) });
    let reached = 0;
    let local = 0;
    const backend = (): never => {
      reached++;
      return throttled();
    };
    for (let i = 0; i < 1_000; i++) {
      try {
        await throttle.execute(backend);
      } catch (error) {
        if (isFailsmallError(error, 'FS_ERR_THROTTLED_LOCALLY')) {
          local++;
          assert.ok(typeof error.details?.probability === 'number');
        } else assert.equal((error as Error).name, 'ThrottlingException');
      }
      await clock.advance(50); // 1000 calls in 50 s: all inside the 2 min window
    }
    assert.equal(reached + local, 1_000);
    // With no accepts, p = n/(n+1) after n requests: the expected number of calls that reach the
    // backend is Σ 1/(n+1) ≈ ln(1001) ≈ 7.5.
    assert.ok(reached <= 20, `reached the backend ${reached} times`);
    assert.equal(throttle.probability, 1_000 / 1_001);
  });

  it('recovers when the backend accepts again: the share let through about doubles per window', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: seededRandom(3), window: 10_000, buckets: 10 });
    let healthy = false;
    const backend = (): string => (healthy ? 'ok' : throttled());
    /** Runs `n` calls 10 ms apart and returns how many succeeded. */
    const run = async (n: number): Promise<number> => {
      let ok = 0;
      for (let i = 0; i < n; i++) {
        try {
          await throttle.execute(backend);
          ok++;
        } catch {
          // a throttle or a local rejection
        }
        await clock.advance(10);
      }
      return ok;
    };
    await run(500); // 5 s of outage
    assert.ok(throttle.probability > 0.99);
    healthy = true;
    // Locally rejected calls count as requests, so p decays by the recurrence p' ≈ 2p − 1 (K = 2)
    // per window: the successes per 10 s window grow until p reaches 0.
    const perWindow: number[] = [];
    for (let w = 0; w < 8; w++) perWindow.push(await run(1_000));
    assert.ok(perWindow[0]! < perWindow[2]! && perWindow[2]! < perWindow[4]!, `successes per window: ${perWindow}`);
    assert.equal(perWindow.at(-1), 1_000, `successes per window: ${perWindow}`);
    assert.equal(throttle.probability, 0);
  });

  it('takes a custom accept classifier that sees values', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({
      clock,
      random: fixed(0.999),
      isAccepted: (o) => (o.ok ? (o.value as { status: number }).status !== 429 : true),
    });
    await throttle.execute(() => ({ status: 429 }));
    assert.equal(throttle.snapshot().accepts, 0);
    await throttle.execute(() => ({ status: 200 }));
    assert.equal(throttle.snapshot().accepts, 1);
    // An error the classifier calls accepted, even a throttle.
    await assert.rejects(throttle.execute(throttled));
    assert.equal(throttle.snapshot().accepts, 2);
  });

  it('fires onLevel up and down, onReject, and publishes both on failsmall:policy:throttle', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({
      clock,
      random: seededRandom(9),
      thresholds: [0, 0.5],
      window: 1_000,
      buckets: 1,
      dependency: 'ddb',
    });
    const levels: ThrottleLevelEvent[] = [];
    const rejects: ThrottleRejectEvent[] = [];
    const published: { type: string }[] = [];
    const onMessage = (message: unknown): void => void published.push(message as { type: string });
    diagnostics.subscribe('failsmall:policy:throttle', onMessage);
    const subs = [throttle.onLevel.on((e) => levels.push(e)), throttle.onReject.on((e) => rejects.push(e))];
    try {
      for (let i = 0; i < 20; i++) await throttle.execute(throttled).catch(() => undefined);
      assert.deepEqual(
        levels.map((e) => [e.previousLevel, e.level, e.threshold, e.dependency]),
        [
          [0, 1, 0, 'ddb'],
          [1, 2, 0.5, 'ddb'],
        ],
      );
      assert.ok(rejects.length > 0);
      assert.equal(rejects[0]!.dependency, 'ddb');
      await clock.advance(1_000); // the single bucket expires
      await throttle.execute(() => 'ok');
      assert.deepEqual(
        levels.slice(2).map((e) => [e.previousLevel, e.level, e.threshold]),
        [[2, 0, 0]],
      );
      assert.equal(published.filter((m) => m.type === 'level').length, levels.length);
      assert.equal(published.filter((m) => m.type === 'rejected').length, rejects.length);
    } finally {
      for (const sub of subs) sub.dispose();
      diagnostics.unsubscribe('failsmall:policy:throttle', onMessage);
    }
  });

  it('names the dependency in its error, and takes it from the context first', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: fixed(0), dependency: 'ddb' });
    await throttle.execute(throttled).catch(() => undefined); // p = 1/2 from now on
    await assert.rejects(
      throttle.execute(() => 'x'),
      (error) => {
        assert.ok(isFailsmallError(error, 'FS_ERR_THROTTLED_LOCALLY'));
        assert.equal(error.details?.dependency, 'ddb');
        assert.match(error.message, /for ddb/);
        return true;
      },
    );
    const ctx = { attempt: 1, deadline: Infinity, signal: new AbortController().signal, dependency: 'sts' };
    await assert.rejects(
      throttle.run(() => 'x', ctx),
      (error) => isFailsmallError(error) && error.details?.dependency === 'sts',
    );
    assert.equal(throttle.snapshot().dependency, 'ddb');
  });

  it('composes in a pipeline', async () => {
    const clock = new VirtualClock();
    const throttle = adaptiveThrottle({ clock, random: fixed(0) });
    const policy = pipeline(throttle).named('ddb');
    assert.equal(await policy.execute((ctx) => ctx.dependency), 'ddb');
    for (let i = 0; i < 3; i++) await policy.execute(throttled).catch(() => undefined); // p = (4 − 2) / 5
    await assert.rejects(
      policy.execute(() => 'x'),
      { code: 'FS_ERR_THROTTLED_LOCALLY' },
    );
  });

  it('rejects with the signal reason when aborted before the call, without counting it', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock() });
    const controller = new AbortController();
    const reason = new Error('caller left');
    controller.abort(reason);
    await assert.rejects(
      throttle.execute(() => 'never', controller.signal),
      (e) => e === reason,
    );
    assert.equal(throttle.snapshot().requests, 0);
  });

  it('treats a synchronous throw like a rejection', async () => {
    const throttle = adaptiveThrottle({ clock: new VirtualClock(), random: fixed(0.99) });
    await assert.rejects(throttle.execute(throttled), { name: 'ThrottlingException' });
    assert.equal(throttle.snapshot().requests, 1);
    assert.equal(throttle.snapshot().accepts, 0);
  });

  it('validates policy options with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ isAccepted: 'yes' }, 'Expected `isAccepted` to be a function, got "yes"'],
      [{ thresholds: [0.5, 0.2] }, 'Expected `thresholds` to be an ascending array of numbers in [0, 1), got an array'],
      [{ thresholds: [1] }, 'Expected `thresholds` to be an ascending array of numbers in [0, 1), got an array'],
      [{ thresholds: 0.5 }, 'Expected `thresholds` to be an ascending array of numbers in [0, 1), got 0.5'],
      [{ clock: {} }, 'Expected `clock` to be a Clock, got object'],
      [{ random: () => 0.5 }, 'Expected `random` to be a Random, got a function'],
      [{ dependency: '' }, 'Expected `dependency` to be a non-empty string, got ""'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => adaptiveThrottle(options as never), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });
});
