/**
 * The race of 2025-10-20 as a program: a planner, N enactors and their clean-ups run under the
 * deterministic {@link Scheduler} against any {@link DnsProvider}, while a monitor watches what the
 * provider serves after every step. Two entry points share it:
 *
 * - {@link runRace}: the scripted race (one enactor delayed while the planner moves on, a second one
 *   racing through a much newer plan and cleaning up), on a virtual clock, for the CLI and the lab;
 * - {@link runSchedule}: any schedule from a list of choices (what the property tests and the
 *   `plan-race` benchmark explore with fast-check), with crashes and restarts.
 *
 * Both report whether the record set was ever emptied, whether it ever moved to an older generation,
 * and whether the system ended stuck (a fresh plan, forced past the guards, can no longer be applied).
 */
import { VirtualClock } from '../core/clock.js';
import type { Random } from '../core/random.js';
import { seededRandom } from '../core/random.js';
import type { JournalInput, PlanStore } from '../core/store.js';
import { nonNegativeInteger, oneOf, positiveInteger } from '../core/validate.js';
import { Enactor } from './enactor.js';
import { MemoryDnsProvider } from './memory-provider.js';
import { MemoryPlanStore } from './memory-store.js';
import { capacity, readAddresses, readFence, sameAddresses, targetOf } from './plan-body.js';
import { Planner } from './planner.js';
import { choicePolicy, Scheduler, timedPolicy, type SchedulePolicy, type ScheduleStep } from './scheduler.js';
import type { DnsProvider, EnactMode, PlanBody, WeightedAddress } from './types.js';

/** A broken invariant, with the moment it was seen. */
export interface Violation {
  readonly kind: 'emptied' | 'older-generation' | 'inconsistent' | 'stuck' | 'actor-error';
  /** Clock milliseconds. */
  readonly at: number;
  /** The scheduler step after which it was seen (0: at the end). */
  readonly step: number;
  readonly detail: string;
}

/** One line of the interleaving, for people. */
export interface RaceLine {
  readonly at: number;
  readonly actor: string;
  readonly text: string;
}

/** The outcome of a schedule. */
export interface ScheduleOutcome {
  readonly mode: EnactMode;
  readonly target: string;
  /** Scheduler steps taken (policy and drain). */
  readonly steps: number;
  /** Steps chosen by the policy (before the drain phase). */
  readonly explored: number;
  readonly crashes: number;
  /** The record set was empty or gone at some point (every address removed). */
  readonly emptied: boolean;
  /** The provider's generation went backwards at some point. */
  readonly olderGeneration: boolean;
  /** At the end, a fresh plan (forced past the guards) could not be applied. */
  readonly stuck: boolean;
  readonly violations: readonly Violation[];
  /** What the provider holds at the end (after the stuck probe): generation and addresses. */
  readonly final: { readonly generation: number; readonly addresses: readonly WeightedAddress[] | null };
  /** The newest generation the planner published (the probe's included). */
  readonly latestGeneration: number;
  /** The interleaving (only when `trace` was asked for). */
  readonly lines: readonly RaceLine[];
  /** Every journaled decision (only when `trace` was asked for). */
  readonly decisions: readonly JournalInput[];
}

/** What every schedule needs. */
export interface WorldOptions {
  readonly mode: EnactMode;
  readonly provider: DnsProvider;
  readonly policy: SchedulePolicy;
  /** Default a fresh {@link MemoryPlanStore}. */
  readonly store?: PlanStore;
  /** Default a fresh {@link VirtualClock} at 0. */
  readonly clock?: VirtualClock;
  /** The zone (it must exist in the provider), default `example.com`. */
  readonly zone?: string;
  /** The endpoint, default `dynamodb.us-east-1.example.com`. */
  readonly name?: string;
  /** TTL of the records in seconds, default 5. */
  readonly ttl?: number;
  /** Generation 1, applied before the schedule starts. */
  readonly initial: readonly WeightedAddress[];
  /** The record sets the planner publishes, in order (generations 2, 3 …). */
  readonly plans: readonly (readonly WeightedAddress[])[];
  /** How many enactors, default 3. */
  readonly enactors?: number;
  /** K of clean-up, default 2. */
  readonly keep?: number;
  /** Default 0.5. */
  readonly maxRemovedShare?: number;
  /** Default 3. */
  readonly maxAttempts?: number;
  /** Default `noerror`. */
  readonly removal?: 'noerror' | 'nxdomain';
  /** Enactors may be crashed (and restarted) by the policy, default false. */
  readonly crashable?: boolean;
  /** What the stuck probe publishes at the end (forced past the guards), default `initial`. */
  readonly probeRecords?: readonly WeightedAddress[];
  /** Record the interleaving and decisions, default false (the explorer runs without). */
  readonly trace?: boolean;
  /** Stop with `FS_ERR_PLAN_SCHEDULE_LIMIT` past this many steps, default 20,000. */
  readonly maxSteps?: number;
  /** Each line of the interleaving as it happens (implies `trace`). */
  readonly onLine?: (line: RaceLine) => void;
}

/** The steps the interleaving shows (pickup and idle polls are left out). */
const shownSteps = new Map([
  ['apply', 'apply: write the plan to DNS'],
  ['commit', 'commit: set the active pointer'],
  ['cleanup', 'clean-up: scan for old plans'],
  ['delete', 'clean-up: delete old plans'],
]);

const describeAddresses = (records: readonly WeightedAddress[] | undefined): string =>
  records === undefined
    ? 'GONE (NXDOMAIN)'
    : capacity(records) === 0
      ? 'EMPTY (no address)'
      : records.map((r) => `${r.address}/${r.weight}`).join(' ');

/** A journal entry as one line: `deleted generations 1, 2, 3 (cleanup after 6)`. */
export function describeDecision(e: JournalInput): string {
  const details = (e.details ?? {}) as Record<string, unknown>;
  if (e.decision === 'deleted' && Array.isArray(details.generations)) {
    return `deleted plans ${details.generations.join(', ')} (${e.reason} after applying ${e.generation})`;
  }
  if (e.reason === 'cleanup-deleted-active') {
    return `deleted the ACTIVE plan ${e.generation} and its records (${String(details.removal)})`;
  }
  const extra = Object.entries(details)
    .filter(([k]) => k !== 'error')
    .map(([k, v]) => `${k} ${typeof v === 'number' && k === 'share' ? `${Math.round(v * 100)} %` : JSON.stringify(v)}`)
    .join(', ');
  return `${e.decision} generation ${e.generation}: ${e.reason}${extra === '' ? '' : ` (${extra})`}`;
}

/**
 * Runs one schedule of the planner and the enactors in `options.mode` under `options.policy` and checks
 * the invariants after every step. Never throws for a broken invariant: it reports it.
 */
export async function runWorld(options: WorldOptions): Promise<ScheduleOutcome> {
  const mode = oneOf('mode', options.mode, ['legacy', 'safe']);
  const clock = options.clock ?? new VirtualClock(0);
  const store = options.store ?? new MemoryPlanStore({ copy: false });
  const provider = options.provider;
  const zone = options.zone ?? 'example.com';
  const name = options.name ?? `dynamodb.us-east-1.${zone}`;
  const ttl = options.ttl ?? 5;
  const enactorCount = positiveInteger('enactors', options.enactors ?? 3);
  const keep = nonNegativeInteger('keep', options.keep ?? 2);
  const trace = options.trace === true || options.onLine !== undefined;
  const bodyOf = (records: readonly WeightedAddress[], force = false): PlanBody =>
    force ? { zone, name, type: 'A', ttl, records, force: true } : { zone, name, type: 'A', ttl, records };
  const target = targetOf({ name, type: 'A' });
  const key = { zone, name, type: 'A' as const };

  const lines: RaceLine[] = [];
  const decisions: JournalInput[] = [];
  const line = (at: number, actor: string, text: string): void => {
    if (!trace) return;
    const l = { at, actor, text };
    lines.push(l);
    options.onLine?.(l);
  };

  const planner = new Planner({ store, clock, journal: trace });
  const shadow = new Map<number, readonly WeightedAddress[]>();
  let latestGeneration = 0;
  planner.published.on((plan) => {
    shadow.set(plan.generation, plan.body.records);
    latestGeneration = plan.generation;
    if (trace)
      line(
        clock.now(),
        'planner',
        `published generation ${plan.generation}${plan.body.force === true ? ' (forced)' : ''}: ${describeAddresses(plan.body.records)}`,
      );
  });
  const enactorOptions = {
    mode,
    store,
    provider,
    clock,
    targets: [target],
    keep,
    ...(options.maxRemovedShare === undefined ? {} : { maxRemovedShare: options.maxRemovedShare }),
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
    ...(options.removal === undefined ? {} : { removal: options.removal }),
  };
  const watch = (enactor: Enactor): Enactor => {
    if (!trace) return enactor;
    enactor.events.on((event) => {
      if (event.type === 'decision') {
        decisions.push(event.entry);
        line(event.entry.at, event.entry.actor, describeDecision(event.entry));
      } else {
        line(
          event.at,
          event.actor,
          `ESCALATION generation ${event.generation}: ${event.reason} (${Math.round(event.share * 100)} % of capacity)`,
        );
      }
    });
    return enactor;
  };

  // Generation 1, applied before the race starts.
  await planner.publish(bodyOf(options.initial));
  await watch(new Enactor({ ...enactorOptions, name: 'setup' })).enactTarget(target);

  // The monitor: after every step that changed the zone, check what the provider serves.
  const violations: Violation[] = [];
  let emptied = false;
  let older = false;
  let maxFence = 0;
  let lastVersion = -1;
  let stepNo = 0;
  const memory = provider instanceof MemoryDnsProvider ? provider : undefined;
  const observe = async (at: number, step: number): Promise<void> => {
    if (memory !== undefined && memory.versionOf(zone) === lastVersion) return;
    const snapshot = await provider.readZone(zone);
    if (snapshot.version === lastVersion) return;
    lastVersion = snapshot.version;
    const addresses = readAddresses(snapshot.records, key);
    const fence = readFence(snapshot.records, key);
    line(
      at,
      'dns',
      `zone version ${snapshot.version}: ${name} = ${describeAddresses(addresses)} (generation ${fence})`,
    );
    if (addresses === undefined || capacity(addresses) === 0) {
      if (!emptied) {
        violations.push({
          kind: 'emptied',
          at,
          step,
          detail: `${name} has no address (${describeAddresses(addresses)})`,
        });
      }
      emptied = true;
    } else if (shadow.has(fence) && !sameAddresses(addresses, shadow.get(fence))) {
      violations.push({ kind: 'inconsistent', at, step, detail: `records differ from generation ${fence}` });
    }
    if (fence < maxFence) {
      if (!older) violations.push({ kind: 'older-generation', at, step, detail: `generation ${maxFence} → ${fence}` });
      older = true;
    }
    maxFence = Math.max(maxFence, fence);
  };
  await observe(clock.now(), 0);

  let plannerDone = false;
  const scheduler = new Scheduler({
    clock,
    policy: options.policy,
    maxSteps: options.maxSteps ?? 20_000,
    ...(trace
      ? {
          beforeStep: (step: ScheduleStep) => {
            if (step.action === 'crash')
              line(step.at, step.actor, `CRASHED before ${step.label} (restarts from scratch)`);
            else if (shownSteps.has(step.label)) {
              const g = step.info.generation === undefined ? '' : ` (holding generation ${step.info.generation})`;
              line(step.at, step.actor, `> ${shownSteps.get(step.label)!}${g}`);
            }
          },
        }
      : {}),
    afterStep: (step: ScheduleStep) => {
      stepNo++;
      return observe(step.at, stepNo);
    },
  });
  scheduler.spawn('planner', async (gate) => {
    for (const records of options.plans) {
      await gate('plan', { target });
      await planner.publish(bodyOf(records));
    }
    plannerDone = true;
  });
  for (let i = 1; i <= enactorCount; i++) {
    scheduler.spawn(
      `enactor-${i}`,
      async (gate, incarnation) => {
        const enactor = watch(
          new Enactor({
            ...enactorOptions,
            name: incarnation === 1 ? `enactor-${i}` : `enactor-${i}#${incarnation}`,
            gate,
          }),
        );
        for (;;) {
          const done = plannerDone;
          const outcomes = await enactor.runOnce();
          if (outcomes.every((o) => o.outcome === 'idle')) {
            if (done) return;
            await gate('idle', { target });
          }
        }
      },
      { crashable: options.crashable === true },
    );
  }
  const result = await scheduler.run();
  for (const { actor, error } of result.errors) {
    violations.push({ kind: 'actor-error', at: clock.now(), step: stepNo, detail: `${actor}: ${String(error)}` });
  }

  // The stuck probe: can a fresh plan (the initial capacity, forced past the guards) still be applied?
  const probe = await planner.publish(bodyOf(options.probeRecords ?? options.initial, true));
  const prober = watch(new Enactor({ ...enactorOptions, name: 'probe' }));
  const probeOutcome = await prober.enactTarget(target).then(
    (o) => o.reason,
    (error: unknown) => String(error),
  );
  const after = await provider.readZone(zone);
  const finalAddresses = readAddresses(after.records, key);
  const finalFence = readFence(after.records, key);
  const stuck = !(finalFence === probe.generation && sameAddresses(finalAddresses, probe.body.records));
  if (stuck) {
    violations.push({
      kind: 'stuck',
      at: clock.now(),
      step: 0,
      detail: `a fresh plan (generation ${probe.generation}) could not be applied: ${probeOutcome}`,
    });
  }
  line(
    clock.now(),
    'dns',
    `after the probe: ${name} = ${describeAddresses(finalAddresses)} (generation ${finalFence})`,
  );
  return {
    mode,
    target,
    steps: result.steps,
    explored: result.explored,
    crashes: result.crashes,
    emptied,
    olderGeneration: older,
    stuck,
    violations,
    final: { generation: finalFence, addresses: finalAddresses ?? null },
    latestGeneration,
    lines,
    decisions,
  };
}

// ---------------------------------------------------------------------------------- exploration

/** Options of {@link runSchedule}. */
export interface ScheduleOptions {
  readonly mode: EnactMode;
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

// ---------------------------------------------------------------------------------- the scripted race

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
  readonly mode: EnactMode;
  /** Seeds the weights and the jitter, default 1. */
  readonly seed?: number;
  /** Where the plans are enacted: the fault DNS server (HTTP) or a {@link MemoryDnsProvider}. The zone must exist. */
  readonly provider: DnsProvider;
  /** Default a fresh {@link MemoryPlanStore}. */
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
