import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScaledClock, VirtualClock, systemClock } from './clock.js';
import { isFailsmallError } from './errors.js';

describe('VirtualClock', () => {
  it('fires due timers in order of due time, then creation', async () => {
    const clock = new VirtualClock(100);
    const fired: string[] = [];
    clock.setTimer(() => fired.push('b@50'), 50);
    clock.setTimer(() => fired.push('a@10'), 10);
    clock.setTimer(() => fired.push('c@50'), 50);
    clock.setTimer(() => fired.push('late'), 500);
    await clock.advance(50);
    assert.deepEqual(fired, ['a@10', 'b@50', 'c@50']);
    assert.equal(clock.now(), 150);
    assert.equal(clock.pending, 1);
  });

  it('runs timers created by continuations inside the same advance', async () => {
    const clock = new VirtualClock();
    const seen: number[] = [];
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await clock.sleep(100);
        seen.push(clock.now());
      }
    })();
    await clock.advance(1_000);
    assert.deepEqual(seen, [100, 200, 300]);
  });

  it('cancels timers', async () => {
    const clock = new VirtualClock();
    let fired = false;
    const cancel = clock.setTimer(() => (fired = true), 10);
    cancel();
    cancel();
    await clock.advance(20);
    assert.equal(fired, false);
    assert.equal(clock.pending, 0);
  });

  it('rejects a sleep at once when its signal aborts, and removes the timer', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    const sleeping = clock.sleep(1_000, controller.signal);
    controller.abort(new Error('stop'));
    await assert.rejects(sleeping, /stop/);
    assert.equal(clock.pending, 0);
    await assert.rejects(clock.sleep(1, AbortSignal.abort()), { name: 'AbortError' });
  });

  it('tick fires timers synchronously', () => {
    const clock = new VirtualClock();
    let count = 0;
    const again = (): void => {
      count++;
      if (count < 5) clock.setTimer(again, 10);
    };
    clock.setTimer(again, 10);
    clock.tick(100);
    assert.equal(count, 5);
  });

  it('runAll stops a runaway timer chain with a stable code', async () => {
    const clock = new VirtualClock();
    const forever = (): void => void clock.setTimer(forever, 1);
    forever();
    await assert.rejects(clock.runAll(50), (e) => isFailsmallError(e, 'FS_ERR_CLOCK_RUNAWAY'));
  });

  it('rejects invalid arguments', async () => {
    assert.throws(
      () => new VirtualClock(NaN),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(new VirtualClock().advance(-1), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
  });
});

describe('ScaledClock', () => {
  it('runs faster than its base clock', async () => {
    const base = new VirtualClock(0);
    const clock = new ScaledClock({ speed: 60, start: 1_000, base });
    let firedAt = -1;
    clock.setTimer(() => (firedAt = clock.now()), 60_000);
    await base.advance(999);
    assert.equal(firedAt, -1);
    await base.advance(1);
    assert.equal(firedAt, 61_000);
    assert.equal(clock.toReal(60_000), 1_000);
  });

  it('rejects a non-positive speed', () => {
    assert.throws(() => new ScaledClock({ speed: 0 }), /Expected `speed` to be a finite number > 0, got 0/);
  });
});

describe('systemClock', () => {
  it('reads Date.now and runs real timers', async () => {
    const before = Date.now();
    assert.ok(systemClock.now() >= before);
    let fired = false;
    // An unref'd timer alone does not keep the process alive: hold it open with a ref'd one meanwhile.
    const keepAlive = setTimeout(() => undefined, 10_000);
    await new Promise<void>((resolve) => systemClock.setTimer(() => resolve(void (fired = true)), 0, { unref: true }));
    clearTimeout(keepAlive);
    assert.equal(fired, true);
  });
});
