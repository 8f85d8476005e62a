/**
 * `failsmall replay --scenario region-loss`: a region that really goes away. Two loopback regions
 * with asynchronous replication ({@link startRegionLossWorld}); the primary's table service stops for
 * real during the loss and comes back with its items. The baseline (the SDK pointed at the primary)
 * and the failsmall group (ordered regions, outbox, read cache, degradation) take the same open-loop
 * load. Measured: the time to fail over after the loss (RTO) and to fail back after the return,
 * whether failback flapped, reads served during the loss and where from, writes attempted,
 * acknowledged, failed and lost (every acknowledged write is read back from the primary after the
 * run: the RPO of acknowledged writes is counted), the writes drained from the outbox, how long the
 * drain took and the share of the returning region's answers to failsmall that were overload
 * rejections.
 *
 * Everything started is stopped at the end, on failure and on abort too.
 */
import { ScaledClock, seededRandom, systemClock } from '../../core/index.js';
import type { Cancel } from '../../core/index.js';
import { runLoad, scenarioLoad, type Outcome } from '../load.js';
import { loadReplayPeers } from '../peers.js';
import { lossBaselineGroup, lossFailsmallGroup, writeKey, type LossGroup, type ReadSources } from './groups.js';
import type { RegionLossScenario } from './scenario.js';
import { lossTables, startRegionLossWorld, type RegionLossWorld } from './world.js';

/** Options of {@link runRegionLoss}. */
export interface RegionLossOptions {
  readonly scenario: RegionLossScenario;
  /** Stops the run early; everything is still closed and what was measured is summarised. */
  readonly signal?: AbortSignal;
  /** Called with a line for each event (the loss, the return, every region switch). */
  readonly onEvent?: (line: string) => void;
  /** Called once the world is up (tests check that everything stops at the end). */
  readonly onWorld?: (world: RegionLossWorld) => void;
}

/** The region figures of one group (null where they do not apply, e.g. failover for the baseline). */
export interface RegionFigures {
  /** Seconds from the loss to the first failover of a class. */
  readonly rto_s: number | null;
  /** Seconds from the return to the first failback. */
  readonly failback_s: number | null;
  /** Failovers after the first failback (the traffic left the returned region again). */
  readonly failback_flaps: number | null;
  readonly writes_attempted: number;
  /** Writes the caller was told succeeded (applied, or for failsmall durably queued). */
  readonly writes_acked: number;
  readonly writes_failed: number;
  /** Acknowledged writes not found in the primary after the run. */
  readonly writes_lost: number;
  readonly writes_during_loss: number;
  readonly writes_acked_during_loss: number;
  /** Writes applied from the outbox after the return. */
  readonly outbox_drained: number | null;
  /** Seconds from the return to the moment the outbox was empty (null: not emptied). */
  readonly outbox_drain_s: number | null;
  readonly outbox_pending_at_end: number | null;
  readonly outbox_dead: number | null;
  /** Overload rejections among failsmall's requests that reached the returning region. */
  readonly returning_rejected_share: number | null;
  readonly reads_attempted: number;
  readonly reads_ok: number;
  readonly reads_during_loss: number;
  readonly reads_ok_during_loss: number;
  /** Where the failsmall group's successful reads came from. */
  readonly reads_from: { readonly primary: number; readonly replica: number; readonly cache: number } | null;
  /** Seconds from the return to the first request (by issue time) that succeeded against the primary again (baseline). */
  readonly recovery_s: number | null;
}

/** One group's summary. */
export interface LossGroupSummary {
  readonly requests: number;
  readonly success: number;
  readonly success_during_loss: number | null;
  /** Failed requests by error class (an error code, a name, `timeout`). */
  readonly errors: Readonly<Record<string, number>>;
  readonly region: RegionFigures;
}

/** What the region-loss replay reports as JSON (snake_case, stable keys). */
export interface RegionLossSummary {
  readonly scenario: {
    readonly kind: 'region-loss';
    readonly name: string;
    readonly seed: number;
    readonly total_s: number;
    readonly rate_per_s: number;
    readonly read_share: number;
    readonly replication_lag_ms: number;
    readonly primary: { readonly name: string; readonly addresses: readonly string[] };
    readonly replica: { readonly name: string; readonly addresses: readonly string[] };
  };
  /** When the primary's servers were stopped and started again, seconds from the start. */
  readonly loss: { readonly from_s: number | null; readonly to_s: number | null; readonly duration_s: number | null };
  readonly groups: { readonly baseline: LossGroupSummary; readonly failsmall: LossGroupSummary };
  /** Every switch of the failsmall group's region set, with its reason. */
  readonly failsmall_switches: readonly {
    readonly operation: string;
    readonly direction: string;
    readonly from: string;
    readonly to: string;
    readonly at_s: number;
    readonly reason: string;
  }[];
  readonly targets: Readonly<
    Record<string, { readonly value: number | boolean | null; readonly target: string; readonly met: boolean }>
  >;
  readonly aborted: boolean;
  readonly real_elapsed_s: number;
}

function countErrors(outcomes: readonly Outcome[]): Record<string, number> {
  const errors: Record<string, number> = {};
  for (const o of outcomes)
    if (!o.ok) errors[`${o.kind}:${o.error ?? 'error'}`] = (errors[`${o.kind}:${o.error ?? 'error'}`] ?? 0) + 1;
  return errors;
}

const round = (x: number, digits = 3): number => Math.round(x * 10 ** digits) / 10 ** digits;
const share = (ok: number, all: number): number | null => (all === 0 ? null : round(ok / all, 4));

/**
 * Runs the region-loss scenario.
 *
 * @example
 * const summary = await runRegionLoss({ scenario: regionLossScenario() });
 * console.log(summary.groups.failsmall.region.writes_lost); // 0
 */
export async function runRegionLoss(options: RegionLossOptions): Promise<RegionLossSummary> {
  const { scenario } = options;
  const event = options.onEvent ?? (() => undefined);
  const startedReal = systemClock.now();
  const clock = new ScaledClock({ speed: 1, start: 0 }); // ms since the start, real time
  const stop = new AbortController();
  const onAbort = (): void => stop.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted === true) onAbort();
  const s = (ms: number): string => `${(ms / 1000).toFixed(1).padStart(6)} s`;

  const timers: Cancel[] = [];
  const tasks: Promise<unknown>[] = [];
  const groups: LossGroup[] = [];
  let world: RegionLossWorld | undefined;
  let lostAt: number | undefined;
  let returnedAt: number | undefined;
  let outcomes: Outcome[] = [];
  const drainedAt: number[] = [];
  let emptiedAt: number | undefined;
  let returning: { attempts: number; rejected: number } | undefined;
  let lost = { baseline: 0, failsmall: 0 };
  let pendingAtEnd: number | undefined;
  let recorded: RegionLossSummary['failsmall_switches'][number][] = [];
  let outboxCounts: Record<string, number> = {};
  let readsFrom: ReadSources | undefined;

  try {
    await loadReplayPeers();
    world = await startRegionLossWorld(scenario, { random: seededRandom(scenario.seed + 1) });
    const w = world;
    options.onWorld?.(w);
    groups.push(await lossBaselineGroup(w));
    const fs = await lossFailsmallGroup(w, scenario, { clock, random: seededRandom(scenario.seed + 2) });
    groups.push(fs);
    event(
      `regions up: ${w.primary.name} ${w.primary.endpointUrl} (${w.primary.addresses.join(', ')}), ${w.replica.name} ${w.replica.endpointUrl} (${w.replica.addresses.join(', ')}), DNS ${w.dnsServer}, replication every ${scenario.regions.replicationLagMs} ms`,
    );
    fs.regions!.onSwitch.on((sw) =>
      event(`${s(sw.at)}  failsmall ${sw.direction} of ${sw.operation}: ${sw.from} -> ${sw.to} (${sw.reason})`),
    );
    fs.outbox!.events.on((e) => {
      if (e.type === 'applied') drainedAt.push(e.at);
    });
    timers.push(
      clock.setTimer(() => {
        tasks.push(
          w.lose().then(() => {
            lostAt = clock.now();
            event(`${s(lostAt)}  ${w.primary.name} lost: its table service stopped, every connect refused`);
          }),
        );
      }, scenario.phases.lossAtMs),
      clock.setTimer(() => {
        tasks.push(
          w.restore().then(() => {
            returnedAt = clock.now();
            event(`${s(returnedAt)}  ${w.primary.name} back with its items`);
          }),
        );
      }, scenario.phases.returnAtMs),
    );

    const load = await runLoad({
      ...scenarioLoad(scenario, groups),
      durationMs: scenario.phases.endMs,
      scenarioClock: clock,
      signal: stop.signal,
    });
    outcomes = load.outcomes;
    await Promise.allSettled(tasks);
    if (returnedAt === undefined && !stop.signal.aborted) await w.restore(); // a run cut short of its return

    // The drain may still run: wait for it, bounded (an outbox that cannot drain is reported).
    const box = fs.outbox!;
    const deadline = clock.now() + scenario.failsmall.drainTimeoutMs;
    while (box.pending > 0 && clock.now() < deadline && !stop.signal.aborted) {
      await box.drain().catch(() => undefined);
      if (box.pending > 0) {
        await clock.sleep(scenario.failsmall.outbox.drainIntervalMs, stop.signal).catch(() => undefined);
      }
    }
    pendingAtEnd = box.pending;
    if (pendingAtEnd === 0) emptiedAt = drainedAt.at(-1) ?? returnedAt;
    event(`${s(clock.now())}  load over; outbox ${pendingAtEnd === 0 ? 'empty' : `still holds ${pendingAtEnd}`}`);

    const snap = w.primary.service()?.snapshot();
    if (snap !== undefined) {
      returning = {
        attempts: snap.attemptsByGroup['failsmall'] ?? 0,
        rejected: snap.rejectedByGroup['failsmall'] ?? 0,
      };
    }
    // Every acknowledged write, read back from the primary.
    const missing = (group: 'baseline' | 'failsmall'): number =>
      outcomes.filter((o) => {
        if (o.group !== group || o.kind !== 'write' || !o.ok) return false;
        const item = w.primary.store.peek(lossTables[group], { id: { S: writeKey(o.index) } });
        return item?.['at']?.N !== String(o.index);
      }).length;
    lost = { baseline: missing('baseline'), failsmall: missing('failsmall') };
  } finally {
    options.signal?.removeEventListener('abort', onAbort);
    for (const cancel of timers) cancel();
    await Promise.allSettled(tasks);
    const switches = groups.find((g) => g.name === 'failsmall')?.regions?.switches ?? [];
    recorded = switches.map((sw) => ({
      operation: sw.operation,
      direction: sw.direction,
      from: sw.from,
      to: sw.to,
      at_s: round(sw.at / 1000),
      reason: sw.reason,
    }));
    outboxCounts = (groups.find((g) => g.name === 'failsmall')?.outbox?.snapshot() ?? {}) as Record<string, number>;
    readsFrom = groups.find((g) => g.name === 'failsmall')?.reads;
    await Promise.allSettled(groups.map((g) => g.close()));
    await world?.close();
  }

  const lossFrom = lostAt ?? null;
  const lossTo = returnedAt ?? null;
  const inLoss = (o: Outcome): boolean =>
    lossFrom !== null && o.startS * 1000 >= lossFrom && (lossTo === null || o.startS * 1000 < lossTo);
  const figures = (group: 'baseline' | 'failsmall'): LossGroupSummary => {
    const mine = outcomes.filter((o) => o.group === group);
    const writes = mine.filter((o) => o.kind === 'write');
    const reads = mine.filter((o) => o.kind === 'read');
    const during = mine.filter(inLoss);
    const f = group === 'failsmall';
    const failovers = recorded.filter((r) => r.direction === 'failover');
    const failbacks = recorded.filter((r) => r.direction === 'failback' && lossTo !== null && r.at_s * 1000 >= lossTo);
    const firstFailover = failovers.find((r) => lossFrom !== null && r.at_s * 1000 >= lossFrom);
    const firstFailback = failbacks[0];
    const afterReturn = lossTo === null ? [] : mine.filter((o) => o.ok && o.startS * 1000 >= lossTo);
    return {
      requests: mine.length,
      success: share(mine.filter((o) => o.ok).length, mine.length) ?? 0,
      success_during_loss: share(during.filter((o) => o.ok).length, during.length),
      errors: countErrors(mine),
      region: {
        rto_s: f && firstFailover !== undefined ? round(firstFailover.at_s - lossFrom! / 1000) : null,
        failback_s: f && firstFailback !== undefined ? round(firstFailback.at_s - lossTo! / 1000) : null,
        failback_flaps: f
          ? firstFailback === undefined
            ? 0
            : failovers.filter((r) => r.at_s >= firstFailback.at_s).length
          : null,
        writes_attempted: writes.length,
        writes_acked: writes.filter((o) => o.ok).length,
        writes_failed: writes.filter((o) => !o.ok).length,
        writes_lost: lost[group],
        writes_during_loss: writes.filter(inLoss).length,
        writes_acked_during_loss: writes.filter((o) => o.ok && inLoss(o)).length,
        outbox_drained: f ? drainedAt.length : null,
        outbox_drain_s:
          f && emptiedAt !== undefined && lossTo !== null ? round(Math.max(0, emptiedAt - lossTo) / 1000) : null,
        outbox_pending_at_end: f ? (pendingAtEnd ?? null) : null,
        outbox_dead: f ? (outboxCounts['dead'] ?? 0) + (outboxCounts['expired'] ?? 0) : null,
        returning_rejected_share: f && returning !== undefined ? share(returning.rejected, returning.attempts) : null,
        reads_attempted: reads.length,
        reads_ok: reads.filter((o) => o.ok).length,
        reads_during_loss: reads.filter(inLoss).length,
        reads_ok_during_loss: reads.filter((o) => o.ok && inLoss(o)).length,
        reads_from: f && readsFrom !== undefined ? { ...readsFrom } : null,
        recovery_s:
          afterReturn.length === 0 || lossTo === null
            ? null
            : round(Math.min(...afterReturn.map((o) => o.startS)) - lossTo / 1000),
      },
    };
  };
  const baseline = figures('baseline');
  const failsmall = figures('failsmall');
  const fr = failsmall.region;
  const halfOpenS = scenario.failsmall.breakerHalfOpenMs / 1000;
  const writeShare = share(fr.writes_acked_during_loss, fr.writes_during_loss);
  const readShare = share(fr.reads_ok_during_loss, fr.reads_during_loss);
  const maxRejected = scenario.failsmall.maxDrainRejectedShare;
  const targets = {
    failsmall_writes_acked_during_loss: {
      value: writeShare,
      target: '>= 0.99',
      met: writeShare !== null && writeShare >= 0.99,
    },
    failsmall_writes_lost: {
      value: fr.writes_lost,
      target: '0 (every acknowledged write read back)',
      met: fr.writes_acked > 0 && fr.writes_lost === 0,
    },
    failsmall_reads_during_loss: {
      value: readShare,
      target: '>= 0.999',
      met: readShare !== null && readShare >= 0.999,
    },
    failsmall_rto_s: {
      value: fr.rto_s,
      target: `<= ${halfOpenS} (one breaker window: its half-open delay)`,
      met: fr.rto_s !== null && fr.rto_s <= halfOpenS,
    },
    failsmall_failed_back_without_flap: {
      value: fr.failback_s !== null && fr.failback_flaps === 0,
      target: 'true',
      met: fr.failback_s !== null && fr.failback_flaps === 0,
    },
    failsmall_outbox_drained: {
      value: fr.outbox_pending_at_end === 0,
      target: 'true (empty after the run)',
      met: fr.outbox_pending_at_end === 0 && fr.outbox_dead === 0,
    },
    failsmall_returning_rejected_share: {
      value: fr.returning_rejected_share,
      target: `<= ${maxRejected}`,
      met: fr.returning_rejected_share !== null && fr.returning_rejected_share <= maxRejected,
    },
  };
  return {
    scenario: {
      kind: 'region-loss',
      name: scenario.name,
      seed: scenario.seed,
      total_s: scenario.phases.endMs / 1000,
      rate_per_s: scenario.load.rate,
      read_share: scenario.load.readShare,
      replication_lag_ms: scenario.regions.replicationLagMs,
      primary: { name: scenario.regions.primary.name, addresses: scenario.regions.primary.addresses },
      replica: { name: scenario.regions.replica.name, addresses: scenario.regions.replica.addresses },
    },
    loss: {
      from_s: lossFrom === null ? null : round(lossFrom / 1000),
      to_s: lossTo === null ? null : round(lossTo / 1000),
      duration_s: lossFrom === null || lossTo === null ? null : round((lossTo - lossFrom) / 1000),
    },
    groups: { baseline, failsmall },
    failsmall_switches: recorded,
    targets,
    aborted: stop.signal.aborted,
    real_elapsed_s: round((systemClock.now() - startedReal) / 1000, 1),
  };
}
