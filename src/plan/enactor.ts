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
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { channel, type Emitter } from '../core/events.js';
import { positiveInteger, ratio } from '../core/validate.js';
import { EnactSteps, retryable, type Attempt } from './enact-steps.js';
import { checkPlanBody, guard, planChanges, readAddresses, readFence, type GuardVerdict } from './plan-body.js';
import type { JournalInput, PlanStore } from './store.js';
import type { Clock } from '../core/clock.js';
import type { DnsProvider, Plan, PlanBody } from './types.js';

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
  readonly events: Emitter<EnactorEvent>;
  readonly #steps: EnactSteps;
  readonly #maxRemovedShare: number;

  constructor(options: EnactorOptions) {
    this.#steps = new EnactSteps('Enactor', options, ['maxRemovedShare'], decisionChannel);
    this.name = this.#steps.name;
    this.events = this.#steps.events;
    this.#maxRemovedShare = ratio('maxRemovedShare', options.maxRemovedShare ?? 0.5);
  }

  /** One pass over every target: pick up the newest plan and enact it. */
  async runOnce(): Promise<EnactOutcome[]> {
    return this.#steps.runOnce((target) => this.enactTarget(target));
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
          entry: this.#steps.entry('*', 0, 'failed', 'round-error', { error: String(error) }),
        });
      }
      await this.#steps.clock.sleep(intervalMs, signal).catch(() => undefined);
    }
  }

  /** Picks up the newest plan of `target` and enacts it, if this enactor has not dealt with it yet. */
  async enactTarget(target: string): Promise<EnactOutcome> {
    return this.#steps.pickUp(target, (plan) => this.apply(plan));
  }

  /**
   * Applies `plan` now, only if it is the newest plan and newer than the generation the provider
   * holds, by a compare-and-set on the zone's version; guarded unless `force` (or the plan says
   * `force`). Retries a conflict up to `maxAttempts` times, deciding again after each re-read.
   */
  async apply(plan: Plan, options: { force?: boolean } = {}): Promise<EnactOutcome> {
    return this.#steps.enact(plan, {
      attempt: () => this.#attempt(plan, options.force === true),
      failure: (error) => (isFailsmallError(error, 'FS_ERR_PLAN_VERSION_CONFLICT') ? 'conflict' : 'provider-error'),
      reason: options.force === true || plan.body.force === true ? 'forced' : 'fenced',
      condition: { onlyForward: true },
      cleanup: () => this.#cleanupSafe(plan.target, plan.body),
    });
  }

  /** One fenced, guarded attempt: re-reads the newest plan and the provider's fence, then writes by CAS. */
  async #attempt(plan: Plan, force: boolean): Promise<Attempt> {
    const { target, generation, body } = plan;
    // A lagging enactor notices that the planner moved on and drops its work.
    const latest = await this.#steps.store.latestPlan(target);
    if (latest !== undefined && latest.generation > generation) {
      return { done: await this.#steps.drop(target, generation, 'superseded', { latest: latest.generation }) };
    }
    const zone = await retryable(this.#steps.provider.readZone(body.zone));
    const fence = readFence(zone.records, body);
    if (fence >= generation) return { done: await this.#steps.drop(target, generation, 'stale', { fence }) };
    const verdict = guard(readAddresses(zone.records, body), body, this.#maxRemovedShare);
    if (!verdict.ok && !force) return { done: await this.#refuse(plan, verdict, fence) };
    const { version } = await retryable(
      this.#steps.provider.change(body.zone, {
        expectedVersion: zone.version,
        changes: planChanges(body, generation),
        comment: `${this.name}: ${target} generation ${generation} over ${fence} (fenced)`,
      }),
    );
    return { written: { version } };
  }

  /** Refuses a plan a guard stopped, and escalates. */
  async #refuse(plan: Plan, verdict: GuardVerdict & { ok: false }, fence: number): Promise<EnactOutcome> {
    const { target, generation } = plan;
    const at = this.#steps.clock.now();
    await this.#steps.journal(target, generation, 'refused', verdict.reason, {
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
    await this.#steps.journal(target, generation, 'escalated', verdict.reason, { share: verdict.share });
    return this.#steps.count({ target, generation, outcome: 'refused', reason: verdict.reason });
  }

  async #cleanupSafe(target: string, body: PlanBody): Promise<void> {
    const { store, provider } = this.#steps;
    await this.#steps.gate?.('cleanup', { target });
    // The provider's fence is the truth about what is active, and it only moves forward.
    const zone = await provider.readZone(body.zone);
    const active = readFence(zone.records, body);
    const below = active - this.#steps.keep;
    if (below <= 1) return;
    const knownGood = await this.#knownGood(target, active);
    await this.#steps.gate?.('delete', { target, generation: active });
    const except = knownGood === undefined ? [active] : [active, knownGood];
    const deleted = await store.deletePlans(target, { below, except });
    if (deleted.length > 0) {
      await this.#steps.journal(target, active, 'deleted', 'cleanup', { generations: deleted, kept: except });
    }
  }

  /** The newest generation below `active` that was applied (per the journal). */
  async #knownGood(target: string, active: number): Promise<number | undefined> {
    const applied = await this.#steps.store.readJournal({ target, decision: 'applied', newestFirst: true, limit: 64 });
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
    const { store, provider, seen } = this.#steps;
    const latest = (await store.latestPlan(target)) as Plan | undefined;
    if (latest === undefined) {
      throw new FailsmallError('FS_ERR_PLAN_NO_KNOWN_GOOD', `No plan of ${target} is stored`, { details: { target } });
    }
    const zone = await provider.readZone(latest.body.zone);
    const active = readFence(zone.records, latest.body);
    let good: Plan | undefined;
    if (options.to !== undefined) {
      good = (await store.getPlan(target, positiveInteger('to', options.to))) as Plan | undefined;
    } else {
      const applied = await store.readJournal({ target, decision: 'applied', newestFirst: true });
      for (const entry of applied) {
        if (entry.generation >= active) continue;
        good = (await store.getPlan(target, entry.generation)) as Plan | undefined;
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
    const at = this.#steps.clock.now();
    const plan = (await store.createPlan(target, body, { at, by: this.name })) as Plan;
    await this.#steps.journal(target, plan.generation, 'rolled-back', 'rollback', {
      from: active,
      to: good.generation,
    });
    seen.set(target, Math.max(plan.generation, seen.get(target) ?? 0));
    const outcome = await this.apply(plan, options.force === true ? { force: true } : {});
    return { ...outcome, plan };
  }

  /** Plain JSON for metrics: name, targets, outcome counts and the newest generation seen per target. */
  snapshot(): Record<string, unknown> {
    return this.#steps.snapshot();
  }
}
