/**
 * Metrics over time: the replay's outcomes and samples folded into buckets of scenario time, per
 * client group (success rate, p50/p99 latency, attempts per logical request) and for the region
 * (DNS queries per second, table service load, addresses in the record), plus the summary the replay
 * prints: success during the empty window, peak amplification, time to full recovery after the
 * restore. Pure functions of their input: the replay gathers, this computes.
 */
import type { Outcome } from './load.js';
import { nearestRank } from '../core/quantile.js';
import { phaseAt, phaseOf } from './scenario.js';
import type { Scenario } from './scenario.js';

/** One reading of the region's counters, taken periodically while the replay runs. */
export interface Sample {
  /** When, in scenario seconds. */
  readonly atS: number;
  /** DNS queries the fault DNS server answered so far, all names (cumulative). */
  readonly dnsQueries: number;
  /** DNS queries so far per client group (cumulative), when the replay can tell them apart. */
  readonly dnsByGroup?: Readonly<Record<string, number>>;
  /** Table service counters summed over its nodes. */
  readonly table: {
    /** HTTP requests received so far (cumulative). */
    readonly requests: number;
    /** Requests answered with an overload error so far (cumulative). */
    readonly rejected: number;
    /** Requests in service now. */
    readonly inService: number;
    /** Requests queued now. */
    readonly queued: number;
  };
  /** Addresses the endpoint's record held (legacy run), when read. */
  readonly recordAddresses?: number;
  /** Addresses the twin record held (safe run), when read. */
  readonly safeRecordAddresses?: number;
}

/** Per-bucket series of one client group; `null` where the bucket had no request. */
export interface GroupSeries {
  readonly requests: number[];
  /** Share of logical requests that succeeded, 0..1. */
  readonly success: (number | null)[];
  /** Latency percentiles of every logical request (failures included), real milliseconds. */
  readonly p50Ms: (number | null)[];
  readonly p99Ms: (number | null)[];
  /** HTTP attempts per logical request. */
  readonly amplification: (number | null)[];
  /** DNS queries per real second from this group, when known. */
  readonly dnsQps: (number | null)[];
}

/** The run folded into buckets. */
export interface Timeline {
  /** Bucket width, scenario seconds. */
  readonly bucketS: number;
  /** Scenario seconds per real second. */
  readonly speed: number;
  /** Bucket starts, scenario seconds. */
  readonly t: number[];
  /** The phase each bucket starts in. */
  readonly phase: string[];
  readonly groups: Record<string, GroupSeries>;
  /** DNS queries per real second, all groups. */
  readonly dnsQps: (number | null)[];
  readonly table: {
    /** HTTP requests per real second. */
    readonly rps: (number | null)[];
    /** Overload answers per real second. */
    readonly rejectedPerS: (number | null)[];
    /** Most requests in service seen in the bucket. */
    readonly inService: (number | null)[];
    /** Longest queue seen in the bucket. */
    readonly queued: (number | null)[];
  };
  /** Fewest addresses the record held in the bucket (legacy run, the one clients resolve). */
  readonly recordAddresses: (number | null)[];
  /** Fewest addresses the twin record held in the bucket (safe run). */
  readonly safeRecordAddresses: (number | null)[];
}

/** The summary of one group (snake_case: it is the replay's JSON output). */
export interface GroupSummary {
  /** Logical requests issued. */
  readonly requests: number;
  /** Share that succeeded over the whole run, 0..1. */
  readonly success: number;
  /** Logical requests issued while the record was empty. */
  readonly requests_during_empty: number;
  /** Share of those that succeeded, 0..1 (1 when there were none). */
  readonly success_during_empty: number;
  /** Same, reads only. */
  readonly read_success_during_empty: number;
  /** Highest attempts per logical request over the buckets with at least {@link minBucketRequests} requests. */
  readonly peak_amplification: number;
  /** Attempts per logical request over the whole run. */
  readonly amplification: number;
  /**
   * Scenario seconds from the restore to full recovery: the last failure before success stays at or
   * above {@link recoveredSuccess} in every later bucket; 0 when nothing failed after the restore,
   * `null` when it never recovered within the run.
   */
  readonly recovery_s: number | null;
  /** Latency percentiles over the run, real milliseconds. */
  readonly p50_ms: number;
  readonly p99_ms: number;
  /** Failed logical requests by error class. */
  readonly errors: Record<string, number>;
}

/** Inputs of {@link buildTimeline} and {@link summarize}. */
export interface TimelineInput {
  readonly scenario: Scenario;
  readonly outcomes: readonly Outcome[];
  readonly samples: readonly Sample[];
  /** The groups, in display order; default: as they appear in `outcomes`. */
  readonly groups?: readonly string[];
  /** When the record was seen empty, scenario seconds; default the `empty` phase start. */
  readonly emptiedAtS?: number;
  /** When the record was restored, scenario seconds; default the `restore` phase start. */
  readonly restoredAtS?: number;
}

/** Buckets with fewer requests are too noisy to set the peak amplification. */
export const minBucketRequests = 10;
/** The success rate a bucket must reach to count as recovered. */
export const recoveredSuccess = 0.99;

/** Nearest-rank percentile of sorted values; `null` when empty. */
export function percentile(sorted: readonly number[], p: number): number | null {
  return nearestRank(sorted, p / 100) ?? null;
}

function groupsOf(input: TimelineInput): string[] {
  if (input.groups !== undefined) return [...input.groups];
  const seen: string[] = [];
  for (const o of input.outcomes) if (!seen.includes(o.group)) seen.push(o.group);
  return seen;
}

/** The empty window `[from, to)` in scenario seconds. */
export function emptyWindow(input: Pick<TimelineInput, 'scenario' | 'emptiedAtS' | 'restoredAtS'>): {
  fromS: number;
  toS: number;
} {
  const toS = input.restoredAtS ?? phaseOf(input.scenario, 'restore').startS;
  const fromS = Math.min(input.emptiedAtS ?? phaseOf(input.scenario, 'empty').startS, toS);
  return { fromS, toS };
}

/** Interpolates a cumulative counter at `t` from samples sorted by time. */
function cumulativeAt(
  samples: readonly Sample[],
  t: number,
  read: (s: Sample) => number | undefined,
): number | undefined {
  let before: Sample | undefined;
  let after: Sample | undefined;
  for (const s of samples) {
    if (read(s) === undefined) continue;
    if (s.atS <= t) before = s;
    else {
      after = s;
      break;
    }
  }
  if (before === undefined) return after === undefined ? undefined : 0;
  if (after === undefined) return read(before)!;
  const a = read(before)!;
  const b = read(after)!;
  return a + ((b - a) * (t - before.atS)) / (after.atS - before.atS);
}

/** Folds outcomes and samples into buckets of `scenario.bucketS`. */
export function buildTimeline(input: TimelineInput): Timeline {
  const { scenario } = input;
  const bucketS = scenario.bucketS;
  const n = Math.max(1, Math.ceil(scenario.totalS / bucketS));
  const t = Array.from({ length: n }, (_, i) => i * bucketS);
  const index = (s: number): number => Math.min(n - 1, Math.max(0, Math.floor(s / bucketS)));
  const realSeconds = (i: number): number => (Math.min(bucketS, scenario.totalS - t[i]!) || bucketS) / scenario.speed;
  const samples = [...input.samples].sort((a, b) => a.atS - b.atS);

  const rate = (read: (s: Sample) => number | undefined): (number | null)[] =>
    t.map((start, i) => {
      const a = cumulativeAt(samples, start, read);
      const b = cumulativeAt(samples, Math.min(start + bucketS, scenario.totalS), read);
      if (a === undefined || b === undefined) return null;
      const lastSample = samples[samples.length - 1]?.atS ?? -Infinity;
      if (start > lastSample) return null;
      return Math.max(0, b - a) / realSeconds(i);
    });
  const peak = (read: (s: Sample) => number | undefined, pick: (a: number, b: number) => number): (number | null)[] => {
    const out: (number | null)[] = t.map(() => null);
    for (const s of samples) {
      const v = read(s);
      if (v === undefined) continue;
      const i = index(s.atS);
      out[i] = out[i] === null ? v : pick(out[i]!, v);
    }
    return out;
  };

  const groups: Record<string, GroupSeries> = {};
  for (const group of groupsOf(input)) {
    const latencies: number[][] = t.map(() => []);
    const ok = t.map(() => 0);
    const attempts = t.map(() => 0);
    for (const o of input.outcomes) {
      if (o.group !== group) continue;
      const i = index(o.startS);
      latencies[i]!.push(o.latencyMs);
      if (o.ok) ok[i]!++;
      attempts[i]! += o.attempts;
    }
    const requests = latencies.map((l) => l.length);
    const sorted = latencies.map((l) => l.sort((a, b) => a - b));
    groups[group] = {
      requests,
      success: requests.map((r, i) => (r === 0 ? null : ok[i]! / r)),
      p50Ms: sorted.map((l) => percentile(l, 50)),
      p99Ms: sorted.map((l) => percentile(l, 99)),
      amplification: requests.map((r, i) => (r === 0 ? null : attempts[i]! / r)),
      dnsQps: samples.some((s) => s.dnsByGroup?.[group] !== undefined)
        ? rate((s) => s.dnsByGroup?.[group])
        : t.map(() => null),
    };
  }

  return {
    bucketS,
    speed: scenario.speed,
    t,
    phase: t.map((s) => phaseAt(scenario, s).kind),
    groups,
    dnsQps: rate((s) => s.dnsQueries),
    table: {
      rps: rate((s) => s.table.requests),
      rejectedPerS: rate((s) => s.table.rejected),
      inService: peak((s) => s.table.inService, Math.max),
      queued: peak((s) => s.table.queued, Math.max),
    },
    recordAddresses: peak((s) => s.recordAddresses, Math.min),
    safeRecordAddresses: peak((s) => s.safeRecordAddresses, Math.min),
  };
}

/** The summary of each group: success during the empty window, peak amplification, recovery. */
export function summarize(input: TimelineInput): Record<string, GroupSummary> {
  const { scenario } = input;
  const { fromS, toS } = emptyWindow(input);
  const bucketS = scenario.bucketS;
  const out: Record<string, GroupSummary> = {};
  for (const group of groupsOf(input)) {
    const mine = input.outcomes.filter((o) => o.group === group);
    const during = mine.filter((o) => o.startS >= fromS && o.startS < toS);
    const reads = during.filter((o) => o.kind === 'read');
    const share = (list: readonly Outcome[]): number =>
      list.length === 0 ? 1 : list.filter((o) => o.ok).length / list.length;
    const errors: Record<string, number> = {};
    let attempts = 0;
    for (const o of mine) {
      attempts += o.attempts;
      if (!o.ok) errors[o.error ?? 'error'] = (errors[o.error ?? 'error'] ?? 0) + 1;
    }

    // Peak amplification over buckets of the run's own grid.
    const perBucket = new Map<number, { requests: number; attempts: number }>();
    for (const o of mine) {
      const b = Math.floor(o.startS / bucketS);
      const cell = perBucket.get(b) ?? { requests: 0, attempts: 0 };
      cell.requests++;
      cell.attempts += o.attempts;
      perBucket.set(b, cell);
    }
    const cells = [...perBucket.values()];
    const dense = cells.filter((c) => c.requests >= minBucketRequests);
    const peakAmplification = Math.max(0, ...(dense.length > 0 ? dense : cells).map((c) => c.attempts / c.requests));

    const latencies = mine.map((o) => o.latencyMs).sort((a, b) => a - b);
    out[group] = {
      requests: mine.length,
      success: share(mine),
      requests_during_empty: during.length,
      success_during_empty: share(during),
      read_success_during_empty: share(reads),
      peak_amplification: round(peakAmplification, 3),
      amplification: round(mine.length === 0 ? 0 : attempts / mine.length, 3),
      recovery_s: recovery(mine, toS, bucketS),
      p50_ms: round(percentile(latencies, 50) ?? 0, 1),
      p99_ms: round(percentile(latencies, 99) ?? 0, 1),
      errors,
    };
  }
  return out;
}

/**
 * Scenario seconds from `restoreS` to full recovery. Buckets aligned on the restore; the first bucket
 * k from which every later bucket with requests reaches {@link recoveredSuccess}; the recovery time is
 * then the issue time of the last failure before bucket k (0 if none). `null` if no such k.
 */
export function recovery(outcomes: readonly Outcome[], restoreS: number, bucketS: number): number | null {
  const after = outcomes.filter((o) => o.startS >= restoreS);
  if (after.length === 0) return null;
  const buckets = new Map<number, { n: number; ok: number }>();
  let last = 0;
  for (const o of after) {
    const k = Math.floor((o.startS - restoreS) / bucketS);
    last = Math.max(last, k);
    const b = buckets.get(k) ?? { n: 0, ok: 0 };
    b.n++;
    if (o.ok) b.ok++;
    buckets.set(k, b);
  }
  let from = last + 1; // the first bucket of the recovered tail
  for (let k = last; k >= 0; k--) {
    const b = buckets.get(k);
    if (b !== undefined && b.ok / b.n < recoveredSuccess) break;
    from = k;
  }
  if (from > last) return null;
  let lastFailure: number | undefined;
  for (const o of after) {
    if (!o.ok && o.startS < restoreS + from * bucketS) lastFailure = Math.max(lastFailure ?? -Infinity, o.startS);
  }
  return lastFailure === undefined ? 0 : round(lastFailure - restoreS, 1);
}

function round(x: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
