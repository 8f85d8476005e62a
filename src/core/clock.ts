/**
 * Time, injected. Every time-based decision in failsmall reads `now()` from a {@link Clock} and waits
 * through it, so the same code runs in production ({@link systemClock}), in a compressed replay
 * ({@link ScaledClock}) and in tests or the simulator ({@link VirtualClock}) without sleeping.
 */
import { FailsmallError } from './errors.js';
import { finiteNumber, nonNegativeNumber, positiveNumber } from './validate.js';

/** Cancels a timer; calling it twice, or after the timer fired, does nothing. */
export type Cancel = () => void;

/** Options of {@link Clock.setTimer}. */
export interface TimerOptions {
  /** Do not keep the process alive for this timer (Node's `timer.unref()`); default false. */
  readonly unref?: boolean;
}

/** A source of time and timers. All values are milliseconds. */
export interface Clock {
  /** The current time in milliseconds (an epoch for the system clock, any origin for others). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (negative counts as 0). Returns a cancel function. */
  setTimer(fn: () => void, ms: number, options?: TimerOptions): Cancel;
  /**
   * Resolves after `ms` milliseconds; rejects at once with the signal's reason (an `AbortError`
   * when it has none) when `signal` aborts first, and cancels the timer.
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/** The error a sleep rejects with when its signal aborts without a reason of its own. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new FailsmallError('FS_ERR_ABORTED', 'The operation was aborted');
}

/** Builds `sleep` on top of `setTimer`; shared by every clock so that abort behaves the same. */
function sleepOn(clock: Pick<Clock, 'setTimer'>, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      clock.setTimer(resolve, ms);
      return;
    }
    const onAbort = (): void => {
      cancel();
      reject(abortReason(signal));
    };
    const cancel = clock.setTimer(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Wall-clock time (`Date.now()`) and Node timers: the clock for production. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, ms, options) {
    const handle = setTimeout(fn, Math.max(0, ms));
    if (options?.unref === true) handle.unref();
    return () => clearTimeout(handle);
  },
  sleep(ms, signal) {
    return sleepOn(systemClock, ms, signal);
  },
};

interface VirtualTimer {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/**
 * A clock that moves only when told to. `advance(ms)` fires every timer that falls due, in order of
 * due time (ties in order of creation), and lets promise continuations run between timers, so code
 * that awaits a sleep and then schedules another timer behaves exactly as on real time.
 *
 * @example
 * const clock = new VirtualClock();
 * const done = clock.sleep(1_000).then(() => clock.now());
 * await clock.advance(1_000); // resolves `done` with 1000, no real waiting
 */
export class VirtualClock implements Clock {
  #now: number;
  #seq = 0;
  #timers: VirtualTimer[] = [];

  /** @param start - the initial time in milliseconds, default 0. */
  constructor(start = 0) {
    finiteNumber('start', start);
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): Cancel {
    const timer: VirtualTimer = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    // Keep the list sorted by (at, seq): insertion from the back, since new timers tend to be later.
    let i = this.#timers.length;
    while (i > 0) {
      const prev = this.#timers[i - 1]!;
      if (prev.at < timer.at || (prev.at === timer.at && prev.seq < timer.seq)) break;
      i--;
    }
    this.#timers.splice(i, 0, timer);
    return () => {
      if (timer.cancelled) return;
      timer.cancelled = true;
      const at = this.#timers.indexOf(timer);
      if (at >= 0) this.#timers.splice(at, 1);
    };
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** The number of timers waiting to fire. */
  get pending(): number {
    return this.#timers.length;
  }

  /** The due time of the next timer, or `undefined` when none waits. */
  nextDue(): number | undefined {
    return this.#timers[0]?.at;
  }

  /**
   * Moves time forward by `ms`, firing due timers in order and letting promise continuations run
   * after each one (timers they create within the window fire too).
   */
  async advance(ms: number): Promise<void> {
    nonNegativeNumber('ms', ms);
    const target = this.#now + ms;
    await flushMicrotasks();
    while (this.#fireNext(target)) await flushMicrotasks();
    this.#now = target;
  }

  /**
   * Like {@link advance} but synchronous: fires due timers in order without running promise
   * continuations in between. For pure state machines driven by callbacks.
   */
  tick(ms: number): void {
    nonNegativeNumber('ms', ms);
    const target = this.#now + ms;
    while (this.#fireNext(target));
    this.#now = target;
  }

  /** Fires the earliest timer if it is due at or before `target`, moving time to it; false if none is. */
  #fireNext(target: number): boolean {
    const next = this.#timers[0];
    if (next === undefined || next.at > target) return false;
    this.#timers.shift();
    this.#now = next.at;
    next.fn();
    return true;
  }

  /**
   * Fires timers until none is left, or until `limit` timers have fired (default 10,000), which
   * guards against a timer that always schedules another. Throws `FS_ERR_CLOCK_RUNAWAY` past it.
   */
  async runAll(limit = 10_000): Promise<void> {
    for (let fired = 0; this.#timers.length > 0; fired++) {
      if (fired >= limit) {
        throw new FailsmallError('FS_ERR_CLOCK_RUNAWAY', `More than ${limit} timers fired in runAll()`);
      }
      await this.advance(this.#timers[0]!.at - this.#now);
    }
  }
}

/** Lets every queued promise continuation run (one macrotask turn). */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Options of {@link ScaledClock}. */
export interface ScaledClockOptions {
  /** How many scenario milliseconds pass per real millisecond, e.g. 360 replays an hour in 10 s. */
  readonly speed: number;
  /** The scenario time at the moment of construction, in milliseconds; default 0. */
  readonly start?: number;
  /** The real clock underneath; default {@link systemClock}. */
  readonly base?: Clock;
}

/**
 * A clock that runs `speed` times faster than its base clock: the lab replays a 2 h 37 min outage in
 * seconds with it. `now()` reports scenario time; timers are scaled down to real time.
 */
export class ScaledClock implements Clock {
  readonly speed: number;
  readonly #base: Clock;
  readonly #baseStart: number;
  readonly #start: number;

  constructor(options: ScaledClockOptions) {
    this.speed = positiveNumber('speed', options.speed);
    this.#start = finiteNumber('start', options.start ?? 0);
    this.#base = options.base ?? systemClock;
    this.#baseStart = this.#base.now();
  }

  now(): number {
    return this.#start + (this.#base.now() - this.#baseStart) * this.speed;
  }

  setTimer(fn: () => void, ms: number, options?: TimerOptions): Cancel {
    return this.#base.setTimer(fn, Math.max(0, ms) / this.speed, options);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, ms, signal);
  }

  /** Converts a scenario duration to real milliseconds. */
  toReal(ms: number): number {
    return ms / this.speed;
  }
}
