import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deferred } from '../test-support/deferred.js';
import type { Clock, TimerOptions } from './clock.js';
import { VirtualClock } from './clock.js';
import { PeriodicLoop } from './periodic.js';

describe('PeriodicLoop', () => {
  it('runs a synchronous task every `every` ms, the first after one wait, until stopped', () => {
    const clock = new VirtualClock();
    const at: number[] = [];
    const loop = new PeriodicLoop(() => void at.push(clock.now()), { clock, every: 100 });
    loop.start();
    loop.start(); // idempotent: still one timer
    assert.equal(clock.pending, 1);
    clock.tick(350);
    assert.deepEqual(at, [100, 200, 300]);
    assert.equal(loop.running, true);
    loop.stop();
    assert.equal(loop.running, false);
    assert.equal(clock.pending, 0);
    clock.tick(1_000);
    assert.deepEqual(at, [100, 200, 300]);
  });

  it('with `immediate` runs at once on start', () => {
    const clock = new VirtualClock();
    const at: number[] = [];
    const loop = new PeriodicLoop(() => void at.push(clock.now()), { clock, every: 100, immediate: true });
    loop.start();
    clock.tick(250);
    assert.deepEqual(at, [0, 100, 200]);
    loop.stop();
  });

  it('waits for an async run to settle before the next wait: runs never overlap', async () => {
    const clock = new VirtualClock();
    const started: number[] = [];
    let finish = deferred<void>();
    const loop = new PeriodicLoop(
      () => {
        started.push(clock.now());
        return finish.promise;
      },
      { clock, every: 100, immediate: true },
    );
    loop.start();
    await clock.advance(500);
    assert.deepEqual(started, [0], 'the first run is still under way');
    assert.equal(clock.pending, 0);
    finish.resolve();
    finish = deferred<void>();
    await clock.advance(100);
    assert.deepEqual(started, [0, 600]);
    loop.stop();
  });

  it('goes on after a rejected run', async () => {
    const clock = new VirtualClock();
    let runs = 0;
    const loop = new PeriodicLoop(() => (runs++, Promise.reject(new Error('boom'))), { clock, every: 10 });
    loop.start();
    await clock.advance(35);
    assert.equal(runs, 3);
    loop.stop();
  });

  it('asks `every` before each wait (jitter), and not after a stop', () => {
    const clock = new VirtualClock();
    const waits = [10, 30, 5];
    let asked = 0;
    const at: number[] = [];
    const loop = new PeriodicLoop(() => void at.push(clock.now()), {
      clock,
      every: () => waits[asked++ % waits.length]!,
    });
    loop.start();
    clock.tick(45);
    assert.deepEqual(at, [10, 40, 45]);
    assert.equal(asked, 4);
    loop.stop();
    assert.equal(asked, 4);
  });

  it('a run that settles after stop() does not re-arm, nor doubles a later start()', async () => {
    const clock = new VirtualClock();
    const first = deferred<void>();
    let runs = 0;
    const loop = new PeriodicLoop(() => (++runs === 1 ? first.promise : undefined), {
      clock,
      every: 100,
      immediate: true,
    });
    loop.start();
    loop.stop();
    loop.start(); // runs at once (run 2) and waits
    assert.equal(clock.pending, 1);
    first.resolve();
    await clock.advance(0);
    assert.equal(clock.pending, 1, 'the old run did not arm a second timer');
    loop.stop();
    await clock.advance(1_000);
    assert.equal(runs, 2);
  });

  it('a task that stops the loop ends it', () => {
    const clock = new VirtualClock();
    let runs = 0;
    const loop: PeriodicLoop = new PeriodicLoop(() => void (++runs === 2 && loop.stop()), { clock, every: 1 });
    loop.start();
    clock.tick(10);
    assert.equal(runs, 2);
    assert.equal(clock.pending, 0);
  });

  it('passes `unref` to the clock', () => {
    const seen: (TimerOptions | undefined)[] = [];
    const base = new VirtualClock();
    const clock: Clock = {
      now: () => base.now(),
      setTimer: (fn, ms, options) => (seen.push(options), base.setTimer(fn, ms)),
      sleep: (ms, signal) => base.sleep(ms, signal),
    };
    new PeriodicLoop(() => undefined, { clock, every: 1, unref: true }).start();
    new PeriodicLoop(() => undefined, { clock, every: 1 }).start();
    assert.deepEqual(seen, [{ unref: true }, undefined]);
  });

  it('validates the task and the wait', () => {
    const clock = new VirtualClock();
    assert.throws(() => new PeriodicLoop(42 as never, { clock, every: 1 }), /task/);
    assert.throws(() => new PeriodicLoop(() => undefined, { clock, every: -1 }), /every/);
  });
});
