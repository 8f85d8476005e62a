/**
 * Explored schedules of the race model: planner + 3 enactors on an in-memory provider and store, with
 * crashes and restarts, the interleaving picked by a list of choices (what the property tests and the
 * `plan-race` benchmark draw with fast-check).
 */
import { seededRandom, type Random } from '../../core/random.js';
import { MemoryDnsProvider } from '../../plan/memory-provider.js';
import { choicePolicy } from '../../plan/scheduler.js';
import type { WeightedAddress } from '../../plan/types.js';
import { runWorld, type RaceMode, type ScheduleOutcome } from './world.js';

/** Options of {@link runSchedule}. */
export interface ScheduleOptions {
  readonly mode: RaceMode;
  /** The schedule: each number picks a role (`n % 4`: planner, enactor-1..3), `n >= 36` crashes it. */
  readonly choices: readonly number[];
  /** Seeds the plans' contents. */
  readonly seed: number;
  /** How many plans the planner publishes after generation 1, default 5. */
  readonly plans?: number;
  /** K of clean-up, default 1. */
  readonly keep?: number;
  /** Let the planner publish dangerous plans (empty, or most capacity removed), default false. */
  readonly badPlans?: boolean;
  /** At most this many crashes, default 2. */
  readonly maxCrashes?: number;
  /** Record the interleaving, default false. */
  readonly trace?: boolean;
}

/** The roles of an explored schedule: `choices[i] % ROLES` picks one. */
export const ROLES = 4;
/** Choices at or above this crash the role they pick (one in ten of `0..39`). */
export const CRASH_ABOVE = 36;
/** The range fast-check draws choices from: `0..CHOICE_MAX`. */
export const CHOICE_MAX = 39;

const POOL = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];

/** The planner's record sets for a seed: healthy ones, and with `bad`, some empty or drastic ones. */
export function planContents(random: Random, count: number, bad: boolean): WeightedAddress[][] {
  const out: WeightedAddress[][] = [];
  for (let i = 0; i < count; i++) {
    const r = random.next();
    if (bad && r < 0.1) {
      out.push([]);
    } else if (bad && r < 0.2) {
      out.push([{ address: POOL[Math.floor(random.next() * POOL.length)]!, weight: 1 }]);
    } else {
      const records = POOL.filter(() => random.next() < 0.75).map((address) => ({
        address,
        weight: 1 + Math.floor(random.next() * 100),
      }));
      out.push(records.length > 0 ? records : [{ address: POOL[0]!, weight: 50 }]);
    }
  }
  return out;
}

/**
 * Runs one schedule of the model (in-memory provider and store, planner + 3 enactors, clean-up,
 * crashes and restarts) and reports the invariants. Deterministic: the same options give the same
 * outcome.
 *
 * @example
 * const outcome = await runSchedule({ mode: 'legacy', seed: 1, choices: [1, 0, 0, 0, 0, 2, 1, 1, 2, 2] });
 * outcome.emptied; // whether this interleaving emptied the record set
 */
export async function runSchedule(options: ScheduleOptions): Promise<ScheduleOutcome> {
  const random = seededRandom(options.seed);
  const zone = 'example.com';
  const provider = new MemoryDnsProvider({ zones: [{ name: zone }] });
  const initial = POOL.map((address) => ({ address, weight: 50 }));
  return runWorld({
    mode: options.mode,
    provider,
    zone,
    initial,
    plans: planContents(random, options.plans ?? 5, options.badPlans === true),
    keep: options.keep ?? 1,
    crashable: true,
    trace: options.trace === true,
    policy: choicePolicy(options.choices, {
      roles: ROLES,
      crashAbove: CRASH_ABOVE,
      maxCrashes: options.maxCrashes ?? 2,
    }),
  });
}
