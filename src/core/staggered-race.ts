/**
 * The staggered race: start attempt 1; start the next one after a delay, or at once when a running
 * attempt fails; the first success wins and every other running attempt is cancelled through its
 * `AbortSignal` with one reason, {@link RACE_LOST}. Hedged calls, hedged DNS upstreams and Happy
 * Eyeballs (RFC 8305) are this one mechanism with different delays and hooks.
 *
 * Every attempt start (re)arms the one stagger timer: the delay before attempt `n + 1` counts from the
 * start of attempt `n`, whether `n` started on the timer or because an earlier attempt failed.
 */
import { abortReason, systemClock, type Cancel, type Clock } from './clock.js';
import { FailsmallError } from './errors.js';
import { func, invalid, knownOptions, positiveInteger } from './validate.js';

/** The code of the reason every losing attempt is aborted with. */
export const RACE_LOST = 'FS_ERR_RACE_LOST';
/** The code of the default rejection of a race in which no attempt succeeded. */
export const RACE_FAILED = 'FS_ERR_RACE_FAILED';

/** Why an attempt started: the first one, the stagger timer, or the failure of a running attempt. */
export type RaceTrigger = 'first' | 'delay' | 'failure';

/** One failed attempt, as handed to {@link StaggeredRaceOptions.toError} and kept in `details.failures`. */
export interface RaceFailure {
  /** The attempt number, from 1. */
  readonly attempt: number;
  /** What it rejected (or threw) with. */
  readonly error: unknown;
}

/**
 * One attempt of a race, handed to the attempt function. Its `signal` aborts when the attempt lost
 * (reason {@link RACE_LOST}), when the race failed while it still ran (the same reason), or when the
 * caller's signal aborted (the caller's reason). The signal is created on first read, so an attempt
 * that never reads it costs no `AbortController`.
 */
export class RaceAttempt {
  /** The attempt number, from 1 (in start order). */
  readonly attempt: number;
  /** What started it. */
  readonly trigger: RaceTrigger;
  /** When it started, in milliseconds of the race's clock. */
  readonly started: number;
  #controller: AbortController | undefined;
  #reason: unknown;
  #cancelled = false;

  /** @internal Built by {@link staggeredRace} only. */
  constructor(attempt: number, trigger: RaceTrigger, started: number) {
    this.attempt = attempt;
    this.trigger = trigger;
    this.started = started;
  }

  /** Aborts when this attempt is no longer wanted. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#cancelled) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  /** Whether the attempt was cancelled (lost, or the race ended without it). */
  get cancelled(): boolean {
    return this.#cancelled;
  }

  /** @internal Cancels the attempt once; later calls do nothing. */
  cancel(reason: unknown): void {
    if (this.#cancelled) return;
    this.#cancelled = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }
}

/** Options of {@link staggeredRace}. */
export interface StaggeredRaceOptions<T> {
  /** The most attempts started, a positive integer (required: a race is always bounded). */
  readonly attempts: number;
  /**
   * How long after an attempt starts the next one starts, in milliseconds: a number, or a function
   * of the number of the attempt that would start (2, 3, …) called when the previous one starts.
   * `Infinity` starts the next attempt only when a running one fails; `0` (or less) starts it at
   * once, so `delay: 0` runs every attempt in parallel. A function returning NaN counts as Infinity.
   */
  readonly delay: number | ((attempt: number) => number);
  /** The clock for the stagger timer; default {@link systemClock}. */
  readonly clock?: Clock | undefined;
  /** Cancels the race: the timer stops, every running attempt aborts with the signal's reason, the race rejects with it. */
  readonly signal?: AbortSignal | undefined;
  /** Do not keep the process alive for the stagger timer; default false. */
  readonly unref?: boolean | undefined;
  /**
   * Asked before attempt 2, 3, … starts (never for attempt 1). Return false to skip it: on a
   * `delay` trigger the timer is not re-armed, so only a later failure asks again; when nothing is
   * running any more the race fails. For budgets, deadlines and "one hedge at most".
   */
  readonly admit?: ((attempt: number, trigger: RaceTrigger) => boolean) | undefined;
  /** Called when an attempt starts, before the attempt function runs. */
  readonly onStart?: ((attempt: RaceAttempt) => void) | undefined;
  /**
   * Called when an attempt fails before the race is decided. Return false to end the race now
   * (a fatal error: no further attempt starts, the running ones are cancelled).
   */
  readonly onFailure?: ((attempt: RaceAttempt, error: unknown) => boolean | void) | undefined;
  /** Called with the winning attempt and its value, before the losers are cancelled. */
  readonly onWin?: ((attempt: RaceAttempt, value: T) => void) | undefined;
  /** Releases a value that arrives after the race was decided (e.g. destroys a late socket). */
  readonly dispose?: ((value: T, attempt: RaceAttempt) => void) | undefined;
  /**
   * Builds the rejection when no attempt succeeded, from every failure in the order they happened;
   * `stopped` is true when `onFailure` ended the race. Default: a `FailsmallError` with code
   * {@link RACE_FAILED}, `cause` the last failure's error, `details.failures` all of them.
   */
  readonly toError?: ((failures: readonly RaceFailure[], stopped: boolean) => unknown) | undefined;
}

const KEYS = new Set([
  'attempts',
  'delay',
  'clock',
  'signal',
  'unref',
  'admit',
  'onStart',
  'onFailure',
  'onWin',
  'dispose',
  'toError',
]);

function defaultError(failures: readonly RaceFailure[], stopped: boolean): FailsmallError {
  const last = failures[failures.length - 1];
  return new FailsmallError(
    RACE_FAILED,
    stopped ? 'A race attempt failed fatally' : `Every attempt of the race failed (${failures.length})`,
    { cause: last?.error, details: { failures, stopped } },
  );
}

/**
 * Runs a staggered race and resolves with the first successful attempt's value.
 *
 * Guarantees (property-tested on a `VirtualClock`): at most `attempts` attempts start; exactly one
 * wins, or none; once the race settles no attempt starts, the stagger timer is cancelled, and every
 * attempt still running is aborted — with the one reason `FS_ERR_RACE_LOST` (`details.kind:
 * 'aborted'`, `details.winner` the winning attempt or undefined) when the race was won or failed,
 * with the caller's reason when the caller aborted. A value that arrives after the race was decided
 * goes to `dispose`. An attempt function that throws counts as a failed attempt.
 *
 * Rejects with the caller's abort reason (at once, without calling `run`, when it is already
 * aborted), or when every attempt failed (or `onFailure` returned false, or `admit` refused the
 * next one with nothing left running) with `toError(failures, stopped)`, by default
 * `FS_ERR_RACE_FAILED`.
 *
 * @param run - starts one attempt; it should honour `attempt.signal`.
 * @param options - see {@link StaggeredRaceOptions}; unknown keys are an error.
 * @example
 * const answer = await staggeredRace((a) => query(servers[a.attempt - 1]!, a.signal), {
 *   attempts: servers.length,
 *   delay: 250, // a slow server costs at most 250 ms
 *   clock,
 * });
 */
export function staggeredRace<T>(
  run: (attempt: RaceAttempt) => T | PromiseLike<T>,
  options: StaggeredRaceOptions<T>,
): Promise<T> {
  try {
    func('run', run);
    knownOptions(options, KEYS);
    positiveInteger('attempts', options.attempts);
    const d = options.delay;
    if (typeof d === 'number') {
      if (!(d >= 0)) invalid('delay', 'a number >= 0 or Infinity', d);
    } else if (typeof d !== 'function') invalid('delay', 'a number or a function', d);
  } catch (error) {
    return Promise.reject(error);
  }
  const signal = options.signal;
  if (signal?.aborted === true) return Promise.reject(abortReason(signal));

  const { attempts: max, delay, admit, onStart, onFailure, onWin, dispose } = options;
  const clock = options.clock ?? systemClock;
  const timerOptions = options.unref === true ? { unref: true } : undefined;

  return new Promise<T>((resolve, reject) => {
    const running = new Set<RaceAttempt>();
    const failures: RaceFailure[] = [];
    let started = 0;
    let settled = false;
    let cancelTimer: Cancel | undefined;

    const end = (): void => {
      settled = true;
      cancelTimer?.();
      cancelTimer = undefined;
      signal?.removeEventListener('abort', onAbort);
    };
    const cancelRunning = (reason: unknown): void => {
      for (const a of running) a.cancel(reason);
      running.clear();
    };
    const lost = (winner: number | undefined): FailsmallError =>
      new FailsmallError(
        RACE_LOST,
        winner === undefined ? 'The race ended; this attempt is no longer needed' : 'Another attempt won the race',
        { details: { kind: 'aborted', neverSent: false, winner } },
      );
    const fail = (stopped: boolean): void => {
      end();
      if (running.size > 0) cancelRunning(lost(undefined));
      reject((options.toError ?? defaultError)(failures, stopped));
    };
    const onAbort = (): void => {
      if (settled) return;
      end();
      const reason = abortReason(signal!);
      cancelRunning(reason);
      reject(reason);
    };

    /** Starts one attempt if allowed; returns whether it did. Re-arms the timer after a start. */
    const launch = (trigger: RaceTrigger): boolean => {
      if (settled || started >= max) return false;
      const n = started + 1;
      if (n > 1 && admit !== undefined && !admit(n, trigger)) return false;
      if (settled) return false; // a hook may have aborted the caller's signal
      started = n;
      const attempt = new RaceAttempt(n, trigger, clock.now());
      running.add(attempt);
      onStart?.(attempt);
      if (settled) return true; // the hook aborted the caller's signal: the attempt is already cancelled
      let result: T | PromiseLike<T>;
      try {
        result = run(attempt);
      } catch (error) {
        result = Promise.reject(error);
      }
      Promise.resolve(result).then(
        (value) => succeed(attempt, value),
        (error: unknown) => failed(attempt, error),
      );
      arm();
      return true;
    };

    /** Arms the stagger timer for the next attempt, or starts it at once for a delay <= 0. */
    const arm = (): void => {
      cancelTimer?.();
      cancelTimer = undefined;
      if (settled || started >= max) return;
      let ms = typeof delay === 'number' ? delay : delay(started + 1);
      if (Number.isNaN(ms)) ms = Infinity;
      if (ms === Infinity) return;
      if (ms <= 0) {
        launch('delay');
        return;
      }
      cancelTimer = clock.setTimer(
        () => {
          cancelTimer = undefined;
          launch('delay');
        },
        ms,
        timerOptions,
      );
    };

    const succeed = (attempt: RaceAttempt, value: T): void => {
      if (settled || !running.has(attempt)) {
        dispose?.(value, attempt);
        return;
      }
      running.delete(attempt);
      end();
      onWin?.(attempt, value);
      if (running.size > 0) cancelRunning(lost(attempt.attempt));
      resolve(value);
    };

    const failed = (attempt: RaceAttempt, error: unknown): void => {
      if (settled || !running.has(attempt)) return;
      running.delete(attempt);
      failures.push({ attempt: attempt.attempt, error });
      if (onFailure?.(attempt, error) === false) {
        if (!settled) fail(true);
        return;
      }
      if (settled) return;
      if (launch('failure')) return;
      if (running.size === 0 && !settled) fail(false);
    };

    signal?.addEventListener('abort', onAbort, { once: true });
    launch('first');
  });
}
