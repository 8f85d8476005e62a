/**
 * The health monitor: runs every source against every target on an injected clock, keeps each
 * source's rise/fall state per target, takes a vote with quorum, and applies the verdicts to the
 * set within the guardrails. This is the only part that reads the clock or does I/O; every decision
 * is one of the pure functions of this folder, so the same code runs in production, in the replay
 * and in the simulator.
 *
 * A check that throws, answers something other than a boolean, or whose source keeps failing to
 * answer is *faulty*: it is reported (`onFaulty`) and counts as an abstention, never as a down vote.
 */
import { raceAbort } from '../core/abort.js';
import { systemClock, type Clock } from '../core/clock.js';
import { Emitter, channel, type Disposable, type Listener } from '../core/events.js';
import { PeriodicLoop } from '../core/periodic.js';
import { mathRandom, type Random } from '../core/random.js';
import { duration, invalid, knownOptions, positiveInteger, ratio, withMethods } from '../core/validate.js';
import {
  evaluateSet,
  guardrails,
  initialSet,
  type EscalationReason,
  type GuardrailOptions,
  type Guardrails,
  type SetOutcome,
  type SetState,
} from './guardrails.js';
import {
  initialOutliers,
  outlierSettings,
  outlierVote,
  recordTraffic,
  sweepOutliers,
  trafficOutcomeOf,
  type OutlierOptions,
  type OutlierSettings,
  type OutlierState,
} from './outlier.js';
import { decide, quorumOf, type TargetDecision } from './quorum.js';
import {
  INITIAL_RISE_FALL,
  observe,
  riseFallThresholds,
  type RiseFallState,
  type RiseFallThresholds,
  type Vote,
} from './rise-fall.js';
import { checkResultOf, type CheckResult, type HealthSource, type HealthTarget } from './source.js';
import type { HealthStore, StoredSet, StoredVote } from './store.js';
import { FailsmallError } from '../core/errors.js';

/** Options of {@link HealthMonitor}. Durations in milliseconds. */
export interface HealthMonitorOptions {
  /** The set's name in events and the store, default `default`. */
  readonly name?: string;
  /** The targets of the set. Required, at least one, ids unique. */
  readonly targets: readonly HealthTarget[];
  /** Active sources (probes, provider signals). At least one source in all (active or passive). */
  readonly sources: readonly HealthSource[];
  /**
   * Passive outlier detection from client traffic ({@link HealthMonitor.recordTraffic}) as one more
   * source named `passive`; `false` (default) leaves it out.
   */
  readonly passive?: OutlierOptions | boolean;
  /** Votes needed to change a target, default a majority of the sources. */
  readonly quorum?: number;
  /** Guardrails on the set. */
  readonly guardrails?: GuardrailOptions;
  /** Time between rounds, default 10 s. */
  readonly interval?: number;
  /** Each round's interval varies by ± this share, default 0.1 (so checkers do not align). */
  readonly jitter?: number;
  /** How long one check may take before it counts as a fail, default 2 s. */
  readonly timeout?: number;
  /** Default `systemClock`. */
  readonly clock?: Clock;
  /** For the jitter; default `Math.random`. */
  readonly random?: Random;
  /**
   * A store shared with other checkers: each round writes this checker's votes, counts the fresh
   * votes of every checker, and applies the decision with compare-and-set, so that every checker
   * agrees on one set. Without it the monitor decides alone.
   */
  readonly store?: HealthStore;
  /** This checker's name in the store (required with `store`), e.g. `use1-a`. */
  readonly checker?: string;
  /**
   * How many checkers share the store, default 1. The default quorum is a majority of the votes
   * expected (checkers × sources), or of the votes present when more are present, so that a checker
   * alone in the store does not act on its own word while the others have not voted yet.
   */
  readonly checkers?: number;
  /** Votes older than this are not counted, default 3 × interval. */
  readonly staleAfter?: number;
}

/** One round's outcome. */
export interface HealthRound extends SetOutcome {
  readonly at: number;
  /** The vote per target. */
  readonly decisions: Readonly<Record<string, TargetDecision>>;
}

/** A faulty check, reported. */
export interface FaultyCheck {
  readonly set: string;
  readonly source: string;
  readonly target: string;
  readonly at: number;
  /** The error thrown, or a description of the garbage answered. */
  readonly problem: unknown;
}

/** Something a human should decide. */
export interface Escalation {
  readonly set: string;
  readonly reason: EscalationReason;
  readonly targets: readonly string[];
  readonly at: number;
}

/** A change of the set. */
export interface SetChange {
  readonly set: string;
  readonly target: string;
  readonly change: 'removed' | 'added';
  readonly reason: string;
  readonly at: number;
  /** Who: `automation`, or the name given to an override. */
  readonly by: string;
}

/** Counters and state of a {@link HealthMonitor}, plain JSON. */
export interface HealthSnapshot {
  readonly name: string;
  readonly rounds: number;
  readonly inSet: number;
  readonly targets: number;
  readonly mode: SetOutcome['mode'];
  readonly frozen: boolean;
  readonly removed: number;
  readonly added: number;
  readonly escalations: number;
  readonly faultyChecks: number;
}

const KEYS = new Set([
  'name',
  'targets',
  'sources',
  'passive',
  'quorum',
  'guardrails',
  'interval',
  'jitter',
  'timeout',
  'clock',
  'random',
  'store',
  'checker',
  'checkers',
  'staleAfter',
]);
/** Compare-and-set attempts per round before the round gives up (another checker kept winning). */
const CAS_ATTEMPTS = 5;

/** Codes of the monitor. */
export const HealthErrorCodes = {
  /** Other checkers kept changing the shared set; this round applied nothing (it will try again). */
  CONFLICT: 'FS_ERR_HEALTH_CONFLICT',
} as const;
const PASSIVE = 'passive';

/**
 * Never trusts one signal: several sources, a vote with quorum, guardrails on the set.
 *
 * @example
 * const monitor = new HealthMonitor({
 *   targets: [{ id: 'a', address: '127.0.0.2', port: 8080 }, { id: 'b', address: '127.0.0.3', port: 8080 }],
 *   sources: [tcpProbe(), httpProbe({ name: 'outside', path: '/health' })],
 *   guardrails: { maxRemovedShare: 0.34, floor: 0.5 },
 * });
 * monitor.onEscalation((e) => console.warn('a human should look:', e.reason, e.targets));
 * monitor.start();
 */
export class HealthMonitor {
  readonly name: string;
  readonly #targets: readonly HealthTarget[];
  readonly #sources: readonly HealthSource[];
  readonly #thresholds: readonly RiseFallThresholds[];
  readonly #passive: OutlierSettings | undefined;
  readonly #quorum: number | undefined;
  readonly #count: number;
  readonly #store: HealthStore | undefined;
  readonly #checker: string;
  readonly #checkers: number;
  readonly #staleAfter: number;
  readonly #guardrails: Guardrails;
  readonly #interval: number;
  readonly #jitter: number;
  readonly #timeout: number;
  readonly #clock: Clock;
  readonly #random: Random;
  /** Per source, per target. */
  readonly #riseFall: Map<string, RiseFallState>[];
  #outliers: OutlierState | undefined;
  #set: SetState;
  #last: HealthRound | undefined;
  readonly #loop: PeriodicLoop;
  #running: Promise<HealthRound> | undefined;
  #counts = { rounds: 0, removed: 0, added: 0, escalations: 0, faultyChecks: 0 };
  readonly #changed = new Emitter<SetChange>();
  readonly #escalated = new Emitter<Escalation>();
  readonly #faulty = new Emitter<FaultyCheck>();
  readonly #round = new Emitter<HealthRound>();
  readonly #channel = channel('health', 'monitor');

  constructor(options: HealthMonitorOptions) {
    knownOptions(options, KEYS);
    this.name = options.name ?? 'default';
    if (typeof this.name !== 'string' || this.name === '') invalid('name', 'a non-empty string', this.name);
    if (!Array.isArray(options.targets) || options.targets.length === 0)
      invalid('targets', 'a non-empty array', options.targets);
    const ids = new Set<string>();
    for (const [i, t] of options.targets.entries()) {
      if (typeof t !== 'object' || t === null || typeof t.id !== 'string' || t.id === '')
        invalid(`targets[${i}].id`, 'a non-empty string', t?.id);
      if (typeof t.address !== 'string' || t.address === '')
        invalid(`targets[${i}].address`, 'a non-empty string', t.address);
      if (ids.has(t.id)) invalid(`targets[${i}].id`, 'unique in the set', t.id);
      ids.add(t.id);
    }
    this.#targets = options.targets;
    if (!Array.isArray(options.sources)) invalid('sources', 'an array', options.sources);
    const names = new Set<string>();
    for (const [i, s] of options.sources.entries()) {
      withMethods<HealthSource>(`sources[${i}]`, s, ['check'], 'a health source with check()');
      if (typeof s.name !== 'string' || s.name === '' || s.name === PASSIVE || names.has(s.name)) {
        invalid(`sources[${i}].name`, `a unique non-empty name other than "${PASSIVE}"`, s.name);
      }
      names.add(s.name);
    }
    this.#sources = options.sources;
    this.#thresholds = options.sources.map((s, i) => riseFallThresholds(s.riseFall ?? {}, `sources[${i}].riseFall.`));
    const passive = options.passive ?? false;
    this.#passive = passive === false ? undefined : outlierSettings(passive === true ? {} : passive, 'passive.');
    const count = this.#sources.length + (this.#passive === undefined ? 0 : 1);
    if (count === 0) invalid('sources', 'at least one source (or passive)', options.sources);
    this.#count = count;
    this.#quorum = options.quorum === undefined ? undefined : quorumOf(count, options.quorum);
    this.#guardrails = guardrails(options.guardrails ?? {}, 'guardrails.');
    this.#interval = duration('interval', options.interval ?? 10_000);
    if (this.#interval === 0) invalid('interval', 'a duration > 0', 0);
    this.#jitter = ratio('jitter', options.jitter ?? 0.1);
    this.#timeout = duration('timeout', options.timeout ?? 2_000);
    if (options.clock === null || (options.clock !== undefined && typeof options.clock?.setTimer !== 'function'))
      invalid('clock', 'a Clock', options.clock);
    this.#clock = options.clock ?? systemClock;
    if (options.random === null || (options.random !== undefined && typeof options.random?.next !== 'function'))
      invalid('random', 'a Random', options.random);
    this.#random = options.random ?? mathRandom;
    // The first round at once, then one `interval` ± jitter after each round settles.
    this.#loop = new PeriodicLoop(() => this.evaluate(), {
      clock: this.#clock,
      every: () => Math.max(0, this.#interval + this.#interval * this.#jitter * (2 * this.#random.next() - 1)),
      immediate: true,
      unref: true,
    });
    this.#riseFall = this.#sources.map(() => new Map());
    if (
      options.store !== undefined &&
      (typeof options.store !== 'object' || options.store === null || typeof options.store.writeSet !== 'function')
    ) {
      invalid('store', 'a HealthStore', options.store);
    }
    this.#store = options.store;
    if (this.#store !== undefined && (typeof options.checker !== 'string' || options.checker === '')) {
      invalid('checker', 'a non-empty string (required with store)', options.checker);
    }
    this.#checker = options.checker ?? 'local';
    this.#checkers = positiveInteger('checkers', options.checkers ?? 1);
    this.#staleAfter = duration('staleAfter', options.staleAfter ?? 3 * this.#interval);
    this.#outliers = this.#passive === undefined ? undefined : initialOutliers([...ids], this.#clock.now());
    this.#set = initialSet([...ids]);
  }

  /** A set change (a target removed or added). */
  onChange(listener: Listener<SetChange>): Disposable {
    return this.#changed.on(listener);
  }

  /** Something a human should decide: sources that disagree, or a guardrail that held automation back. */
  onEscalation(listener: Listener<Escalation>): Disposable {
    return this.#escalated.on(listener);
  }

  /** A check that could not be made (the source threw or answered garbage). */
  onFaulty(listener: Listener<FaultyCheck>): Disposable {
    return this.#faulty.on(listener);
  }

  /** Every round, after it is applied. */
  onRound(listener: Listener<HealthRound>): Disposable {
    return this.#round.on(listener);
  }

  /** Records one response a client got from `target` (passive source); `status` undefined for a connection failure. */
  recordTraffic(target: string, status: number | undefined): void {
    if (this.#outliers === undefined || this.#passive === undefined) return;
    this.#outliers = recordTraffic(this.#outliers, target, trafficOutcomeOf(status), this.#clock.now(), this.#passive);
  }

  /** The targets of the set, as configured. */
  get targets(): readonly HealthTarget[] {
    return this.#targets;
  }

  /**
   * The targets passive outlier detection ejects now (empty without `passive`): clients can skip
   * them at once, before the next round. At most `maxEjectedShare` of the targets.
   */
  ejected(): string[] {
    const outliers = this.#outliers;
    if (outliers === undefined) return [];
    const now = this.#clock.now();
    return this.#targets.filter((t) => outlierVote(outliers, t.id, now) === 'down').map((t) => t.id);
  }

  /** The targets in the set with their weights (slow re-entry), as of the last round. */
  healthy(): { id: string; weight: number; target: HealthTarget }[] {
    const byId = new Map(this.#targets.map((t) => [t.id, t]));
    if (this.#last === undefined) {
      return Object.entries(this.#set.members)
        .filter(([, m]) => m.inSet)
        .map(([id]) => ({ id, weight: 1, target: byId.get(id)! }));
    }
    return this.#last.members
      .filter((m) => m.inSet)
      .map((m) => ({ id: m.id, weight: m.weight, target: byId.get(m.id)! }));
  }

  /** The set's state (plain JSON, for a store). */
  get state(): SetState {
    return this.#set;
  }

  /** A human takes `target` out of the set; automation leaves it out until {@link release}. */
  isolate(target: string, by = 'operator'): Promise<void> {
    return this.#override(target, 'isolate', by);
  }

  /** Ends a human's override of `target`; automation decides again. */
  release(target: string, by = 'operator'): Promise<void> {
    return this.#override(target, undefined, by);
  }

  /** Stops every automatic change (checks keep running and reporting). */
  freeze(): Promise<void> {
    return this.#mutate((state) => ({ state: { ...state, frozen: true }, changes: [] }));
  }

  /** Lets automation change the set again. */
  unfreeze(): Promise<void> {
    return this.#mutate((state) => ({ state: { ...state, frozen: false }, changes: [] }));
  }

  #override(target: string, override: 'isolate' | undefined, by: string): Promise<void> {
    if (this.#set.members[target] === undefined) {
      return Promise.reject(
        new FailsmallError(
          'FS_ERR_INVALID_ARGUMENT',
          `Expected \`target\` to be a target of set "${this.name}", got ${JSON.stringify(target)}`,
          {
            details: { option: 'target' },
          },
        ),
      );
    }
    const now = this.#clock.now();
    return this.#mutate((state) => {
      const m = state.members[target] ?? { inSet: true };
      const inSet = override === 'isolate' ? false : m.inSet;
      const next =
        override === undefined
          ? { inSet, since: m.since }
          : { inSet, since: inSet === m.inSet ? m.since : now, override };
      const changes: SetChange[] =
        inSet === m.inSet ? [] : [{ set: this.name, target, change: 'removed', reason: 'isolated', at: now, by }];
      return { state: { ...state, members: { ...state.members, [target]: next } }, changes };
    });
  }

  /**
   * Applies `fn` to the set's state: locally, or through the store with compare-and-set (reloading
   * and applying again when another checker wrote first). Emits the changes that were applied.
   */
  async #mutate(fn: (state: SetState) => { state: SetState; changes: readonly SetChange[] }): Promise<void> {
    if (this.#store === undefined) {
      const out = fn(this.#set);
      this.#set = out.state;
      for (const c of out.changes) this.#emitChange(c);
      return;
    }
    const store = this.#store;
    let current = await store.readSet(this.name);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt++) {
      const base = this.#ownTargets(current);
      const out = fn(base);
      const written = await store.writeSet(this.name, out.state, current?.version ?? 0);
      if (written.ok) {
        this.#set = out.state;
        for (const c of out.changes) {
          await store.appendChange(c);
          this.#emitChange(c);
        }
        return;
      }
      current = written.current;
    }
    throw new FailsmallError(
      HealthErrorCodes.CONFLICT,
      `Set "${this.name}" kept changing under checker "${this.#checker}"`,
      {
        details: { set: this.name, checker: this.#checker, attempts: CAS_ATTEMPTS },
      },
    );
  }

  /** A stored state restricted to this monitor's targets (a target new to the store starts in the set). */
  #ownTargets(stored: StoredSet | undefined): SetState {
    const state = stored?.state ?? this.#set;
    const members: Record<string, SetState['members'][string]> = {};
    for (const t of this.#targets) members[t.id] = state.members[t.id] ?? { inSet: true };
    return { members, removals: [...state.removals], frozen: state.frozen === true };
  }

  /** Runs rounds every `interval` (± jitter) until {@link stop}. The first round runs at once. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the rounds (a round under way completes). */
  stop(): void {
    this.#loop.stop();
  }

  /** Runs one round now: every check, the vote, the guardrails. Concurrent calls share one round. */
  evaluate(): Promise<HealthRound> {
    this.#running ??= this.#evaluate().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #evaluate(): Promise<HealthRound> {
    const results = await Promise.all(
      this.#sources.map((s) => Promise.all(this.#targets.map((t) => this.#check(s, t)))),
    );
    const now = this.#clock.now();
    if (this.#outliers !== undefined && this.#passive !== undefined)
      this.#outliers = sweepOutliers(this.#outliers, now, this.#passive);
    // This checker's votes: one per source per target.
    const own: StoredVote[] = [];
    for (const [si, source] of this.#sources.entries()) {
      const states = this.#riseFall[si]!;
      for (const [ti, target] of this.#targets.entries()) {
        const next = observe(states.get(target.id) ?? INITIAL_RISE_FALL, results[si]![ti]!, now, this.#thresholds[si]!);
        states.set(target.id, next);
        own.push({
          set: this.name,
          checker: this.#checker,
          source: source.name,
          target: target.id,
          vote: next.vote,
          at: now,
        });
      }
    }
    if (this.#outliers !== undefined) {
      for (const target of this.#targets) {
        own.push({
          set: this.name,
          checker: this.#checker,
          source: PASSIVE,
          target: target.id,
          vote: outlierVote(this.#outliers, target.id, now),
          at: now,
        });
      }
    }
    // Every checker's fresh votes when the store is shared, else this checker's.
    let all = own;
    if (this.#store !== undefined) {
      await this.#store.putVotes(own);
      all = await this.#store.votes(this.name, now - this.#staleAfter);
    }
    const present = new Set(all.map((v) => `${v.checker}\u0000${v.source}`)).size;
    const voters = Math.max(present, this.#count * this.#checkers);
    const k = this.#quorum ?? quorumOf(voters);
    const byTarget = new Map<string, Vote[]>();
    for (const v of all) {
      const list = byTarget.get(v.target);
      if (list === undefined) byTarget.set(v.target, [v.vote]);
      else list.push(v.vote);
    }
    const decisions: Record<string, TargetDecision> = {};
    const verdicts: Record<string, TargetDecision['verdict']> = {};
    const disagreeing: string[] = [];
    for (const target of this.#targets) {
      const d = decide(byTarget.get(target.id) ?? [], k);
      decisions[target.id] = d;
      verdicts[target.id] = d.verdict;
      if (d.escalate) disagreeing.push(target.id);
    }
    let outcome: SetOutcome | undefined;
    await this.#mutate((state) => {
      outcome = evaluateSet(state, verdicts, now, this.#guardrails);
      const changes: SetChange[] = [];
      for (const m of outcome.members) {
        if (m.change !== 'kept')
          changes.push({
            set: this.name,
            target: m.id,
            change: m.change,
            reason: m.reason,
            at: now,
            by: this.#checker === 'local' ? 'automation' : `automation@${this.#checker}`,
          });
      }
      return { state: outcome.state, changes };
    });
    const applied = outcome!;
    const escalations =
      disagreeing.length > 0
        ? [{ reason: 'disagreement' as const, targets: disagreeing }, ...applied.escalations]
        : applied.escalations;
    const round: HealthRound = { ...applied, escalations, at: now, decisions };
    this.#last = round;
    this.#counts.rounds++;
    for (const e of escalations) {
      this.#counts.escalations++;
      const event: Escalation = { set: this.name, reason: e.reason, targets: e.targets, at: now };
      this.#escalated.emit(event);
      if (this.#channel.hasSubscribers) this.#channel.publish({ type: 'escalation', ...event });
    }
    this.#round.emit(round);
    if (this.#channel.hasSubscribers) {
      this.#channel.publish({ type: 'round', set: this.name, mode: round.mode, decisions, at: now });
    }
    return round;
  }

  #emitChange(change: SetChange): void {
    if (change.change === 'removed') this.#counts.removed++;
    else this.#counts.added++;
    this.#changed.emit(change);
    if (this.#channel.hasSubscribers) this.#channel.publish({ type: 'change', ...change });
  }

  async #check(source: HealthSource, target: HealthTarget): Promise<CheckResult> {
    const controller = new AbortController();
    const cancel = this.#clock.setTimer(() => controller.abort(), this.#timeout, { unref: true });
    try {
      let answer: unknown;
      try {
        answer = await raceAbort(
          Promise.resolve().then(() => source.check(target, controller.signal)),
          controller.signal,
        );
      } catch (error) {
        if (controller.signal.aborted) return 'fail'; // no answer in time: the target did not answer
        this.#reportFaulty(source, target, error);
        return 'faulty';
      }
      const result = checkResultOf(answer);
      if (result === 'faulty') this.#reportFaulty(source, target, `answered ${typeof answer} instead of a boolean`);
      return result;
    } finally {
      cancel();
    }
  }

  #reportFaulty(source: HealthSource, target: HealthTarget, problem: unknown): void {
    this.#counts.faultyChecks++;
    const event: FaultyCheck = {
      set: this.name,
      source: source.name,
      target: target.id,
      at: this.#clock.now(),
      problem,
    };
    this.#faulty.emit(event);
    if (this.#channel.hasSubscribers) this.#channel.publish({ type: 'faulty', ...event });
  }

  /** Counters and state, plain JSON. */
  snapshot(): HealthSnapshot {
    const members = Object.values(this.#set.members);
    return {
      name: this.name,
      rounds: this.#counts.rounds,
      inSet: members.filter((m) => m.inSet).length,
      targets: members.length,
      mode: this.#set.frozen ? 'frozen' : (this.#last?.mode ?? 'normal'),
      frozen: this.#set.frozen,
      removed: this.#counts.removed,
      added: this.#counts.added,
      escalations: this.#counts.escalations,
      faultyChecks: this.#counts.faultyChecks,
    };
  }
}
