/**
 * Passive health from client traffic: outlier detection as Envoy does it. Every response a client
 * sees is recorded against the target that served it; a target is ejected after `consecutive5xx`
 * server errors in a row, after `consecutiveGatewayErrors` gateway errors (502, 503, 504 and
 * connection failures) in a row, or when its success rate over an interval falls far below the
 * others' (`mean - stdevFactor × stdev`, with enough targets and requests to judge). An ejection
 * lasts `baseEjectionTime × n` for the target's n-th ejection in a row (so a target that keeps
 * failing stays out longer), and n falls back by one for each interval the target spends healthy.
 * At most `maxEjectedShare` of the targets are ejected at once.
 *
 * The state is plain JSON and every function is pure. The vote of this source for a target is
 * `down` while it is ejected, `up` once it has served traffic, `unknown` before.
 *
 * @see https://www.envoyproxy.io/docs/envoy/latest/intro/arch_overview/upstream/outlier
 */
import { duration, invalid, positiveInteger, positiveNumber, ratio } from '../core/validate.js';
import type { Vote } from './rise-fall.js';

/** What one response was, as far as outlier detection is concerned. */
export type TrafficOutcome = 'success' | 'server-error' | 'gateway-error';

/** One target's passive state (plain JSON). */
export interface OutlierTarget {
  readonly consecutive5xx: number;
  readonly consecutiveGateway: number;
  /** Ejections in a row (decays by one per healthy interval). */
  readonly ejections: number;
  /** Ejected until this time (ms); `undefined` when not ejected. */
  readonly ejectedUntil?: number | undefined;
  /** Requests and successes in the current interval. */
  readonly requests: number;
  readonly successes: number;
  /** True once the target has served any traffic. */
  readonly seen: boolean;
}

/** The passive state of a set of targets. */
export interface OutlierState {
  readonly targets: Readonly<Record<string, OutlierTarget>>;
  /** When the current interval started (ms). */
  readonly intervalStart: number;
}

/** Options of outlier detection (Envoy's defaults). Durations in milliseconds. */
export interface OutlierOptions {
  /** Server errors (5xx) in a row that eject, default 5. */
  readonly consecutive5xx?: number;
  /** Gateway errors (502/503/504, connect failures) in a row that eject, default 5. */
  readonly consecutiveGatewayErrors?: number;
  /** The evaluation interval, default 10 s. */
  readonly interval?: number;
  /** First ejection time, multiplied by the number of ejections in a row; default 30 s. */
  readonly baseEjectionTime?: number;
  /** Longest ejection, default 300 s. */
  readonly maxEjectionTime?: number;
  /** At most this share of targets ejected at once, default 0.1 (at least one). */
  readonly maxEjectedShare?: number;
  /** Success-rate ejection needs this many targets with enough requests, default 5. */
  readonly successRateMinimumHosts?: number;
  /** …and this many requests per target in the interval, default 100. */
  readonly successRateRequestVolume?: number;
  /** Eject below `mean - stdevFactor × stdev` of the success rates, default 1.9. */
  readonly successRateStdevFactor?: number;
}

/** Validated {@link OutlierOptions}. */
export type OutlierSettings = Required<OutlierOptions>;

const DEFAULTS: OutlierSettings = {
  consecutive5xx: 5,
  consecutiveGatewayErrors: 5,
  interval: 10_000,
  baseEjectionTime: 30_000,
  maxEjectionTime: 300_000,
  maxEjectedShare: 0.1,
  successRateMinimumHosts: 5,
  successRateRequestVolume: 100,
  successRateStdevFactor: 1.9,
};

/** Validates {@link OutlierOptions} (unknown keys are an error). */
export function outlierSettings(options: OutlierOptions = {}, prefix = ''): OutlierSettings {
  if (typeof options !== 'object' || options === null) invalid(`${prefix}outlier`, 'an object', options);
  for (const key of Object.keys(options)) if (!(key in DEFAULTS)) invalid(`${prefix}${key}`, 'a known option', key);
  const o = { ...DEFAULTS, ...options };
  return {
    consecutive5xx: positiveInteger(`${prefix}consecutive5xx`, o.consecutive5xx),
    consecutiveGatewayErrors: positiveInteger(`${prefix}consecutiveGatewayErrors`, o.consecutiveGatewayErrors),
    interval: positiveNumber(`${prefix}interval`, o.interval),
    baseEjectionTime: duration(`${prefix}baseEjectionTime`, o.baseEjectionTime),
    maxEjectionTime: duration(`${prefix}maxEjectionTime`, o.maxEjectionTime),
    maxEjectedShare: ratio(`${prefix}maxEjectedShare`, o.maxEjectedShare),
    successRateMinimumHosts: positiveInteger(`${prefix}successRateMinimumHosts`, o.successRateMinimumHosts),
    successRateRequestVolume: positiveInteger(`${prefix}successRateRequestVolume`, o.successRateRequestVolume),
    successRateStdevFactor: positiveNumber(`${prefix}successRateStdevFactor`, o.successRateStdevFactor),
  };
}

const FRESH: OutlierTarget = Object.freeze({
  consecutive5xx: 0,
  consecutiveGateway: 0,
  ejections: 0,
  requests: 0,
  successes: 0,
  seen: false,
});

/** An empty state for `ids`, starting its first interval at `now`. */
export function initialOutliers(ids: readonly string[], now: number): OutlierState {
  const targets: Record<string, OutlierTarget> = {};
  for (const id of ids) targets[id] = FRESH;
  return { targets, intervalStart: now };
}

/** Maps an HTTP status (or a connection failure, `status` undefined) to a {@link TrafficOutcome}. */
export function trafficOutcomeOf(status: number | undefined): TrafficOutcome {
  if (status === undefined || status === 502 || status === 503 || status === 504) return 'gateway-error';
  return status >= 500 ? 'server-error' : 'success';
}

function isEjected(t: OutlierTarget, now: number): boolean {
  return t.ejectedUntil !== undefined && now < t.ejectedUntil;
}

function ejectedCount(state: OutlierState, now: number): number {
  let n = 0;
  for (const t of Object.values(state.targets)) if (isEjected(t, now)) n++;
  return n;
}

function maxEjected(s: OutlierSettings, total: number): number {
  return Math.max(1, Math.floor(s.maxEjectedShare * total + 1e-9));
}

function eject(t: OutlierTarget, now: number, s: OutlierSettings): OutlierTarget {
  const ejections = t.ejections + 1;
  const time = Math.min(s.maxEjectionTime, s.baseEjectionTime * ejections);
  return { ...t, ejections, ejectedUntil: now + time, consecutive5xx: 0, consecutiveGateway: 0 };
}

/**
 * Records one response served by `id` at `now`. Unknown targets are ignored (the set is fixed by
 * {@link initialOutliers}).
 *
 * @example
 * const s = outlierSettings({ consecutive5xx: 2 });
 * let state = initialOutliers(['a', 'b'], 0);
 * state = recordTraffic(state, 'a', 'server-error', 1, s);
 * state = recordTraffic(state, 'a', 'server-error', 2, s);
 * outlierVote(state, 'a', 3); // 'down'
 */
export function recordTraffic(
  state: OutlierState,
  id: string,
  outcome: TrafficOutcome,
  now: number,
  s: OutlierSettings,
): OutlierState {
  const before = state.targets[id];
  if (before === undefined) return state;
  const ok = outcome === 'success';
  let t: OutlierTarget = {
    ...before,
    seen: true,
    requests: before.requests + 1,
    successes: before.successes + (ok ? 1 : 0),
    consecutive5xx: ok ? 0 : before.consecutive5xx + 1,
    consecutiveGateway: outcome === 'gateway-error' ? before.consecutiveGateway + 1 : 0,
  };
  const trips = t.consecutive5xx >= s.consecutive5xx || t.consecutiveGateway >= s.consecutiveGatewayErrors;
  const total = Object.keys(state.targets).length;
  if (trips && !isEjected(t, now) && ejectedCount(state, now) < maxEjected(s, total)) t = eject(t, now, s);
  return { ...state, targets: { ...state.targets, [id]: t } };
}

/**
 * Closes the interval when `interval` has passed since it started: ejects success-rate outliers,
 * lets the ejection count of targets that stayed healthy decay, and starts a new interval.
 * Returns the state unchanged before then.
 */
export function sweepOutliers(state: OutlierState, now: number, s: OutlierSettings): OutlierState {
  if (now - state.intervalStart < s.interval) return state;
  const ids = Object.keys(state.targets);
  const judged = ids.filter((id) => state.targets[id]!.requests >= s.successRateRequestVolume);
  const outliers = new Set<string>();
  if (judged.length >= s.successRateMinimumHosts) {
    const rates = judged.map((id) => state.targets[id]!.successes / state.targets[id]!.requests);
    const mean = rates.reduce((a, b) => a + b, 0) / rates.length;
    const stdev = Math.sqrt(rates.reduce((a, r) => a + (r - mean) ** 2, 0) / rates.length);
    const limit = mean - s.successRateStdevFactor * stdev;
    judged.forEach((id, i) => {
      if (rates[i]! < limit) outliers.add(id);
    });
  }
  let ejected = ejectedCount(state, now);
  const cap = maxEjected(s, ids.length);
  const targets: Record<string, OutlierTarget> = {};
  for (const id of ids.sort()) {
    let t = state.targets[id]!;
    if (outliers.has(id) && !isEjected(t, now) && ejected < cap) {
      t = eject(t, now, s);
      ejected++;
    } else if (!isEjected(t, now) && t.ejections > 0 && t.consecutive5xx === 0 && t.consecutiveGateway === 0) {
      t = { ...t, ejections: t.ejections - 1 };
    }
    targets[id] = { ...t, requests: 0, successes: 0 };
  }
  return { targets, intervalStart: now };
}

/** This source's vote for `id` at `now`: `down` while ejected, `up` once it served traffic. */
export function outlierVote(state: OutlierState, id: string, now: number): Vote {
  const t = state.targets[id];
  if (t === undefined || !t.seen) return 'unknown';
  return isEjected(t, now) ? 'down' : 'up';
}
