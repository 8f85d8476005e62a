/**
 * The circuit breaker's state machine, with no clock and no I/O: every function takes the state,
 * `now` and an input, and updates the state object in place (a plain, JSON-able record, so that
 * millions of simulated clients cost no allocation per call). {@link CircuitBreaker} is the thin shell
 * that reads the clock, arms the open → half-open timer and emits events; the simulator drives these
 * functions directly.
 *
 * ```
 *            failures cross the threshold                now ≥ halfOpenAt (timer or next call)
 *   closed ────────────────────────────────▶ open ────────────────────────────────▶ half-open
 *     ▲                                       ▲                                        │
 *     │            a probe fails or is slow   └────────────────────────────────────────┤
 *     └──────────────────────────────────────── `successThreshold` probes succeed ◀────┘
 *   isolate() from any state → isolated; the last release() → closed; reset() → closed.
 * ```
 * Every transition bumps `gen`. A call remembers the `gen` it was admitted under, and its outcome is
 * ignored if the breaker moved on meanwhile (a slow call admitted while closed cannot re-open a
 * breaker that has since been reset; a probe admitted before a reset cannot close a new half-open).
 *
 * @see Michael Nygard, "Release It!" (2nd ed., 2018), ch. 5 "Circuit Breaker"
 * @see https://resilience4j.readme.io/docs/circuitbreaker (count and time windows, slow calls)
 */
import { advanceBuckets, emptyBuckets } from '../../core/bucket-ring.js';
import type { BucketRingState } from '../../core/bucket-ring.js';
import type { Random } from '../../core/random.js';
import { invalid, nonNegativeNumber, oneOf, positiveInteger, positiveNumber } from '../../core/validate.js';
import type { Backoff } from '../retry/backoff.js';
import type { BreakerOptions } from './breaker.js';

/** The four states. `isolated` is held open by hand until released. */
export type BreakerStateName = 'closed' | 'open' | 'half-open' | 'isolated';

/** Why the breaker last changed state. */
export type BreakerReason =
  | 'initial'
  | 'consecutive-failures'
  | 'failure-rate'
  | 'slow-call-rate'
  | 'probe-failed'
  | 'probe-slow'
  | 'half-open-after'
  | 'probes-succeeded'
  | 'isolated'
  | 'released'
  | 'reset';

/** The normalised configuration the machine reads (see `BreakerOptions` in breaker.ts for meanings). */
export interface BreakerConfig {
  readonly strategy: 'consecutive' | 'count' | 'time';
  /** consecutive: failures in a row that open the breaker. */
  readonly failures: number;
  /** count: calls in the window. */
  readonly size: number;
  /** count/time: failure rate in (0, 1] that opens the breaker. */
  readonly failureRate: number;
  /** count/time: calls the window must hold before a rate is judged. */
  readonly minimumCalls: number;
  /** time: number of buckets, and the width of one in ms (window = buckets × width). */
  readonly buckets: number;
  readonly bucketWidth: number;
  /** A call longer than this (ms) is slow; Infinity disables slow-call detection. */
  readonly slowCallDuration: number;
  /** Slow-call rate in (0, 1] that opens the breaker. */
  readonly slowCallRate: number;
  /** How long to stay open, per opening (`opens` = openings since the last close, 1-based). */
  readonly halfOpenAfter: Backoff;
  readonly random: Random;
  /** Half-open: probes allowed at once, and probe successes needed to close. */
  readonly probes: number;
  readonly successThreshold: number;
}

/** The options {@link breakerConfig} reads: those of the state machine. */
export type BreakerConfigOptions = Pick<
  BreakerOptions,
  'strategy' | 'slowCall' | 'halfOpenAfter' | 'probes' | 'successThreshold'
>;

const DEFAULT_HALF_OPEN_AFTER = 30_000; // 30 s: see BreakerOptions.halfOpenAfter.

function rate(name: string, value: unknown): number {
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) invalid(name, 'a number > 0 and <= 1', value);
  return value;
}

function isBackoff(value: unknown): value is Backoff {
  return typeof value === 'object' && value !== null && typeof (value as Backoff).next === 'function';
}

/**
 * Validates the state machine's options of {@link BreakerOptions} (strategy, slow calls, half-open)
 * into its configuration, with the breaker's defaults. The breaker and the simulator's models build
 * their configuration with it. Invalid options throw `FS_ERR_INVALID_ARGUMENT`.
 *
 * @param random - the jitter a `halfOpenAfter` backoff draws from.
 * @example
 * const config = breakerConfig({ halfOpenAfter: 30_000 }, random); // 5 failures in a row open it for 30 s
 */
export function breakerConfig(options: BreakerConfigOptions, random: Random): BreakerConfig {
  const strategy = options.strategy ?? { kind: 'consecutive' };
  if (typeof strategy !== 'object' || strategy === null) invalid('strategy', 'an object', strategy);
  const kind = oneOf('strategy.kind', strategy.kind, ['consecutive', 'count', 'time']);
  let failures = 5; // see ConsecutiveStrategy.failures
  let size = 0;
  let failureRate = 1;
  let minimumCalls = 1;
  let buckets = 1;
  let bucketWidth = 1;
  if (strategy.kind === 'consecutive') {
    failures = positiveInteger('strategy.failures', strategy.failures ?? 5);
  } else if (strategy.kind === 'count') {
    size = positiveInteger('strategy.size', strategy.size ?? 100);
    failureRate = rate('strategy.failureRate', strategy.failureRate ?? 0.5);
    minimumCalls = positiveInteger('strategy.minimumCalls', strategy.minimumCalls ?? size);
    if (minimumCalls > size) invalid('strategy.minimumCalls', `an integer <= strategy.size (${size})`, minimumCalls);
  } else {
    const duration = positiveNumber('strategy.duration', strategy.duration ?? 60_000);
    buckets = positiveInteger('strategy.buckets', strategy.buckets ?? 10);
    bucketWidth = duration / buckets;
    failureRate = rate('strategy.failureRate', strategy.failureRate ?? 0.5);
    minimumCalls = positiveInteger('strategy.minimumCalls', strategy.minimumCalls ?? 10);
  }
  let slowCallDuration = Infinity;
  let slowCallRate = Infinity;
  if (options.slowCall !== undefined) {
    if (typeof options.slowCall !== 'object' || options.slowCall === null) {
      invalid('slowCall', 'an object', options.slowCall);
    }
    if (kind === 'consecutive') invalid('strategy.kind', '"count" or "time" when `slowCall` is set', kind);
    slowCallDuration = nonNegativeNumber('slowCall.duration', options.slowCall.duration);
    slowCallRate = rate('slowCall.rate', options.slowCall.rate ?? 0.5);
  }
  const after = options.halfOpenAfter ?? DEFAULT_HALF_OPEN_AFTER;
  let halfOpenAfter: Backoff;
  if (isBackoff(after)) halfOpenAfter = after;
  else {
    if (typeof after !== 'number') invalid('halfOpenAfter', 'a duration in ms or a Backoff', after);
    const ms = nonNegativeNumber('halfOpenAfter', after);
    halfOpenAfter = { kind: 'constant', next: () => ms };
  }
  return {
    strategy: kind,
    failures,
    size,
    failureRate,
    minimumCalls,
    buckets,
    bucketWidth,
    slowCallDuration,
    slowCallRate,
    halfOpenAfter,
    random,
    probes: positiveInteger('probes', options.probes ?? 1),
    successThreshold: positiveInteger('successThreshold', options.successThreshold ?? 1),
  };
}

/**
 * The state, mutated in place by the functions below. Plain data: `structuredClone` copies it,
 * {@link machineToJSON} serialises it.
 */
export interface BreakerMachine {
  state: BreakerStateName;
  /** Bumped on every transition. */
  gen: number;
  reason: BreakerReason;
  /** When the current state began, clock ms. */
  since: number;
  /** Openings since the breaker was last closed (drives the half-open backoff). */
  opens: number;
  /** The last open duration, ms (the `previous` handed to the backoff). */
  openDelay: number;
  /** open: when a probe becomes allowed, clock ms. */
  halfOpenAt: number;
  /** half-open: probes in flight, and successes so far. */
  inFlight: number;
  successes: number;
  /** isolate() handles held. */
  isolations: number;
  /** closed: failures in a row (consecutive strategy). */
  consecutive: number;
  /** closed, count/time: calls, failures and slow calls in the window. */
  calls: number;
  failures: number;
  slow: number;
  /** count: outcomes of the last `size` calls (bit 0 failure, bit 1 slow; -1 empty), and the next slot. */
  ring: number[];
  cursor: number;
  /**
   * time: per-bucket calls, failures and slow calls (series 0, 1, 2) in core's one bucketed sliding
   * window; its totals are mirrored into `calls`, `failures` and `slow` after every move.
   */
  window: BucketRingState;
}

/** What {@link acquire} decided. */
export const Admit = {
  /** Closed: go ahead. */
  CALL: 0,
  /** Half-open: go ahead as a probe. */
  PROBE: 1,
  /** Open (or half-open with every probe slot taken): reject. */
  REJECT_OPEN: 2,
  /** Isolated by hand: reject. */
  REJECT_ISOLATED: 3,
} as const;
export type Admission = (typeof Admit)[keyof typeof Admit];

/** How a call ended, as far as the breaker is concerned. */
export const Outcome = {
  SUCCESS: 0,
  FAILURE: 1,
  /** Neither (the caller cancelled): frees a probe slot, counts for nothing. */
  IGNORED: 2,
} as const;
export type CallOutcome = (typeof Outcome)[keyof typeof Outcome];

const CALLS = 0;
const FAILURES = 1;
const SLOW = 2;

/** An empty time window whose newest bucket holds `now` (no buckets unless the strategy is `time`). */
function timeWindow(config: BreakerConfig, buckets: number, now: number): BucketRingState {
  const window = emptyBuckets(Math.max(buckets, 1), 3);
  window.head = config.strategy === 'time' ? Math.floor(now / config.bucketWidth) : 0;
  return window;
}

/** A fresh closed machine for `config` at time `now`. */
export function createMachine(config: BreakerConfig, now: number): BreakerMachine {
  const buckets = config.strategy === 'time' ? config.buckets : 0;
  return {
    state: 'closed',
    gen: 0,
    reason: 'initial',
    since: now,
    opens: 0,
    openDelay: 0,
    halfOpenAt: 0,
    inFlight: 0,
    successes: 0,
    isolations: 0,
    consecutive: 0,
    calls: 0,
    failures: 0,
    slow: 0,
    ring: new Array<number>(config.strategy === 'count' ? config.size : 0).fill(-1),
    cursor: 0,
    window: timeWindow(config, buckets, now),
  };
}

/** Empties the closed-state window. */
function clearWindow(m: BreakerMachine): void {
  m.consecutive = m.calls = m.failures = m.slow = m.cursor = 0;
  m.ring.fill(-1);
  const w = m.window;
  for (let i = 0; i < 3; i++) {
    w.counts[i]!.fill(0);
    w.totals[i] = 0;
  }
}

function enter(m: BreakerMachine, state: BreakerStateName, reason: BreakerReason, now: number): void {
  m.state = state;
  m.reason = reason;
  m.since = now;
  m.gen++;
  m.inFlight = 0;
  m.successes = 0;
}

function open(config: BreakerConfig, m: BreakerMachine, reason: BreakerReason, now: number): void {
  enter(m, 'open', reason, now);
  m.opens++;
  let delay = config.halfOpenAfter.next(m.opens, m.openDelay, config.random);
  if (!(delay >= 0 && delay < Infinity)) delay = 0; // a faulty backoff must not wedge the breaker open
  m.openDelay = delay;
  m.halfOpenAt = now + delay;
}

function close(m: BreakerMachine, reason: BreakerReason, now: number): void {
  enter(m, 'closed', reason, now);
  m.opens = 0;
  m.openDelay = 0;
  clearWindow(m);
}

/**
 * Moves an open breaker to half-open once `now` reaches `halfOpenAt`. The shell calls it from its
 * timer; {@link acquire} calls it too, so a late timer never delays recovery.
 */
export function tick(m: BreakerMachine, now: number): void {
  if (m.state === 'open' && now >= m.halfOpenAt) enter(m, 'half-open', 'half-open-after', now);
}

/** May a call go out now? A probe admission takes a half-open slot until {@link record} frees it. */
export function acquire(config: BreakerConfig, m: BreakerMachine, now: number): Admission {
  if (m.state === 'closed') return Admit.CALL;
  if (m.state === 'isolated') return Admit.REJECT_ISOLATED;
  tick(m, now);
  if (m.state === 'open' || m.inFlight >= config.probes) return Admit.REJECT_OPEN;
  m.inFlight++;
  return Admit.PROBE;
}

/**
 * Moves the time window forward to the bucket holding `now`, expiring older buckets (time that goes
 * backwards keeps counting in the newest), mirrors its totals and returns the newest bucket's slot.
 */
function roll(config: BreakerConfig, m: BreakerMachine, now: number): number {
  const w = m.window;
  const slot = advanceBuckets(w, Math.floor(now / config.bucketWidth));
  m.calls = w.totals[CALLS]!;
  m.failures = w.totals[FAILURES]!;
  m.slow = w.totals[SLOW]!;
  return slot;
}

/** Judges the window after a call: opens the breaker when a rate crosses its threshold. */
function judge(config: BreakerConfig, m: BreakerMachine, now: number): void {
  if (m.calls < config.minimumCalls) return;
  if (m.failures >= config.failureRate * m.calls) open(config, m, 'failure-rate', now);
  else if (m.slow >= config.slowCallRate * m.calls) open(config, m, 'slow-call-rate', now);
}

/**
 * Records how a call admitted under generation `gen` ended, `duration` ms after it started (pass 0
 * when slow-call detection is off). Outcomes from an older generation are ignored.
 */
export function record(
  config: BreakerConfig,
  m: BreakerMachine,
  now: number,
  gen: number,
  outcome: CallOutcome,
  duration: number,
): void {
  if (gen !== m.gen || outcome === Outcome.IGNORED) {
    if (gen === m.gen && m.state === 'half-open') m.inFlight--;
    return;
  }
  const slow = duration > config.slowCallDuration;
  if (m.state === 'half-open') {
    m.inFlight--;
    if (outcome === Outcome.FAILURE) open(config, m, 'probe-failed', now);
    else if (slow) open(config, m, 'probe-slow', now);
    else if (++m.successes >= config.successThreshold) close(m, 'probes-succeeded', now);
    return;
  }
  if (m.state !== 'closed') return;
  const failed = outcome === Outcome.FAILURE;
  switch (config.strategy) {
    case 'consecutive':
      if (!failed) m.consecutive = 0;
      else if (++m.consecutive >= config.failures) open(config, m, 'consecutive-failures', now);
      return;
    case 'count': {
      const bits = (failed ? 1 : 0) | (slow ? 2 : 0);
      const old = m.ring[m.cursor]!;
      if (old >= 0) {
        m.calls--;
        m.failures -= old & 1;
        m.slow -= old >> 1;
      }
      m.ring[m.cursor] = bits;
      m.cursor = m.cursor + 1 === config.size ? 0 : m.cursor + 1;
      m.calls++;
      if (failed) m.failures++;
      if (slow) m.slow++;
      judge(config, m, now);
      return;
    }
    case 'time': {
      const slot = roll(config, m, now);
      const w = m.window;
      w.counts[CALLS]![slot]!++;
      w.totals[CALLS]!++;
      m.calls++;
      if (failed) {
        w.counts[FAILURES]![slot]!++;
        w.totals[FAILURES]!++;
        m.failures++;
      }
      if (slow) {
        w.counts[SLOW]![slot]!++;
        w.totals[SLOW]!++;
        m.slow++;
      }
      judge(config, m, now);
      return;
    }
  }
}

/** Takes one isolation handle: the breaker rejects every call until all handles are released. */
export function isolate(m: BreakerMachine, now: number): void {
  m.isolations++;
  if (m.state !== 'isolated') enter(m, 'isolated', 'isolated', now);
}

/** Releases one isolation handle; the last one closes the breaker. */
export function release(m: BreakerMachine, now: number): void {
  if (m.isolations === 0) return;
  if (--m.isolations === 0 && m.state === 'isolated') close(m, 'released', now);
}

/** Closes the breaker and empties its window, dropping any isolation. */
export function reset(m: BreakerMachine, now: number): void {
  m.isolations = 0;
  if (m.state === 'closed') clearWindow(m);
  else close(m, 'reset', now);
}

/** The rates the window currently shows (0 when it holds no call). */
export function rates(
  config: BreakerConfig,
  m: BreakerMachine,
  now: number,
): { calls: number; failures: number; slow: number } {
  if (config.strategy === 'time' && m.state === 'closed') roll(config, m, now);
  return { calls: m.calls, failures: m.failures, slow: m.slow };
}

/** The closed-state window as saved: its shape depends on the strategy. */
export type BreakerWindowJSON =
  | { readonly strategy: 'consecutive'; readonly consecutive: number }
  | { readonly strategy: 'count'; readonly ring: readonly number[]; readonly cursor: number }
  | {
      readonly strategy: 'time';
      readonly bucketCalls: readonly number[];
      readonly bucketFailures: readonly number[];
      readonly bucketSlow: readonly number[];
      readonly bucket: number;
    };

/** The serialised form of a breaker, from `CircuitBreaker.toJSON()`; feed it back as `state`. */
export interface BreakerStateJSON {
  readonly version: 1;
  readonly state: BreakerStateName;
  readonly reason: BreakerReason;
  readonly since: number;
  readonly opens: number;
  readonly openDelay: number;
  readonly halfOpenAt: number;
  readonly successes: number;
  readonly window: BreakerWindowJSON;
}

function windowToJSON(config: BreakerConfig, m: BreakerMachine): BreakerWindowJSON {
  switch (config.strategy) {
    case 'consecutive':
      return { strategy: 'consecutive', consecutive: m.consecutive };
    case 'count':
      return { strategy: 'count', ring: [...m.ring], cursor: m.cursor };
    case 'time':
      return {
        strategy: 'time',
        bucketCalls: [...m.window.counts[CALLS]!],
        bucketFailures: [...m.window.counts[FAILURES]!],
        bucketSlow: [...m.window.counts[SLOW]!],
        bucket: m.window.head ?? 0,
      };
  }
}

/** Serialises the state. Probes in flight are not kept: after hydration none is in flight. */
export function machineToJSON(config: BreakerConfig, m: BreakerMachine): BreakerStateJSON {
  return {
    version: 1,
    state: m.state,
    reason: m.reason,
    since: m.since,
    opens: m.opens,
    openDelay: m.openDelay,
    halfOpenAt: m.halfOpenAt,
    successes: m.successes,
    window: windowToJSON(config, m),
  };
}

const STATES: readonly string[] = ['closed', 'open', 'half-open', 'isolated'];
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isCounts = (v: unknown, length: number, max: number): v is number[] =>
  Array.isArray(v) && v.length === length && v.every((x) => isCount(x) && x <= max);

/**
 * Rebuilds a machine from {@link machineToJSON} output. Returns `undefined` when `json` is not a
 * breaker state. The window is kept only if it was recorded under the same strategy and sizes;
 * otherwise it starts empty. A hydrated `isolated` breaker holds no handle: only `reset()` closes it.
 */
export function machineFromJSON(config: BreakerConfig, json: unknown, now: number): BreakerMachine | undefined {
  if (typeof json !== 'object' || json === null) return undefined;
  const j = json as Partial<Record<keyof BreakerStateJSON, unknown>>;
  if (j.version !== 1 || typeof j.state !== 'string' || !STATES.includes(j.state)) return undefined;
  if (!isTime(j.since) || !isCount(j.opens) || !isTime(j.halfOpenAt) || !isCount(j.successes)) return undefined;
  if (!(typeof j.openDelay === 'number' && j.openDelay >= 0 && j.openDelay < Infinity)) return undefined;
  const m = createMachine(config, now);
  m.state = j.state as BreakerStateName;
  m.reason = typeof j.reason === 'string' ? (j.reason as BreakerReason) : 'initial';
  m.since = j.since;
  m.opens = j.opens;
  m.openDelay = j.openDelay;
  m.halfOpenAt = j.halfOpenAt;
  m.successes = m.state === 'half-open' ? Math.min(j.successes, config.successThreshold - 1) : 0;
  const w = j.window as Record<string, unknown> | undefined;
  if (m.state !== 'closed' || typeof w !== 'object' || w === null || w.strategy !== config.strategy) return m;
  if (config.strategy === 'consecutive') {
    if (isCount(w.consecutive)) m.consecutive = Math.min(w.consecutive, config.failures - 1);
  } else if (config.strategy === 'count') {
    const ring = w.ring;
    if (Array.isArray(ring) && ring.length === config.size && ring.every((x) => x === -1 || (isCount(x) && x <= 3))) {
      if (isCount(w.cursor) && w.cursor < config.size) {
        m.ring = [...(ring as number[])];
        m.cursor = w.cursor;
        for (const bits of m.ring) {
          if (bits < 0) continue;
          m.calls++;
          m.failures += bits & 1;
          m.slow += bits >> 1;
        }
      }
    }
  } else if (
    isCounts(w.bucketCalls, config.buckets, Number.MAX_SAFE_INTEGER) &&
    isCounts(w.bucketFailures, config.buckets, Number.MAX_SAFE_INTEGER) &&
    isCounts(w.bucketSlow, config.buckets, Number.MAX_SAFE_INTEGER) &&
    isTime(w.bucket)
  ) {
    const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
    m.window = {
      head: w.bucket,
      counts: [[...w.bucketCalls], [...w.bucketFailures], [...w.bucketSlow]],
      totals: [sum(w.bucketCalls), sum(w.bucketFailures), sum(w.bucketSlow)],
    };
    roll(config, m, now);
  }
  return m;
}
