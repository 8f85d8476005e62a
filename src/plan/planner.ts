/**
 * The planner's publishing side: validates a plan body and stores it as the next generation of its
 * target. Deciding *what* the plan says (from health and capacity) is the caller's job; this class
 * makes sure every plan is immutable, numbered, and journaled.
 */
import { systemClock, type Clock } from '../core/clock.js';
import { Emitter } from '../core/events.js';
import type { PlanStore } from './store.js';
import { checkPlanBody, targetOf } from './plan-body.js';
import type { Plan, PlanBody } from './types.js';

/** Options of {@link Planner}. */
export interface PlannerOptions {
  /** Where plans are stored. */
  readonly store: PlanStore;
  /** Its name in the journal, default `planner`. */
  readonly name?: string;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Journal each plan created (default true). */
  readonly journal?: boolean;
}

/**
 * Produces immutable plans with strictly increasing generations per target.
 *
 * @example
 * const planner = new Planner({ store });
 * const plan = await planner.publish({ zone: 'example.com', name: 'api.example.com', type: 'A', ttl: 60,
 *   records: [{ address: '192.0.2.10', weight: 100 }, { address: '192.0.2.11', weight: 100 }] });
 * plan.generation; // 1, then 2, 3 … for this target
 */
export class Planner {
  readonly name: string;
  /** Every plan published. */
  readonly published = new Emitter<Plan>();
  readonly #store: PlanStore;
  readonly #clock: Clock;
  readonly #journal: boolean;
  #count = 0;

  constructor(options: PlannerOptions) {
    this.#store = options.store;
    this.name = options.name ?? 'planner';
    this.#clock = options.clock ?? systemClock;
    this.#journal = options.journal ?? true;
  }

  /** Validates `body` (throws `FS_ERR_PLAN_INVALID`) and stores it as the next generation of its target. */
  async publish(body: PlanBody | unknown): Promise<Plan> {
    const checked = checkPlanBody(body);
    const target = targetOf(checked);
    const at = this.#clock.now();
    const plan = (await this.#store.createPlan(target, checked, { at, by: this.name })) as Plan;
    this.#count++;
    if (this.#journal) {
      await this.#store.appendJournal({
        target,
        generation: plan.generation,
        actor: this.name,
        decision: 'created',
        reason: checked.force === true ? 'planned-forced' : 'planned',
        at,
        details: { addresses: checked.records.length },
      });
    }
    this.published.emit(plan);
    return plan;
  }

  /** Plain JSON for metrics. */
  snapshot(): Record<string, unknown> {
    return { name: this.name, published: this.#count };
  }
}
