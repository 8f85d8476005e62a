/**
 * The race model's stuck probe, run once the schedule is over: can a fresh plan, forced past the
 * guards, still be applied? The 2025-10-20 system could not: its enactors failed on every later plan
 * until an operator repaired the state by hand.
 */
import { readAddresses, readFence, sameAddresses } from '../../plan/plan-body.js';
import type { Planner } from '../../plan/planner.js';
import type { DnsProvider, PlanBody, WeightedAddress } from '../../plan/types.js';
import type { EnactOutcome } from '../../plan/enactor.js';
import type { MonitoredEndpoint } from './monitor.js';

/** What the probe found. */
export interface StuckProbeResult {
  /** The fresh plan could not be applied. */
  readonly stuck: boolean;
  /** The generation of the probe's plan. */
  readonly generation: number;
  /** Why the probing enactor stopped (its outcome's reason, or the error it threw). */
  readonly reason: string;
  /** What the provider serves after the probe. */
  readonly final: { readonly generation: number; readonly addresses: WeightedAddress[] | undefined };
}

/**
 * Publishes `body` (forced) with `planner`, lets `enact` apply it, and reads what the provider serves.
 */
export async function probeStuck(
  planner: Planner,
  provider: DnsProvider,
  endpoint: MonitoredEndpoint,
  body: PlanBody,
  enact: () => Promise<EnactOutcome>,
): Promise<StuckProbeResult> {
  const probe = await planner.publish({ ...body, force: true });
  const reason = await enact().then(
    (o) => o.reason,
    (error: unknown) => String(error),
  );
  const after = await provider.readZone(endpoint.zone);
  const addresses = readAddresses(after.records, endpoint);
  const generation = readFence(after.records, endpoint);
  const stuck = !(generation === probe.generation && sameAddresses(addresses, probe.body.records));
  return { stuck, generation: probe.generation, reason, final: { generation, addresses } };
}
