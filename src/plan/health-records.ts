/**
 * From a health decision to a plan: the healthy set (what `HealthMonitor.healthy()` answers, taken
 * structurally, since plan/ sits below health/) as a plan body's weighted records. A returning
 * target's slow-start weight (0..1] becomes a Route 53-style weight 1..`maxWeight`, so it gets a
 * share of the answers that grows with its ramp; a weight is never 0 (0 means "never served").
 */
import { isIPv4, isIPv6 } from 'node:net';
import { checkPlanBody } from './plan-body.js';
import type { PlanBody, WeightedAddress } from './types.js';
import { positiveInteger } from '../core/validate.js';

/** One member of a healthy set: its weight (0..1] and its target's address. */
export interface HealthyMember {
  readonly weight: number;
  readonly target: { readonly address: string };
}

/**
 * The records of `healthy` for a record set of `type` (addresses of the other family are left out),
 * each weight scaled to 1..`maxWeight` (default 100, the planner's usual full weight).
 *
 * @example
 * const records = recordsFromHealthy(monitor.healthy(), 'A'); // [{ address: '192.0.2.10', weight: 100 }, …]
 */
export function recordsFromHealthy(
  healthy: readonly HealthyMember[],
  type: 'A' | 'AAAA',
  maxWeight = 100,
): WeightedAddress[] {
  positiveInteger('maxWeight', maxWeight);
  const family = type === 'A' ? isIPv4 : isIPv6;
  return healthy
    .filter((m) => family(m.target.address))
    .map((m) => ({
      address: m.target.address,
      weight: Math.min(maxWeight, Math.max(1, Math.round((Number.isFinite(m.weight) ? m.weight : 1) * maxWeight))),
    }));
}

/**
 * A checked plan body for `record` with the healthy set's records: what a planner publishes after a
 * health round. Throws `FS_ERR_PLAN_INVALID` as {@link checkPlanBody} does; an empty set is a valid
 * body that the plan guard then refuses (health/'s fail-open never answers an empty set).
 *
 * @example
 * await planner.publish(planFromHealthy({ zone: 'example.com', name: 'api.example.com', type: 'A', ttl: 60 }, monitor.healthy()));
 */
export function planFromHealthy(
  record: Omit<PlanBody, 'records' | 'force'>,
  healthy: readonly HealthyMember[],
  maxWeight = 100,
): PlanBody {
  return checkPlanBody({ ...record, records: recordsFromHealthy(healthy, record.type, maxWeight) });
}
