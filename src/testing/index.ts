/**
 * `failsmall/testing`: what a test of code built on failsmall needs. A virtual clock and the helpers
 * that drive it (tests never sleep), seeded randomness, and a fault DNS server on loopback to point a
 * resolver at (serves zones, lies on demand).
 *
 * @example
 * import { VirtualClock, settle } from 'failsmall/testing';
 * import { retry } from 'failsmall/policy';
 * const clock = new VirtualClock();
 * let calls = 0;
 * const value = await settle(clock, retry({ clock, maxAttempts: 3 }).execute(async () => {
 *   if (++calls < 3) throw new Error('flaky');
 *   return calls;
 * })); // → 3, after the backoff delays ran on the virtual clock
 */
import type { FaultDnsServer, FaultDnsServerOptions } from '../chaos/fault-dns-server.js';

export { VirtualClock, ScaledClock } from '../core/clock.js';
export type { Clock, ScaledClockOptions } from '../core/clock.js';
export { seededRandom } from '../core/random.js';
export type { Random } from '../core/random.js';
export * from './virtual-time.js';
export type { FaultDnsServer, FaultDnsServerOptions } from '../chaos/fault-dns-server.js';

/**
 * Starts the chaos fault DNS server on loopback (ephemeral ports by default): the same server as
 * `failsmall/chaos`'s `startFaultDnsServer`, loaded on first call so that importing
 * `failsmall/testing` needs none of the chaos module's peers (`zod`, `yaml`) until a test starts one.
 * Close it with `await server.close()`.
 *
 * @example
 * const server = await startFaultDnsServer({ zones: [{ name: 'example.test', records: [] }] });
 * // point a failsmall Resolver at server.dnsServer (`127.0.0.1:<port>`) …
 * await server.close();
 */
export async function startFaultDnsServer(options: FaultDnsServerOptions = {}): Promise<FaultDnsServer> {
  const chaos = await import('../chaos/fault-dns-server.js');
  return chaos.startFaultDnsServer(options);
}
