import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { neverAborted } from '../core/context.js';
import { CubicRateState, cubicRateLimiter } from './cubic.js';
import type { RateRejectEvent, RateThrottleEvent } from './cubic.js';
import { pipeline } from '../core/pipeline.js';
import { retry } from '../retry/retry.js';
import type { PolicyContext } from '../core/types.js';

const throttleError = (): Error => Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
const close = (actual: number, expected: number, what: string, tolerance = 1e-9): void =>
  assert.ok(
    Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≠ ${expected}`,
  );
const ctx = (deadline: number, signal: AbortSignal = neverAborted): PolicyContext => ({
  attempt: 1,
  deadline,
  signal,
  dependency: 'dynamodb',
});

/** The measured-rate EMA by hand: `count` responses per 0.5 s bucket, `buckets` times. */
function emaOf(count: number, buckets: number, smoothing = 0.8): number {
  let rate = 0;
  for (let i = 0; i < buckets; i++) rate = (count / 0.5) * smoothing + rate * (1 - smoothing);
  return rate;
}

describe('CubicRateState (AWS SDK adaptive mode)', () => {
  it('stays disengaged, and free, until the first throttle', () => {
    const state = new CubicRateState({}, 0);
    for (let t = 0; t < 10_000; t += 10) {
      assert.equal(state.reserve(t), 0);
      state.record(t, false);
    }
    assert.equal(state.enabled, false);
    assert.equal(state.waitTime(10_000), 0);
  });

  it('measures the sending rate per half-second bucket with smoothing 0.8', () => {
    const state = new CubicRateState({}, 0);
    // 10 responses per second, every 100 ms from t = 0: each bucket closes with 5 of them.
    for (let t = 0; t <= 2_000; t += 100) state.record(t, false);
    // The bucket boundaries at 0.5, 1, 1.5, 2 s each close one bucket; the first counted 6
    // responses (t = 0 … 500), the others 5.
    let expected = (6 / 0.5) * 0.8;
    for (let i = 0; i < 3; i++) expected = (5 / 0.5) * 0.8 + expected * 0.2;
    close(state.measuredRate, expected, 'measured rate');
  });

  it('cuts to β · measured rate on a throttle and follows the CUBIC curve after it', () => {
    const state = new CubicRateState({}, 0);
    let t = 0;
    for (; t < 5_000; t += 100) state.record(t, false); // 10/s for 5 s
    state.record(t, true); // throttled at t = 5 s
    const measured = state.measuredRate;
    close(measured, (6 / 0.5) * 0.8 * 0.2 ** 9 + emaOf(5, 9), 'measured rate at the throttle');
    const wMax = measured; // not engaged before: the measured rate is used as W_max
    close(state.lastMaxRate, wMax, 'W_max');
    close(state.fillRate, 0.7 * wMax, 'fill rate after the throttle');
    const k = Math.cbrt((wMax * (1 - 0.7)) / 0.4);
    close(state.timeWindow, k, 'K');
    assert.equal(state.enabled, true);

    // Keep sending at 10/s: every success moves the fill rate along
    // min(0.4 · (t − 5 − K)³ + W_max, 2 · measured), floored at 0.5.
    const t0 = t / 1000;
    for (t += 100; t <= 9_000; t += 100) {
      state.record(t, false);
      const curve = 0.4 * (t / 1000 - t0 - k) ** 3 + wMax;
      close(state.cubicRate(t), curve, `curve at ${t} ms`);
      close(state.fillRate, Math.max(0.5, Math.min(curve, 2 * state.measuredRate)), `fill rate at ${t} ms`, 1e-12);
      close(state.maxCapacity, Math.max(1, Math.min(curve, 2 * state.measuredRate)), `capacity at ${t} ms`, 1e-12);
    }
    // The curve's landmarks: back to W_max at t0 + K; 1.3 · W_max at t0 + 2K (0.4·K³ = 0.3·W_max).
    close(state.cubicRate((t0 + k) * 1000), wMax, 'curve at t0 + K');
    close(state.cubicRate((t0 + 2 * k) * 1000), 1.3 * wMax, 'curve at t0 + 2K');
    close(state.cubicRate(t0 * 1000), 0.7 * wMax, 'curve at t0 (β · W_max)');
  });

  it('once engaged, a throttle uses min(measured, fill rate) as W_max', () => {
    const state = new CubicRateState({}, 0);
    let t = 0;
    for (; t < 3_000; t += 50) state.record(t, false); // ~20/s
    state.record(t, true);
    const fill = state.fillRate;
    t += 50;
    state.record(t, true); // second throttle right away: fill rate < measured rate
    assert.ok(fill < state.measuredRate);
    close(state.lastMaxRate, fill, 'W_max is the fill rate');
    close(state.fillRate, 0.7 * fill, 'fill rate');
  });

  it('never drops below minFillRate however many throttles', () => {
    const state = new CubicRateState({}, 0);
    for (let t = 0; t < 60_000; t += 100) state.record(t, true);
    assert.equal(state.fillRate, 0.5);
    assert.equal(state.maxCapacity, 1);
  });

  it('refills the bucket at the fill rate up to its capacity, and queues reservations in order', () => {
    const state = new CubicRateState({}, 0);
    state.record(0, true); // engaged at the minimum: 0.5 tokens/s, capacity 1, bucket empty
    assert.equal(state.fillRate, 0.5);
    assert.equal(state.tokens, 0);
    assert.equal(state.waitTime(0), 2_000);
    assert.equal(state.reserve(0), 2_000); // first in line: 1 token at 0.5/s
    assert.equal(state.reserve(0), 4_000); // second: 2 tokens
    assert.equal(state.reserve(0, 5_000), -1); // third would wait 6 s: refused, nothing taken
    assert.equal(state.tokens, -2);
    state.release(1_000); // the second gives up
    close(state.tokens, -0.5, 'tokens after a refill of 0.5 and a release');
    assert.equal(state.reserve(1_000), 3_000);
    assert.equal(state.waitTime(100_000), 0);
    assert.equal(state.tokens, 1); // capped at the capacity
  });

  it('validates its options with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ beta: 1 }, 'Expected `beta` to be a number between 0 and 1 (exclusive), got 1'],
      [{ beta: 0 }, 'Expected `beta` to be a number between 0 and 1 (exclusive), got 0'],
      [{ scaleConstant: -1 }, 'Expected `scaleConstant` to be a finite number > 0, got -1'],
      [{ smoothing: 0 }, 'Expected `smoothing` to be a number in (0, 1], got 0'],
      [{ smoothing: 1.5 }, 'Expected `smoothing` to be a number in (0, 1], got 1.5'],
      [{ minFillRate: 0 }, 'Expected `minFillRate` to be a finite number > 0, got 0'],
      [{ minCapacity: NaN }, 'Expected `minCapacity` to be a finite number > 0, got NaN'],
      [{ bucketDuration: 0 }, 'Expected `bucketDuration` to be a finite number > 0, got 0'],
      [{ maxRateScale: Infinity }, 'Expected `maxRateScale` to be a finite number > 0, got Infinity'],
      [null, 'Expected `options` to be an object, got null'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => new CubicRateState(options as never, 0), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
    assert.throws(() => new CubicRateState({}, NaN), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `start` to be a finite number, got NaN',
    });
  });

  it('property: rates and waits are never negative, NaN or infinite', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.integer({ min: 0, max: 5_000 }), fc.constantFrom('ok', 'throttle', 'reserve', 'release')),
          {
            maxLength: 300,
          },
        ),
        (steps) => {
          const state = new CubicRateState({}, 0);
          let now = 0;
          for (const [dt, op] of steps) {
            now += dt;
            if (op === 'ok' || op === 'throttle') state.record(now, op === 'throttle');
            else if (op === 'reserve') {
              const wait = state.reserve(now, 60_000);
              if (!(wait === -1 || (wait >= 0 && Number.isFinite(wait)))) return false;
            } else state.release(now);
            if (!(Number.isFinite(state.fillRate) && state.fillRate >= 0.5)) return false;
            if (!(Number.isFinite(state.maxCapacity) && state.maxCapacity >= 1)) return false;
            if (!(Number.isFinite(state.measuredRate) && state.measuredRate >= 0)) return false;
            if (!(Number.isFinite(state.tokens) && state.tokens <= state.maxCapacity)) return false;
            const wait = state.waitTime(now);
            if (!(Number.isFinite(wait) && wait >= 0)) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('CubicRateState against the AWS SDK v3 DefaultRateLimiter', () => {
  it('matches fill rate, capacity, measured rate and W_max on random response sequences', async (t) => {
    let DefaultRateLimiter: (new () => Record<string, unknown>) | undefined;
    try {
      ({ DefaultRateLimiter } = (await import('@smithy/core/retry' as string)) as {
        DefaultRateLimiter: new () => Record<string, unknown>;
      });
    } catch {
      t.skip('@smithy/core is not installed');
      return;
    }
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 700 }), fc.boolean()), { minLength: 1, maxLength: 200 }),
        (steps) => {
          // Start at a whole second (the SDK floors its first bucket to a second) and away from 0
          // (the SDK treats a refill timestamp of 0 as "never").
          let now = 1_000_000;
          const sdk = new DefaultRateLimiter!();
          sdk.getCurrentTimeInSeconds = () => now / 1000;
          sdk.lastThrottleTime = now / 1000;
          sdk.lastTxRateBucket = Math.floor(now / 1000);
          const ours = new CubicRateState({}, now);
          for (const [dt, throttled] of steps) {
            now += dt;
            (sdk.updateClientSendingRate as (r: unknown) => void)(throttled ? { errorType: 'THROTTLING' } : {});
            ours.record(now, throttled);
            close(ours.measuredRate, sdk.measuredTxRate as number, 'measured rate', 1e-6);
            close(ours.fillRate, sdk.fillRate as number, 'fill rate', 1e-6);
            close(ours.maxCapacity, sdk.maxCapacity as number, 'capacity', 1e-6);
            close(ours.lastMaxRate, sdk.lastMaxRate as number, 'W_max', 1e-6);
            close(ours.timeWindow, sdk.timeWindow as number, 'K', 1e-6);
            close(ours.tokens, sdk.availableTokens as number, 'tokens', 1e-6);
            assert.equal(ours.enabled, sdk.enabled);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('cubicRateLimiter policy', () => {
  it('passes calls straight through until the first throttle, with no timers', async () => {
    const clock = new VirtualClock();
    const limiter = cubicRateLimiter({ clock });
    for (let i = 0; i < 100; i++) assert.equal(await limiter.execute(() => i), i);
    assert.equal(clock.pending, 0);
    assert.equal(limiter.snapshot().enabled, false);
  });

  it('engages on a throttle and then spaces calls at the fill rate, first come first served', async () => {
    const clock = new VirtualClock(1_000);
    const limiter = cubicRateLimiter({ clock });
    const events: RateThrottleEvent[] = [];
    limiter.onThrottle.on((e) => events.push(e));
    await assert.rejects(
      limiter.execute(() => Promise.reject(throttleError())),
      { name: 'ThrottlingException' },
    );
    assert.equal(limiter.state.fillRate, 0.5); // nothing measured yet: the minimum
    assert.deepEqual(
      events.map((e) => [e.engaged, e.fillRate, e.previousFillRate]),
      [[true, 0.5, 0.5]],
    );
    const sent: [number, number][] = [];
    const calls = [0, 1, 2].map((i) =>
      limiter.execute(() => {
        sent.push([i, clock.now()]);
        return i;
      }),
    );
    await clock.advance(10_000);
    assert.deepEqual(await Promise.all(calls), [0, 1, 2]);
    // The bucket was empty: one token every 2 s at the minimum rate. The reservations are made at
    // that rate; a success that raises the rate later does not reschedule them.
    assert.deepEqual(sent, [
      [0, 3_000],
      [1, 5_000],
      [2, 7_000],
    ]);
  });

  it('rejects at once with FS_ERR_RATE_LIMITED when the wait would pass the deadline', async () => {
    const clock = new VirtualClock();
    const limiter = cubicRateLimiter({ clock });
    await limiter.execute(() => Promise.reject(throttleError())).catch(() => undefined);
    const events: RateRejectEvent[] = [];
    limiter.onReject.on((e) => events.push(e));
    await assert.rejects(
      limiter.run(() => 'late', ctx(clock.now() + 1_000)),
      (error) => isFailsmallError(error, 'FS_ERR_RATE_LIMITED') && error.details?.wait === 2_000,
    );
    assert.equal(clock.pending, 0);
    assert.deepEqual(events, [{ wait: 2_000, fillRate: 0.5, now: 0, dependency: 'dynamodb' }]);
    // A deadline far enough away waits instead.
    const call = limiter.run(() => 'in time', ctx(clock.now() + 2_000));
    await clock.advance(2_000);
    assert.equal(await call, 'in time');
    assert.equal(limiter.snapshot().rejected, 1);
  });

  it('honours maxWait', async () => {
    const clock = new VirtualClock();
    const limiter = cubicRateLimiter({ clock, maxWait: 500 });
    await limiter.execute(() => Promise.reject(throttleError())).catch(() => undefined);
    await assert.rejects(
      limiter.execute(() => 'x'),
      { code: 'FS_ERR_RATE_LIMITED' },
    );
  });

  it('stops waiting when the signal aborts, and gives the token back', async () => {
    const clock = new VirtualClock();
    const limiter = cubicRateLimiter({ clock });
    await limiter.execute(() => Promise.reject(throttleError())).catch(() => undefined);
    const controller = new AbortController();
    const first = limiter.execute(() => 'first', controller.signal);
    await clock.advance(500);
    const reason = new Error('caller left');
    controller.abort(reason);
    await assert.rejects(first, (e) => e === reason);
    assert.equal(clock.pending, 0);
    // The released reservation lets the next caller in after the original 2 s, not 4 s.
    const second = limiter.execute(() => clock.now());
    await clock.advance(5_000);
    assert.equal(await second, 2_000);
  });

  it('publishes throttles on failsmall:policy:rate-limiter and classifies with a custom isThrottled', async () => {
    const clock = new VirtualClock();
    const limiter = cubicRateLimiter({
      clock,
      isThrottled: (o) => (o.ok ? (o.value as { status: number }).status === 429 : false),
    });
    const published: unknown[] = [];
    const onMessage = (m: unknown): void => void published.push(m);
    diagnostics.subscribe('failsmall:policy:rate-limiter', onMessage);
    try {
      await limiter.execute(() => Promise.reject(throttleError())).catch(() => undefined);
      assert.equal(limiter.state.enabled, false); // the custom classifier says errors are not throttles
      await limiter.execute(() => ({ status: 429 }));
      assert.equal(limiter.state.enabled, true);
      assert.equal(published.length, 1);
      assert.equal((published[0] as { type: string }).type, 'throttled');
      assert.equal((published[0] as { kind: string }).kind, 'rate-limiter');
      assert.equal((published[0] as RateThrottleEvent).dependency, undefined);
    } finally {
      diagnostics.unsubscribe('failsmall:policy:rate-limiter', onMessage);
    }
  });

  it('sits inside retry: each attempt takes a token, and FS_ERR_RATE_LIMITED carries a Retry-After hint', async () => {
    const clock = new VirtualClock();
    const limiter = cubicRateLimiter({ clock, dependency: 'ddb' });
    const policy = pipeline(retry({ maxAttempts: 3, clock }), limiter);
    let attempts = 0;
    const call = policy.execute(() => {
      attempts++;
      if (attempts === 1) throw throttleError();
      return 'ok';
    });
    await clock.advance(30_000);
    assert.equal(await call, 'ok');
    assert.equal(attempts, 2);
    assert.equal(limiter.snapshot().waited, 1); // the retry waited for a token
    assert.equal(limiter.snapshot().throttles, 1);
    limiter.state.reserve(clock.now()); // two callers ahead of us hold the next tokens
    limiter.state.reserve(clock.now());
    const rejected = await limiter.run(() => 'x', ctx(clock.now() + 1)).catch((e: unknown) => e);
    assert.ok(isFailsmallError(rejected, 'FS_ERR_RATE_LIMITED'));
    assert.equal(rejected.details?.retryAfter, rejected.details?.wait);
  });

  it('validates its options with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ clock: { now: () => 0 } }, 'Expected `clock` to be a Clock, got object'],
      [{ dependency: '' }, 'Expected `dependency` to be a non-empty string, got ""'],
      [{ maxWait: -1 }, 'Expected `maxWait` to be a finite number >= 0, got -1'],
      [{ isThrottled: 1 }, 'Expected `isThrottled` to be a function, got 1'],
      [{ beta: 2 }, 'Expected `beta` to be a number between 0 and 1 (exclusive), got 2'],
      [42, 'Expected `options` to be an object, got 42'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => cubicRateLimiter(options as never), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });
});
