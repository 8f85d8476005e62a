/**
 * Sweeps split by seed range, so that any batch engine can fan them out: `seeds 0-99` with
 * `shard 2/4` runs seeds 50-74, and the JSON lines of every shard merge into one summary.
 */
import { FailsmallError } from '../core/errors.js';
import { runCost } from './engine.js';

/** An inclusive range of seeds. */
export interface SeedRange {
  readonly from: number;
  readonly to: number;
}

function bad(message: string, option: string, value: string): never {
  throw new FailsmallError('FS_ERR_SIM_ARGUMENT', message, { details: { option, value } });
}

/**
 * Parses `A-B` (or a single seed `A`) into a range; throws `FS_ERR_SIM_ARGUMENT`.
 *
 * @example
 * parseSeeds('0-99'); // { from: 0, to: 99 }
 */
export function parseSeeds(text: string): SeedRange {
  const m = /^(\d+)(?:-(\d+))?$/.exec(text.trim());
  if (m === null) bad(`--seeds: expected A-B (non-negative integers), got ${JSON.stringify(text)}`, 'seeds', text);
  const from = Number(m[1]);
  const to = m[2] === undefined ? from : Number(m[2]);
  if (to < from) bad(`--seeds: the range ${text} is empty`, 'seeds', text);
  return { from, to };
}

/**
 * The part of `range` that shard `i` of `n` (1-based, `i/n`) runs: contiguous, sizes differing by
 * at most one, every seed in exactly one shard. Throws `FS_ERR_SIM_ARGUMENT` for a bad shard.
 *
 * @example
 * shardOf({ from: 0, to: 99 }, '2/4'); // { from: 25, to: 49 }
 */
export function shardOf(range: SeedRange, shard: string): SeedRange | undefined {
  const m = /^(\d+)\/(\d+)$/.exec(shard.trim());
  if (m === null) bad(`--shard: expected i/n, got ${JSON.stringify(shard)}`, 'shard', shard);
  const i = Number(m[1]);
  const n = Number(m[2]);
  if (!(n >= 1 && i >= 1 && i <= n)) bad(`--shard: expected 1 <= i <= n, got ${shard}`, 'shard', shard);
  const count = range.to - range.from + 1;
  const start = range.from + Math.floor(((i - 1) * count) / n);
  const end = range.from + Math.floor((i * count) / n) - 1;
  return end < start ? undefined : { from: start, to: end };
}

/** Keys that differ between runs of one configuration and are summed or dropped when merging. */
const PER_RUN = new Set(['seed', 'events', 'events_per_s', 'wall_s']);
/** Keys of the models' results that name a configuration (runs group by them), not an outcome. */
const CONFIG = new Set([
  'model',
  'strategy',
  'backoff',
  'fleet',
  'p',
  'clients',
  'calls',
  'trials',
  'spike_rps',
  'spike_s',
  'tries',
]);

/**
 * Merges result objects (one JSON line per run) into one summary per configuration (the same
 * model, strategy, backoff, p, clients, … and every string key): `runs`, `seeds`, the mean of each numeric key (`mean_<key>`), the share
 * of runs where a boolean key is true (`share_<key>`), the per-index mean of numeric arrays, and the
 * summed `events` and `wall_s` with the overall `events_per_s`.
 *
 * @example
 * mergeResults([{ model: 'collapse', seed: 1, recovered: true }, { model: 'collapse', seed: 2, recovered: false }]);
 * // [{ model: 'collapse', runs: 2, seeds: [1, 2], share_recovered: 0.5, … }]
 */
export function mergeResults(results: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const groups = new Map<string, Record<string, unknown>[]>();
  for (const r of results) {
    const fixed: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r)) {
      if (CONFIG.has(k) || (typeof v === 'string' && !PER_RUN.has(k))) fixed[k] = v;
    }
    const key = JSON.stringify(fixed);
    let list = groups.get(key);
    if (list === undefined) groups.set(key, (list = []));
    list.push(r);
  }
  const out: Record<string, unknown>[] = [];
  for (const [key, list] of groups) {
    const merged: Record<string, unknown> = { ...(JSON.parse(key) as Record<string, unknown>), runs: list.length };
    merged.seeds = list.map((r) => r.seed).filter((s) => typeof s === 'number');
    const first = list[0]!;
    for (const [k, v] of Object.entries(first)) {
      if (PER_RUN.has(k) || k in merged) continue;
      if (typeof v === 'number') merged[`mean_${k}`] = mean(list.map((r) => r[k] as number));
      else if (typeof v === 'boolean') merged[`share_${k}`] = list.filter((r) => r[k] === true).length / list.length;
      else if (Array.isArray(v) && v.every((x) => typeof x === 'number')) {
        const arrays = list.map((r) => r[k] as number[]);
        const length = Math.max(...arrays.map((a) => a.length));
        merged[`mean_${k}`] = Array.from({ length }, (_, i) => mean(arrays.map((a) => a[i] ?? 0)));
      }
    }
    const events = list.reduce((s, r) => s + (typeof r.events === 'number' ? r.events : 0), 0);
    const wall = list.reduce((s, r) => s + (typeof r.wall_s === 'number' ? r.wall_s : 0), 0);
    Object.assign(merged, runCost({ events, wall_s: wall }));
    out.push(merged);
  }
  return out;
}

function mean(values: readonly number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}
