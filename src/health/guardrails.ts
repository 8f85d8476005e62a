/**
 * Guardrails on a set of targets (the addresses behind a name, the nodes behind a load balancer):
 * what automation may do with the per-target verdicts of {@link decide}, and what it must refuse.
 *
 * One evaluation, {@link evaluateSet}, is a pure function of (state, verdicts, now, options). In order:
 * 1. **Overrides**: a target a human isolated is out; while the set is frozen nothing changes
 *    automatically. Overrides are never limited by the rules below.
 * 2. **Hold**: a target whose verdict is `hold` (no quorum, or sources that disagree) keeps its state.
 * 3. **Flap damping**: a target whose membership changed less than `holdDown` ago keeps its state.
 * 4. **Fail-open**: when every target is voted down, or no target would be left, the set routes to
 *    every target. A monitor that calls everything dead is the likelier liar.
 * 5. **Panic** (Envoy's panic threshold, off by default): when fewer than `panicThreshold` of the
 *    targets would be left, the set routes to every target.
 * 6. **Velocity**: at most `maxRemovedShare` of the targets (at least one) are removed per `window`;
 *    the removals are kept as an exact log, so the limit holds over every window, not per bucket.
 * 7. **Floor**: automation never takes the set below `floor` of the targets.
 * 8. **Slow re-entry**: a returning target enters with a weight that ramps up (core's slow-start
 *    curve), so it is not hit by its whole share at once.
 *
 * Every target's outcome carries its reason; rules 4 to 7 also raise an escalation: automation
 * stopped short of what the checks asked for, and a human should look.
 */
import { slowStartCurve, slowStartWeight, type SlowStartCurve, type SlowStartOptions } from '../core/slow-start.js';
import { duration, invalid, ratio } from '../core/validate.js';
import type { TargetVerdict } from './quorum.js';

/** One target's place in the set (plain JSON). */
export interface MemberState {
  /** Whether the target is in the set (receives traffic). */
  readonly inSet: boolean;
  /** When its membership last changed, in ms; `undefined` when it never changed. */
  readonly since?: number | undefined;
  /** A human's override. */
  readonly override?: 'isolate' | undefined;
}

/** The set's state (plain JSON, so it can be stored and shared between checkers). */
export interface SetState {
  readonly members: Readonly<Record<string, MemberState>>;
  /** Automatic removals within the velocity window: when, and which target. */
  readonly removals: readonly { readonly at: number; readonly id: string }[];
  /** While true, automation changes nothing (a human's freeze). */
  readonly frozen: boolean;
}

/** Why a target is where it is after an evaluation. */
export type MemberReason =
  'healthy' | 'unhealthy' | 'hold' | 'hold-down' | 'isolated' | 'frozen' | 'fail-open' | 'panic' | 'velocity' | 'floor';

/**
 * Why a human should look. The guardrails raise the last four; `disagreement` comes from the vote
 * ({@link decide}) and is raised by the monitor that runs both.
 */
export type EscalationReason = 'disagreement' | 'fail-open' | 'panic' | 'velocity' | 'floor';

/** One target after an evaluation. */
export interface MemberOutcome {
  readonly id: string;
  readonly inSet: boolean;
  /** What changed: `removed`, `added` or `kept`. */
  readonly change: 'removed' | 'added' | 'kept';
  readonly reason: MemberReason;
  /** Share of a full target's traffic it should take, in (0, 1]; 0 when out of the set. */
  readonly weight: number;
}

/** The outcome of {@link evaluateSet}. */
export interface SetOutcome {
  readonly state: SetState;
  readonly members: readonly MemberOutcome[];
  /** `normal`, or the rule that took over the whole set. */
  readonly mode: 'normal' | 'fail-open' | 'panic' | 'frozen';
  /** What a human should look at, each with the targets concerned. */
  readonly escalations: readonly { readonly reason: EscalationReason; readonly targets: readonly string[] }[];
}

/** Options of the guardrails. Every duration is in milliseconds. */
export interface GuardrailOptions {
  /** Removals allowed per {@link GuardrailOptions.window}, as a share of the targets; default 0.2 (at least one target). */
  readonly maxRemovedShare?: number;
  /** The velocity window, default 10 min (600 000 ms). */
  readonly window?: number;
  /** Automation never leaves fewer than this share of the targets in the set; default 0.5. */
  readonly floor?: number;
  /** Route to every target when none would be left; default true. */
  readonly failOpen?: boolean;
  /** Route to every target when fewer than this share would be left; default 0 (off; Envoy uses 0.5). */
  readonly panicThreshold?: number;
  /** A target's membership stays put this long after it changed (flap damping); default 60 s. */
  readonly holdDown?: number;
  /** The ramp of a returning target; default a 60 s linear ramp from 10 %. `false` turns it off. */
  readonly slowStart?: SlowStartOptions | false;
}

/** Validated guardrail options. */
export interface Guardrails {
  readonly maxRemovedShare: number;
  readonly window: number;
  readonly floor: number;
  readonly failOpen: boolean;
  readonly panicThreshold: number;
  readonly holdDown: number;
  readonly slowStart: SlowStartCurve | undefined;
}

const KEYS = new Set(['maxRemovedShare', 'window', 'floor', 'failOpen', 'panicThreshold', 'holdDown', 'slowStart']);

/** Validates {@link GuardrailOptions} (unknown keys are an error) and applies the defaults. */
export function guardrails(options: GuardrailOptions = {}, prefix = ''): Guardrails {
  if (typeof options !== 'object' || options === null) invalid(`${prefix}guardrails`, 'an object', options);
  for (const key of Object.keys(options)) if (!KEYS.has(key)) invalid(`${prefix}${key}`, 'a known option', key);
  const failOpen = options.failOpen ?? true;
  if (typeof failOpen !== 'boolean') invalid(`${prefix}failOpen`, 'a boolean', failOpen);
  const slowStart = options.slowStart ?? { window: 60_000 };
  return {
    maxRemovedShare: ratio(`${prefix}maxRemovedShare`, options.maxRemovedShare ?? 0.2),
    window: duration(`${prefix}window`, options.window ?? 600_000),
    floor: ratio(`${prefix}floor`, options.floor ?? 0.5),
    failOpen,
    panicThreshold: ratio(`${prefix}panicThreshold`, options.panicThreshold ?? 0),
    holdDown: duration(`${prefix}holdDown`, options.holdDown ?? 60_000),
    slowStart: slowStart === false ? undefined : slowStartCurve(slowStart, `${prefix}slowStart.`),
  };
}

/** A set whose targets `ids` are all in, as after a deployment. */
export function initialSet(ids: readonly string[]): SetState {
  const members: Record<string, MemberState> = {};
  for (const id of ids) members[id] = { inSet: true };
  return { members, removals: [], frozen: false };
}

/** How many automatic removals the velocity limit allows per window for `total` targets. */
export function removalsPerWindow(g: Guardrails, total: number): number {
  return total === 0 ? 0 : Math.max(1, Math.floor(g.maxRemovedShare * total + 1e-9));
}

/** The fewest targets automation may leave in the set, of `total`. */
export function floorCount(g: Guardrails, total: number): number {
  return Math.ceil(g.floor * total - 1e-9);
}

/**
 * One evaluation of the set at `now` (ms): applies the verdicts within the guardrails. A target
 * with no verdict holds. Targets missing from `state.members` are ignored (add them with
 * {@link initialSet} or by hand).
 *
 * @example
 * const g = guardrails({ maxRemovedShare: 0.34, floor: 0.5 });
 * let state = initialSet(['a', 'b', 'c']);
 * const out = evaluateSet(state, { a: 'down', b: 'down', c: 'up' }, 0, g);
 * out.members.filter((m) => !m.inSet).length; // 1: the velocity limit allows one removal per window
 */
export function evaluateSet(
  state: SetState,
  verdicts: Readonly<Record<string, TargetVerdict | undefined>>,
  now: number,
  g: Guardrails,
): SetOutcome {
  const ids = Object.keys(state.members).sort();
  const removals = state.removals.filter((r) => r.at > now - g.window && r.at <= now);
  const escalations: { reason: EscalationReason; targets: string[] }[] = [];
  const out = new Map<string, { inSet: boolean; reason: MemberReason }>();

  // 1. overrides and freeze
  const auto: string[] = [];
  for (const id of ids) {
    const m = state.members[id]!;
    if (m.override === 'isolate') out.set(id, { inSet: false, reason: 'isolated' });
    else if (state.frozen) out.set(id, { inSet: m.inSet, reason: 'frozen' });
    else auto.push(id);
  }
  if (state.frozen) return finish(state, ids, out, removals, now, g, 'frozen', escalations);

  // 2-3. what the verdicts ask for, within holds and flap damping
  const wantOut: string[] = [];
  for (const id of auto) {
    const m = state.members[id]!;
    const v = verdicts[id];
    const damped = m.since !== undefined && now - m.since < g.holdDown;
    if (v === 'hold' || v === undefined) {
      out.set(id, { inSet: m.inSet, reason: 'hold' });
    } else if ((v === 'down') === !m.inSet) {
      out.set(id, { inSet: m.inSet, reason: m.inSet ? 'healthy' : 'unhealthy' });
    } else if (damped) {
      out.set(id, { inSet: m.inSet, reason: 'hold-down' });
    } else if (v === 'up') {
      out.set(id, { inSet: true, reason: 'healthy' });
    } else {
      wantOut.push(id);
      out.set(id, { inSet: true, reason: 'healthy' }); // decided below
    }
  }

  const total = auto.length;
  const stayingIn = auto.filter((id) => out.get(id)!.inSet && !wantOut.includes(id)).length;

  // 4-5. fail-open and panic take over the whole set
  const everyDown = auto.every((id) => verdicts[id] === 'down');
  const failOpen = g.failOpen && total > 0 && (stayingIn === 0 || everyDown);
  const panic = !failOpen && total > 0 && stayingIn / total < g.panicThreshold;
  if (failOpen || panic) {
    const reason = failOpen ? 'fail-open' : 'panic';
    for (const id of auto) out.set(id, { inSet: true, reason });
    escalations.push({ reason, targets: [...auto] });
    return finish(state, ids, out, removals, now, g, reason, escalations);
  }

  // 6-7. velocity and floor limit the removals
  let allowed = removalsPerWindow(g, total) - removals.length;
  let inSet = auto.filter((id) => out.get(id)!.inSet).length;
  const minIn = floorCount(g, total);
  const byVelocity: string[] = [];
  const byFloor: string[] = [];
  for (const id of wantOut) {
    if (inSet - 1 < minIn) {
      out.set(id, { inSet: true, reason: 'floor' });
      byFloor.push(id);
    } else if (allowed <= 0) {
      out.set(id, { inSet: true, reason: 'velocity' });
      byVelocity.push(id);
    } else {
      out.set(id, { inSet: false, reason: 'unhealthy' });
      allowed--;
      inSet--;
    }
  }
  if (byVelocity.length > 0) escalations.push({ reason: 'velocity', targets: byVelocity });
  if (byFloor.length > 0) escalations.push({ reason: 'floor', targets: byFloor });
  return finish(state, ids, out, removals, now, g, 'normal', escalations);
}

function finish(
  state: SetState,
  ids: readonly string[],
  out: Map<string, { inSet: boolean; reason: MemberReason }>,
  removals: SetState['removals'],
  now: number,
  g: Guardrails,
  mode: SetOutcome['mode'],
  escalations: SetOutcome['escalations'],
): SetOutcome {
  const members: Record<string, MemberState> = {};
  const outcomes: MemberOutcome[] = [];
  const log = [...removals];
  for (const id of ids) {
    const before = state.members[id]!;
    const after = out.get(id)!;
    const change = after.inSet === before.inSet ? 'kept' : after.inSet ? 'added' : 'removed';
    const since = change === 'kept' ? before.since : now;
    // Only automatic removals count toward the velocity limit; a human's isolation does not.
    if (change === 'removed' && after.reason === 'unhealthy') log.push({ at: now, id });
    members[id] =
      before.override === undefined ? { inSet: after.inSet, since } : { ...before, inSet: after.inSet, since };
    outcomes.push({
      id,
      inSet: after.inSet,
      change,
      reason: after.reason,
      weight: weightOf(after.inSet, since, now, g, mode),
    });
  }
  return { state: { members, removals: log, frozen: state.frozen }, members: outcomes, mode, escalations };
}

/** A target's share of traffic: 0 out of the set; ramping after it (re-)entered; 1 when the whole set is routed to. */
function weightOf(
  inSet: boolean,
  since: number | undefined,
  now: number,
  g: Guardrails,
  mode: SetOutcome['mode'],
): number {
  if (!inSet) return 0;
  if (mode === 'fail-open' || mode === 'panic' || g.slowStart === undefined || since === undefined) return 1;
  return slowStartWeight(g.slowStart, now - since);
}
