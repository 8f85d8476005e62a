/**
 * The plan body of the plan tests: the record set of `api.example.com/A` in `example.com`, in the
 * normalised form `checkPlanBody` returns (lower-case names, no trailing dot). Loaded by tests only
 * (`src/test-support/` is not published).
 */
import type { PlanBody, WeightedAddress } from '../plan/types.js';

/**
 * `api.example.com/A` in `example.com` with a TTL of 60 s and `records`; `extra` overrides any
 * field (`{ force: true }`, another `ttl`).
 *
 * @example
 * planBody([{ address: '192.0.2.10', weight: 1 }], { force: true });
 */
export function planBody(records: readonly WeightedAddress[], extra: Partial<PlanBody> = {}): PlanBody {
  return { zone: 'example.com', name: 'api.example.com', type: 'A', ttl: 60, records, ...extra };
}
