/**
 * The scripted race of 2025-10-20 on a virtual clock, for the CLI (`failsmall plan race`) and the
 * replay: one enactor delayed while the planner moves on, a second one racing through a much newer
 * plan and cleaning up.
 */
import { VirtualClock } from '../../core/clock.js';
import { seededRandom } from '../../core/random.js';
import { timedPolicy } from '../../plan/scheduler.js';
import type { PlanStore } from '../../plan/store.js';
import type { DnsProvider, WeightedAddress } from '../../plan/types.js';
import type { RaceLine } from './trace.js';
import { runWorld, type RaceMode, type ScheduleOutcome } from './world.js';

/** The timing of {@link runRace}, in virtual milliseconds. */
export interface RaceTiming {
  /** The planner publishes a new generation this often, default 1 s. */
  readonly planIntervalMs?: number;
  /** When enactor-1 first looks for work, default 1.1 s (it picks up generation 2). */
  readonly firstStartMs?: number;
  /** The unusual delay of enactor-1's first apply, default 4.3 s (it lands at 5.4 s). */
  readonly slowApplyMs?: number;
  /** When enactor-2 first looks for work, default 5.05 s (generation 6 is out). */
  readonly secondStartMs?: number;
  /** When enactor-3 first looks for work, default 7.05 s. */
  readonly thirdStartMs?: number;
  /** An ordinary step (a read or a write), default 10 ms. */
  readonly stepMs?: number;
  /** Clean-up's scan of old plans before it deletes, default 500 ms (hundreds of thousands of records). */
  readonly scanMs?: number;
  /** An idle enactor looks again after this long, default 1 s. */
  readonly pollMs?: number;
  /** Up to this much seeded jitter on ordinary steps, default 5 ms. */
  readonly jitterMs?: number;
}

/** Options of {@link runRace}. */
export interface RaceOptions {
  readonly mode: RaceMode;
  /** Seeds the weights and the jitter, default 1. */
  readonly seed?: number;
  /** Where the plans are enacted: the fault DNS server (HTTP) or a `MemoryDnsProvider`. The zone must exist. */
  readonly provider: DnsProvider;
  /** Default a fresh `MemoryPlanStore`. */
  readonly store?: PlanStore;
  /** Default a fresh {@link VirtualClock} at 0. */
  readonly clock?: VirtualClock;
  /** Default `example.com`. */
  readonly zone?: string;
  /** Default `dynamodb.us-east-1.<zone>`. */
  readonly name?: string;
  /** TTL of the records in seconds, default 5. */
  readonly ttl?: number;
  /** The endpoint's load balancers, default `192.0.2.10`, `.11`, `.12`. */
  readonly addresses?: readonly string[];
  /** Plans after generation 1, default 7 (generations 2..8). */
  readonly generations?: number;
  /** K of clean-up, default 2. */
  readonly keep?: number;
  /** Default `noerror` (an empty answer); `nxdomain` deletes the record set. */
  readonly removal?: 'noerror' | 'nxdomain';
  readonly timing?: RaceTiming;
  /** Each line of the interleaving as it happens. */
  readonly onLine?: (line: RaceLine) => void;
}

/**
 * The race of 2025-10-20, scripted on a virtual clock: the planner publishes a generation every second;
 * enactor-1 picks up generation 2 and is then unusually delayed; enactor-2 arrives when generation 6 is
 * out, applies it and starts its clean-up scan; enactor-1's old plan lands in that window; clean-up
 * deletes the plans older than 6 − K, the now-active one included; enactor-3 arrives later with
 * generation 8. In `legacy` mode the record set ends empty and every later plan fails (stuck); in
 * `safe` mode enactor-1 drops its stale plan and generation 8 is served. Deterministic for a seed.
 *
 * @example
 * const provider = new MemoryDnsProvider({ zones: [{ name: 'example.com' }] });
 * const result = await runRace({ mode: 'legacy', provider });
 * result.emptied; // true
 */
export async function runRace(options: RaceOptions): Promise<ScheduleOutcome & { seed: number }> {
  const seed = options.seed ?? 1;
  const random = seededRandom(seed);
  const t = options.timing ?? {};
  const planIntervalMs = t.planIntervalMs ?? 1_000;
  const stepMs = t.stepMs ?? 10;
  const jitterMs = t.jitterMs ?? 5;
  const starts = [t.firstStartMs ?? 1_100, t.secondStartMs ?? 5_050, t.thirdStartMs ?? 7_050];
  const slowApplyMs = t.slowApplyMs ?? 4_300;
  const scanMs = t.scanMs ?? 500;
  const pollMs = t.pollMs ?? 1_000;
  const addresses = options.addresses ?? ['192.0.2.10', '192.0.2.11', '192.0.2.12'];
  const weights = (): WeightedAddress[] =>
    addresses.map((address) => ({ address, weight: 10 + Math.floor(random.next() * 90) }));
  const initial = weights();
  const plans = Array.from({ length: options.generations ?? 7 }, weights);
  const started = new Set<string>();
  let slowDone = false;
  const clock = options.clock ?? new VirtualClock(0);
  const origin = clock.now();
  const policy = timedPolicy((now, actor) => {
    const jitter = Math.floor(random.next() * (jitterMs + 1));
    if (actor.name === 'planner') return planIntervalMs;
    const index = Number(actor.name.slice('enactor-'.length)) - 1;
    if (actor.label === 'pickup' && !started.has(actor.name)) {
      started.add(actor.name);
      return Math.max(0, origin + (starts[index] ?? 0) - now);
    }
    if (actor.name === 'enactor-1' && actor.label === 'apply' && !slowDone) {
      slowDone = true;
      return slowApplyMs;
    }
    // An enactor looks for work again a poll interval after its last round (busy with other endpoints).
    if (actor.label === 'pickup') return pollMs;
    if (actor.label === 'idle') return 0;
    if (actor.label === 'delete') return scanMs;
    return stepMs + jitter;
  });
  const outcome = await runWorld({
    mode: options.mode,
    provider: options.provider,
    ...(options.store === undefined ? {} : { store: options.store }),
    clock,
    ...(options.zone === undefined ? {} : { zone: options.zone }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.ttl === undefined ? {} : { ttl: options.ttl }),
    initial,
    plans,
    probeRecords: plans.at(-1) ?? initial,
    keep: options.keep ?? 2,
    ...(options.removal === undefined ? {} : { removal: options.removal }),
    policy,
    trace: true,
    ...(options.onLine === undefined ? {} : { onLine: options.onLine }),
  });
  return { ...outcome, seed };
}
