/**
 * The enactor: picks up the newest plan of each of its targets and applies it to the DNS provider,
 * then cleans up old plans. Several enactors run side by side, fully independent (one per
 * Availability Zone in the system this reproduces).
 *
 * Two modes share the code path so the difference is exactly the fences:
 *
 * - `legacy` reproduces the DNS Enactor of 2025-10-20: a one-time freshness check when it picks a plan
 *   up, an unconditional write at apply time (however long ago that check was), then a clean-up that
 *   deletes every plan more than `keep` generations older than the one it just applied, the active
 *   one included, together with the records of the active one. Apply replaces the current plan, so it
 *   reads that plan first: once clean-up has deleted it, every later apply fails
 *   (`FS_ERR_PLAN_ACTIVE_MISSING`), the stuck state that needed manual repair.
 * - `safe` fences every write: the provider holds the applied generation in a TXT record written in the
 *   same atomic batch as the records, and a write is a compare-and-set on the zone's version that
 *   happens only if the plan is newer than that generation at that moment. A lagging enactor sees a
 *   newer plan or a newer fence and drops its work. Guards refuse a plan that empties the record set
 *   or removes more than `maxRemovedShare` of the capacity at once unless it is forced, and escalate.
 *   Clean-up never deletes the active plan, the `keep` plans before it, nor the last known-good one.
 *
 * Every decision is journaled in the store: who, which generation, what, why.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { channel, Emitter } from '../core/events.js';
import type { Json, JournalDecision, JournalInput, PlanStore } from '../core/store.js';
import { nonNegativeInteger, oneOf, positiveInteger, ratio } from '../core/validate.js';
import { checkPlanBody, fenceName, fenceValue, guard, readAddresses, readFence, toRecordSet } from './plan-body.js';
import type { DnsProvider, EnactMode, Plan, PlanBody, ProviderChange, ZoneSnapshot } from './types.js';

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
  /** `legacy` (the 2025-10-20 behaviour) or `safe` (fenced), default `safe`. */
  readonly mode?: EnactMode;
  readonly store: PlanStore;
  readonly provider: DnsProvider;
  /** The targets it enacts (`<name>/<type>`, see `targetOf`). */
  readonly targets: readonly string[];
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /**
   * K: clean-up deletes plans more than `keep` generations older than the active one (safe) or than
   * the one just applied (legacy). Default 10: enough history to roll back several steps.
   */
  readonly keep?: number;
  /**
   * The largest share (0..1) of the current capacity one plan may remove, default 0.5: losing half the
   * capacity at once is already an incident, a second step needs a human (`force`).
   */
  readonly maxRemovedShare?: number;
  /** Attempts per plan when the provider conflicts or fails, default 3 (AWS: "retries the endpoint"). */
  readonly maxAttempts?: number;
  /**
   * How legacy clean-up removes the records of the active plan it deletes: `noerror` writes an empty
   * record set (NOERROR, no answer), `nxdomain` deletes it. Default `noerror`. Write-ups of 2025-10-20
   * disagree which resolvers saw.
   */
  readonly removal?: 'noerror' | 'nxdomain';
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

const decisionChannel = channel('plan', 'decision');
const escalationChannel = channel('plan', 'escalation');

/**
 * Applies plans to a provider, in `legacy` or `safe` mode (see the file comment).
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
  readonly mode: EnactMode;
  /** Decisions and escalations. */
  readonly events = new Emitter<EnactorEvent>();
  readonly #store: PlanStore;
  readonly #provider: DnsProvider;
  readonly #targets: readonly string[];
  readonly #clock: Clock;
  readonly #keep: number;
  readonly #maxRemovedShare: number;
  readonly #maxAttempts: number;
  readonly #removal: 'noerror' | 'nxdomain';
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
    this.mode = oneOf('mode', options.mode ?? 'safe', ['legacy', 'safe']);
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
    this.#removal = oneOf('removal', options.removal ?? 'noerror', ['noerror', 'nxdomain']);
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
    return this.mode === 'legacy' ? this.#enactLegacy(plan) : this.apply(plan);
  }

  // ---------------------------------------------------------------- legacy: the 2025-10-20 enactor

  async #enactLegacy(plan: Plan): Promise<EnactOutcome> {
    const { target, generation } = plan;
    // The one-time freshness check, made when the plan is picked up and never again.
    const active = await this.#store.getActive(target);
    if (active !== undefined && generation <= active.generation) {
      await this.#journal(target, generation, 'dropped', 'not-newer', { active: active.generation });
      return this.#count({ target, generation, outcome: 'dropped', reason: 'not-newer' });
    }
    for (let attempt = 1; ; attempt++) {
      await this.#gate?.('apply', { target, generation });
      try {
        await this.#legacyWrite(plan);
        break;
      } catch (error) {
        const reason = isFailsmallError(error, 'FS_ERR_PLAN_ACTIVE_MISSING') ? 'active-plan-missing' : 'provider-error';
        if (attempt >= this.#maxAttempts) {
          await this.#journal(target, generation, 'failed', reason, { attempts: attempt, error: String(error) });
          return this.#count({ target, generation, outcome: 'failed', reason });
        }
      }
    }
    await this.#gate?.('commit', { target, generation });
    await this.#store.setActive(target, { generation, at: this.#clock.now(), by: this.name });
    await this.#journal(target, generation, 'applied', 'legacy-unfenced');
    await this.#cleanupLegacy(target, generation);
    return this.#count({ target, generation, outcome: 'applied', reason: 'ok' });
  }

  /** Replaces the current plan with `plan`: reads the current one (it must exist), writes unconditionally. */
  async #legacyWrite(plan: Plan): Promise<void> {
    const active = await this.#store.getActive(plan.target);
    if (active !== undefined && (await this.#store.getPlan(plan.target, active.generation)) === undefined) {
      throw new FailsmallError(
        'FS_ERR_PLAN_ACTIVE_MISSING',
        `The active plan ${active.generation} of ${plan.target} no longer exists: cannot replace it`,
        { details: { target: plan.target, active: active.generation } },
      );
    }
    await this.#provider.change(plan.body.zone, {
      changes: this.#planChanges(plan.body, plan.generation),
      comment: `${this.name}: ${plan.target} generation ${plan.generation} (legacy)`,
    });
  }

  async #cleanupLegacy(target: string, applied: number): Promise<void> {
    const below = applied - this.#keep;
    await this.#gate?.('cleanup', { target, generation: applied });
    const old = await this.#store.listPlans(target, { below });
    if (old.length === 0) return;
    await this.#gate?.('delete', { target, generation: applied });
    const active = await this.#store.getActive(target);
    // "Plans significantly older than the one just applied", whatever is active now.
    const deleted = await this.#store.deletePlans(target, { below });
    if (deleted.length === 0) return;
    await this.#journal(target, applied, 'deleted', 'cleanup', { generations: deleted });
    if (active !== undefined && deleted.includes(active.generation)) {
      // The active plan's records go with it: the record set is left with no address.
      const gone = old.find((p) => p.generation === active.generation) as Plan | undefined;
      if (gone === undefined) return;
      const set = toRecordSet(gone.body);
      await this.#provider.change(gone.body.zone, {
        changes: [
          this.#removal === 'noerror'
            ? { action: 'UPSERT', recordSet: { ...set, records: [] } }
            : { action: 'DELETE', recordSet: set },
        ],
        comment: `${this.name}: clean-up deleted active plan ${active.generation} of ${target}`,
      });
      await this.#journal(target, active.generation, 'deleted', 'cleanup-deleted-active', { removal: this.#removal });
    }
  }

  // ---------------------------------------------------------------- safe: fenced

  /**
   * Applies `plan` now. Safe mode: only if it is the newest plan and newer than the generation the
   * provider holds, by a compare-and-set on the zone's version; guarded unless `force` (or the plan
   * says `force`). Legacy mode: the unfenced write. Retries a conflict up to `maxAttempts` times,
   * deciding again after each re-read.
   */
  async apply(plan: Plan, options: { force?: boolean } = {}): Promise<EnactOutcome> {
    const { target, generation } = plan;
    if (this.mode === 'legacy') {
      this.#seen.set(target, Math.max(generation, this.#seen.get(target) ?? 0));
      return this.#enactLegacy(plan);
    }
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
          changes: this.#planChanges(body, generation),
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

  /** The batch that writes a plan: the record set and, in the same atomic batch, the fence record. */
  #planChanges(body: PlanBody, generation: number): ProviderChange[] {
    return [
      { action: 'UPSERT', recordSet: toRecordSet(body) },
      {
        action: 'UPSERT',
        recordSet: { name: fenceName(body), type: 'TXT', ttl: body.ttl, records: [{ value: fenceValue(generation) }] },
      },
    ];
  }

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

  /** Plain JSON for metrics: mode, targets, outcome counts and the newest generation seen per target. */
  snapshot(): Record<string, unknown> {
    return {
      name: this.name,
      mode: this.mode,
      targets: this.#targets.length,
      outcomes: { ...this.#counts },
      seen: Object.fromEntries(this.#seen),
    };
  }
}
