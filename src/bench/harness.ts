/**
 * Small, dependency-free measuring helpers for the benchmarks: warm up, then time a fixed number of
 * calls and report nanoseconds per call (the median of several rounds, to damp noise on a shared
 * machine).
 */

/** Times `iterations` sequential awaited calls of `fn`; returns ns per call, median of `rounds`. */
export async function nsPerCall(fn: () => Promise<unknown>, iterations = 200_000, rounds = 5): Promise<number> {
  for (let i = 0; i < Math.min(iterations, 20_000); i++) await fn();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) await fn();
    results.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return median(results);
}

/** Times `iterations` synchronous calls of `fn`; ns per call, median of `rounds`. */
export function nsPerSyncCall(fn: () => unknown, iterations = 1_000_000, rounds = 5): number {
  for (let i = 0; i < Math.min(iterations, 50_000); i++) fn();
  const results: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    results.push(Number(process.hrtime.bigint() - start) / iterations);
  }
  return median(results);
}

/** The median of a non-empty list. */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The `p`-quantile (0..1) of a list, nearest-rank. */
export function quantile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: readonly (readonly [string, string])[]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('');
}
