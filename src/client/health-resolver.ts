/**
 * Wiring health/'s passive outlier detection into the client: a resolver wrapper that reports every
 * connect outcome (and, through {@link HealthAwareResolver.reportStatus}, HTTP statuses) to a
 * {@link HealthMonitor} with `passive` on, and leaves out the addresses the monitor ejects now. Use it
 * as the {@link Connector}'s resolver; one dead or failing address is then skipped by every request
 * after a few failures instead of being raced again and again.
 *
 * When every address is ejected, every address is answered (fail-open: the client still tries).
 */
import type { HealthMonitor } from '../health/monitor.js';
import type { AddressAnswer, AddressResolver } from './connector.js';

/** What the wrapper needs of a monitor. */
export type PassiveHealth = Pick<HealthMonitor, 'recordTraffic' | 'ejected' | 'targets'>;

/** A resolver that reports to, and follows, a monitor's passive outlier detection. */
export interface HealthAwareResolver extends AddressResolver {
  /** Reports an HTTP status a client got from `address` (undefined: the request failed without one). */
  reportStatus(address: string, status: number | undefined): void;
}

/**
 * Wraps `resolver` (a failsmall `Resolver`, or the connector's `systemResolver`) with `monitor`'s
 * passive signal. Addresses are matched to the monitor's targets by `address`; others pass untouched.
 *
 * @example
 * const monitor = new HealthMonitor({ targets, sources: [tcpProbe()], passive: { consecutiveGatewayErrors: 3 } });
 * const connector = new Connector({ resolver: healthAwareResolver(new Resolver(), monitor) });
 */
export function healthAwareResolver(resolver: AddressResolver, monitor: PassiveHealth): HealthAwareResolver {
  const idOf = (address: string): string | undefined => monitor.targets.find((t) => t.address === address)?.id;
  return {
    async resolve(hostname, options): Promise<AddressAnswer> {
      const answer = await resolver.resolve(hostname, options);
      const ejected = new Set(monitor.ejected());
      if (ejected.size === 0) return answer;
      const kept = answer.addresses.filter((a) => {
        const id = idOf(a.address);
        return id === undefined || !ejected.has(id);
      });
      return kept.length === 0 ? answer : { ...answer, addresses: kept };
    },
    reportReachable(hostname, address) {
      const id = idOf(address);
      if (id !== undefined) monitor.recordTraffic(id, 200);
      resolver.reportReachable?.(hostname, address);
    },
    reportUnreachable(hostname, address) {
      const id = idOf(address);
      if (id !== undefined) monitor.recordTraffic(id, undefined);
      resolver.reportUnreachable?.(hostname, address);
    },
    reportStatus(address, status) {
      const id = idOf(address);
      if (id !== undefined) monitor.recordTraffic(id, status);
    },
  };
}
