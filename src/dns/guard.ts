/**
 * The last-known-good guard: a pure state machine, one per name, that refuses to let an upstream
 * take a name's addresses away in one step.
 *
 * On 2025-10-20 the DynamoDB endpoint's record was emptied while every server behind it stayed up;
 * resolvers treated the authoritative empty answer as a successful refresh and clients threw away
 * addresses that still worked. RFC 8767 serve-stale does not help (the upstream did answer). So:
 *
 * - **engage** when a name that has a last-known-good set answers NOERROR-empty or NXDOMAIN, or an
 *   answer holds more than `maxDropShare` fewer addresses than the known set (4 → 1 with the default
 *   0.5; a rotation to other addresses of the same number is a normal change); the resolver keeps
 *   serving the last-known-good set;
 * - **release** when the upstream answers normally again (`recovered`), when `confirmations`
 *   independent upstreams agree with the change (`confirmed`), when the change has persisted for
 *   `holdDown`, no independent upstream still sees the good set and no last-known-good address was
 *   reported reachable within `reachableWithin` (`hold-down`), or, whatever the evidence, when the
 *   change has persisted for `maxHold` (`max-hold`).
 *
 * Reachability is the evidence that matters most: on the day the servers were up and the map was
 * wrong. While the guard holds, the client reports each connect to a last-known-good address
 * ({@link reachable}, {@link unreachable}); a recent success keeps the set past the hold-down, and
 * failures of every address of the set void that evidence at once, so a change that is real (the
 * servers did go away) is believed as soon as the hold-down allows.
 *
 * A name that never resolved has no last-known-good set: the guard never invents addresses for it.
 * Functions take `now` and return a new state; nothing here reads a clock or does I/O.
 */
import { duration, invalid, nonNegativeInteger, ratio } from '../core/validate.js';
import type { DnsAddress } from './types.js';

/** What an upstream said about a name. */
export type Observation =
  { readonly kind: 'addresses'; readonly addresses: readonly DnsAddress[] } | { readonly kind: 'nxdomain' | 'empty' };

/** Why the guard engaged: the answer was empty, NXDOMAIN, or dropped too many addresses. */
export type GuardReason = 'empty' | 'nxdomain' | 'drop';

/** Why the guard released. */
export type ReleaseReason = 'recovered' | 'confirmed' | 'hold-down' | 'max-hold';

/** Options of the guard. */
export interface GuardConfig {
  /**
   * Engage when an answer drops more than this share of the last-known-good addresses at once, 0..1;
   * default 0.5 (losing half the fleet in one answer is more often a bad plan than a real change).
   */
  readonly maxDropShare: number;
  /**
   * How long a change must persist before it is believed without independent confirmation, in
   * milliseconds; default 300,000 (5 minutes). Infinity: only independent upstreams can confirm.
   */
  readonly holdDown: number;
  /**
   * How many independent upstreams must agree with a change to confirm it at once; default 1.
   * 0: never ask them (hold-down only).
   */
  readonly confirmations: number;
  /**
   * Keep holding past the hold-down while a last-known-good address was reported reachable within
   * `reachableWithin`; default true (the servers answering is the best reason to doubt the map).
   */
  readonly holdWhileReachable: boolean;
  /**
   * How long a report that a last-known-good address accepted a connection counts as evidence, in
   * milliseconds; default 300,000 (5 minutes, as long as an unconfirmed change is doubted). It only
   * matters while nobody connects: failed connects to every address of the set void the evidence at
   * once, so a long window does not delay believing a change whose servers really went away. It must
   * outlast the gap between two connects of a client that keeps its connections alive.
   */
  readonly reachableWithin: number;
  /**
   * After how long a change is believed whatever the evidence (reachable addresses, vetoing
   * upstreams), in milliseconds; default 86,400,000 (24 hours: the record stayed empty 2 h 37 min on
   * 2025-10-20; an address that still answers a day after its name stopped pointing at it is more
   * likely someone else's), or `holdDown` when that is longer. Infinity: never.
   */
  readonly maxHold: number;
}

/** The defaults of {@link GuardConfig}. */
export const defaultGuardConfig: GuardConfig = {
  maxDropShare: 0.5,
  holdDown: 300_000,
  confirmations: 1,
  holdWhileReachable: true,
  reachableWithin: 300_000,
  maxHold: 86_400_000,
};

/**
 * Validates a partial config and fills in defaults.
 *
 * @example
 * guardConfig({ holdDown: 60_000 }); // { maxDropShare: 0.5, holdDown: 60000, confirmations: 1, holdWhileReachable: true, … }
 */
export function guardConfig(options: Partial<GuardConfig> = {}): GuardConfig {
  const holdDown = duration('holdDown', options.holdDown ?? defaultGuardConfig.holdDown, true);
  const holdWhileReachable = options.holdWhileReachable ?? defaultGuardConfig.holdWhileReachable;
  if (typeof holdWhileReachable !== 'boolean') invalid('holdWhileReachable', 'a boolean', holdWhileReachable);
  const maxHold = duration('maxHold', options.maxHold ?? Math.max(defaultGuardConfig.maxHold, holdDown), true);
  if (maxHold < holdDown) invalid('maxHold', `a duration >= holdDown (${holdDown} ms)`, maxHold);
  return {
    maxDropShare: ratio('maxDropShare', options.maxDropShare ?? defaultGuardConfig.maxDropShare),
    holdDown,
    confirmations: nonNegativeInteger('confirmations', options.confirmations ?? defaultGuardConfig.confirmations),
    holdWhileReachable,
    reachableWithin: duration('reachableWithin', options.reachableWithin ?? defaultGuardConfig.reachableWithin, true),
    maxHold,
  };
}

/** The guard of one name. */
export interface GuardState<O extends Observation = Observation> {
  readonly engaged: boolean;
  /** When it engaged, in clock ms (NaN when idle). */
  readonly since: number;
  /** Why it engaged (the latest suspicious observation's kind). */
  readonly reason: GuardReason | undefined;
  /** The latest suspicious observation from the primary upstreams: adopted when the guard releases. */
  readonly pending: O | undefined;
  /** Independent upstreams that agree with the change. */
  readonly agreeing: readonly string[];
  /** Independent upstreams that still see the last-known-good set. */
  readonly vetoing: readonly string[];
  /** When a last-known-good address was last reported reachable while engaged, in clock ms (-Infinity: never, or voided). */
  readonly reachableAt: number;
  /** Last-known-good addresses reported unreachable since {@link reachableAt}; all of them voids the evidence. */
  readonly unreachable: readonly string[];
}

/** The state of a guard that has not engaged. */
export const idleGuard: GuardState<never> = Object.freeze({
  engaged: false,
  since: NaN,
  reason: undefined,
  pending: undefined,
  agreeing: Object.freeze([]) as readonly string[],
  vetoing: Object.freeze([]) as readonly string[],
  reachableAt: -Infinity,
  unreachable: Object.freeze([]) as readonly string[],
});

/** An event for listeners: the guard engaged or released. */
export type GuardEvent =
  | { readonly type: 'guard-engaged'; readonly reason: GuardReason; readonly at: number }
  | { readonly type: 'guard-released'; readonly reason: ReleaseReason; readonly at: number; readonly heldFor: number };

/**
 * What to do with an observation: `accept` it (adopt `adopt`: the observation, or the pending change
 * confirmed by an independent upstream), or `hold` the last-known-good set.
 */
export type GuardDecision<O extends Observation = Observation> =
  | { readonly action: 'accept'; readonly state: GuardState<O>; readonly adopt: O; readonly event?: GuardEvent }
  | { readonly action: 'hold'; readonly state: GuardState<O>; readonly event?: GuardEvent };

/**
 * Why `observation` is a suspicious change from `lastKnownGood`, or undefined when it is not (or
 * when there is no last-known-good set: a name that never resolved is never guarded). A drop is
 * counted: the answer holds more than `maxDropShare` fewer addresses than the last-known-good set.
 *
 * @example
 * suspicion([a, b, c, d], { kind: 'addresses', addresses: [a] }, 0.5); // 'drop'
 * suspicion(undefined, { kind: 'nxdomain' }, 0.5); // undefined: never resolved, never guarded
 */
export function suspicion(
  lastKnownGood: readonly DnsAddress[] | undefined,
  observation: Observation,
  maxDropShare: number,
): GuardReason | undefined {
  if (lastKnownGood === undefined || lastKnownGood.length === 0) return undefined;
  if (observation.kind !== 'addresses') return observation.kind;
  if (observation.addresses.length === 0) return 'empty';
  // Counted, not matched: a name whose addresses rotate (S3, load balancers answering a different
  // subset each time) changes its addresses, not their number, and is not suspicious.
  const dropped = lastKnownGood.length - observation.addresses.length;
  return dropped / lastKnownGood.length > maxDropShare ? 'drop' : undefined;
}

/**
 * Whether a last-known-good address was reported reachable within `reachableWithin` of `now` (and
 * not every address of the set failed since).
 *
 * @example
 * evidenceFresh(reachable(held, lkg, '10.0.0.1', 1_000), 2_000, defaultGuardConfig); // true
 */
export function evidenceFresh(state: GuardState<Observation>, now: number, config: GuardConfig): boolean {
  return state.engaged && now - state.reachableAt < config.reachableWithin;
}

/**
 * Why an engaged guard would release if asked at `now` (undefined: it holds). The resolver asks it
 * after a report voids the evidence, to recheck the name at once instead of at the next expiry.
 *
 * @example
 * releaseDue(held, held.since + 300_000, defaultGuardConfig); // 'hold-down' without evidence or veto
 */
export function releaseDue(
  state: GuardState<Observation>,
  now: number,
  config: GuardConfig,
): ReleaseReason | undefined {
  if (!state.engaged) return undefined;
  return releasable(state, now, config);
}

function releasable(state: GuardState<Observation>, now: number, config: GuardConfig): ReleaseReason | undefined {
  if (config.confirmations > 0 && state.agreeing.length >= config.confirmations) return 'confirmed';
  const held = now - state.since;
  if (held >= config.maxHold) return 'max-hold';
  if (
    held >= config.holdDown &&
    state.vetoing.length === 0 &&
    !(config.holdWhileReachable && now - state.reachableAt < config.reachableWithin)
  ) {
    return 'hold-down';
  }
  return undefined;
}

/** The decision that releases a guard engaged `since`: adopt the change, back to idle. */
function released<O extends Observation>(
  adopt: O,
  reason: ReleaseReason,
  since: number,
  now: number,
): GuardDecision<O> {
  return {
    action: 'accept',
    state: idleGuard,
    adopt,
    event: { type: 'guard-released', reason, at: now, heldFor: now - since },
  };
}

/**
 * Feeds an answer of the primary upstreams to the guard.
 *
 * @param lastKnownGood - the name's last accepted addresses, if it ever resolved.
 * @example
 * const d = observe(idleGuard, [{ address: '10.0.0.1', family: 4 }], { kind: 'empty' }, 0, defaultGuardConfig);
 * d.action; // 'hold': keep serving 10.0.0.1
 */
export function observe<O extends Observation>(
  state: GuardState<O>,
  lastKnownGood: readonly DnsAddress[] | undefined,
  observation: O,
  now: number,
  config: GuardConfig,
): GuardDecision<O> {
  const reason = suspicion(lastKnownGood, observation, config.maxDropShare);
  if (reason === undefined) {
    if (!state.engaged) return { action: 'accept', state, adopt: observation };
    return released(observation, 'recovered', state.since, now);
  }
  if (!state.engaged) {
    const engaged: GuardState<O> = {
      engaged: true,
      since: now,
      reason,
      pending: observation,
      agreeing: [],
      vetoing: [],
      reachableAt: -Infinity,
      unreachable: [],
    };
    const release = releasable(engaged, now, config);
    // A zero hold-down without independent confirmation means the guard is off: accept at once.
    if (release !== undefined) return { action: 'accept', state: idleGuard, adopt: observation };
    return { action: 'hold', state: engaged, event: { type: 'guard-engaged', reason, at: now } };
  }
  // The same suspicion again keeps the same state object (no copy per lookup while the guard holds).
  const next: GuardState<O> =
    state.reason === reason && state.pending === observation ? state : { ...state, reason, pending: observation };
  const release = releasable(next, now, config);
  if (release !== undefined) return released(observation, release, state.since, now);
  return { action: 'hold', state: next };
}

/**
 * Feeds the answer of an independent upstream ("second opinion") while the guard is engaged. It
 * agrees with the change when it too looks suspicious against the last-known-good set, and vetoes
 * the hold-down release when it still sees the good set. An error is neither (pass nothing).
 *
 * @example
 * const held = observe(idleGuard, lkg, { kind: 'empty' }, now, config);
 * const d = confirm(held.state, lkg, '192.0.2.53:53', { kind: 'empty' }, now, config);
 * d.action; // 'accept' with the default confirmations: 1
 */
export function confirm<O extends Observation>(
  state: GuardState<O>,
  lastKnownGood: readonly DnsAddress[] | undefined,
  upstream: string,
  observation: Observation,
  now: number,
  config: GuardConfig,
): GuardDecision<O> {
  if (!state.engaged) return { action: 'hold', state };
  const agrees = suspicion(lastKnownGood, observation, config.maxDropShare) !== undefined;
  const agreeing = state.agreeing.filter((u) => u !== upstream);
  const vetoing = state.vetoing.filter((u) => u !== upstream);
  (agrees ? agreeing : vetoing).push(upstream);
  const next: GuardState<O> = { ...state, agreeing, vetoing };
  const release = releasable(next, now, config);
  if (release !== undefined && next.pending !== undefined) return released(next.pending, release, state.since, now);
  return { action: 'hold', state: next };
}

function holds(lastKnownGood: readonly DnsAddress[] | undefined, address: string): boolean {
  if (lastKnownGood === undefined) return false;
  for (const a of lastKnownGood) if (a.address === address) return true;
  return false;
}

/**
 * Reports that `address` accepted a connection at `now`. While the guard is engaged and the address
 * is one of the last-known-good set, this is evidence that the set still works: with
 * `holdWhileReachable` the hold-down does not release while the evidence is younger than
 * `reachableWithin`. Otherwise (idle guard, another address) the state is returned unchanged, the
 * same object, without allocating.
 *
 * @example
 * let state = observe(idleGuard, lkg, { kind: 'empty' }, 0, config).state;
 * state = reachable(state, lkg, '10.0.0.1', 299_000);
 * observe(state, lkg, { kind: 'empty' }, 300_000, config).action; // 'hold': the server still answers
 */
export function reachable<O extends Observation>(
  state: GuardState<O>,
  lastKnownGood: readonly DnsAddress[] | undefined,
  address: string,
  now: number,
): GuardState<O> {
  if (!state.engaged || !holds(lastKnownGood, address)) return state;
  if (state.reachableAt === now && state.unreachable.length === 0) return state;
  return { ...state, reachableAt: Math.max(state.reachableAt, now), unreachable: [] };
}

/**
 * Reports that a connection to `address` failed at `now`. Once every address of the last-known-good
 * set has failed since the last success, the evidence is void: the hold-down releases as if nobody
 * had ever connected. Otherwise (idle guard, another address, some address still unproven) the
 * state only records the failure.
 *
 * @example
 * state = unreachable(state, lkg, '10.0.0.1', 301_000); // lkg = [10.0.0.1]: evidence void
 * observe(state, lkg, { kind: 'empty' }, 301_000, config).action; // 'accept': the change is believed
 */
export function unreachable<O extends Observation>(
  state: GuardState<O>,
  lastKnownGood: readonly DnsAddress[] | undefined,
  address: string,
  now: number,
): GuardState<O> {
  if (!state.engaged || !holds(lastKnownGood, address) || state.unreachable.includes(address)) return state;
  if (state.reachableAt > now) return state; // a success reported for a later moment wins
  const failed = [...state.unreachable, address];
  const all = lastKnownGood!.every((a) => failed.includes(a.address));
  return { ...state, unreachable: failed, reachableAt: all ? -Infinity : state.reachableAt };
}
