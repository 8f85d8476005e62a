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
 *
 * It takes the same steps as the safe enactor (pick-up, the attempt loop, the commit, the journal: see
 * `plan/enact-steps.ts`); only its check and its write and clean-up differ.
 */
import { FailsmallError, isFailsmallError } from '../../core/errors.js';
import type { Emitter } from '../../core/events.js';
import { oneOf } from '../../core/validate.js';
import { EnactSteps, retryable } from '../../plan/enact-steps.js';
import type { EnactorEvent, EnactorOptions, EnactOutcome } from '../../plan/enactor.js';
import { planChanges, toRecordSet } from '../../plan/plan-body.js';
import type { Plan } from '../../plan/types.js';

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
  readonly events: Emitter<EnactorEvent>;
  readonly #steps: EnactSteps;
  readonly #removal: 'noerror' | 'nxdomain';

  constructor(options: LegacyEnactorOptions) {
    this.#steps = new EnactSteps('LegacyEnactor', options, ['removal']);
    this.name = this.#steps.name;
    this.events = this.#steps.events;
    this.#removal = oneOf('removal', options.removal ?? 'noerror', ['noerror', 'nxdomain']);
  }

  /** One pass over every target. */
  async runOnce(): Promise<EnactOutcome[]> {
    return this.#steps.runOnce((target) => this.enactTarget(target));
  }

  /** Picks up the newest plan of `target` and enacts it, if this enactor has not dealt with it yet. */
  async enactTarget(target: string): Promise<EnactOutcome> {
    return this.#steps.pickUp(target, (plan) => this.#enact(plan));
  }

  async #enact(plan: Plan): Promise<EnactOutcome> {
    const { target, generation } = plan;
    // The one-time freshness check, made when the plan is picked up and never again.
    const active = await this.#steps.store.getActive(target);
    if (active !== undefined && generation <= active.generation) {
      return this.#steps.drop(target, generation, 'not-newer', { active: active.generation });
    }
    // Every attempt writes unconditionally (whatever fails in it is retried), and the pointer follows.
    return this.#steps.enact(plan, {
      attempt: async () => {
        await retryable(this.#write(plan));
        return { written: undefined };
      },
      failure: (error) => (isFailsmallError(error, ACTIVE_MISSING) ? 'active-plan-missing' : 'provider-error'),
      reason: 'legacy-unfenced',
      cleanup: () => this.#cleanup(target, generation),
    });
  }

  /** Replaces the current plan with `plan`: reads the current one (it must exist), writes unconditionally. */
  async #write(plan: Plan): Promise<void> {
    const { store, provider } = this.#steps;
    const active = await store.getActive(plan.target);
    if (active !== undefined && (await store.getPlan(plan.target, active.generation)) === undefined) {
      throw new FailsmallError(
        ACTIVE_MISSING,
        `The active plan ${active.generation} of ${plan.target} no longer exists: cannot replace it`,
        { details: { target: plan.target, active: active.generation } },
      );
    }
    await provider.change(plan.body.zone, {
      changes: planChanges(plan.body, plan.generation),
      comment: `${this.name}: ${plan.target} generation ${plan.generation} (legacy)`,
    });
  }

  async #cleanup(target: string, applied: number): Promise<void> {
    const { store, provider, gate } = this.#steps;
    const below = applied - this.#steps.keep;
    await gate?.('cleanup', { target, generation: applied });
    const old = await store.listPlans(target, { below });
    if (old.length === 0) return;
    await gate?.('delete', { target, generation: applied });
    const active = await store.getActive(target);
    // "Plans significantly older than the one just applied", whatever is active now.
    const deleted = await store.deletePlans(target, { below });
    if (deleted.length === 0) return;
    await this.#steps.journal(target, applied, 'deleted', 'cleanup', { generations: deleted });
    if (active === undefined || !deleted.includes(active.generation)) return;
    // The active plan's records go with it: the record set is left with no address.
    const gone = old.find((p) => p.generation === active.generation) as Plan | undefined;
    if (gone === undefined) return;
    const set = toRecordSet(gone.body);
    await provider.change(gone.body.zone, {
      changes: [
        this.#removal === 'noerror'
          ? { action: 'UPSERT', recordSet: { ...set, records: [] } }
          : { action: 'DELETE', recordSet: set },
      ],
      comment: `${this.name}: clean-up deleted active plan ${active.generation} of ${target}`,
    });
    await this.#steps.journal(target, active.generation, 'deleted', 'cleanup-deleted-active', {
      removal: this.#removal,
    });
  }
}
