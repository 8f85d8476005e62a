/**
 * The nearest-rank quantile: the smallest value with at least a share `q` of the values at or below
 * it. One definition for every summary failsmall prints (the lab's timelines, the benchmarks, the
 * status service's MTTR percentiles).
 */

/**
 * The `q`-quantile (0..1) of values sorted ascending, nearest-rank; `undefined` when there are none.
 *
 * @example
 * nearestRank([1, 2, 3, 4], 0.5); // 2
 * nearestRank([1, 2, 3, 4], 0.9); // 4
 */
export function nearestRank(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
