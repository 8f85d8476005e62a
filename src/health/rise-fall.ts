/**
 * One source's view of one target, with rise/fall thresholds so that one failed check flips
 * nothing: a target is believed down only after `fall` consecutive failures and believed up again
 * only after `rise` consecutive successes (as HAProxy's `rise`/`fall` and Envoy's
 * `unhealthy_threshold`/`healthy_threshold`). A check that could not be made at all (the probe
 * threw, the provider answered garbage) is `faulty`: it says nothing about the target, so it never
 * counts toward `fall`, and a source that stays faulty votes `faulty`, never `down`.
 *
 * The state is plain JSON; {@link observe} is pure.
 */
import { invalid, positiveInteger } from '../core/validate.js';

/** What one source says of one target. */
export type Vote = 'up' | 'down' | 'unknown' | 'faulty';

/** The result of one check by one source. */
export type Observation = 'pass' | 'fail' | 'faulty';

/** One source's state for one target (plain JSON). */
export interface RiseFallState {
  /** The source's current vote. `unknown` until the first threshold is reached. */
  readonly vote: Vote;
  /** Consecutive passes (reset by a fail). */
  readonly passes: number;
  /** Consecutive fails (reset by a pass). */
  readonly fails: number;
  /** Consecutive faulty checks (reset by any real answer). */
  readonly faults: number;
  /** When the vote last changed, in ms of the injected clock; `undefined` before the first vote. */
  readonly since?: number | undefined;
}

/** Thresholds of {@link observe}. */
export interface RiseFallOptions {
  /** Consecutive passes before `up`, default 2. */
  readonly rise?: number;
  /** Consecutive fails before `down`, default 3. */
  readonly fall?: number;
  /** Consecutive faulty checks before the vote becomes `faulty`, default 2. */
  readonly faultyAfter?: number;
}

/** Normalised thresholds. */
export interface RiseFallThresholds {
  readonly rise: number;
  readonly fall: number;
  readonly faultyAfter: number;
}

/** The state before any check. */
export const INITIAL_RISE_FALL: RiseFallState = Object.freeze({ vote: 'unknown', passes: 0, fails: 0, faults: 0 });

/** Validates {@link RiseFallOptions} (unknown keys are an error) and applies the defaults. */
export function riseFallThresholds(options: RiseFallOptions = {}, prefix = ''): RiseFallThresholds {
  if (typeof options !== 'object' || options === null) invalid(`${prefix}options`, 'an object', options);
  for (const key of Object.keys(options)) {
    if (key !== 'rise' && key !== 'fall' && key !== 'faultyAfter') invalid(`${prefix}${key}`, 'a known option', key);
  }
  return {
    rise: positiveInteger(`${prefix}rise`, options.rise ?? 2),
    fall: positiveInteger(`${prefix}fall`, options.fall ?? 3),
    faultyAfter: positiveInteger(`${prefix}faultyAfter`, options.faultyAfter ?? 2),
  };
}

/**
 * The state after one check at `now` (ms).
 *
 * @example
 * let s = INITIAL_RISE_FALL;
 * const t = riseFallThresholds({ rise: 2, fall: 3 });
 * for (const o of ['fail', 'fail', 'fail'] as const) s = observe(s, o, 0, t);
 * s.vote; // 'down'
 */
export function observe(
  state: RiseFallState,
  observation: Observation,
  now: number,
  t: RiseFallThresholds,
): RiseFallState {
  let vote: Vote = state.vote;
  if (observation === 'faulty') {
    const faults = state.faults + 1;
    if (faults >= t.faultyAfter) vote = 'faulty';
    return changed(state, { vote, passes: state.passes, fails: state.fails, faults }, now);
  }
  if (observation === 'pass') {
    const passes = state.passes + 1;
    // A source recovering from `faulty` falls back to what its last real answers said.
    if (passes >= t.rise) vote = 'up';
    else if (vote === 'faulty') vote = 'unknown';
    return changed(state, { vote, passes, fails: 0, faults: 0 }, now);
  }
  const fails = state.fails + 1;
  if (fails >= t.fall) vote = 'down';
  else if (vote === 'faulty') vote = 'unknown';
  return changed(state, { vote, passes: 0, fails, faults: 0 }, now);
}

function changed(before: RiseFallState, after: Omit<RiseFallState, 'since'>, now: number): RiseFallState {
  return { ...after, since: after.vote === before.vote ? before.since : now };
}
