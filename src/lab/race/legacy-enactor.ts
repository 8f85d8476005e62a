/**
 * The DNS Enactor of 2025-10-20, reproduced for the lab: what the production {@link Enactor} of
 * `failsmall/plan` is not. It picks up the newest plan of each of its targets and
 *
 * - checks its freshness once, when it picks it up, and never again;
 * - writes it unconditionally at apply time, however long ago that check was;
 * - then cleans up: deletes every plan more than `keep` generations older than the one it just
 *   applied, whatever is active now, the active one included, together with the records of the active
 *   one.
 *
 * Apply replaces the current plan, so it reads that plan first: once clean-up has deleted it, every
 * later apply fails (`FS_ERR_LAB_ACTIVE_MISSING`), the stuck state that needed manual repair.
 *
 * It writes the same fence record as the safe enactor (so a monitor can tell which generation is
 * served) but never reads it. Every decision is journaled in the store, as the safe enactor does.
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { FailsmallError, isFailsmallError } from '../../core/errors.js';
import { Emitter } from '../../core/events.js';
import { invalid, nonNegativeInteger, oneOf, positiveInteger } from '../../core/validate.js';
import type { EnactorEvent, EnactorOptions, EnactOutcome, Gate } from '../../plan/enactor.js';
import { planChanges, toRecordSet } from '../../plan/plan-body.js';
import type { Json, JournalDecision, JournalInput, PlanStore } from '../../plan/store.js';
import type { DnsProvider, Plan } from '../../plan/types.js';

/** Code of the stuck state: the active pointer names a plan that clean-up deleted. */
export const ACTIVE_MISSING = 'FS_ERR_LAB_ACTIVE_MISSING';

/**
 * Options of {@link LegacyEnactor}: those of the safe enactor it has (`keep` counts from the plan just
 * applied, not from the active one), and how its clean-up removes the active plan's records.
 */
export interface LegacyEnactorOptions extends Pick<
  EnactorOptions,
  'name' | 'store' | 'provider' | 'targets' | 'clock' | 'keep' | 'maxAttempts' | 'gate'
> {
  /**
   * How clean-up removes the records of the active plan it deletes: `noerror` writes an empty record
   * set (NOERROR, no answer), `nxdomain` deletes it. Default `noerror`. Write-ups of 2025-10-20
   * disagree which resolvers saw.
   */
  readonly removal?: 'noerror' | 'nxdomain';
}

/**
 * The racy enactor of 2025-10-20 (see the file comment). Same events and outcomes as the safe
 * {@link Enactor}, so the race model runs either.
 *
 * @example
 * const enactor = new LegacyEnactor({ name: 'enactor-1', store, provider, targets: ['api.example.com/A'] });
 * await enactor.runOnce(); // applies the newest plan, unfenced, then cleans up
 * @see https://aws.amazon.com/message/101925/ (the DynamoDB DNS race, 2025-10-20)
 */
export class LegacyEnactor {
  readonly name: string;
  /** Decisions (it never escalates). */
  readonly events = new Emitter<EnactorEvent>();
  readonly #store: PlanStore;
  readonly #provider: DnsProvider;
  readonly #targets: readonly string[];
  readonly #clock: Clock;
  readonly #keep: number;
  readonly #maxAttempts: number;
  readonly #removal: 'noerror' | 'nxdomain';
  readonly #gate: Gate | undefined;
  readonly #seen = new Map<string, number>();

  constructor(options: LegacyEnactorOptions) {
    if (typeof options.name !== 'string' || options.name === '') invalid('name', 'a non-empty string', options.name);
    if (!Array.isArray(options.targets)) invalid('targets', 'an array of strings', options.targets);
    this.name = options.name;
    this.#store = options.store;
    this.#provider = options.provider;
    this.#targets = [...options.targets];
    this.#clock = options.clock ?? systemClock;
    this.#keep = nonNegativeInteger('keep', options.keep ?? 10);
    this.#maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 3);
    this.#removal = oneOf('removal', options.removal ?? 'noerror', ['noerror', 'nxdomain']);
    this.#gate = options.gate;
  }

  /** One pass over every target. */
  async runOnce(): Promise<EnactOutcome[]> {
    const outcomes: EnactOutcome[] = [];
    for (const target of this.#targets) outcomes.push(await this.enactTarget(target));
    return outcomes;
  }

  /** Picks up the newest plan of `target` and enacts it, if this enactor has not dealt with it yet. */
  async enactTarget(target: string): Promise<EnactOutcome> {
    await this.#gate?.('pickup', { target });
    const plan = (await this.#store.latestPlan(target)) as Plan | undefined;
    if (plan === undefined || plan.generation <= (this.#seen.get(target) ?? 0)) {
      return { target, generation: 0, outcome: 'idle', reason: 'nothing-new' };
    }
    this.#seen.set(target, plan.generation);
    return this.#enact(plan);
  }

  async #enact(plan: Plan): Promise<EnactOutcome> {
    const { target, generation } = plan;
    // The one-time freshness check, made when the plan is picked up and never again.
    const active = await this.#store.getActive(target);
    if (active !== undefined && generation <= active.generation) {
      await this.#journal(target, generation, 'dropped', 'not-newer', { active: active.generation });
      return { target, generation, outcome: 'dropped', reason: 'not-newer' };
    }
    for (let attempt = 1; ; attempt++) {
      await this.#gate?.('apply', { target, generation });
      try {
        await this.#write(plan);
        break;
      } catch (error) {
        const reason = isFailsmallError(error, ACTIVE_MISSING) ? 'active-plan-missing' : 'provider-error';
        if (attempt >= this.#maxAttempts) {
          await this.#journal(target, generation, 'failed', reason, { attempts: attempt, error: String(error) });
          return { target, generation, outcome: 'failed', reason };
        }
      }
    }
    await this.#gate?.('commit', { target, generation });
    await this.#store.setActive(target, { generation, at: this.#clock.now(), by: this.name });
    await this.#journal(target, generation, 'applied', 'legacy-unfenced');
    await this.#cleanup(target, generation);
    return { target, generation, outcome: 'applied', reason: 'ok' };
  }

  /** Replaces the current plan with `plan`: reads the current one (it must exist), writes unconditionally. */
  async #write(plan: Plan): Promise<void> {
    const active = await this.#store.getActive(plan.target);
    if (active !== undefined && (await this.#store.getPlan(plan.target, active.generation)) === undefined) {
      throw new FailsmallError(
        ACTIVE_MISSING,
        `The active plan ${active.generation} of ${plan.target} no longer exists: cannot replace it`,
        { details: { target: plan.target, active: active.generation } },
      );
    }
    await this.#provider.change(plan.body.zone, {
      changes: planChanges(plan.body, plan.generation),
      comment: `${this.name}: ${plan.target} generation ${plan.generation} (legacy)`,
    });
  }

  async #cleanup(target: string, applied: number): Promise<void> {
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
    if (active === undefined || !deleted.includes(active.generation)) return;
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

  async #journal(
    target: string,
    generation: number,
    decision: JournalDecision,
    reason: string,
    details?: Json,
  ): Promise<void> {
    const at = this.#clock.now();
    const entry: JournalInput =
      details === undefined
        ? { target, generation, actor: this.name, decision, reason, at }
        : { target, generation, actor: this.name, decision, reason, at, details };
    await this.#store.appendJournal(entry);
    if (this.events.hasListeners) this.events.emit({ type: 'decision', entry });
  }
}
