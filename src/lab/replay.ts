/**
 * The replay of 2025-10-20, composed: the region on loopback ({@link startRegion}), the planner and
 * three enactors racing in legacy mode on the endpoint's record (the lab's `runRace`) and in safe mode on
 * a twin record, the manual restore, the resolvers' cached empty answers until they expire, and the
 * two client groups ({@link baselineGroup}, {@link failsmallGroup}) under the same open-loop load.
 * Returns the summary (the JSON the CLI prints) and the data of the HTML report.
 *
 * Everything started is stopped at the end, on failure and on abort too.
 */
import { FailsmallError, ScaledClock, seededRandom, systemClock } from '../core/index.js';
import type { Cancel } from '../core/index.js';
import { HttpDnsProvider } from '../plan/index.js';
import { loadReplayPeers } from './peers.js';
import { runRace, type RaceOptions } from './race/race.js';
import { baselineGroup, failsmallGroup, groupNames } from './groups.js';
import type { ClientGroup, GroupName } from './groups.js';
import { runLoad, scenarioLoad } from './load.js';
import type { Outcome } from './load.js';
import { startRegion } from './region.js';
import type { Region } from './region.js';
import type { PlanOutcome, ReportData } from './report.js';
import { effectiveTtlS, formatDuration, phaseAt, phaseOf, realDurationMs, wireTtl } from './scenario.js';
import type { Phase, Scenario } from './scenario.js';
import { buildTimeline, emptyWindow, summarize } from './timeline.js';
import { runHealthLink } from './health-link.js';
import type { HealthLinkOptions, HealthLinkResult } from './health-link.js';
import { healthSummary } from './health-report.js';
import { startStatusFeed } from './status-feed.js';
import type { StatusFeed, StatusFeedSummary } from './status-feed.js';
import type { HealthLinkSummary } from './health-report.js';
import { runLeaseLink } from './lease-link.js';
import type { LeaseLinkOptions, LeaseLinkResult } from './lease-link.js';
import { leaseSummary } from './lease-report.js';
import type { LeaseLinkSummary } from './lease-report.js';
import type { GroupSummary, Sample } from './timeline.js';

/** Options of {@link runReplay}. */
export interface ReplayOptions {
  readonly scenario: Scenario;
  /** Stops the replay early; everything is still closed and what was measured is summarised. */
  readonly signal?: AbortSignal;
  /** Called about every {@link sampleIntervalMs} with the state of the run. */
  readonly onProgress?: (progress: ReplayProgress) => void;
  /** Called with a line for each event of the timeline (phase changes, the race, the restore). */
  readonly onEvent?: (line: string) => void;
  /** Called once the region is up (tests use it to check that everything stops at the end). */
  readonly onRegion?: (region: Region) => void;
  /** How often the region's counters are read, real milliseconds; default 100. */
  readonly sampleIntervalMs?: number;
  /**
   * How long failsmall's resolver holds the last-known-good set once connects to it stop succeeding
   * (without an independent upstream confirming the change), scenario seconds; default the
   * scenario's `failsmall.hold_down`, itself by default the resolver's own 5 minutes. While the held
   * addresses accept connections the resolver keeps them past the hold-down (up to 24 h).
   */
  readonly holdDownS?: number;
  /**
   * The health link after the restore ({@link runHealthLink}: health checks flapping while nodes
   * serve); `false` leaves it out. Default on with the link's defaults (about 19 real seconds).
   */
  readonly health?: HealthLinkOptions | false;
  /**
   * A running status service to feed (`failsmall replay --status-url`): the day's breaker opens,
   * guard engagements and health escalations become suggested incidents there, and the region's
   * dependency map shows on its page (status-feed.ts). Default none.
   */
  readonly status?: { readonly url: string; readonly token: string; readonly region?: string };
  /**
   * The lease-manager link from the restore's state ({@link runLeaseLink}: every lease timed out at
   * 02:25, each group's manager re-establishing them); `false` leaves it out. Default on with the
   * link's defaults (about 40 real seconds).
   */
  readonly lease?: LeaseLinkOptions | false;
}

/** The state of a run, for a progress display. */
export interface ReplayProgress {
  /** Scenario seconds since the start. */
  readonly atS: number;
  readonly totalS: number;
  readonly phase: Phase;
  /** Share of requests that succeeded among those settled in the last real second, per group. */
  readonly success: Readonly<Record<string, number | null>>;
  /** Addresses in the endpoint's record set. */
  readonly recordAddresses: number;
}

/** What the replay reports as JSON (snake_case, stable keys). */
export interface ReplaySummary {
  readonly scenario: {
    readonly name: string;
    readonly speed: number;
    readonly seed: number;
    readonly total_s: number;
    readonly real_s: number;
    readonly ttl_s: number;
    readonly ttl_wire_s: number;
    readonly effective_ttl_s: number;
    readonly negative_ttl_s: number;
    readonly rate_per_s: number;
    readonly compression: string;
  };
  /** The window in which the endpoint's record was empty, scenario seconds. */
  readonly empty_window: { readonly from_s: number; readonly to_s: number; readonly duration_s: number };
  readonly groups: Readonly<Record<GroupName, GroupSummary & { readonly dns_queries: number }>>;
  readonly legacy_plan: PlanOutcome & { readonly emptied_at_s: number | null };
  readonly safe_plan: PlanOutcome;
  /** The issue's targets, each with the value measured and whether it was met. */
  readonly targets: Readonly<
    Record<string, { readonly value: number | boolean | null; readonly target: string; readonly met: boolean }>
  >;
  readonly region: { readonly dns_queries: number; readonly table_requests: number; readonly table_rejected: number };
  /**
   * The failsmall resolver's guard: its settings (real milliseconds, the defaults compressed by the
   * speed), how often it engaged, why it released, and the connects reported to it.
   */
  readonly failsmall_guard: {
    readonly hold_down_ms: number | null;
    readonly reachable_within_ms: number | null;
    readonly max_hold_ms: number | null;
    readonly engagements: number;
    readonly releases: Readonly<Record<string, number>>;
    readonly reachable_reports: number;
    readonly unreachable_reports: number;
  };
  /** The lease-manager link: each group's time to every lease from 02:25 (absent when left out). */
  readonly lease_manager?: LeaseLinkSummary;
  /** The health link: each group's record set while health checks flap (absent when left out). */
  readonly health?: HealthLinkSummary;
  /** The status service fed (absent without `status`): what each reporter sent and dropped. */
  readonly status?: StatusFeedSummary;
  /** True when the run was stopped before its end. */
  readonly aborted: boolean;
  readonly real_elapsed_s: number;
}

/** What {@link runReplay} returns. */
export interface ReplayResult {
  readonly summary: ReplaySummary;
  readonly report: ReportData;
}

interface MetricsJson {
  queries?: number;
}

async function dnsMetrics(apiUrl: string): Promise<number | undefined> {
  try {
    const response = await fetch(`${apiUrl}/v1/metrics`, { signal: AbortSignal.timeout(2_000) });
    if (!response.ok) return undefined;
    const json = (await response.json()) as MetricsJson;
    return typeof json.queries === 'number' ? json.queries : undefined;
  } catch {
    return undefined;
  }
}

function planOutcome(race: Awaited<ReturnType<typeof runRace>> | undefined, emptiedSeen: boolean): PlanOutcome {
  if (race === undefined) return { record_emptied: emptiedSeen };
  return {
    record_emptied: race.emptied || emptiedSeen,
    stuck: race.stuck,
    final_addresses: (race.final.addresses ?? []).map((a) => a.address),
  };
}

/**
 * Runs the replay of `scenario`.
 *
 * @example
 * const { summary, report } = await runReplay({ scenario: defaultScenario() });
 * console.log(summary.groups.failsmall.success_during_empty); // 1
 * writeFileSync('replay.html', renderReport(report));
 */
export async function runReplay(options: ReplayOptions): Promise<ReplayResult> {
  const { scenario } = options;
  const sampleIntervalMs = options.sampleIntervalMs ?? 100;
  const holdDownS = options.holdDownS ?? scenario.failsmall.holdDownS;
  const event = options.onEvent ?? (() => undefined);
  const startedReal = systemClock.now();
  const scenarioClock = new ScaledClock({ speed: scenario.speed, start: 0 });
  const nowS = (): number => scenarioClock.now() / 1000;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();

  const timers: Cancel[] = [];
  const tasks: Promise<unknown>[] = [];
  let region: Region | undefined;
  const groups: ClientGroup[] = [];
  const samples: Sample[] = [];
  let sampler: Cancel | undefined;
  let legacyRace: Awaited<ReturnType<typeof runRace>> | undefined;
  let safeRace: Awaited<ReturnType<typeof runRace>> | undefined;
  let restoredAtS: number | undefined;
  let outcomes: Outcome[] | undefined;
  let health: HealthLinkResult | undefined;
  let feed: StatusFeed | undefined;
  let fed: StatusFeedSummary | undefined;
  let lease: LeaseLinkResult | undefined;

  try {
    // Every optional package first, all at once: a missing one fails before anything starts.
    await loadReplayPeers();
    region = await startRegion(scenario, { scenarioClock, random: seededRandom(scenario.seed + 1) });
    const r = region;
    options.onRegion?.(r);
    if (options.status !== undefined) {
      feed = await startStatusFeed({
        url: options.status.url,
        token: options.status.token,
        endpoint: r.endpoint,
        ...(options.status.region === undefined ? {} : { region: options.status.region }),
      });
    }
    const groupOptions = {
      endpointUrl: r.endpointUrl,
      dnsServer: r.dns.dnsServer,
      tableName: scenario.table.name,
      table: r.table,
      random: seededRandom(scenario.seed + 2),
      speed: scenario.speed,
      holdDownMs: Number.isFinite(holdDownS) ? (holdDownS / scenario.speed) * 1000 : Infinity,
    };
    groups.push(await baselineGroup(groupOptions)); // one at a time: a group that fails leaves the other closable
    groups.push(await failsmallGroup(groupOptions));
    event(
      `region up: ${r.endpoint} -> ${scenario.region.addresses.join(', ')} (port ${r.table.port}), DNS ${r.dns.dnsServer}, TTL ${formatDuration(scenario.region.ttlS)} = ${r.ttl} s on the wire`,
    );

    // The timeline's actions, on the scenario clock.
    const race = phaseOf(scenario, 'race');
    const restore = phaseOf(scenario, 'restore');
    for (const phase of scenario.phases) {
      timers.push(
        scenarioClock.setTimer(
          () =>
            event(
              `${formatDuration(phase.startS).padStart(7)}  ${phase.kind}${phase.at === undefined ? '' : ` (${phase.at})`}${phase.note === undefined ? '' : `: ${phase.note}`}`,
            ),
          phase.startS * 1000,
        ),
      );
    }
    const provider = new HttpDnsProvider({ apiUrl: r.dns.apiUrl });
    const raceOptions = (mode: 'legacy' | 'safe', name: string): RaceOptions => ({
      mode,
      seed: scenario.seed,
      provider,
      zone: scenario.region.zone,
      name,
      addresses: scenario.region.addresses,
      removal: scenario.region.emptyAnswer === 'nxdomain' ? 'nxdomain' : 'noerror',
      ttl: wireTtl(scenario), // the plans write the scenario's compressed TTL
    });
    timers.push(
      scenarioClock.setTimer(() => {
        tasks.push(
          (async () => {
            try {
              legacyRace = await runRace(raceOptions('legacy', r.endpoint));
              event(
                `         the race (legacy mode): record ${legacyRace.emptied ? 'EMPTIED' : 'kept'}${legacyRace.stuck ? ', enactors stuck' : ''}`,
              );
              safeRace = await runRace(raceOptions('safe', r.twin));
              event(
                `         the race (safe mode, twin record): record ${safeRace.emptied ? 'EMPTIED' : 'never emptied'}`,
              );
            } catch (error) {
              event(`         the race failed: ${String(error)}`);
            }
          })(),
        );
      }, race.startS * 1000),
    );
    timers.push(
      scenarioClock.setTimer(() => {
        tasks.push(
          (async () => {
            try {
              await r.restore();
              restoredAtS = nowS();
              // Resolvers keep the cached empty answer until it expires: the lab serves it that long.
              r.dns.addFault({
                id: 'cached-empty-answer',
                name: r.endpoint,
                type: 'A',
                action: scenario.region.emptyAnswer === 'nxdomain' ? 'nxdomain' : 'empty',
                durationMs: (scenario.region.negativeTtlS / scenario.speed) * 1000,
                comment: 'recursive resolvers still hold the cached empty answer',
              });
              event(
                `         record restored by hand; cached empty answers live ${formatDuration(scenario.region.negativeTtlS)} more`,
              );
            } catch (error) {
              event(`         the restore failed: ${String(error)}`);
            }
          })(),
        );
      }, restore.startS * 1000),
    );

    // Sampling the region, and the progress display.
    const recent: Outcome[] = [];
    const sample = async (): Promise<void> => {
      const dnsQueries = await dnsMetrics(r.dns.apiUrl);
      const table = r.table.snapshot();
      const atS = nowS();
      const sum = (f: (n: (typeof table.nodes)[number]) => number): number => table.nodes.reduce((x, n) => x + f(n), 0);
      samples.push({
        atS,
        dnsQueries: dnsQueries ?? samples[samples.length - 1]?.dnsQueries ?? 0,
        dnsByGroup: Object.fromEntries(groups.map((g) => [g.name, g.dnsQueries()])),
        table: {
          requests: sum((n) => n.requests),
          rejected: sum((n) => n.rejected),
          inService: sum((n) => n.inService),
          queued: sum((n) => n.queued),
        },
        recordAddresses: r.addresses(r.endpoint),
        safeRecordAddresses: r.addresses(r.twin),
      });
      if (options.onProgress !== undefined) {
        const horizon = systemClock.now() - 1_000;
        while (recent.length > 0 && (recent[0] as Outcome & { settledAt: number }).settledAt < horizon) recent.shift();
        const success: Record<string, number | null> = {};
        for (const g of groupNames) {
          const mine = recent.filter((o) => o.group === g);
          success[g] = mine.length === 0 ? null : mine.filter((o) => o.ok).length / mine.length;
        }
        options.onProgress({
          atS,
          totalS: scenario.totalS,
          phase: phaseAt(scenario, atS),
          success,
          recordAddresses: r.addresses(r.endpoint),
        });
      }
    };
    let sampling = Promise.resolve();
    const tick = (): void => {
      sampling = sampling.then(sample).catch(() => undefined);
      sampler = systemClock.setTimer(tick, sampleIntervalMs);
    };
    tick();

    const load = await runLoad({
      ...scenarioLoad(scenario, groups),
      durationMs: realDurationMs(scenario),
      scenarioClock,
      signal: stop.signal,
      onOutcome: (o) => {
        feed?.outcome(o);
        if (options.onProgress !== undefined) recent.push(Object.assign({ settledAt: systemClock.now() }, o));
      },
    });
    outcomes = load.outcomes;
    sampler?.();
    sampler = undefined;
    await sampling;
    await sample();
    await Promise.allSettled(tasks);
    const link = { seed: scenario.seed, signal: stop.signal, onEvent: event };
    // The lease manager from the restore's state (02:25): every lease timed out at once.
    lease = await runLink(
      options.lease,
      { ...link, startS: phaseOf(scenario, 'restore').startS },
      "lease manager link: every lease timed out at the restore; each group's manager re-establishes them",
      runLeaseLink,
    );
    health = await runLink(
      options.health,
      { ...link, startS: scenario.totalS },
      "health link: each group's automation feeds its own record set while checks flap",
      runHealthLink,
    );
    fed = await feed?.close();
  } finally {
    if (fed === undefined) await feed?.close();
    options.signal?.removeEventListener('abort', onAbort);
    sampler?.();
    for (const cancel of timers) cancel();
    await Promise.allSettled(tasks);
    await Promise.allSettled(groups.map((g) => g.close()));
    await region?.close();
  }
  if (region === undefined) throw new FailsmallError('FS_ERR_LAB_START', 'The replayed region did not start');

  const emptiedAt = region.emptiedAt(region.endpoint);
  const input = {
    scenario,
    outcomes: outcomes ?? [],
    samples,
    groups: [...groupNames],
    ...(emptiedAt === undefined ? {} : { emptiedAtS: emptiedAt / 1000 }),
    ...(restoredAtS === undefined ? {} : { restoredAtS }),
  };
  const window = emptyWindow(input);
  const timeline = buildTimeline(input);
  const summaries = summarize(input);
  const last = samples[samples.length - 1];
  const dnsByGroup = last?.dnsByGroup ?? {};
  const groupsJson = Object.fromEntries(
    groupNames.map((g) => [g, { ...summaries[g]!, dns_queries: dnsByGroup[g] ?? 0 }]),
  ) as Record<GroupName, GroupSummary & { dns_queries: number }>;
  const legacy = {
    ...planOutcome(legacyRace, emptiedAt !== undefined),
    emptied_at_s: emptiedAt === undefined ? null : Math.round(emptiedAt / 100) / 10,
  };
  const safe = planOutcome(safeRace, region.emptiedAt(region.twin) !== undefined);
  const f = groupsJson.failsmall;
  const ttl = effectiveTtlS(scenario);
  const targets = {
    failsmall_success_during_empty: {
      value: f.success_during_empty,
      target: '>= 0.999',
      met: f.requests_during_empty > 0 && f.success_during_empty >= 0.999,
    },
    failsmall_peak_amplification: { value: f.peak_amplification, target: '<= 1.1', met: f.peak_amplification <= 1.1 },
    failsmall_recovery_s: {
      value: f.recovery_s,
      target: `<= ${ttl} (one compressed TTL)`,
      met: f.recovery_s !== null && f.recovery_s <= ttl,
    },
    safe_plan_record_never_emptied: {
      value: !safe.record_emptied,
      target: 'true',
      met: safeRace !== undefined && !safe.record_emptied,
    },
  };
  const realS = realDurationMs(scenario) / 1000;
  const compression = `${scenario.speed}x: ${formatDuration(scenario.totalS)} of the outage in ${realS.toFixed(0)} real seconds; TTL ${formatDuration(scenario.region.ttlS)} = ${wireTtl(scenario)} s on the wire`;
  const summary: ReplaySummary = {
    scenario: {
      name: scenario.name,
      speed: scenario.speed,
      seed: scenario.seed,
      total_s: scenario.totalS,
      real_s: Math.round(realS * 10) / 10,
      ttl_s: scenario.region.ttlS,
      ttl_wire_s: wireTtl(scenario),
      effective_ttl_s: ttl,
      negative_ttl_s: scenario.region.negativeTtlS,
      rate_per_s: scenario.load.rate,
      compression,
    },
    empty_window: {
      from_s: round1(window.fromS),
      to_s: round1(window.toS),
      duration_s: round1(window.toS - window.fromS),
    },
    groups: groupsJson,
    legacy_plan: legacy,
    safe_plan: safe,
    targets,
    region: {
      dns_queries: last?.dnsQueries ?? 0,
      table_requests: last?.table.requests ?? 0,
      table_rejected: last?.table.rejected ?? 0,
    },
    failsmall_guard: guardSummary(groups.find((g) => g.name === 'failsmall')?.snapshot()),
    ...(lease === undefined ? {} : { lease_manager: leaseSummary(lease) }),
    ...(health === undefined ? {} : { health: healthSummary(health) }),
    ...(fed === undefined ? {} : { status: fed }),
    aborted: stop.signal.aborted,
    real_elapsed_s: round1((systemClock.now() - startedReal) / 1000),
  };
  const report: ReportData = {
    scenario,
    timeline,
    summary: summaries,
    emptyWindow: window,
    plans: { legacy, safe },
    notes: [
      "baseline: @aws-sdk/client-dynamodb with its defaults (standard retry mode and its retry quota; 4 attempts for DynamoDB in this SDK version), NodeHttpHandler, an http.Agent resolving through cacheable-lookup pointed at the region's DNS server.",
      `failsmall: the same client with failsmall's request handler and retry strategy: a Resolver holding the last-known-good addresses while connects to them succeed (hold-down once they stop: ${Number.isFinite(holdDownS) ? `${formatDuration(holdDownS)} of scenario time` : 'until the name answers again'}), every address tried, a breaker and a timeout per attempt, retries from a 10 % retry budget.`,
      `The empty window is measured from the moment the zone lost its last address to the manual restore; after the restore, resolvers keep the cached empty answer ${formatDuration(scenario.region.negativeTtlS)} (the lab serves it that long).`,
      ...(stop.signal.aborted ? ['The run was stopped before its end.'] : []),
    ],
    generatedAt: new Date().toISOString(),
    ...(health === undefined ? {} : { health }),
    ...(lease === undefined ? {} : { lease }),
  };
  return { summary, report };
}

/** What every link of the replay takes from the run: where it starts, the seed, the stop, the event log. */
interface LinkRun {
  readonly startS: number;
  readonly seed: number;
  readonly signal: AbortSignal;
  readonly onEvent: (line: string) => void;
}

/**
 * Runs one link of the replay after the load, unless it was left out (`false`) or the run was
 * stopped: announces it, then runs it with its options over what it takes from the run. Each link
 * runs on its own servers and addresses, on real time: nothing of the region (its DNS, its table
 * capacity) is shared with it.
 */
async function runLink<O extends object, R>(
  options: O | false | undefined,
  run: LinkRun,
  announcement: string,
  link: (options: O & LinkRun) => Promise<R>,
): Promise<R | undefined> {
  if (options === false || run.signal.aborted) return undefined;
  run.onEvent(`         ${announcement}`);
  // A link's options are all optional: `undefined` runs it on its defaults.
  return link({ ...run, ...options, signal: run.signal, onEvent: run.onEvent } as O & LinkRun);
}

function guardSummary(snapshot: Record<string, unknown> | undefined): ReplaySummary['failsmall_guard'] {
  const resolver = (snapshot?.['resolver'] ?? {}) as Record<string, unknown>;
  const guard = (snapshot?.['guard'] ?? {}) as Record<string, unknown>;
  const ms = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? Math.round(x) : null);
  const n = (x: unknown): number => (typeof x === 'number' ? x : 0);
  return {
    hold_down_ms: ms(guard['holdDown']),
    reachable_within_ms: ms(guard['reachableWithin']),
    max_hold_ms: ms(guard['maxHold']),
    engagements: n(resolver['guardEngagements']),
    releases: (snapshot?.['releases'] ?? {}) as Record<string, number>,
    reachable_reports: n(resolver['reachableReports']),
    unreachable_reports: n(resolver['unreachableReports']),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
