/**
 * The bucketed sliding window: time cut into buckets of `width` ms, the newest `buckets` of them kept
 * in a ring of counters, one ring per series (calls, failures, slow calls …), with a running total
 * per series. The state is plain arrays and numbers, so a breaker's `toJSON()`/hydrate or a metrics
 * endpoint can save and restore it as it is.
 *
 * Time that goes backwards (a clock stepped back, an out-of-order `now`), and a non-finite `now`,
 * count into the newest bucket: the window never moves back and never loses counts to it.
 */
import { FailsmallError } from './errors.js';
import { invalid, positiveInteger, positiveNumber } from './validate.js';

/** The saved state of a {@link BucketRing}: plain JSON. */
export interface BucketRingState {
  /** The absolute number of the newest bucket (`floor(now / width)`), or null before the first count. */
  head: number | null;
  /** One array per series, `buckets` long; absolute bucket `b` lives at index `b mod buckets`. */
  readonly counts: number[][];
  /** The sum of each series over the window (the running total of `counts[s]`). */
  readonly totals: number[];
}

/** Options of {@link BucketRing}. */
export interface BucketRingOptions {
  /** How many buckets the window holds, an integer from 1 to 100,000. */
  readonly buckets: number;
  /** The width of one bucket in milliseconds (or any unit `now` is given in), > 0. */
  readonly width: number;
  /** How many series are counted side by side; default 1. */
  readonly series?: number;
}

/** The slot of absolute bucket `b` in a ring of `n`: `b mod n`, also for negative `b`. */
export function ringSlot(b: number, n: number): number {
  const i = b % n;
  return i < 0 ? i + n : i;
}

/** An empty state for `buckets` buckets and `series` series. */
export function emptyBuckets(buckets: number, series = 1): BucketRingState {
  const counts: number[][] = [];
  for (let s = 0; s < series; s++) counts.push(new Array<number>(buckets).fill(0));
  return { head: null, counts, totals: new Array<number>(series).fill(0) };
}

/**
 * Moves `state` forward to absolute bucket `bucket`, emptying the buckets that left the window, and
 * returns the slot of the newest bucket. A `bucket` older than the head, or not finite, leaves the
 * window as it is (and returns the head's slot; with no head yet, slot 0 of a window at bucket 0).
 * Pure over plain data: breaker and budget state machines call it on their own JSON state.
 */
export function advanceBuckets(state: BucketRingState, bucket: number): number {
  const counts = state.counts;
  const n = counts[0]?.length ?? 1;
  const head = state.head;
  if (head === bucket) return ringSlot(bucket, n);
  if (!Number.isFinite(bucket)) {
    if (head === null) state.head = 0;
    return ringSlot(state.head ?? 0, n);
  }
  if (head !== null && bucket < head) return ringSlot(head, n);
  if (head === null || bucket - head >= n) {
    for (let s = 0; s < counts.length; s++) {
      counts[s]!.fill(0);
      state.totals[s] = 0;
    }
  } else {
    for (let b = head + 1; b <= bucket; b++) {
      const i = ringSlot(b, n);
      for (let s = 0; s < counts.length; s++) {
        const row = counts[s]!;
        state.totals[s]! -= row[i]!;
        row[i] = 0;
      }
    }
  }
  state.head = bucket;
  return ringSlot(bucket, n);
}

/**
 * A bucketed sliding window over plain arrays: {@link advance} to `now`, {@link add} to the current
 * bucket, {@link sum} over the window. It works on a {@link BucketRingState} it may be given, by
 * reference, so the owner's JSON state is the window.
 *
 * @example
 * const ring = new BucketRing({ buckets: 10, width: 1_000, series: 2 }); // 10 s in 1 s buckets
 * ring.add(now, 0); // a call
 * ring.add(now, 1); // … that failed
 * const failureRate = ring.sum(now, 1) / ring.sum(now, 0);
 */
export class BucketRing {
  /** Buckets in the window. */
  readonly buckets: number;
  /** The width of one bucket. */
  readonly width: number;
  /** Series counted side by side. */
  readonly series: number;
  /** The state, plain JSON; mutated in place. */
  readonly state: BucketRingState;

  /**
   * @param options - the shape of the window.
   * @param state - a saved state to work on (by reference); its shape must match the options, else
   *   `FS_ERR_INVALID_ARGUMENT`; its totals are recomputed from its counts. Default: an empty window.
   */
  constructor(options: BucketRingOptions, state?: BucketRingState) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (key !== 'buckets' && key !== 'width' && key !== 'series') invalid(key, 'a known option', key);
    }
    this.buckets = positiveInteger('buckets', options.buckets);
    if (this.buckets > 100_000) invalid('buckets', 'an integer from 1 to 100000', this.buckets);
    this.width = positiveNumber('width', options.width);
    this.series = positiveInteger('series', options.series ?? 1);
    if (state === undefined) {
      this.state = emptyBuckets(this.buckets, this.series);
    } else {
      checkState(state, this.buckets, this.series);
      // The totals are derived: recompute them, so a hand-edited or drifted save cannot skew the sum.
      for (let s = 0; s < this.series; s++) state.totals[s] = state.counts[s]!.reduce((a, b) => a + b, 0);
      this.state = state;
    }
  }

  /** The absolute bucket that holds `now`. */
  bucketOf(now: number): number {
    return Math.floor(now / this.width);
  }

  /** Moves the window to `now` and returns the slot of the current bucket. */
  advance(now: number): number {
    return advanceBuckets(this.state, Math.floor(now / this.width));
  }

  /** Adds `amount` (default 1) to series `series` (default 0) in the bucket of `now`. */
  add(now: number, series = 0, amount = 1): void {
    const slot = this.advance(now);
    this.state.counts[series]![slot]! += amount;
    this.state.totals[series]! += amount;
  }

  /** The sum of series `series` over the window at `now` (moves the window). */
  sum(now: number, series = 0): number {
    this.advance(now);
    return this.state.totals[series]!;
  }

  /** The sum of series `series` as of the last move, without moving the window. */
  total(series = 0): number {
    return this.state.totals[series]!;
  }

  /**
   * The count of absolute bucket `bucket` in series `series`, without moving the window: 0 for a
   * bucket newer than the head or older than the window.
   */
  count(bucket: number, series = 0): number {
    const head = this.state.head;
    if (head === null || bucket > head || bucket <= head - this.buckets) return 0;
    return this.state.counts[series]![ringSlot(bucket, this.buckets)]!;
  }

  /** The sum of the `n` absolute buckets ending at `last` (`(last - n, last]`), without moving the window. */
  sumRange(last: number, n: number, series = 0): number {
    let sum = 0;
    const head = this.state.head;
    if (head === null) return 0;
    const from = Math.max(last - n + 1, head - this.buckets + 1);
    const to = Math.min(last, head);
    for (let b = from; b <= to; b++) sum += this.state.counts[series]![ringSlot(b, this.buckets)]!;
    return sum;
  }

  /** Empties the window. */
  reset(): void {
    const { counts, totals } = this.state;
    for (let s = 0; s < counts.length; s++) {
      counts[s]!.fill(0);
      totals[s] = 0;
    }
    this.state.head = null;
  }

  /** A copy of the state, plain JSON. */
  toJSON(): BucketRingState {
    return { head: this.state.head, counts: this.state.counts.map((c) => [...c]), totals: [...this.state.totals] };
  }
}

function checkState(state: BucketRingState, buckets: number, series: number): void {
  const ok =
    typeof state === 'object' &&
    state !== null &&
    (state.head === null || Number.isSafeInteger(state.head)) &&
    Array.isArray(state.counts) &&
    state.counts.length === series &&
    state.counts.every((c) => Array.isArray(c) && c.length === buckets && c.every(Number.isFinite)) &&
    Array.isArray(state.totals) &&
    state.totals.length === series &&
    state.totals.every(Number.isFinite);
  if (!ok) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`state\` to be a bucket ring state of ${series} series of ${buckets} buckets`,
      { details: { option: 'state', expected: 'a bucket ring state' } },
    );
  }
}
