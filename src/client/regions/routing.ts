/**
 * The routing decision of one operation class over region-ordered endpoints: which candidate takes
 * the traffic, when to fail over and when to fail back. Pure: a function of (state, config, now,
 * signals); the shell ({@link RegionSet}) reads the signals (breaker, reachability, health, probes,
 * replication) and the clock.
 *
 * Candidates are ordered by priority (index 0 is the preferred one, Envoy/xDS priority 0).
 * - **Failover**: the active candidate is down (`up: false`) and another one is up: move to the best
 *   (lowest index) candidate that is up, at once unless the previous switch was less than
 *   `failoverMinInterval` ago (rate limit against a flapping signal).
 * - **Failback** (to a candidate better than the active one) only with hysteresis: the candidate
 *   meets the stricter criterion (`strict`) continuously for `stableFor`, has passed `probes`
 *   consecutive probes, reports replication caught up, the last switch is at least `dwell` old, and
 *   the last failback at least `failbackMinInterval` old. The traffic then ramps (slow start) from
 *   the old candidate to the new one; the shell owns the ramp's curve.
 */

/** What the shell observed of one candidate at `now`. */
export interface RegionSignal {
  /** The failover criterion: false when the region is judged down (breaker open, unreachable, health). */
  readonly up: boolean;
  /** Why it is down or not strictly healthy (`breaker-open`, `unreachable`, `health`, …), for the record. */
  readonly reason?: string | undefined;
  /** The stricter failback criterion (breaker closed, reachable, health not failing). */
  readonly strict: boolean;
  /** Consecutive successful probes. */
  readonly probes: number;
  /** The replication hook's last answer (true when no hook is given). */
  readonly caughtUp: boolean;
}

/** The thresholds of {@link stepRouting}; all durations in milliseconds. */
export interface RoutingConfig {
  /** Minimum time since the previous switch before a failover. */
  readonly failoverMinInterval: number;
  /** Minimum time since the previous switch (a failover) before a failback. */
  readonly dwell: number;
  /** How long a candidate must meet the strict criterion without a break before a failback to it. */
  readonly stableFor: number;
  /** Consecutive successful probes required before a failback. */
  readonly probes: number;
  /** Minimum time between two failbacks. */
  readonly failbackMinInterval: number;
}

/** The state of one operation class; plain JSON. */
export interface RoutingState {
  /** Index of the active candidate. */
  readonly active: number;
  /** When the active candidate became active (ms). */
  readonly since: number;
  /** When the last failover happened, or null. */
  readonly lastFailoverAt: number | null;
  /** When the last failback happened, or null. */
  readonly lastFailbackAt: number | null;
  /** Per candidate: since when it has met the strict criterion without a break, or null. */
  readonly strictSince: readonly (number | null)[];
}

/** One switch, recorded with its reason. */
export interface RoutingSwitch {
  readonly direction: 'failover' | 'failback';
  /** Candidate indices. */
  readonly from: number;
  readonly to: number;
  /** When (ms). */
  readonly at: number;
  /** Why: the down candidate's reason for a failover; `recovered` for a failback. */
  readonly reason: string;
}

/** The result of {@link stepRouting}. */
export interface RoutingStep {
  readonly state: RoutingState;
  /** The switch made at this step, if any. */
  readonly switched?: RoutingSwitch;
}

/** The state of a class of `count` candidates, on the preferred one from `now`. */
export function initialRouting(count: number, now: number): RoutingState {
  return { active: 0, since: now, lastFailoverAt: null, lastFailbackAt: null, strictSince: Array(count).fill(null) };
}

/** True when a failback to `i` is allowed at `now` (every hysteresis condition holds). */
function mayFailBackTo(state: RoutingState, config: RoutingConfig, now: number, s: RegionSignal, i: number): boolean {
  const strictSince = state.strictSince[i] ?? null;
  return (
    s.up &&
    s.strict &&
    strictSince !== null &&
    now - strictSince >= config.stableFor &&
    s.probes >= config.probes &&
    s.caughtUp
  );
}

/**
 * Advances one class's state to `now` with the signals of its candidates (one per candidate, in
 * priority order) and decides at most one switch.
 *
 * @example
 * let state = initialRouting(2, clock.now());
 * const step = stepRouting(state, config, clock.now(), [{ up: false, reason: 'breaker-open', strict: false, probes: 0, caughtUp: true }, up]);
 * state = step.state; // step.switched: { direction: 'failover', from: 0, to: 1, reason: 'breaker-open', … }
 */
export function stepRouting(
  state: RoutingState,
  config: RoutingConfig,
  now: number,
  signals: readonly RegionSignal[],
): RoutingStep {
  const strictSince = signals.map((s, i) => (s.strict && s.up ? (state.strictSince[i] ?? now) : null));
  const next: RoutingState = { ...state, strictSince };
  const current = signals[state.active];
  if (current === undefined) return { state: next };
  const sinceSwitch = now - state.since;
  if (!current.up) {
    const to = signals.findIndex((s, i) => i !== state.active && s.up);
    if (to < 0 || sinceSwitch < config.failoverMinInterval) return { state: next };
    const switched: RoutingSwitch = {
      direction: 'failover',
      from: state.active,
      to,
      at: now,
      reason: current.reason ?? 'down',
    };
    return { state: { ...next, active: to, since: now, lastFailoverAt: now }, switched };
  }
  if (state.active === 0 || sinceSwitch < config.dwell) return { state: next };
  if (state.lastFailoverAt !== null && now - state.lastFailoverAt < config.dwell) return { state: next };
  if (state.lastFailbackAt !== null && now - state.lastFailbackAt < config.failbackMinInterval) return { state: next };
  for (let i = 0; i < state.active; i++) {
    if (!mayFailBackTo(next, config, now, signals[i]!, i)) continue;
    const switched: RoutingSwitch = { direction: 'failback', from: state.active, to: i, at: now, reason: 'recovered' };
    return { state: { ...next, active: i, since: now, lastFailbackAt: now }, switched };
  }
  return { state: next };
}

/**
 * Which candidate serves one call during a failback ramp: the active one with probability `factor`
 * (the slow-start curve at `now`), else the one it came back from, when that one is still up.
 * `u` is a uniform draw in [0, 1).
 */
export function pickDuringRamp(active: number, rampFrom: number | undefined, factor: number, u: number): number {
  return rampFrom === undefined || u < factor ? active : rampFrom;
}
