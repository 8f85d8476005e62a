/**
 * Runs a validated experiment, as Chaos Toolkit does, and measures the recovery:
 *
 * 1. resolves the configuration (env values, free loopback ports) and starts the services under test;
 * 2. checks the steady-state hypothesis: if it does not hold, the method is not run;
 * 3. runs the method in order (pauses before/after on the drill's clock, background activities
 *    awaited at the end; a failing activity is journaled and the method goes on, as Chaos Toolkit
 *    does), while polling the hypothesis every `poll_interval_s` and, with `rpo`, writing a key every
 *    `interval_s`;
 * 4. keeps polling after the method until the hypothesis holds again (at most `recovery_timeout_s`);
 * 5. checks the hypothesis once more (steady state after) and reads back every acknowledged write;
 * 6. runs the rollbacks (always, or only when deviated, or never: `runtime.rollbacks.strategy`), every
 *    one even when an earlier one failed;
 * 7. stops the services, closes the journal entry.
 *
 * The fault is the start of the method's first action; the failback the start of the failback
 * activity (the first `region-failback` unless named). Time to detect, RTO and writes lost are
 * measured from each (measure.ts). Every wait goes through the injected clock.
 */
import { freeLoopbackPort } from '../core/listening.js';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import type { Activity, Experiment, Provider, ServiceSpec } from './experiment.js';
import { httpCall, substitute, type FuncContext } from './funcs.js';
import { MemoryJournal, type DrillJournal, type Phase, type Step } from './journal.js';
import {
  failbackWritesLost,
  measureRecovery,
  writesLost,
  type AckedWrite,
  type Recovery,
  type Sample,
} from './measure.js';
import { runProvider } from './providers.js';
import { ServiceManager } from './services.js';
import { withinTolerance } from './tolerance.js';

/** Runs one provider; replaceable in tests. */
export type Invoke = (
  provider: Provider,
  ctx: FuncContext,
  options: { kind: 'action' | 'probe'; cwd: string; value?: unknown },
) => Promise<unknown>;

/** Options of {@link runDrill}. */
export interface DrillOptions {
  /** Pauses, waits and polling; default the system clock. */
  readonly clock?: Clock;
  /** Where steps are written as they happen, besides the result's own `steps`. */
  readonly journal?: DrillJournal;
  /** Environment for `{ type: env }` configuration values; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** A free loopback port for `{ type: free-port }`; default one the OS picks. */
  readonly freePort?: () => Promise<number>;
  /** Runs a provider; default the real ones (providers.ts). */
  readonly invoke?: Invoke;
  /** Called with each step as it is journaled (progress output). */
  readonly onStep?: (step: Step) => void;
}

/** The outcome of one activity. */
export interface ActivityOutcome {
  readonly name: string;
  readonly type: 'action' | 'probe';
  readonly status: 'succeeded' | 'failed';
  readonly error?: string;
}

/** Detection and recovery after the fault or the failback, as printed. */
export interface RecoveryReport {
  /** ISO time of the instant measured from. */
  readonly at: string;
  readonly detected_at: string | null;
  readonly recovered_at: string | null;
  readonly time_to_detect_s: number | null;
  /** Seconds from the instant to the steady state regained: 0 if never lost, null if never regained. */
  readonly rto_s: number | null;
  /** Writes acknowledged before the instant and missing after it (null without an `rpo` probe). */
  readonly rpo_writes_lost: number | null;
}

/** What `failsmall drill run --json` prints. */
export interface DrillResult {
  readonly title: string;
  /** `completed` (steady state held after), `deviated`, or `failed` (could not run: services, steady state before). */
  readonly status: 'completed' | 'deviated' | 'failed';
  readonly steady_state_before: boolean;
  /** null when the method did not run. */
  readonly steady_state_after: boolean | null;
  /** The steady state did not hold after the method (or not before it). */
  readonly deviated: boolean;
  /** The hypothesis failed at least once while polled after the fault. */
  readonly steady_state_lost: boolean;
  readonly fault_at: string | null;
  readonly detected_at: string | null;
  readonly recovered_at: string | null;
  readonly time_to_detect_s: number | null;
  readonly rto_s: number | null;
  readonly rpo_writes_lost: number | null;
  readonly writes_acknowledged: number | null;
  readonly failback: RecoveryReport | null;
  readonly rollbacks: ActivityOutcome[];
  readonly activities: ActivityOutcome[];
  readonly errors: string[];
  readonly started_at: string;
  readonly ended_at: string;
  readonly duration_s: number;
}

/** A result with what the report draws. */
export interface DrillRun {
  readonly result: DrillResult;
  readonly samples: readonly Sample[];
  readonly steps: readonly Step[];
  readonly writes: readonly AckedWrite[];
  /** The clock ms of the start (the report's origin). */
  readonly startedAt: number;
  readonly faultAt: number | undefined;
  readonly failbackAt: number | undefined;
}

export { freeLoopbackPort };

/**
 * The value of an `{ type: env }` configuration entry. The variable's text is converted as
 * `env_var_type` says (Chaos Toolkit's `str`, `int`, `float`, and `bool`) or, without it, to the
 * type of `default`: a number default makes `FAILSMALL_DRILL_STORM_MS=3000` the number 3000, as the
 * default 2000 is, so that a func whose argument is a number gets one either way. A text that does
 * not convert is `FS_ERR_DRILL_INVALID` naming the key, before anything runs.
 */
export function envConfigValue(
  name: string,
  spec: {
    readonly key: string;
    readonly default?: string | number | boolean | undefined;
    readonly env_var_type?: string | undefined;
  },
  env: Readonly<Record<string, string | undefined>>,
  source = 'experiment',
): string | number | boolean {
  const text = env[spec.key];
  const raw = text ?? spec.default;
  if (raw === undefined) return '';
  const type =
    spec.env_var_type ??
    (typeof spec.default === 'number' ? 'float' : typeof spec.default === 'boolean' ? 'bool' : 'str');
  const bad = (expected: string): never => {
    const field = `configuration.${name}`;
    const from = text === undefined ? `its default ${JSON.stringify(raw)}` : `${spec.key}=${JSON.stringify(raw)}`;
    throw new FailsmallError('FS_ERR_DRILL_INVALID', `${source}: ${field}: ${from} is not ${expected}`, {
      details: { source, field, key: spec.key, value: raw },
    });
  };
  switch (type) {
    case 'int':
    case 'float': {
      const n = typeof raw === 'number' ? raw : raw === '' || typeof raw === 'boolean' ? NaN : Number(raw.trim());
      if (!Number.isFinite(n)) return bad('a number');
      if (type === 'int' && !Number.isInteger(n)) return bad('an integer');
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      const t = String(raw).trim().toLowerCase();
      if (['true', '1', 'yes', 'on'].includes(t)) return true;
      if (['false', '0', 'no', 'off'].includes(t)) return false;
      return bad('a boolean (true/false)');
    }
    default:
      return String(raw);
  }
}

/** The configuration's values for this run. */
async function resolveConfiguration(
  experiment: Experiment,
  env: Readonly<Record<string, string | undefined>>,
  freePort: () => Promise<number>,
): Promise<Record<string, string | number | boolean>> {
  const out: Record<string, string | number | boolean> = {};
  // Every env value first: a bad one is reported before a port is taken.
  for (const [key, value] of Object.entries(experiment.configuration))
    if (typeof value === 'object' && value.type === 'env')
      out[key] = envConfigValue(key, value, env, experiment.source);
  for (const [key, value] of Object.entries(experiment.configuration)) {
    if (typeof value !== 'object') out[key] = value;
    else if (value.type === 'free-port') out[key] = await freePort();
  }
  return out;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const errorText = (error: unknown): string =>
  `${isFailsmallError(error) ? `${error.code}: ` : ''}${error instanceof Error ? error.message : String(error)}`;

/**
 * Runs `experiment` and returns its result with the samples and steps the report draws. Never
 * rejects for a failure of the system under test or of an activity: those are in the result. Rejects
 * with `FS_ERR_DRILL_INVALID`, before anything runs, for a configuration value that does not convert
 * (see {@link envConfigValue}).
 *
 * @example
 * const run = await runDrill(loadExperimentFile('examples/drills/dns-empty.yaml'));
 * console.log(run.result.rto_s);
 */
export async function runDrill(experiment: Experiment, options: DrillOptions = {}): Promise<DrillRun> {
  const clock = options.clock ?? systemClock;
  const memory = new MemoryJournal();
  const journals: DrillJournal[] = [memory, ...(options.journal === undefined ? [] : [options.journal])];
  const invoke: Invoke = options.invoke ?? runProvider;
  // A bad configuration value rejects here, before anything runs or is journaled.
  const config = await resolveConfiguration(
    experiment,
    options.env ?? process.env,
    options.freePort ?? freeLoopbackPort,
  );
  const startedAt = clock.now();
  for (const j of journals) j.begin(experiment.title, experiment.source, startedAt);
  const record = (
    phase: Phase,
    kind: string,
    name: string,
    status: string,
    extra: { output?: unknown; error?: string } = {},
  ): void => {
    const step: Step = { at: clock.now(), phase, kind, name, status, ...extra };
    for (const j of journals) j.record(step);
    options.onStep?.(step);
  };

  const errors: string[] = [];
  const sub = <T>(v: T): T => substitute(v, config) as T;
  const services = new ServiceManager(sub(experiment.services) as ServiceSpec[], experiment.baseDir, clock);
  const stop = new AbortController();
  const ctx: FuncContext = { clock, services, signal: stop.signal };
  const cwd = experiment.baseDir;

  /** Sleeps a pause of `seconds` (a number, or a configuration value). */
  const pause = async (
    phase: Phase,
    name: string,
    which: 'before' | 'after',
    value: number | string | undefined,
  ): Promise<void> => {
    if (value === undefined) return;
    const s = Number(sub(value));
    if (!Number.isFinite(s) || s < 0) {
      record(phase, 'pause', name, 'failed', {
        error: `pauses.${which}: expected seconds >= 0, got ${JSON.stringify(sub(value))}`,
      });
      return;
    }
    record(phase, 'pause', name, 'started', { output: { [`${which}_s`]: s } });
    await clock.sleep(s * 1000);
  };

  /** Runs one activity; returns whether it succeeded (a probe: within tolerance, if it has one). */
  const run = async (activity: Activity, phase: Phase, quiet = false): Promise<ActivityOutcome> => {
    const provider = sub(activity.provider);
    try {
      const value = await invoke(provider, ctx, { kind: activity.type, cwd });
      let ok = true;
      let reason: string | undefined;
      if (activity.type === 'probe' && activity.tolerance !== undefined) {
        const tolerance = sub(activity.tolerance);
        let probeResult: unknown;
        if (typeof tolerance === 'object' && !Array.isArray(tolerance) && tolerance.type === 'probe')
          probeResult = await invoke(tolerance['provider'] as Provider, ctx, { kind: 'probe', cwd, value });
        ({ ok, reason } = withinTolerance(value, tolerance, probeResult));
      }
      if (!quiet || !ok)
        record(phase, activity.type, activity.name, ok ? 'ok' : 'deviated', {
          output: value,
          ...(reason === undefined ? {} : { error: reason }),
        });
      return {
        name: activity.name,
        type: activity.type,
        status: ok ? 'succeeded' : 'failed',
        ...(reason === undefined ? {} : { error: reason }),
      };
    } catch (error) {
      record(phase, activity.type, activity.name, 'failed', { error: errorText(error) });
      return { name: activity.name, type: activity.type, status: 'failed', error: errorText(error) };
    }
  };

  const hypothesisHolds = async (phase: Phase, quiet = false): Promise<boolean> => {
    let ok = true;
    for (const probe of experiment.hypothesis?.probes ?? [])
      if ((await run(probe, phase, quiet)).status === 'failed') ok = false;
    return ok;
  };

  const samples: Sample[] = [];
  const writes: AckedWrite[] = [];
  const activities: ActivityOutcome[] = [];
  const rollbacks: ActivityOutcome[] = [];
  let faultAt: number | undefined;
  // When the fault activity returned: a write acknowledged before the fault took effect (while a
  // kill was under way, say) counts toward its writes lost.
  let faultDoneAt: number | undefined;
  let failbackAt: number | undefined;
  // The writes missing when the failback began: lost to the fault, never counted again for the failback.
  let missingAtFailback: ReadonlySet<string> = new Set();
  let before = false;
  let after: boolean | null = null;
  let lost1: string[] | undefined;
  let lost2: string[] | undefined;
  let methodRan = false;

  // Background loops: the hypothesis poller and the writer, stopped by `loops`.
  const loops = new AbortController();
  const sleep = (ms: number): Promise<boolean> =>
    clock.sleep(ms, loops.signal).then(
      () => true,
      () => false,
    );
  let phaseNow: Phase = 'method';
  let pollsStarted = 0;
  /** For each sample, the number of polls started before it: tells a poll begun after an instant. */
  const sampleStarts: number[] = [];
  const poller = async (): Promise<void> => {
    do {
      const at = clock.now();
      const started = pollsStarted++;
      const ok = await hypothesisHolds(phaseNow, true);
      samples.push({ at, ok });
      sampleStarts.push(started);
      record(phaseNow, 'poll', experiment.hypothesis?.title ?? 'hypothesis', ok ? 'ok' : 'deviated');
    } while (!loops.signal.aborted && (await sleep(experiment.pollIntervalS * 1000)));
  };
  const rpo =
    experiment.rpo === undefined ? undefined : { ...experiment.rpo, url: sub(experiment.rpo.url).replace(/\/+$/, '') };
  let writeSeq = 0;
  const writer = async (): Promise<void> => {
    if (rpo === undefined) return;
    do {
      const key = `w${String(++writeSeq).padStart(6, '0')}`;
      try {
        const answer = await httpCall('PUT', `${rpo.url}/${key}`, { body: key, timeoutMs: 2_000 });
        if (answer.status < 300) writes.push({ key, ackedAt: clock.now() });
      } catch {
        // Not acknowledged: not counted.
      }
    } while (!loops.signal.aborted && (await sleep(rpo.intervalS * 1000)));
  };
  /** The keys of acknowledged writes (before `until`) that do not read back. */
  const readBack = async (until: number, phase: Phase): Promise<Set<string>> => {
    const missing = new Set<string>();
    if (rpo === undefined) return missing;
    for (const w of writes.filter((x) => x.ackedAt < until)) {
      // A read that fails (no answer, or a 5xx: a loaded machine, a proxy's timeout) says nothing of
      // the write: it is tried again, up to 3 times. A 404 or another value is a write lost.
      let found = false;
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const answer = await httpCall('GET', `${rpo.url}/${w.key}`, { timeoutMs: 2_000 });
          if (answer.status >= 500) continue;
          found = answer.status === 200 && answer.body === w.key;
          break;
        } catch {
          // no answer: try again
        }
      }
      if (!found) missing.add(w.key);
    }
    record(phase, 'readback', 'write/read-back', missing.size === 0 ? 'ok' : 'deviated', {
      output: { checked: writes.filter((x) => x.ackedAt < until).length, missing: [...missing] },
    });
    return missing;
  };

  let loopsDone: Promise<unknown> = Promise.resolve();
  try {
    try {
      record('setup', 'service', 'services', 'started', { output: { configuration: config } });
      await services.startAll(stop.signal);
      if (experiment.services.length > 0) record('setup', 'service', 'services', 'ok');
    } catch (error) {
      errors.push(errorText(error));
      record('setup', 'service', 'services', 'failed', { error: errorText(error) });
      throw error;
    }

    for (const activity of experiment.setup) {
      const outcome = await run(activity, 'setup');
      if (outcome.status === 'failed') {
        errors.push(`setup ${activity.name} failed: ${outcome.error ?? ''}`);
        throw new Error('setup failed');
      }
    }

    before = await hypothesisHolds('steady-state-before');
    if (!before) errors.push('the steady state did not hold before the method: the method was not run');
    else {
      methodRan = true;
      // The writer starts now; the poller once the fault has been injected (a poll begun before the
      // fault would count as after it).
      const writing = writer();
      let polling: Promise<void> | undefined;
      const background: Promise<ActivityOutcome>[] = [];
      for (const activity of experiment.method) {
        await pause('method', activity.name, 'before', activity.pauses?.before);
        const isFault =
          experiment.faultActivity === undefined
            ? activity.type === 'action'
            : activity.name === experiment.faultActivity;
        const marksFault = isFault && faultAt === undefined;
        if (marksFault) {
          faultAt = clock.now();
          record('method', 'mark', 'fault', 'ok', { output: { activity: activity.name } });
        }
        if (activity.name === experiment.failbackActivity && failbackAt === undefined) {
          if (rpo !== undefined && faultAt !== undefined) {
            missingAtFailback = await readBack(clock.now(), 'method');
            lost1 = writesLost(writes, missingAtFailback, faultDoneAt ?? faultAt);
          }
          failbackAt = clock.now();
          record('method', 'mark', 'failback', 'ok', { output: { activity: activity.name } });
        }
        if (activity.background === true) background.push(run(activity, 'method'));
        else activities.push(await run(activity, 'method'));
        if (marksFault) faultDoneAt = clock.now();
        if (polling === undefined && faultAt !== undefined) {
          polling = poller();
          loopsDone = Promise.all([polling, writing]);
        }
        await pause('method', activity.name, 'after', activity.pauses?.after);
      }
      activities.push(...(await Promise.all(background)));
      if (polling === undefined) {
        polling = poller();
        loopsDone = Promise.all([polling, writing]);
      }

      // Recovery: poll until the latest sample holds, at most recovery_timeout_s.
      phaseNow = 'recovery';
      const deadline = clock.now() + experiment.recoveryTimeoutS * 1000;
      const mark = pollsStarted;
      while (clock.now() < deadline) {
        const last = samples[samples.length - 1];
        if (last !== undefined && sampleStarts[samples.length - 1]! >= mark && last.ok) break;
        await clock.sleep(Math.min(experiment.pollIntervalS * 1000, Math.max(1, deadline - clock.now())));
      }
      loops.abort();
      await loopsDone;

      after = await hypothesisHolds('steady-state-after');
      if (rpo !== undefined && faultAt !== undefined) {
        const missing = await readBack(Infinity, 'steady-state-after');
        if (failbackAt === undefined) lost1 = writesLost(writes, missing, faultDoneAt ?? faultAt);
        else lost2 = failbackWritesLost(writes, missingAtFailback, missing, failbackAt);
      }
    }
  } catch {
    // Journaled above; the rollbacks and the teardown still run.
  } finally {
    loops.abort();
    await loopsDone;
  }

  const deviated = !before || after !== true;
  if (
    experiment.rollbackStrategy === 'always' ||
    (experiment.rollbackStrategy === 'deviated' && deviated && methodRan)
  ) {
    for (const rollback of experiment.rollbacks) {
      await pause('rollbacks', rollback.name, 'before', rollback.pauses?.before);
      const outcome = await run(rollback, 'rollbacks');
      rollbacks.push(outcome);
      if (outcome.status === 'failed') errors.push(`rollback ${rollback.name} failed: ${outcome.error ?? ''}`);
      await pause('rollbacks', rollback.name, 'after', rollback.pauses?.after);
    }
  }
  stop.abort();
  await services.stopAll();
  record('teardown', 'service', 'services', 'ok');

  const first: Recovery | undefined = faultAt === undefined ? undefined : measureRecovery(samples, faultAt, failbackAt);
  const second: Recovery | undefined = failbackAt === undefined ? undefined : measureRecovery(samples, failbackAt);
  const endedAt = clock.now();
  const num = (v: number | undefined): number | null => (v === undefined ? null : v);
  const result: DrillResult = {
    title: experiment.title,
    status: !before || !methodRan ? 'failed' : after === true ? 'completed' : 'deviated',
    steady_state_before: before,
    steady_state_after: after,
    deviated,
    steady_state_lost: first?.detectedAt !== undefined || second?.detectedAt !== undefined,
    fault_at: iso(faultAt),
    detected_at: iso(first?.detectedAt),
    recovered_at: iso(first?.recoveredAt),
    time_to_detect_s: num(first?.timeToDetectS),
    rto_s: first === undefined ? null : num(first.rtoS),
    rpo_writes_lost: lost1 === undefined ? null : lost1.length,
    writes_acknowledged: rpo === undefined ? null : writes.length,
    failback:
      second === undefined
        ? null
        : {
            at: iso(second.from)!,
            detected_at: iso(second.detectedAt),
            recovered_at: iso(second.recoveredAt),
            time_to_detect_s: num(second.timeToDetectS),
            rto_s: num(second.rtoS),
            rpo_writes_lost: lost2 === undefined ? null : lost2.length,
          },
    rollbacks,
    activities,
    errors,
    started_at: iso(startedAt)!,
    ended_at: iso(endedAt)!,
    duration_s: Math.round(endedAt - startedAt) / 1000,
  };
  for (const j of journals) j.end(endedAt, result);
  return { result, samples, steps: memory.steps, writes, startedAt, faultAt, failbackAt };
}
