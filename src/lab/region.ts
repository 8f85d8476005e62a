/**
 * The replayed region on loopback: the fault DNS server, authoritative for the region's zone, serving
 * the endpoint's record (and a twin for the safe plan run); the table service behind the record's
 * addresses; and a watch on the zone that notes, to the millisecond, when either record set loses its
 * last address. Started and stopped as one; `close()` stops everything, whatever state it is in.
 */
import { startFaultDnsServer } from '../chaos/index.js';
import type { FaultDnsServer, RecordSet } from '../chaos/index.js';
import { FailsmallError } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { Random } from '../core/index.js';
import { wireTtl } from './scenario.js';
import type { Scenario } from './scenario.js';
import { startTableService } from './table-service.js';
import type { TableService } from './table-service.js';

/** A running region. */
export interface Region {
  readonly dns: FaultDnsServer;
  readonly table: TableService;
  /** The name the clients resolve. */
  readonly endpoint: string;
  /** The twin record the safe plan run enacts on. */
  readonly twin: string;
  /** `http://<endpoint>:<port>`: what the clients are configured with. */
  readonly endpointUrl: string;
  /** The record's TTL on the wire, real seconds. */
  readonly ttl: number;
  /** Addresses the record set of `name` holds now (0 when empty or gone). */
  addresses(name: string): number;
  /** When `name` was first seen with no address, on the scenario clock (ms), or undefined. */
  emptiedAt(name: string): number | undefined;
  /** Restores the endpoint's record set to the scenario's addresses (the manual repair). */
  restore(): Promise<void>;
  /** Stops the DNS server and the table service. Idempotent. */
  close(): Promise<void>;
}

/** The twin of `dynamodb.us-east-1.amazonaws.com`: `dynamodb-safe.us-east-1.amazonaws.com`. */
export function twinName(endpoint: string): string {
  const [first, ...rest] = endpoint.split('.');
  return [`${first}-safe`, ...rest].join('.');
}

/** The endpoint's record set with the scenario's addresses and the compressed TTL. */
export function endpointRecordSet(scenario: Scenario, name = scenario.region.endpoint): RecordSet {
  return { name, type: 'A', ttl: wireTtl(scenario), records: scenario.region.addresses.map((value) => ({ value })) };
}

/** The SOA (negative TTL `negativeTtl`, real seconds) and NS record sets at the apex of a lab zone. */
export function zoneApex(zone: string, negativeTtl: number): RecordSet[] {
  return [
    {
      name: zone,
      type: 'SOA',
      ttl: negativeTtl,
      records: [{ value: `ns1.${zone} hostmaster.${zone} 1 60 60 3600 ${negativeTtl}` }],
    },
    { name: zone, type: 'NS', ttl: 3600, records: [{ value: `ns1.${zone}` }] },
  ];
}

/**
 * Starts the region of `scenario`. If any part fails to start, the parts already started are stopped
 * before the error propagates.
 *
 * @param scenarioClock - timestamps the zone watch (scenario ms).
 */
export async function startRegion(
  scenario: Scenario,
  options: { scenarioClock: Pick<Clock, 'now'>; random: Random },
): Promise<Region> {
  const { zone, endpoint, negativeTtlS } = scenario.region;
  const twin = twinName(endpoint);
  const negativeWire = Math.max(1, Math.round(negativeTtlS / scenario.speed));
  let table: TableService | undefined;
  let dns: FaultDnsServer | undefined;
  try {
    table = await startTableService({
      addresses: scenario.region.addresses,
      concurrency: scenario.table.concurrency,
      queue: scenario.table.queue,
      serviceTimeMs: scenario.table.serviceTimeMs,
      overload: scenario.table.overload,
      tables: { [scenario.table.name]: ['id'] },
      maxConnectionAgeMs: (scenario.table.connectionMaxAgeS / scenario.speed) * 1000,
    });
    for (let i = 0; i < scenario.table.items; i++) {
      table.seed(scenario.table.name, { id: { S: `item-${i}` }, total: { N: String((i * 37) % 1000) } });
    }
    dns = await startFaultDnsServer({
      zones: [
        {
          name: zone,
          records: [
            ...zoneApex(zone, negativeWire),
            endpointRecordSet(scenario, endpoint),
            endpointRecordSet(scenario, twin),
          ],
        },
      ],
      random: options.random,
    });
  } catch (error) {
    await Promise.allSettled([table?.close(), dns?.close()]);
    throw new FailsmallError('FS_ERR_LAB_START', `The replayed region could not start: ${String(error)}`, {
      cause: error,
    });
  }
  const server = dns;
  const service = table;
  const count = (name: string): number => {
    const r = server.store.resolve(name, 'A');
    if (r.rcode !== 'NOERROR') return 0;
    return r.answers.filter((set) => set.type === 'A').reduce((n, set) => n + set.records.length, 0);
  };
  const emptied = new Map<string, number>();
  const watch = (): void => {
    for (const name of [endpoint, twin]) {
      if (!emptied.has(name) && count(name) === 0) emptied.set(name, options.scenarioClock.now());
    }
  };
  const subscription = server.events.on((entry) => {
    if (entry.kind === 'zone-change') watch();
  });
  let closing: Promise<void> | undefined;
  return {
    dns: server,
    table: service,
    endpoint,
    twin,
    endpointUrl: `http://${endpoint}:${service.port}`,
    ttl: wireTtl(scenario),
    addresses: count,
    emptiedAt: (name) => emptied.get(name),
    async restore() {
      const response = await fetch(`${server.apiUrl}/v1/zones/${zone}/changes`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          changes: [{ action: 'UPSERT', recordSet: endpointRecordSet(scenario, endpoint) }],
          comment: 'manual restore (02:25 PDT)',
        }),
        signal: AbortSignal.timeout(5_000),
      });
      if (!response.ok) {
        throw new FailsmallError(
          'FS_ERR_LAB_RESTORE',
          `Restoring ${endpoint} failed: HTTP ${response.status} ${await response.text()}`,
        );
      }
    },
    close() {
      closing ??= (async () => {
        subscription.dispose();
        await Promise.allSettled([service.close(), server.close()]);
      })();
      return closing;
    },
  };
}
