/**
 * The enactor: picks up the newest plan of each of its targets and applies it to the DNS provider,
 * then cleans up old plans. Several enactors run side by side, fully independent (one per
 * Availability Zone in the system this reproduces).
 *
 * Every write is fenced: the provider holds the applied generation in a TXT record written in the
 * same atomic batch as the records, and a write is a compare-and-set on the zone's version that happens
 * only if the plan is newer than that generation at that moment. A lagging enactor sees a newer plan or
 * a newer fence and drops its work. Guards refuse a plan that empties the record set or removes more
 * than `maxRemovedShare` of the capacity at once unless it is forced, and escalate. Clean-up never
 * deletes the active plan, the `keep` plans before it, nor the last known-good one.
 *
 * Every decision is journaled in the store: who, which generation, what, why.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { channel, Emitter } from '../core/events.js';
import type { Json, JournalDecision, JournalInput, PlanStore } from './store.js';
import { invalid, nonNegativeInteger, positiveInteger, ratio } from '../core/validate.js';
import { checkPlanBody, guard, planChanges, readAddresses, readFence } from './plan-body.js';
import type { DnsProvider, Plan, PlanBody, ZoneSnapshot } from './types.js';

/**
 * A preemption point: awaited before every effect (a read or write of the store or the provider). In
 * production there is none; the deterministic scheduler passes one to choose the interleaving.
 */
export type Gate = (label: string, info: GateInfo) => Promise<void>;

/** What the actor is about to do at a {@link Gate}. */
export interface GateInfo {
  readonly target: string;
  /** The generation it holds, when it holds one. */
  readonly generation?: number;
}

/** Options of {@link Enactor}. */
export interface EnactorOptions {
  /** Its name in the journal, e.g. `enactor-az1`. */
  readonly name: string;
  readonly store: PlanStore;
  readonly provider: DnsProvider;
  /** The targets it enacts (`<name>/<type>`, see `targetOf`). */
  readonly targets: readonly string[];
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /**
   * K: clean-up deletes plans more than `keep` generations older than the active one (never the active
   * one nor the last known-good one). Default 10: enough history to roll back several steps.
   */
  readonly keep?: number;
  /**
   * The largest share (0..1) of the current capacity one plan may remove, default 0.5: losing half the
   * capacity at once is already an incident, a second step needs a human (`force`).
   */
  readonly maxRemovedShare?: number;
  /** Attempts per plan when the provider conflicts or fails, default 3 (AWS: "retries the endpoint"). */
  readonly maxAttempts?: number;
  /** The scheduler's preemption point, default none. */
  readonly gate?: Gate;
}

/** The outcome of one target in a round. */
export interface EnactOutcome {
  readonly target: string;
  /** The generation it worked on (0 when idle). */
  readonly generation: number;
  readonly outcome: 'idle' | 'applied' | 'refused' | 'dropped' | 'failed';
  readonly reason: string;
}

/** What an enactor emits. */
export type EnactorEvent =
  | { readonly type: 'decision'; readonly entry: JournalInput }
  | {
      readonly type: 'escalation';
      readonly actor: string;
      readonly target: string;
      readonly generation: number;
      readonly reason: 'guard-empty' | 'guard-velocity';
      /** The share of capacity the plan would remove, 0..1. */
      readonly share: number;
      readonly at: number;
    };

const OPTION_KEYS = new Set([
  'name',
  'store',
  'provider',
  'targets',
  'clock',
  'keep',
  'maxRemovedShare',
  'maxAttempts',
  'gate',
]);

const decisionChannel = channel('plan', 'decision');
const escalationChannel = channel('plan', 'escalation');

/**
 * Applies plans to a provider, fenced and guarded (see the file comment).
 *
 * @example
 * const enactor = new Enactor({ name: 'enactor-az1', store, provider, targets: ['api.example.com/A'] });
 * enactor.events.on((e) => { if (e.type === 'escalation') page(e); });
 * await enactor.runOnce(); // applies the newest plan if it is newer than what the provider holds
 * @see https://aws.amazon.com/message/101925/ (the DynamoDB DNS race, 2025-10-20)
 * @see Kleppmann, "How to do distributed locking" (fencing tokens), 2016
 */
export class Enactor {
  readonly name: string;
  /** Decisions and escalations. */
  readonly events = new Emitter<EnactorEvent>();
  readonly #store: PlanStore;
  readonly #provider: DnsProvider;
  readonly #targets: readonly string[];
  readonly #clock: Clock;
  readonly #keep: number;
  readonly #maxRemovedShare: number;
  readonly #maxAttempts: number;
  readonly #gate: Gate | undefined;
  /** Per target, the newest generation this enactor has dealt with. */
  readonly #seen = new Map<string, number>();
  readonly #counts: Record<EnactOutcome['outcome'], number> = {
    idle: 0,
    applied: 0,
    refused: 0,
    dropped: 0,
    failed: 0,
  };

  constructor(options: EnactorOptions) {
    for (const key of Object.keys(options ?? {})) {
      if (!OPTION_KEYS.has(key))
        invalid(key, 'absent: Enactor has no such option', (options as unknown as Record<string, unknown>)[key]);
    }
    if (typeof options.name !== 'string' || options.name === '') {
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`name\` to be a non-empty string, got ${JSON.stringify(options.name)}`,
        {
          details: { option: 'name' },
        },
      );
    }
    this.name = options.name;
    this.#store = options.store;
    this.#provider = options.provider;
    if (!Array.isArray(options.targets)) {
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'Expected `targets` to be an array of strings', {
        details: { option: 'targets' },
      });
    }
    this.#targets = [...options.targets];
    this.#clock = options.clock ?? systemClock;
    this.#keep = nonNegativeInteger('keep', options.keep ?? 10);
    this.#maxRemovedShare = ratio('maxRemovedShare', options.maxRemovedShare ?? 0.5);
    this.#maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 3);
    this.#gate = options.gate;
  }

  /** One pass over every target: pick up the newest plan and enact it. */
  async runOnce(): Promise<EnactOutcome[]> {
    const outcomes: EnactOutcome[] = [];
    for (const target of this.#targets) outcomes.push(await this.enactTarget(target));
    return outcomes;
  }

  /**
   * Runs rounds every `intervalMs` (default 1 s) until `signal` aborts. A round that throws (the store
   * is down) is reported as a `failed` decision event and the loop goes on.
   */
  async run(signal: AbortSignal, intervalMs = 1_000): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.runOnce();
      } catch (error) {
        this.events.emit({
          type: 'decision',
          entry: this.#entry('*', 0, 'failed', 'round-error', { error: String(error) }),
        });
      }
      await this.#clock.sleep(intervalMs, signal).catch(() => undefined);
    }
  }

  /** Picks up the newest plan of `target` and enacts it, if this enactor has not dealt with it yet. */
  async enactTarget(target: string): Promise<EnactOutcome> {
    await this.#gate?.('pickup', { target });
    const plan = (await this.#store.latestPlan(target)) as Plan | undefined;
    if (plan === undefined || plan.generation <= (this.#seen.get(target) ?? 0)) {
      return this.#count({ target, generation: 0, outcome: 'idle', reason: 'nothing-new' });
    }
    this.#seen.set(target, plan.generation);
    return this.apply(plan);
  }

  /**
   * Applies `plan` now, only if it is the newest plan and newer than the generation the provider
   * holds, by a compare-and-set on the zone's version; guarded unless `force` (or the plan says
   * `force`). Retries a conflict up to `maxAttempts` times, deciding again after each re-read.
   */
  async apply(plan: Plan, options: { force?: boolean } = {}): Promise<EnactOutcome> {
    const { target, generation } = plan;
    const body = plan.body;
    let version: number;
    for (let attempt = 1; ; attempt++) {
      await this.#gate?.('apply', { target, generation });
      // A lagging enactor notices that the planner moved on and drops its work.
      const latest = await this.#store.latestPlan(target);
      if (latest !== undefined && latest.generation > generation) {
        await this.#journal(target, generation, 'dropped', 'superseded', { latest: latest.generation });
        return this.#count({ target, generation, outcome: 'dropped', reason: 'superseded' });
      }
      let zone: ZoneSnapshot;
      try {
        zone = await this.#provider.readZone(body.zone);
      } catch (error) {
        if (attempt >= this.#maxAttempts) return this.#failed(target, generation, attempt, error);
        continue;
      }
      const fence = readFence(zone.records, body);
      if (fence >= generation) {
        await this.#journal(target, generation, 'dropped', 'stale', { fence });
        return this.#count({ target, generation, outcome: 'dropped', reason: 'stale' });
      }
      const verdict = guard(readAddresses(zone.records, body), body, this.#maxRemovedShare);
      if (!verdict.ok && options.force !== true) {
        const at = this.#clock.now();
        await this.#journal(target, generation, 'refused', verdict.reason, {
          share: verdict.share,
          maxRemovedShare: this.#maxRemovedShare,
          fence,
        });
        const escalation = {
          type: 'escalation' as const,
          actor: this.name,
          target,
          generation,
          reason: verdict.reason,
          share: verdict.share,
          at,
        };
        this.events.emit(escalation);
        if (escalationChannel.hasSubscribers) escalationChannel.publish(escalation);
        await this.#journal(target, generation, 'escalated', verdict.reason, { share: verdict.share });
        return this.#count({ target, generation, outcome: 'refused', reason: verdict.reason });
      }
      try {
        ({ version } = await this.#provider.change(body.zone, {
          expectedVersion: zone.version,
          changes: planChanges(body, generation),
          comment: `${this.name}: ${target} generation ${generation} over ${fence} (fenced)`,
        }));
        break;
      } catch (error) {
        if (attempt >= this.#maxAttempts) return this.#failed(target, generation, attempt, error);
      }
    }
    await this.#gate?.('commit', { target, generation });
    await this.#store.setActive(target, { generation, at: this.#clock.now(), by: this.name }, { onlyForward: true });
    await this.#journal(
      target,
      generation,
      'applied',
      options.force === true || body.force === true ? 'forced' : 'fenced',
      {
        version,
      },
    );
    await this.#cleanupSafe(target, body);
    return this.#count({ target, generation, outcome: 'applied', reason: 'ok' });
  }

  async #failed(target: string, generation: number, attempts: number, error: unknown): Promise<EnactOutcome> {
    const reason = isFailsmallError(error, 'FS_ERR_PLAN_VERSION_CONFLICT') ? 'conflict' : 'provider-error';
    await this.#journal(target, generation, 'failed', reason, { attempts, error: String(error) });
    return this.#count({ target, generation, outcome: 'failed', reason });
  }

  async #cleanupSafe(target: string, body: PlanBody): Promise<void> {
    await this.#gate?.('cleanup', { target });
    // The provider's fence is the truth about what is active, and it only moves forward.
    const zone = await this.#provider.readZone(body.zone);
    const active = readFence(zone.records, body);
    const below = active - this.#keep;
    if (below <= 1) return;
    const knownGood = await this.#knownGood(target, active);
    await this.#gate?.('delete', { target, generation: active });
    const except = knownGood === undefined ? [active] : [active, knownGood];
    const deleted = await this.#store.deletePlans(target, { below, except });
    if (deleted.length > 0) {
      await this.#journal(target, active, 'deleted', 'cleanup', { generations: deleted, kept: except });
    }
  }

  /** The newest generation below `active` that was applied (per the journal). */
  async #knownGood(target: string, active: number): Promise<number | undefined> {
    const applied = await this.#store.readJournal({ target, decision: 'applied', newestFirst: true, limit: 64 });
    return applied.find((e) => e.generation < active)?.generation;
  }

  /**
   * Rolls `target` back to its last known-good plan in one call: the newest plan applied before the
   * active one (or generation `to`) that is still stored. The rollback is a new plan (a new, higher
   * generation with the old content), so fences keep moving forward; it is applied at once, guarded
   * unless `force`. Throws `FS_ERR_PLAN_NO_KNOWN_GOOD` when no such plan is left.
   *
   * @example
   * const outcome = await enactor.rollback('api.example.com/A');
   */
  async rollback(
    target: string,
    options: { to?: number; force?: boolean } = {},
  ): Promise<EnactOutcome & { plan: Plan }> {
    const latest = (await this.#store.latestPlan(target)) as Plan | undefined;
    if (latest === undefined) {
      throw new FailsmallError('FS_ERR_PLAN_NO_KNOWN_GOOD', `No plan of ${target} is stored`, { details: { target } });
    }
    const zone = await this.#provider.readZone(latest.body.zone);
    const active = readFence(zone.records, latest.body);
    let good: Plan | undefined;
    if (options.to !== undefined) {
      good = (await this.#store.getPlan(target, positiveInteger('to', options.to))) as Plan | undefined;
    } else {
      const applied = await this.#store.readJournal({ target, decision: 'applied', newestFirst: true });
      for (const entry of applied) {
        if (entry.generation >= active) continue;
        good = (await this.#store.getPlan(target, entry.generation)) as Plan | undefined;
        if (good !== undefined) break;
      }
    }
    if (good === undefined) {
      throw new FailsmallError(
        'FS_ERR_PLAN_NO_KNOWN_GOOD',
        `No known-good plan of ${target} before ${active} is stored`,
        {
          details: { target, active, to: options.to ?? null },
        },
      );
    }
    const { force: _drop, ...content } = good.body;
    const body = checkPlanBody(options.force === true ? { ...content, force: true } : content);
    const at = this.#clock.now();
    const plan = (await this.#store.createPlan(target, body, { at, by: this.name })) as Plan;
    await this.#journal(target, plan.generation, 'rolled-back', 'rollback', { from: active, to: good.generation });
    this.#seen.set(target, Math.max(plan.generation, this.#seen.get(target) ?? 0));
    const outcome = await this.apply(plan, options.force === true ? { force: true } : {});
    return { ...outcome, plan };
  }

  // ---------------------------------------------------------------- shared

  #entry(target: string, generation: number, decision: JournalDecision, reason: string, details?: Json): JournalInput {
    return details === undefined
      ? { target, generation, actor: this.name, decision, reason, at: this.#clock.now() }
      : { target, generation, actor: this.name, decision, reason, at: this.#clock.now(), details };
  }

  async #journal(
    target: string,
    generation: number,
    decision: JournalDecision,
    reason: string,
    details?: Json,
  ): Promise<void> {
    const entry = this.#entry(target, generation, decision, reason, details);
    await this.#store.appendJournal(entry);
    if (this.events.hasListeners) this.events.emit({ type: 'decision', entry });
    if (decisionChannel.hasSubscribers) decisionChannel.publish(entry);
  }

  #count(outcome: EnactOutcome): EnactOutcome {
    this.#counts[outcome.outcome]++;
    return outcome;
  }

  /** Plain JSON for metrics: name, targets, outcome counts and the newest generation seen per target. */
  snapshot(): Record<string, unknown> {
    return {
      name: this.name,
      targets: this.#targets.length,
      outcomes: { ...this.#counts },
      seen: Object.fromEntries(this.#seen),
    };
  }
}
