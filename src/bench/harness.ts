/**
 * Small, dependency-free measuring helpers for the benchmarks: warm up, then time a fixed number of
 * calls and report nanoseconds per call (the median of several rounds, to damp noise on a shared
 * machine); and the provenance every bench's JSON line carries (machine, Node, commit, competitors).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { nearestRank } from '../core/quantile.js';

/** Where and with what a bench ran: numbers are comparable only within one provenance. */
export interface Provenance {
  /** ISO 8601 time of the run. */
  readonly date: string;
  /** `process.version`, e.g. `v20.19.0`. */
  readonly node: string;
  /** The git commit of the checkout (`git rev-parse --short HEAD`), `+dirty` with local changes; null outside git. */
  readonly commit: string | null;
  /** The CPU model, as the OS names it. */
  readonly cpu_model: string;
  /** Logical cores the OS reports. */
  readonly cores: number;
  /** `process.platform` and `process.arch`, e.g. `linux x64`. */
  readonly platform: string;
  /** The 1-minute load average when the bench ended: above `cores`, other work shared the machine. */
  readonly load_1m: number;
  /** The 1-minute load average when the bench started (null when not known). */
  readonly load_1m_start: number | null;
  /** Installed version of each competitor package the bench measures (null when it is not installed). */
  readonly competitors: Readonly<Record<string, string | null>>;
}

function git(args: string[]): string | null {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return null;
  }
}

/** The installed version of package `name`, read from its package.json; null when not installed. */
export function packageVersion(name: string): string | null {
  try {
    const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
    return (JSON.parse(readFileSync(file, 'utf8')) as { version?: string }).version ?? null;
  } catch {
    return null;
  }
}

/** The provenance of a run that measures the given competitor packages. */
export function provenance(competitors: readonly string[] = [], loadStart: number | null = null): Provenance {
  const commit = git(['rev-parse', '--short', 'HEAD']);
  const dirty = commit !== null && (git(['status', '--porcelain', '--untracked-files=no']) ?? '') !== '';
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    commit: commit === null ? null : `${commit}${dirty ? '+dirty' : ''}`,
    cpu_model: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    platform: `${process.platform} ${process.arch}`,
    load_1m: Math.round(loadavg()[0]! * 100) / 100,
    load_1m_start: loadStart,
    competitors: Object.fromEntries(competitors.map((name) => [name, packageVersion(name)])),
  };
}

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
  return (
    nearestRank(
      [...values].sort((a, b) => a - b),
      p,
    ) ?? NaN
  );
}

/** Prints rows as an aligned table. */
export function printTable(title: string, rows: readonly (readonly [string, string])[]): void {
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log(`\n${title}`);
  for (const [k, v] of rows) console.log(`  ${k.padEnd(width)}  ${v}`);
  console.log('');
}
