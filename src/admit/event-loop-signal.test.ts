import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { eventLoopSignal, perfHooksSource } from './event-loop-signal.js';
import type { LoopReading } from './event-loop-signal.js';

/** A scripted source: the reading at each call. */
function scripted(readings: (i: number) => LoopReading): { read(): LoopReading } {
  let i = 0;
  return { read: () => readings(i++) };
}

describe('eventLoopSignal', () => {
  it('does not flap on spiky lag: a 150 ms spike every second stays off', () => {
    const clock = new VirtualClock();
    // One sample in ten is a 150 ms GC-like pause, the rest 2 ms: under-pressure with a 70 ms threshold sheds on each spike.
    const signal = eventLoopSignal({
      clock,
      source: scripted((i) => ({ delay: i % 10 === 9 ? 150 : 2, utilization: 0.5 })),
    }).start();
    let switches = 0;
    signal.onChange.on(() => switches++);
    clock.tick(60_000);
    signal.stop();
    assert.equal(switches, 0);
    assert.equal(signal.overloaded, false);
    assert.equal(signal.snapshot().samples, 600);
  });

  it('switches on under sustained lag, once, and off only after it subsides and the dwell passed', () => {
    const clock = new VirtualClock();
    let lag = 200;
    const events: unknown[] = [];
    const sub = (m: unknown): void => void events.push(m);
    diagnostics.subscribe('failsmall:admit:event-loop', sub);
    const signal = eventLoopSignal({ clock, source: { read: () => ({ delay: lag, utilization: 0.5 }) } }).start();
    clock.tick(500);
    assert.equal(signal.overloaded, true);
    // lag alternates around the thresholds: no flapping within the dwell
    let switches = 0;
    signal.onChange.on(() => switches++);
    for (let i = 0; i < 100; i++) {
      lag = i % 2 === 0 ? 0 : 120;
      clock.tick(100);
    }
    assert.ok(switches <= 10, `switched ${switches} times in 10 s`);
    lag = 0;
    clock.tick(3_000);
    assert.equal(signal.overloaded, false);
    signal.stop();
    diagnostics.unsubscribe('failsmall:admit:event-loop', sub);
    assert.ok(events.length >= 2);
    assert.equal(clock.pending, 0);
  });

  it('reads utilisation too; `false` turns a reading off', () => {
    const clock = new VirtualClock();
    const signal = eventLoopSignal({
      clock,
      delay: false,
      source: { read: () => ({ delay: 1_000, utilization: 1 }) },
    }).start();
    clock.tick(1_000);
    assert.equal(signal.overloaded, true);
    assert.equal(signal.snapshot().delay, null);
    assert.equal(signal.snapshot().utilization?.on, true);
    signal.stop();
  });

  it('the perf_hooks source reads real numbers', () => {
    const source = perfHooksSource();
    const reading = source.read();
    assert.ok(reading.delay >= 0 && reading.utilization >= 0 && reading.utilization <= 1);
    source.close?.();
  });

  it('rejects bad options with FS_ERR_INVALID_ARGUMENT', () => {
    for (const bad of [
      { delay: { enter: 10, exit: 20 } },
      { sampleInterval: 0 },
      { source: {} },
      { delay: 'x' },
      { threshold: 3 },
    ]) {
      assert.throws(
        () => eventLoopSignal(bad as never),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});
