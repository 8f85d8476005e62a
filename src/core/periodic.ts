/**
 * A periodic loop on an injected {@link Clock}: run a task, wait, run it again, until stopped. The
 * health monitor's rounds, the lab's NLB automation, the outbox's background drain and the
 * event-loop signal's sampling are this one mechanism with different waits.
 *
 * The next wait starts when a run has settled (at once for a task that returns nothing, when its
 * promise settles for one that returns a promise), so runs never overlap. A rejected run is ignored
 * and the loop goes on: the task reports its own failures. A task that throws synchronously throws out
 * of the timer callback, like any timer, and the loop waits no more until it is stopped and started.
 *
 * Internal: not exported from `failsmall/core`.
 */
import type { Cancel, Clock, TimerOptions } from './clock.js';
import { func, nonNegativeNumber } from './validate.js';

/** Options of {@link PeriodicLoop}. */
export interface PeriodicLoopOptions {
  /** The clock the waits run on. Required. */
  readonly clock: Clock;
  /**
   * The wait between the end of one run and the start of the next, in milliseconds; a function is
   * asked before each wait (for jitter). Required.
   */
  readonly every: number | (() => number);
  /** Run the task at once on {@link PeriodicLoop.start}; default false (the first run after one wait). */
  readonly immediate?: boolean;
  /** Do not keep the process alive for the waits (Node's `timer.unref()`); default false. */
  readonly unref?: boolean;
}

/** One start-to-stop run of a loop: a task that settles after a stop never re-arms a later start. */
interface Run {
  cancel: Cancel | undefined;
}

/**
 * Runs `task` every `every` milliseconds between {@link start} and {@link stop}.
 *
 * @example
 * const loop = new PeriodicLoop(() => this.evaluate(), { clock, every: 10_000, immediate: true, unref: true });
 * loop.start(); // a round now, then one 10 s after each round settles
 * loop.stop(); // a round under way completes; no further round
 */
export class PeriodicLoop {
  readonly #task: () => unknown;
  readonly #clock: Clock;
  readonly #every: () => number;
  readonly #immediate: boolean;
  readonly #timerOptions: TimerOptions | undefined;
  #run: Run | undefined;

  constructor(task: () => void | PromiseLike<unknown>, options: PeriodicLoopOptions) {
    this.#task = func('task', task);
    this.#clock = options.clock;
    const every = options.every;
    if (typeof every === 'function') this.#every = every;
    else {
      const ms = nonNegativeNumber('every', every);
      this.#every = () => ms;
    }
    this.#immediate = options.immediate === true;
    this.#timerOptions = options.unref === true ? { unref: true } : undefined;
  }

  /** True between {@link start} and {@link stop}. */
  get running(): boolean {
    return this.#run !== undefined;
  }

  /** Starts the loop; does nothing while it runs. */
  start(): void {
    if (this.#run !== undefined) return;
    const run: Run = { cancel: undefined };
    this.#run = run;
    if (this.#immediate) this.#tick(run);
    else this.#arm(run);
  }

  /** Stops the loop: cancels the wait; a run under way completes, and no other follows. */
  stop(): void {
    const run = this.#run;
    this.#run = undefined;
    run?.cancel?.();
  }

  #tick(run: Run): void {
    run.cancel = undefined;
    const result = this.#task();
    if (isThenable(result)) {
      const next = (): void => this.#arm(run);
      void result.then(next, next);
    } else this.#arm(run);
  }

  #arm(run: Run): void {
    if (this.#run !== run) return;
    run.cancel = this.#clock.setTimer(() => this.#tick(run), this.#every(), this.#timerOptions);
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === 'function';
}
