import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from './clock.js';
import type { FailsmallError } from './errors.js';
import { isFailsmallError } from './errors.js';
import type { RaceAttempt } from './staggered-race.js';
import { RACE_FAILED, RACE_LOST, staggeredRace } from './staggered-race.js';

interface Plan {
  readonly ok: boolean;
  readonly after: number;
}

/** An attempt that settles `after` ms on `clock` and cancels its timer when its signal aborts. */
function fake(clock: VirtualClock, plan: Plan, value: string): (a: RaceAttempt) => Promise<string> {
  return (a) =>
    new Promise<string>((resolve, reject) => {
      const signal = a.signal;
      const cancel = clock.setTimer(() => {
        signal.removeEventListener('abort', onAbort);
        if (plan.ok) resolve(value);
        else reject(new Error(`attempt ${a.attempt} failed`));
      }, plan.after);
      const onAbort = (): void => {
        cancel();
        reject(signal.reason);
      };
      signal.addEventListener('abort', onAbort, { once: true });
    });
}

/** Runs every timer of `clock` and returns the race's rejection, asserting it is FS_ERR_RACE_FAILED. */
async function raceFailed(race: Promise<unknown>, clock: VirtualClock): Promise<FailsmallError> {
  const caught = race.catch((e: unknown) => e);
  await clock.runAll();
  const error = (await caught) as FailsmallError;
  assert.equal(error.code, RACE_FAILED);
  return error;
}

describe('staggeredRace', () => {
  it('starts the next attempt after the delay; the first success wins; the loser aborts with FS_ERR_RACE_LOST', async () => {
    const clock = new VirtualClock();
    const seen: RaceAttempt[] = [];
    const plans: Plan[] = [
      { ok: true, after: 500 },
      { ok: true, after: 100 },
    ];
    const race = staggeredRace(
      (a) => {
        seen.push(a);
        return fake(clock, plans[a.attempt - 1]!, `v${a.attempt}`)(a);
      },
      { attempts: 2, delay: 50, clock },
    );
    await clock.advance(49);
    assert.equal(seen.length, 1);
    await clock.advance(1);
    assert.equal(seen.length, 2);
    assert.equal(seen[1]!.trigger, 'delay');
    assert.equal(seen[1]!.started, 50);
    await clock.advance(100);
    assert.equal(await race, 'v2');
    const reason = seen[0]!.signal.reason as FailsmallError;
    assert.equal(reason.code, RACE_LOST);
    assert.equal(reason.details?.['kind'], 'aborted');
    assert.equal(reason.details?.['winner'], 2);
    assert.equal(seen[1]!.signal.aborted, false);
    assert.equal(clock.pending, 0);
  });

  it('starts the next attempt at once on a failure, and the delay restarts from that start', async () => {
    const clock = new VirtualClock();
    const starts: [number, string][] = [];
    const plans: Plan[] = [
      { ok: false, after: 10 },
      { ok: false, after: 1_000 },
      { ok: true, after: 1 },
    ];
    const race = staggeredRace(
      (a) => {
        starts.push([clock.now(), a.trigger]);
        return fake(clock, plans[a.attempt - 1]!, `v${a.attempt}`)(a);
      },
      { attempts: 3, delay: 100, clock },
    );
    await clock.advance(10);
    assert.deepEqual(starts, [
      [0, 'first'],
      [10, 'failure'],
    ]);
    await clock.advance(99);
    assert.equal(starts.length, 2);
    await clock.advance(1);
    assert.deepEqual(starts[2], [110, 'delay']);
    await clock.advance(1);
    assert.equal(await race, 'v3');
  });

  it('rejects with FS_ERR_RACE_FAILED keeping every failure when all attempts fail', async () => {
    const clock = new VirtualClock();
    const race = staggeredRace((a) => fake(clock, { ok: false, after: 5 * a.attempt }, '')(a), {
      attempts: 3,
      delay: 1,
      clock,
    });
    const error = await raceFailed(race, clock);
    const failures = error.details?.['failures'] as { attempt: number; error: Error }[];
    assert.deepEqual(
      failures.map((f) => f.attempt),
      [1, 2, 3],
    );
    assert.equal((error.cause as Error).message, 'attempt 3 failed');
    assert.equal(error.details?.['stopped'], false);
  });

  it('delay Infinity moves on only on failure; delay 0 runs every attempt at once', async () => {
    const clock = new VirtualClock();
    let started = 0;
    const serial = staggeredRace(
      (a) => {
        started++;
        return fake(clock, { ok: a.attempt === 2, after: 1_000 }, 'x')(a);
      },
      { attempts: 3, delay: Infinity, clock },
    );
    await clock.advance(999);
    assert.equal(started, 1);
    await clock.advance(1);
    assert.equal(started, 2);
    await clock.advance(1_000);
    assert.equal(await serial, 'x');
    assert.equal(started, 2);

    let parallel = 0;
    const all = staggeredRace(
      (a) => {
        parallel++;
        return fake(clock, { ok: true, after: 10 - a.attempt }, `p${a.attempt}`)(a);
      },
      { attempts: 4, delay: 0, clock },
    );
    assert.equal(parallel, 4);
    await clock.advance(10);
    assert.equal(await all, 'p4');
  });

  it('a delay function is asked with the number of the attempt to start', async () => {
    const clock = new VirtualClock();
    const asked: number[] = [];
    const starts: number[] = [];
    const race = staggeredRace(
      (a) => {
        starts.push(clock.now());
        return fake(clock, { ok: false, after: 10_000 }, '')(a);
      },
      {
        attempts: 3,
        delay: (n) => {
          asked.push(n);
          return n * 10;
        },
        clock,
      },
    );
    const caught = race.catch((e: unknown) => e);
    await clock.advance(50);
    assert.deepEqual(asked, [2, 3]);
    assert.deepEqual(starts, [0, 20, 50]);
    await clock.runAll();
    assert.ok(isFailsmallError(await caught, RACE_FAILED));
  });

  it('admit can refuse a hedge; a refused delay start is not re-armed, a later failure asks again', async () => {
    const clock = new VirtualClock();
    const asked: [number, string][] = [];
    let allow = false;
    const race = staggeredRace((a) => fake(clock, { ok: a.attempt === 2, after: 100 }, `v${a.attempt}`)(a), {
      attempts: 3,
      delay: 10,
      clock,
      admit: (n, trigger) => {
        asked.push([n, trigger]);
        return allow;
      },
    });
    await clock.advance(50);
    assert.deepEqual(asked, [[2, 'delay']]);
    assert.equal(clock.pending, 1); // only attempt 1's own timer
    allow = true;
    await clock.advance(50);
    assert.deepEqual(asked[1], [2, 'failure']);
    await clock.advance(100);
    assert.equal(await race, 'v2');
  });

  it('fails when admit refuses and nothing runs any more', async () => {
    const clock = new VirtualClock();
    const race = staggeredRace(fake(clock, { ok: false, after: 5 }, ''), {
      attempts: 5,
      delay: Infinity,
      clock,
      admit: () => false,
    });
    const error = await raceFailed(race, clock);
    assert.equal((error.details?.['failures'] as unknown[]).length, 1);
  });

  it('onFailure returning false ends the race with toError(failures, true) and cancels the running', async () => {
    const clock = new VirtualClock();
    const seen: RaceAttempt[] = [];
    const fatal = new Error('fatal');
    const race = staggeredRace(
      (a) => {
        seen.push(a);
        if (a.attempt === 2) return Promise.reject(fatal);
        return fake(clock, { ok: true, after: 1_000 }, 'late')(a);
      },
      {
        attempts: 3,
        delay: 10,
        clock,
        onFailure: (_a, error) => error !== fatal,
        toError: (failures, stopped) => ({ failures, stopped }),
      },
    );
    const caught = race.catch((e: unknown) => e);
    await clock.advance(10);
    assert.deepEqual(await caught, { failures: [{ attempt: 2, error: fatal }], stopped: true });
    assert.equal((seen[0]!.signal.reason as FailsmallError).code, RACE_LOST);
    assert.equal((seen[0]!.signal.reason as FailsmallError).details?.['winner'], undefined);
    assert.equal(seen.length, 2);
    assert.equal(clock.pending, 0);
  });

  it('a synchronous throw counts as a failed attempt', async () => {
    const clock = new VirtualClock();
    const race = staggeredRace(
      (a) => {
        if (a.attempt === 1) throw new Error('sync');
        return 'second';
      },
      { attempts: 2, delay: 1_000, clock },
    );
    assert.equal(await race, 'second');
    assert.equal(clock.pending, 0);
  });

  it('disposes a value that arrives after the race was decided', async () => {
    const clock = new VirtualClock();
    const disposed: [string, number][] = [];
    const race = staggeredRace(
      // Attempts that ignore their signal: the loser still succeeds, late.
      (a) => clock.sleep(a.attempt === 1 ? 100 : 10).then(() => `v${a.attempt}`),
      { attempts: 2, delay: 0, clock, dispose: (v, a) => disposed.push([v, a.attempt]) },
    );
    await clock.advance(10);
    assert.equal(await race, 'v2');
    await clock.advance(90);
    assert.deepEqual(disposed, [['v1', 1]]);
  });

  it('honours the caller signal: already aborted never runs; aborting cancels attempts with its reason', async () => {
    const clock = new VirtualClock();
    let ran = false;
    const aborted = AbortSignal.abort(new Error('gone'));
    await assert.rejects(
      staggeredRace(
        () => {
          ran = true;
          return 1;
        },
        { attempts: 1, delay: 0, signal: aborted },
      ),
      /gone/,
    );
    assert.equal(ran, false);

    const controller = new AbortController();
    const seen: RaceAttempt[] = [];
    const race = staggeredRace(
      (a) => {
        seen.push(a);
        return fake(clock, { ok: true, after: 1_000 }, '')(a);
      },
      { attempts: 3, delay: 10, clock, signal: controller.signal },
    );
    const caught = race.catch((e: unknown) => e);
    await clock.advance(15);
    const reason = new Error('caller left');
    controller.abort(reason);
    assert.equal(await caught, reason);
    assert.deepEqual(
      seen.map((a) => a.signal.reason),
      [reason, reason],
    );
    assert.equal(clock.pending, 0);
  });

  it('calls onStart, onFailure and onWin in order', async () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const race = staggeredRace((a) => fake(clock, { ok: a.attempt === 2, after: 5 }, 'w')(a), {
      attempts: 2,
      delay: Infinity,
      clock,
      onStart: (a) => log.push(`start ${a.attempt} ${a.trigger}`),
      onFailure: (a) => void log.push(`fail ${a.attempt}`),
      onWin: (a, v) => log.push(`win ${a.attempt} ${v}`),
    });
    await clock.runAll();
    await race;
    assert.deepEqual(log, ['start 1 first', 'fail 1', 'start 2 failure', 'win 2 w']);
  });

  it('validates its options with exact messages', async () => {
    await assert.rejects(
      staggeredRace(() => 1, { attempts: 0, delay: 0 }),
      {
        code: 'FS_ERR_INVALID_ARGUMENT',
        message: 'Expected `attempts` to be a positive integer, got 0',
      },
    );
    await assert.rejects(
      staggeredRace(() => 1, { attempts: 1, delay: -1 }),
      {
        message: 'Expected `delay` to be a number >= 0 or Infinity, got -1',
      },
    );
    await assert.rejects(
      staggeredRace(() => 1, { attempts: 1, delay: 0, colour: 'red' } as never),
      {
        message: 'Expected `colour` to be a known option, got "colour"',
      },
    );
    await assert.rejects(staggeredRace(42 as never, { attempts: 1, delay: 0 }), {
      message: 'Expected `run` to be a function, got 42',
    });
  });

  it('property: one winner at most, every loser aborted, nothing starts after settling, no timer left', async () => {
    const plan = fc.record({ ok: fc.boolean(), after: fc.integer({ min: 0, max: 300 }) });
    await fc.assert(
      fc.asyncProperty(
        fc.array(plan, { minLength: 1, maxLength: 6 }),
        fc.oneof(fc.integer({ min: 0, max: 200 }), fc.constant(Infinity)),
        fc.option(fc.integer({ min: 0, max: 600 }), { nil: undefined }),
        fc.option(fc.integer({ min: 1, max: 6 }), { nil: undefined }),
        async (plans, delay, abortAt, deniedFrom) => {
          const clock = new VirtualClock();
          const controller = new AbortController();
          const attempts: RaceAttempt[] = [];
          const ownOutcome = new Map<number, 'ok' | 'failed'>();
          let wins = 0;
          let settledAt: number | undefined;
          let startedAtSettle = 0;
          let pendingAtSettle = -1;
          const cancelAbort =
            abortAt === undefined ? () => {} : clock.setTimer(() => controller.abort(new Error('outer')), abortAt);
          const race = staggeredRace(
            (a) => {
              attempts.push(a);
              const p = plans[a.attempt - 1]!;
              return fake(
                clock,
                p,
                `v${a.attempt}`,
              )(a).then(
                (v) => {
                  ownOutcome.set(a.attempt, 'ok');
                  return v;
                },
                (e: unknown) => {
                  if (!a.signal.aborted) ownOutcome.set(a.attempt, 'failed');
                  throw e;
                },
              );
            },
            {
              attempts: plans.length,
              delay,
              clock,
              signal: controller.signal,
              admit: (n) => deniedFrom === undefined || n < deniedFrom,
              onWin: () => void wins++,
            },
          );
          const outcome = race.then(
            (value) => ({ value }),
            (error: unknown) => ({ error }),
          );
          void outcome.then(() => {
            settledAt = clock.now();
            startedAtSettle = attempts.length;
            cancelAbort();
            pendingAtSettle = clock.pending;
          });
          await clock.runAll();
          const result = await outcome;
          await new Promise((r) => setImmediate(r));
          assert.ok(settledAt !== undefined, 'the race settles');
          assert.ok(attempts.length <= plans.length);
          assert.equal(attempts.length, startedAtSettle, 'no attempt starts after the race settled');
          assert.equal(pendingAtSettle, 0, 'no timer is left once the race settled');
          if ('value' in result) {
            assert.equal(wins, 1);
            const winner = Number((result.value as string).slice(1));
            assert.equal(plans[winner - 1]!.ok, true);
            for (const a of attempts) {
              if (a.attempt === winner) {
                assert.equal(a.signal.aborted, false);
              } else if (!ownOutcome.has(a.attempt)) {
                assert.ok(isFailsmallError(a.signal.reason, RACE_LOST), 'a loser is aborted with FS_ERR_RACE_LOST');
              }
            }
          } else {
            assert.equal(wins, 0);
            const outer = controller.signal.aborted && (result.error as Error).message === 'outer';
            if (!outer) assert.ok(isFailsmallError(result.error, RACE_FAILED));
            for (const a of attempts) {
              if (ownOutcome.has(a.attempt)) continue;
              assert.ok(a.signal.aborted, 'every attempt still running is aborted');
              if (!outer) assert.ok(isFailsmallError(a.signal.reason, RACE_LOST));
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
