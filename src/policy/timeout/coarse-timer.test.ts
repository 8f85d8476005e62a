import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../../core/clock.js';
import type { Cancel, Clock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { CoarseTimer, CoarseTimerEntry, coarseTimer } from './coarse-timer.js';

/** A VirtualClock that counts the timers armed on it. */
class CountingClock extends VirtualClock {
  armed = 0;
  override setTimer(fn: () => void, ms: number): Cancel {
    this.armed++;
    return super.setTimer(fn, ms);
  }
}

class Entry extends CoarseTimerEntry {
  firedAt: number[] = [];
  constructor(readonly clock: Clock) {
    super();
  }
  onTimeout(): void {
    this.firedAt.push(this.clock.now());
  }
}

describe('CoarseTimer', () => {
  it('never fires early, and at most one resolution late', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock, resolution: 10 });
    const a = new Entry(clock);
    const b = new Entry(clock);
    timer.add(a, 25); // due 25 → fires at 30
    timer.add(b, 30); // due 30 → fires at 30
    await clock.advance(29);
    assert.deepEqual(a.firedAt, []);
    await clock.advance(1);
    assert.deepEqual(a.firedAt, [30]);
    assert.deepEqual(b.firedAt, [30]);
    assert.equal(timer.pending, 0);
  });

  it('fires in order of due tick, then of insertion', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock, resolution: 10 });
    const order: string[] = [];
    timer.schedule(() => order.push('late'), 100);
    timer.schedule(() => order.push('first'), 5);
    timer.schedule(() => order.push('second'), 8);
    timer.schedule(() => order.push('middle'), 50);
    await clock.advance(100);
    assert.deepEqual(order, ['first', 'second', 'middle', 'late']);
  });

  it('cancels in O(1) and forgets cancelled entries', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock });
    const entries = Array.from({ length: 5 }, () => new Entry(clock));
    entries.forEach((e, i) => timer.add(e, 100 + i));
    timer.remove(entries[0]!);
    timer.remove(entries[2]!);
    timer.remove(entries[4]!);
    timer.remove(entries[4]!); // twice: no effect
    assert.equal(timer.pending, 2);
    assert.equal(entries[2]!.scheduled, false);
    await clock.advance(200);
    assert.deepEqual(
      entries.map((e) => e.firedAt.length),
      [0, 1, 0, 1, 0],
    );
    const cancel = timer.schedule(() => assert.fail('cancelled'), 10);
    cancel();
    cancel();
    await clock.advance(100);
  });

  it('keeps at most one clock timer, armed only while entries wait', async () => {
    const clock = new CountingClock();
    const timer = new CoarseTimer({ clock });
    for (let i = 0; i < 1_000; i++) {
      const e = new Entry(clock);
      timer.add(e, 1_000);
      timer.remove(e); // the usual case: the call finished first
    }
    assert.equal(clock.armed, 1);
    assert.equal(clock.pending, 1);
    await clock.advance(1_000); // fires once, finds nothing, stops
    assert.equal(clock.pending, 0);
    assert.equal(timer.snapshot().armedAt, null);
    assert.equal(timer.snapshot().buckets, 0);
  });

  it('sleeps until the next bucket instead of ticking through empty time', async () => {
    const clock = new CountingClock();
    const timer = new CoarseTimer({ clock, resolution: 1 });
    const e = new Entry(clock);
    timer.add(e, 3_600_000);
    await clock.advance(3_600_000);
    assert.deepEqual(e.firedAt, [3_600_000]);
    assert.equal(clock.armed, 1);
  });

  it('re-arms for an entry due before every other', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock });
    const late = new Entry(clock);
    const early = new Entry(clock);
    const middle = new Entry(clock);
    timer.add(late, 500);
    timer.add(early, 20);
    timer.add(middle, 200);
    assert.equal(timer.snapshot().armedAt, 20);
    await clock.advance(20);
    assert.deepEqual(early.firedAt, [20]);
    assert.equal(timer.snapshot().armedAt, 200);
    await clock.advance(480);
    assert.deepEqual([middle.firedAt, late.firedAt], [[200], [500]]);
  });

  it('fires an entry added from a callback on a later tick, never in the same pass', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock });
    const seen: number[] = [];
    timer.schedule(() => {
      seen.push(clock.now());
      timer.schedule(() => seen.push(clock.now()), 0);
    }, 10);
    await clock.advance(10);
    assert.deepEqual(seen, [10]);
    await clock.advance(10);
    assert.deepEqual(seen, [10, 20]);
  });

  it('lets a callback cancel another entry of the same bucket', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock });
    const victim = new Entry(clock);
    timer.schedule(() => timer.remove(victim), 10);
    timer.add(victim, 10);
    await clock.advance(20);
    assert.deepEqual(victim.firedAt, []);
  });

  it('reports a throwing callback as a warning and still fires the others', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock });
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    const listeners = process.listeners('warning');
    process.removeAllListeners('warning');
    process.on('warning', onWarning);
    try {
      timer.schedule(() => {
        throw new Error('bad');
      }, 10);
      const after = new Entry(clock);
      timer.add(after, 10);
      await clock.advance(10);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(after.firedAt, [10]);
      assert.deepEqual(warnings, ['failsmall: a coarse timer callback threw: Error: bad']);
    } finally {
      process.off('warning', onWarning);
      for (const l of listeners) process.on('warning', l);
    }
  });

  it('moves an entry that is added twice', async () => {
    const clock = new VirtualClock();
    const timer = new CoarseTimer({ clock });
    const e = new Entry(clock);
    timer.add(e, 10);
    timer.add(e, 50);
    assert.equal(timer.pending, 1);
    await clock.advance(100);
    assert.deepEqual(e.firedAt, [50]);
  });

  it('keeps working when the wall clock steps backwards', async () => {
    const base = new VirtualClock(100_000);
    let offset = 0;
    const clock: Clock = {
      now: () => base.now() + offset,
      setTimer: (fn, ms) => base.setTimer(fn, ms),
      sleep: (ms, signal) => base.sleep(ms, signal),
    };
    const timer = new CoarseTimer({ clock });
    const first = new Entry(clock);
    timer.add(first, 10);
    await base.advance(10);
    assert.equal(first.firedAt.length, 1);
    offset = -60_000; // NTP steps the clock back a minute
    const second = new Entry(clock);
    timer.add(second, 50);
    await base.advance(50);
    assert.deepEqual(second.firedAt, [40_060], 'fires 50 ms later, not a minute late');
  });

  it('is shared per clock', () => {
    const clock = new VirtualClock();
    assert.equal(coarseTimer(clock), coarseTimer(clock));
    assert.notEqual(coarseTimer(clock), coarseTimer(new VirtualClock()));
    assert.equal(coarseTimer(clock).resolution, 10);
  });

  it('rejects a bad resolution and a bad callback', () => {
    assert.throws(() => new CoarseTimer({ resolution: 0 }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `resolution` to be a finite number > 0, got 0',
    });
    assert.throws(
      () => new CoarseTimer({ clock: new VirtualClock() }).schedule(42 as never, 1),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });

  it('fires every uncancelled entry exactly once within [due, due + resolution] (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 50 }),
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('add' as const), delay: fc.integer({ min: 0, max: 500 }) }),
            fc.record({ op: fc.constant('cancel' as const), which: fc.nat() }),
            fc.record({ op: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 200 }) }),
          ),
          { maxLength: 60 },
        ),
        async (resolution, ops) => {
          const clock = new VirtualClock(1_000);
          const timer = new CoarseTimer({ clock, resolution });
          const live: { entry: Entry; due: number; cancelled: boolean }[] = [];
          for (const op of ops) {
            if (op.op === 'add') {
              const entry = new Entry(clock);
              timer.add(entry, op.delay);
              live.push({ entry, due: clock.now() + op.delay, cancelled: false });
            } else if (op.op === 'cancel' && live.length > 0) {
              const item = live[op.which % live.length]!;
              if (item.entry.firedAt.length === 0) item.cancelled = true;
              timer.remove(item.entry);
            } else if (op.op === 'advance') clock.tick(op.ms);
          }
          clock.tick(1_000);
          for (const { entry, due, cancelled } of live) {
            if (cancelled) assert.equal(entry.firedAt.length, 0);
            else {
              assert.equal(entry.firedAt.length, 1);
              assert.ok(entry.firedAt[0]! >= due && entry.firedAt[0]! <= due + resolution, `${due} ${entry.firedAt}`);
            }
          }
          assert.equal(timer.pending, 0);
          assert.equal(clock.pending, 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});
