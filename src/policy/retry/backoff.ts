/**
 * Backoff: how long to wait before retry number `attempt`. Every strategy is a pure function of
 * (attempt, previous delay, random), so the same schedule replays exactly under a seeded
 * {@link Random}, and no attempt count, however large, yields NaN, Infinity or a negative delay:
 * the exponent is clamped at construction to the point where `base · 2^n` first reaches `cap`,
 * so `2 ** attempt` never overflows (cockatiel returns NaN after 1025 attempts).
 *
 * Formulas from Marc Brooker, "Exponential Backoff and Jitter", AWS Architecture Blog, 2015, with
 * `n = attempt - 1` so that the first retry waits about `base`:
 * - exponential (no jitter): `min(cap, base · 2^n)`
 * - full jitter:             `random(0, min(cap, base · 2^n))`
 * - equal jitter:            `t = min(cap, base · 2^n); t/2 + random(0, t/2)`
 * - decorrelated jitter:     `min(cap, random(base, previous · 3))`, previous starting at `base`
 *
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
import type { Random } from '../../core/random.js';
import { invalid, nonNegativeNumber, positiveNumber } from '../../core/validate.js';

/** A backoff strategy: the delay before a retry, in milliseconds. */
export interface Backoff {
  /** `constant`, `exponential`, `full-jitter`, `equal-jitter` or `decorrelated-jitter`. */
  readonly kind: string;
  /**
   * The delay before retry number `attempt` (1 for the first retry), in milliseconds: always a
   * finite number ≥ 0.
   *
   * @param attempt - the retry number, 1-based; values below 1 (or NaN) count as 1.
   * @param previous - the previous delay in ms (0 before the first retry); only decorrelated jitter reads it.
   * @param random - the source of jitter.
   */
  next(attempt: number, previous: number, random: Random): number;
}

/** Options of the exponential strategies. */
export interface ExponentialOptions {
  /**
   * The first delay (exponential) or the scale of the first window (jitter), in ms, > 0; default
   * 100 ms (AWS SDK). 0 is an error (every delay would be 0): use `constantBackoff(0)` for no delay.
   */
  readonly base?: number;
  /** The largest delay, in ms; default 20 s (the AWS SDK's `MAXIMUM_RETRY_DELAY`). */
  readonly cap?: number;
}

/**
 * The longest delay before a retry, in milliseconds: 20 s, the AWS SDK v3's `MAXIMUM_RETRY_DELAY`.
 * The one constant behind every default cap: the backoffs', `retry()`'s `maxRetryAfter` and the
 * AWS retry strategy's.
 */
export const MAX_RETRY_DELAY = 20_000;

const DEFAULT_BASE = 100; // 100 ms: the AWS SDK v3 standard-mode base delay.
const DEFAULT_CAP = MAX_RETRY_DELAY;
/** 2^1023 is the largest power of two below Number.MAX_VALUE. */
const MAX_EXPONENT = 1023;

/** A draw from `random`, forced into [0, 1) so a faulty source cannot break the bounds. */
function draw(random: Random): number {
  const r = random.next();
  return r >= 0 && r < 1 ? r : 0;
}

function baseAndCap(options: ExponentialOptions | undefined): { base: number; cap: number; maxExp: number } {
  if (options !== undefined && (typeof options !== 'object' || options === null))
    invalid('options', 'an object', options);
  // base > 0: with base 0 every delay would be 0 (retries in a tight loop); use constantBackoff(0)
  // when that is really meant.
  const base = positiveNumber('base', options?.base ?? DEFAULT_BASE);
  const cap = nonNegativeNumber('cap', options?.cap ?? DEFAULT_CAP);
  if (cap < base) invalid('cap', `a finite number >= base (${base})`, cap);
  // The smallest n with base · 2^n >= cap: past it every delay equals cap, so larger exponents
  // never need computing (and never overflow).
  let maxExp = 0;
  while (maxExp < MAX_EXPONENT && base * 2 ** maxExp < cap) maxExp++;
  return { base, cap, maxExp };
}

/** The un-jittered window `min(cap, base · 2^(attempt-1))`, with the exponent clamped. */
function window(attempt: number, base: number, cap: number, maxExp: number): number {
  // `attempt > 1` is false for NaN, so NaN counts as the first retry.
  const n = attempt > 1 ? Math.min(Math.floor(attempt) - 1, maxExp) : 0;
  return Math.min(cap, base * 2 ** n);
}

/**
 * The same delay before every retry.
 *
 * @param delay - in milliseconds, a finite number ≥ 0.
 * @example
 * const backoff = constantBackoff(250);
 * backoff.next(7, 250, mathRandom); // 250
 */
export function constantBackoff(delay: number): Backoff {
  const ms = nonNegativeNumber('delay', delay);
  return { kind: 'constant', next: () => ms };
}

/**
 * Exponential backoff without jitter: `min(cap, base · 2^(attempt-1))`. Clients that failed together
 * retry together; prefer a jittered strategy unless you need a deterministic schedule.
 *
 * @example
 * const backoff = exponentialBackoff({ base: 100, cap: 1_000 });
 * [1, 2, 3, 4, 5].map((a) => backoff.next(a, 0, mathRandom)); // [100, 200, 400, 800, 1000]
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function exponentialBackoff(options?: ExponentialOptions): Backoff {
  const { base, cap, maxExp } = baseAndCap(options);
  return { kind: 'exponential', next: (attempt) => window(attempt, base, cap, maxExp) };
}

/**
 * "Full jitter": `random(0, min(cap, base · 2^(attempt-1)))`. The fewest calls and the least work
 * for the server in the blog's simulation: the default of failsmall and of the AWS SDK.
 *
 * @example
 * const backoff = fullJitter({ base: 100, cap: 20_000 });
 * backoff.next(3, 0, seededRandom(1)); // somewhere in [0, 400)
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function fullJitter(options?: ExponentialOptions): Backoff {
  const { base, cap, maxExp } = baseAndCap(options);
  return {
    kind: 'full-jitter',
    next: (attempt, _previous, random) => draw(random) * window(attempt, base, cap, maxExp),
  };
}

/**
 * "Equal jitter": half the window fixed, half random, `t/2 + random(0, t/2)` with
 * `t = min(cap, base · 2^(attempt-1))`. Never waits less than half the window.
 *
 * @example
 * const backoff = equalJitter({ base: 100, cap: 20_000 });
 * backoff.next(3, 0, seededRandom(1)); // somewhere in [200, 400)
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function equalJitter(options?: ExponentialOptions): Backoff {
  const { base, cap, maxExp } = baseAndCap(options);
  return {
    kind: 'equal-jitter',
    next: (attempt, _previous, random) => {
      const t = window(attempt, base, cap, maxExp);
      const half = t / 2;
      return Math.min(t, half + draw(random) * half); // min: halving an odd subnormal rounds up
    },
  };
}

/**
 * "Decorrelated jitter": `min(cap, random(base, previous · 3))`, with `previous` the delay this
 * strategy returned last time (`base` before the first retry). Delays stay within [base, cap].
 *
 * @example
 * const backoff = decorrelatedJitter({ base: 100, cap: 20_000 });
 * let delay = 0;
 * for (let attempt = 1; attempt <= 3; attempt++) delay = backoff.next(attempt, delay, random);
 * @see https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/
 */
export function decorrelatedJitter(options?: ExponentialOptions): Backoff {
  const { base, cap } = baseAndCap(options);
  return {
    kind: 'decorrelated-jitter',
    next: (_attempt, previous, random) => {
      // previous < base/3 (including 0 before the first retry) and NaN both fall back to base;
      // Infinity is clamped by cap below.
      let upper = previous * 3 > base ? Math.min(previous * 3, cap * 3) : base;
      if (upper === Infinity) upper = Number.MAX_VALUE; // cap > MAX_VALUE / 3: keep the arithmetic finite
      return Math.min(cap, base + draw(random) * (upper - base));
    },
  };
}

/**
 * The default of {@link retry}: full jitter, base 100 ms, cap 20 s, the AWS SDK v3 standard-mode
 * schedule.
 */
export const defaultBackoff: Backoff = fullJitter();
