import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { choicePolicy, Scheduler, timedPolicy } from './scheduler.js';

async function interleave(choices: number[]): Promise<string[]> {
  const log: string[] = [];
  const scheduler = new Scheduler({ clock: new VirtualClock(), policy: choicePolicy(choices, { roles: 2 }) });
  for (const name of ['a', 'b']) {
    scheduler.spawn(name, async (gate) => {
      for (let i = 0; i < 3; i++) {
        await gate('step', { target: 't' });
        log.push(`${name}${i}`);
      }
    });
  }
  await scheduler.run();
  return log;
}

describe('Scheduler', () => {
  it('runs one actor at a time in the order the choices say, then drains round-robin', async () => {
    assert.deepEqual(await interleave([1, 1, 0]), ['b0', 'b1', 'a0', 'a1', 'b2', 'a2']);
    assert.deepEqual(await interleave([1, 1, 0]), await interleave([1, 1, 0]), 'deterministic');
    assert.deepEqual(await interleave([]), ['a0', 'b0', 'a1', 'b1', 'a2', 'b2']);
  });

  it('crashes an actor at its gate and restarts it from scratch', async () => {
    const log: string[] = [];
    const scheduler = new Scheduler({
      clock: new VirtualClock(),
      policy: choicePolicy([0, 10, 0], { roles: 2, crashAbove: 10, maxCrashes: 1 }),
    });
    scheduler.spawn(
      'w',
      async (gate, incarnation) => {
        for (let i = 0; i < 2; i++) {
          await gate('step', { target: 't' });
          log.push(`w${incarnation}.${i}`);
        }
      },
      { crashable: true },
    );
    const result = await scheduler.run();
    assert.deepEqual(log, ['w1.0', 'w2.0', 'w2.1']);
    assert.equal(result.crashes, 1);
  });

  it('moves a virtual clock to the moment each step is due', async () => {
    const clock = new VirtualClock();
    const seen: string[] = [];
    const scheduler = new Scheduler({
      clock,
      policy: timedPolicy((_now, actor) => (actor.name === 'slow' ? 500 : 100)),
    });
    for (const name of ['slow', 'fast']) {
      scheduler.spawn(name, async (gate) => {
        for (let i = 0; i < 2; i++) {
          await gate('x', { target: 't' });
          seen.push(`${name}@${clock.now()}`);
        }
      });
    }
    await scheduler.run();
    assert.deepEqual(seen, ['fast@100', 'fast@200', 'slow@500', 'slow@1000']);
  });

  it('stops a livelock with FS_ERR_PLAN_SCHEDULE_LIMIT and reports actor errors', async () => {
    const scheduler = new Scheduler({
      clock: new VirtualClock(),
      policy: choicePolicy([], { roles: 1 }),
      maxSteps: 50,
    });
    scheduler.spawn('spin', async (gate) => {
      for (;;) await gate('spin', { target: 't' });
    });
    await assert.rejects(scheduler.run(), (e) => isFailsmallError(e, 'FS_ERR_PLAN_SCHEDULE_LIMIT'));
    const failing = new Scheduler({ clock: new VirtualClock(), policy: choicePolicy([], { roles: 1 }) });
    failing.spawn('bug', async (gate) => {
      await gate('x', { target: 't' });
      throw new Error('boom');
    });
    const result = await failing.run();
    assert.equal(result.errors.length, 1);
  });
});
