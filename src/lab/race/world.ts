/**
 * The race of 2025-10-20 as a program: a planner, N enactors and their clean-ups run under the
 * deterministic {@link Scheduler} against any {@link DnsProvider}, while the {@link InvariantMonitor}
 * watches what the provider serves after every step and the {@link probeStuck} probe checks at the end
 * that a fresh plan can still be applied. The enactors are the 2025-10-20 {@link LegacyEnactor}
 * (`legacy`) or the production, fenced {@link Enactor} of `failsmall/plan` (`safe`).
 *
 * Two entry points drive it: `runRace` (the scripted race) and `runSchedule` (any schedule from a list
 * of choices, what the property tests and the `plan-race` benchmark explore).
 */
import { VirtualClock } from '../../core/clock.js';
import { nonNegativeInteger, oneOf, positiveInteger } from '../../core/validate.js';
import { Enactor, type EnactOutcome, type Gate } from '../../plan/enactor.js';
import { MemoryPlanStore } from '../../plan/memory-store.js';
import { targetOf } from '../../plan/plan-body.js';
import { Planner } from '../../plan/planner.js';
import { Scheduler, type SchedulePolicy, type ScheduleStep } from '../../plan/scheduler.js';
import type { JournalInput, PlanStore } from '../../plan/store.js';
import type { DnsProvider, PlanBody, WeightedAddress } from '../../plan/types.js';
import { LegacyEnactor } from './legacy-enactor.js';
import { InvariantMonitor, type MonitoredEndpoint, type Violation } from './monitor.js';
import { probeStuck } from './stuck-probe.js';
import { describeAddresses, RaceTrace, type RaceLine } from './trace.js';

/** Which enactors race: `legacy` (the 2025-10-20 enactor) or `safe` (the production, fenced one). */
export type RaceMode = 'legacy' | 'safe';

/** The outcome of a schedule. */
export interface ScheduleOutcome {
  readonly mode: RaceMode;
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
  readonly mode: RaceMode;
  readonly provider: DnsProvider;
  readonly policy: SchedulePolicy;
  /** Default a fresh {@link MemoryPlanStore}. */
  readonly store?: PlanStore;
  /** Default a fresh {@link VirtualClock} at 0. */
  readonly clock?: VirtualClock;
  /** The zone (it must exist in the provider), default `example.com`. */
  readonly zone?: string;
  /** The endpoint, default `dynamodb.us-east-1.<zone>`. */
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
  /** Safe enactors' guard, default 0.5. */
  readonly maxRemovedShare?: number;
  /** Default 3. */
  readonly maxAttempts?: number;
  /** How legacy clean-up removes the active plan's records, default `noerror`. */
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

/** What the race's actors share: one endpoint, one store, one planner, one way to make an enactor. */
interface World {
  readonly mode: RaceMode;
  readonly clock: VirtualClock;
  readonly provider: DnsProvider;
  readonly endpoint: MonitoredEndpoint;
  readonly target: string;
  readonly planner: Planner;
  readonly trace: RaceTrace;
  /** The records of every generation published. */
  readonly published: Map<number, readonly WeightedAddress[]>;
  body(records: readonly WeightedAddress[]): PlanBody;
  /** An enactor of the world's mode, its decisions traced. */
  enactor(
    name: string,
    gate?: Gate,
  ): { runOnce(): Promise<EnactOutcome[]>; enactTarget(t: string): Promise<EnactOutcome> };
}

function setUp(options: WorldOptions): World {
  const mode = oneOf('mode', options.mode, ['legacy', 'safe']);
  const clock = options.clock ?? new VirtualClock(0);
  const store = options.store ?? new MemoryPlanStore({ copy: false });
  const provider = options.provider;
  const zone = options.zone ?? 'example.com';
  const name = options.name ?? `dynamodb.us-east-1.${zone}`;
  const ttl = options.ttl ?? 5;
  const keep = nonNegativeInteger('keep', options.keep ?? 2);
  const trace = new RaceTrace(options.trace === true, options.onLine);
  const endpoint: MonitoredEndpoint = { zone, name, type: 'A' };
  const planner = new Planner({ store, clock, journal: trace.enabled });
  const published = new Map<number, readonly WeightedAddress[]>();
  planner.published.on((plan) => {
    published.set(plan.generation, plan.body.records);
    const forced = plan.body.force === true ? ' (forced)' : '';
    trace.line(
      clock.now(),
      'planner',
      `published generation ${plan.generation}${forced}: ${describeAddresses(plan.body.records)}`,
    );
  });
  const common = {
    store,
    provider,
    clock,
    targets: [targetOf(endpoint)],
    keep,
    ...(options.maxAttempts === undefined ? {} : { maxAttempts: options.maxAttempts }),
  };
  return {
    mode,
    clock,
    provider,
    endpoint,
    target: targetOf(endpoint),
    planner,
    trace,
    published,
    body: (records) => ({ zone, name, type: 'A', ttl, records }),
    enactor: (enactorName, gate) => {
      const withGate = gate === undefined ? { ...common, name: enactorName } : { ...common, name: enactorName, gate };
      return trace.watch(
        mode === 'legacy'
          ? new LegacyEnactor({ ...withGate, ...(options.removal === undefined ? {} : { removal: options.removal }) })
          : new Enactor({
              ...withGate,
              ...(options.maxRemovedShare === undefined ? {} : { maxRemovedShare: options.maxRemovedShare }),
            }),
      );
    },
  };
}

/** Spawns the planner (publishing `plans` in order) and `count` enactors that poll until the planner is done. */
function spawnActors(world: World, scheduler: Scheduler, options: WorldOptions): void {
  let plannerDone = false;
  scheduler.spawn('planner', async (gate) => {
    for (const records of options.plans) {
      await gate('plan', { target: world.target });
      await world.planner.publish(world.body(records));
    }
    plannerDone = true;
  });
  const count = positiveInteger('enactors', options.enactors ?? 3);
  for (let i = 1; i <= count; i++) {
    scheduler.spawn(
      `enactor-${i}`,
      async (gate, incarnation) => {
        const enactor = world.enactor(incarnation === 1 ? `enactor-${i}` : `enactor-${i}#${incarnation}`, gate);
        for (;;) {
          const done = plannerDone;
          const outcomes = await enactor.runOnce();
          if (outcomes.every((o) => o.outcome === 'idle')) {
            if (done) return;
            await gate('idle', { target: world.target });
          }
        }
      },
      { crashable: options.crashable === true },
    );
  }
}

/**
 * Runs one schedule of the planner and the enactors in `options.mode` under `options.policy` and checks
 * the invariants after every step. Never throws for a broken invariant: it reports it.
 *
 * @example
 * const outcome = await runWorld({ mode: 'safe', provider, policy, initial, plans });
 * outcome.violations; // [] for the fenced enactor
 */
export async function runWorld(options: WorldOptions): Promise<ScheduleOutcome> {
  const world = setUp(options);
  const { clock, trace } = world;

  // Generation 1, applied before the race starts.
  await world.planner.publish(world.body(options.initial));
  await world.enactor('setup').enactTarget(world.target);

  const monitor = new InvariantMonitor(world.provider, world.endpoint, world.published, trace);
  await monitor.observe(clock.now(), 0);
  let stepNo = 0;
  const scheduler = new Scheduler({
    clock,
    policy: options.policy,
    maxSteps: options.maxSteps ?? 20_000,
    ...(trace.enabled ? { beforeStep: (step: ScheduleStep) => trace.step(step) } : {}),
    afterStep: (step: ScheduleStep) => monitor.observe(step.at, ++stepNo),
  });
  spawnActors(world, scheduler, options);
  const result = await scheduler.run();
  const violations = [...monitor.violations];
  for (const { actor, error } of result.errors) {
    violations.push({ kind: 'actor-error', at: clock.now(), step: stepNo, detail: `${actor}: ${String(error)}` });
  }

  const probe = await probeStuck(
    world.planner,
    world.provider,
    world.endpoint,
    world.body(options.probeRecords ?? options.initial),
    () => world.enactor('probe').enactTarget(world.target),
  );
  if (probe.stuck) {
    const detail = `a fresh plan (generation ${probe.generation}) could not be applied: ${probe.reason}`;
    violations.push({ kind: 'stuck', at: clock.now(), step: 0, detail });
  }
  const { name } = world.endpoint;
  const served = describeAddresses(probe.final.addresses);
  trace.line(clock.now(), 'dns', `after the probe: ${name} = ${served} (generation ${probe.final.generation})`);
  return {
    mode: world.mode,
    target: world.target,
    steps: result.steps,
    explored: result.explored,
    crashes: result.crashes,
    emptied: monitor.emptied,
    olderGeneration: monitor.olderGeneration,
    stuck: probe.stuck,
    violations,
    final: { generation: probe.final.generation, addresses: probe.final.addresses ?? null },
    latestGeneration: probe.generation,
    lines: trace.lines,
    decisions: trace.decisions,
  };
}
