/**
 * A shared low-resolution timer for the hot path. A timeout policy arms one entry per call; arming a
 * Node timer per call (`setTimeout` + `clearTimeout`) costs about 300 ns and a heap insertion, and
 * almost every such timer is cleared unfired because the call succeeded. The coarse timer instead
 * files entries into buckets of `resolution` milliseconds (a doubly linked list per bucket, so adding
 * and cancelling are O(1)) and keeps ONE clock timer armed at the earliest bucket, only while entries
 * are pending.
 *
 * Precision: an entry never fires early; it fires at the first bucket boundary at or after its due
 * time, so at most `resolution` ms late (plus event-loop delay). The default resolution is 10 ms:
 * at most a 10 % error on a 100 ms timeout, and at most 100 wake-ups per second under load.
 *
 * Unlike undici's `lib/util/timers.js`, which ticks every 499 ms while timers exist and counts its
 * own time, this timer reads the injected {@link Clock} and sleeps until the next non-empty bucket,
 * so a {@link VirtualClock} can jump an hour without firing 360,000 empty ticks. A cancelled entry
 * leaves an empty bucket behind; the armed clock timer is NOT cancelled when the last entry goes
 * (cancelling would cost a `clearTimeout` per call again): it fires once, finds nothing, and stops.
 *
 * @see https://github.com/nodejs/undici/blob/main/lib/util/timers.js (the idea)
 * @see Varghese & Lauck, "Hashed and hierarchical timing wheels", SOSP 1987
 */
import { systemClock } from '../../core/clock.js';
import type { Cancel, Clock } from '../../core/clock.js';
import { clockOption, policyOptions } from '../core/options.js';
import { func, positiveNumber } from '../../core/validate.js';

/**
 * Something the coarse timer can fire. Subclass it to make a per-call object double as its own
 * timer entry (the timeout policy does: one allocation per call for the entry, the context and the
 * call's state). The `_`-fields are the timer's bookkeeping: leave them alone.
 */
export abstract class CoarseTimerEntry {
  /** @internal The bucket this entry sits in, or null when not scheduled. */
  _bucket: Bucket | null = null;
  /** @internal Previous entry in the bucket. */
  _prev: CoarseTimerEntry | null = null;
  /** @internal Next entry in the bucket. */
  _next: CoarseTimerEntry | null = null;
  /** @internal The delay of an entry filed with {@link CoarseTimer.addDeferred}, until it is pinned. */
  _delay = 0;

  /**
   * Called when an entry filed with {@link CoarseTimer.addDeferred} gets its start time `now` (the
   * clock time the timer read; the entry is due `delay` ms later). Does nothing by default.
   */
  _pinned(now: number): void {
    void now;
  }

  /** Called once when the entry falls due (never synchronously from `add`). */
  abstract onTimeout(): void;

  /** Whether the entry is waiting to fire. */
  get scheduled(): boolean {
    return this._bucket !== null;
  }
}

/** @internal A list of entries due at the same tick. */
interface Bucket {
  readonly tick: number;
  head: CoarseTimerEntry | null;
  tail: CoarseTimerEntry | null;
}

/** The entry behind {@link CoarseTimer.schedule}: calls a plain function. */
class FunctionEntry extends CoarseTimerEntry {
  constructor(readonly fn: () => void) {
    super();
  }
  onTimeout(): void {
    this.fn();
  }
}

/** Options of {@link CoarseTimer}. */
export interface CoarseTimerOptions {
  /** Where time and the one underlying timer come from; default {@link systemClock}. */
  readonly clock?: Clock;
  /** Bucket width in milliseconds, default 10 ms (see the module comment for why). */
  readonly resolution?: number;
}

/** Plain numbers for metrics: see {@link CoarseTimer.snapshot}. */
export interface CoarseTimerSnapshot {
  /** Entries waiting to fire. */
  readonly pending: number;
  /** Buckets held (some may be empty until their tick passes). */
  readonly buckets: number;
  /** When the underlying clock timer fires next (clock ms), or null when none is armed. */
  readonly armedAt: number | null;
  /** Bucket width in milliseconds. */
  readonly resolution: number;
}

/**
 * A low-resolution timer wheel over any {@link Clock}. Use {@link coarseTimer} to get the one shared
 * per clock; construct your own only for a different resolution.
 *
 * @example
 * const timer = coarseTimer(clock);
 * const handle = timer.schedule(() => console.log('late by at most 10 ms'), 1_000);
 * handle(); // cancel: O(1)
 */
export class CoarseTimer {
  /** The clock read for `now` and used for the one underlying timer. */
  readonly clock: Clock;
  /** Bucket width in milliseconds. */
  readonly resolution: number;
  readonly #buckets = new Map<number, Bucket>();
  /** Ticks that have a bucket, ascending, from index #head on (a deque: the common case appends). */
  #ticks: number[] = [];
  #head = 0;
  #pending = 0;
  /** The bucket of the last `addAt` (cleared when its tick is processed). */
  #recent: Bucket | null = null;
  /** Entries filed with `addDeferred`, not yet given a start time (a bucket with no tick). */
  readonly #intake: Bucket = { tick: NaN, head: null, tail: null };
  /** Whether the clock timer that pins the intake is armed. */
  #intakeArmed = false;
  readonly #onIntake = (): void => {
    this.#intakeArmed = false;
    this.#pinIntake();
  };
  /** The tick the clock timer is armed for, or -1. */
  #armedTick = -1;
  #cancelArmed: Cancel | undefined;
  /** The last tick processed: entries added later are filed after it, so a tick is never re-run. */
  #lastTick: number;
  readonly #onTick = (): void => this.#tick();

  constructor(given?: CoarseTimerOptions) {
    const options = policyOptions(given, ['clock', 'resolution']);
    this.clock = clockOption(options.clock);
    this.resolution = positiveNumber('resolution', options.resolution ?? 10);
    this.#lastTick = Math.floor(this.clock.now() / this.resolution) - 1;
  }

  /** Entries waiting to fire. */
  get pending(): number {
    return this.#pending;
  }

  /**
   * Files `entry` to fire at the absolute clock time `dueAt` (ms), or a little later. If the entry is
   * already scheduled it is moved. O(1) unless `dueAt` is earlier than every bucket already held.
   */
  addAt(entry: CoarseTimerEntry, dueAt: number): void {
    if (entry._bucket !== null) this.remove(entry);
    let tick = Math.ceil(dueAt / this.resolution);
    if (!(tick > this.#lastTick)) {
      // Due now or in the past, or the clock stepped backwards (a wall clock corrected by NTP):
      // then forget the ticks processed "in the future" so that this entry is not held back.
      const current = Math.floor(this.clock.now() / this.resolution);
      if (current < this.#lastTick) this.#lastTick = current - 1;
      if (!(tick > this.#lastTick)) tick = this.#lastTick + 1; // also maps NaN to the next tick
    }
    // The last bucket used is the likely one (same delay, same 10 ms): skip the Map lookup.
    let bucket = this.#recent;
    if (bucket === null || bucket.tick !== tick) {
      bucket = this.#buckets.get(tick) ?? null;
      if (bucket === null) {
        bucket = { tick, head: null, tail: null };
        this.#buckets.set(tick, bucket);
        this.#insertTick(tick);
      }
      this.#recent = bucket;
    }
    entry._bucket = bucket;
    entry._next = null;
    entry._prev = bucket.tail;
    if (bucket.tail === null) bucket.head = entry;
    else bucket.tail._next = entry;
    bucket.tail = entry;
    this.#pending++;
    if (this.#armedTick === -1 || tick < this.#armedTick) this.#arm(tick);
  }

  /**
   * Files `entry` to fire `delay` ms after a start time the timer reads later, without reading the
   * clock now (a clock read costs a system call on some virtual machines, more than the call a
   * policy wraps). The start is the clock time at the first of: the next run of the timer's clock
   * timers (armed at 0 ms, once for any number of entries), or {@link CoarseTimer.pin}. It is
   * never earlier than the moment of this call, so the entry never fires early; it fires late by
   * at most the time until the event loop next runs timers, besides the resolution.
   * {@link CoarseTimerEntry._pinned} tells the entry its start.
   */
  addDeferred(entry: CoarseTimerEntry, delay: number): void {
    if (entry._bucket !== null) this.remove(entry);
    entry._delay = delay;
    const intake = this.#intake;
    entry._bucket = intake;
    entry._next = null;
    entry._prev = intake.tail;
    if (intake.tail === null) intake.head = entry;
    else intake.tail._next = entry;
    intake.tail = entry;
    this.#pending++;
    if (!this.#intakeArmed) {
      this.#intakeArmed = true;
      this.clock.setTimer(this.#onIntake, 0, { unref: true });
    }
  }

  /**
   * Gives a deferred entry (see {@link CoarseTimer.addDeferred}) its start time now, if it still
   * waits for one; returns its start time, or NaN when the entry is not waiting for one.
   */
  pin(entry: CoarseTimerEntry): number {
    if (entry._bucket !== this.#intake) return NaN;
    const now = this.clock.now();
    this.remove(entry);
    entry._pinned(now);
    this.addAt(entry, now + entry._delay);
    return now;
  }

  #pinIntake(): void {
    const intake = this.#intake;
    if (intake.head === null) return;
    const now = this.clock.now();
    for (let entry = intake.head; entry !== null; entry = intake.head) {
      this.remove(entry);
      entry._pinned(now);
      this.addAt(entry, now + entry._delay);
    }
  }

  /** Files `entry` to fire `delay` ms from now (or a little later). */
  add(entry: CoarseTimerEntry, delay: number): void {
    this.addAt(entry, this.clock.now() + delay);
  }

  /** Cancels `entry`; does nothing when it is not scheduled. O(1). */
  remove(entry: CoarseTimerEntry): void {
    const bucket = entry._bucket;
    if (bucket === null) return;
    const { _prev: prev, _next: next } = entry;
    if (prev === null) bucket.head = next;
    else prev._next = next;
    if (next === null) bucket.tail = prev;
    else next._prev = prev;
    entry._bucket = entry._prev = entry._next = null;
    this.#pending--;
  }

  /** Calls `fn` once, `delay` ms from now or up to `resolution` ms later; returns a cancel. */
  schedule(fn: () => void, delay: number): Cancel {
    const entry = new FunctionEntry(func('fn', fn));
    this.add(entry, delay);
    return () => this.remove(entry);
  }

  /** Plain numbers for metrics. */
  snapshot(): CoarseTimerSnapshot {
    return {
      pending: this.#pending,
      buckets: this.#buckets.size,
      armedAt: this.#armedTick === -1 ? null : this.#armedTick * this.resolution,
      resolution: this.resolution,
    };
  }

  #insertTick(tick: number): void {
    const ticks = this.#ticks;
    if (this.#head === ticks.length || ticks[ticks.length - 1]! < tick) {
      ticks.push(tick);
      return;
    }
    // Rare: a shorter delay than one already held. Binary search from #head.
    let lo = this.#head;
    let hi = ticks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ticks[mid]! < tick) lo = mid + 1;
      else hi = mid;
    }
    ticks.splice(lo, 0, tick);
  }

  #arm(tick: number): void {
    this.#cancelArmed?.();
    this.#armedTick = tick;
    this.#cancelArmed = this.clock.setTimer(this.#onTick, tick * this.resolution - this.clock.now(), { unref: true });
  }

  #tick(): void {
    this.#armedTick = -1;
    this.#cancelArmed = undefined;
    this.#pinIntake();
    const now = this.clock.now();
    const current = Math.floor(now / this.resolution);
    const ticks = this.#ticks;
    while (this.#head < ticks.length && ticks[this.#head]! <= current) {
      const tick = ticks[this.#head++]!;
      this.#lastTick = tick;
      const bucket = this.#buckets.get(tick);
      if (bucket === undefined) continue;
      this.#buckets.delete(tick);
      if (this.#recent === bucket) this.#recent = null;
      // Pop from the head each time so that a callback may cancel any other entry safely.
      for (let entry = bucket.head; entry !== null; entry = bucket.head) {
        this.remove(entry);
        try {
          entry.onTimeout();
        } catch (error) {
          // One bad callback must not stop the others (nor the timer): report it as events.ts does.
          process.emitWarning(`failsmall: a coarse timer callback threw: ${String(error)}`, 'FailsmallTimerWarning');
        }
      }
    }
    if (this.#lastTick < current) this.#lastTick = current;
    // Drop empty buckets at the front, then sleep until the first one that holds something.
    while (this.#head < ticks.length) {
      const tick = ticks[this.#head]!;
      const bucket = this.#buckets.get(tick);
      if (bucket !== undefined && bucket.head !== null) break;
      this.#buckets.delete(tick);
      if (this.#recent === bucket) this.#recent = null;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > ticks.length) {
      this.#ticks = ticks.slice(this.#head);
      this.#head = 0;
    }
    if (this.#head < this.#ticks.length) this.#arm(this.#ticks[this.#head]!);
  }
}

const shared = new WeakMap<Clock, CoarseTimer>();

/**
 * The coarse timer shared by every policy on `clock` (default resolution, 10 ms).
 *
 * @example
 * const timer = coarseTimer(); // on the system clock
 */
export function coarseTimer(clock: Clock = systemClock): CoarseTimer {
  let timer = shared.get(clock);
  if (timer === undefined) {
    timer = new CoarseTimer({ clock });
    shared.set(clock, timer);
  }
  return timer;
}
