/**
 * The count series the models report (goodput per second, attempts per minute, …): bin i counts
 * what happened in [i × binMs, (i + 1) × binMs) of the run; whatever happens at or after the run's
 * horizon counts in the last bin. A plain array, so a result carries it as it is.
 */

/**
 * An all-zero series with one bin per `binMs` (ms) of a run of `horizonMs` (ms), the last bin
 * partial when `binMs` does not divide the run.
 *
 * @example
 * binCounts(90_000, 60_000); // [0, 0]: minutes 0 and 1 of a 90 s run
 */
export function binCounts(horizonMs: number, binMs: number): number[] {
  return new Array<number>(Math.ceil(horizonMs / binMs)).fill(0);
}

/**
 * Counts one event at `now` (ms) in `series` (made by {@link binCounts} with the same `binMs`).
 *
 * @example
 * const perMinute = binCounts(90_000, 60_000);
 * countAt(perMinute, 60_000, 61_000); // perMinute is [0, 1]
 */
export function countAt(series: number[], binMs: number, now: number): void {
  series[Math.min(series.length - 1, Math.floor(now / binMs))]!++;
}
