/**
 * The region-loss world on loopback: one fault DNS server (a global DNS service that outlives a
 * region) answering both regional names, and per region a table service on its own addresses over
 * a store of items that outlives the service. Asynchronous replication ships each region's new
 * writes (PutItem) to the other in batches every `replicationLagMs`, while both are up; a batch
 * that cannot be delivered waits for the next round. `lose()` stops the primary's table service for
 * real (every connect to its addresses is refused); `restore()` starts it again on the same
 * addresses and port, with its items.
 */
import { startFaultDnsServer } from '../../chaos/index.js';
import type { FaultDnsServer } from '../../chaos/index.js';
import { FailsmallError, systemClock } from '../../core/index.js';
import type { Random } from '../../core/index.js';
import { PeriodicLoop } from '../../core/periodic.js';
import { zoneApex } from '../region.js';
import { startTableService, TableStore } from '../table-service.js';
import type { AttributeValue, TableService } from '../table-service.js';
import type { LossRegion, RegionLossScenario } from './scenario.js';

/** The tables of the run: one per client group, so the groups' writes never mix. */
export const lossTables = { baseline: 'orders-baseline', failsmall: 'orders-failsmall' } as const;

/** One region of the world. */
export interface WorldRegion {
  readonly name: string;
  /** `dynamodb.<name>.<zone>`. */
  readonly endpoint: string;
  /** `http://<endpoint>:<port>`. */
  readonly endpointUrl: string;
  readonly addresses: readonly string[];
  /** Its items (kept while its service is down). */
  readonly store: TableStore;
  /** Its running table service, or undefined while it is down. */
  service(): TableService | undefined;
  /** True while its table service runs. */
  up(): boolean;
}

/** A running region-loss world. */
export interface RegionLossWorld {
  readonly dns: FaultDnsServer;
  /** The DNS server, `ip:port`. */
  readonly dnsServer: string;
  readonly primary: WorldRegion;
  readonly replica: WorldRegion;
  /** Writes accepted by `from` not yet replicated to `to`. */
  replicationBacklog(from: WorldRegion, to: WorldRegion): number;
  /** Stops the primary's table service (refused connects from now on). */
  lose(): Promise<void>;
  /** Starts the primary's table service again, with its items; its counters start from zero. */
  restore(): Promise<void>;
  /** Stops everything. Idempotent. */
  close(): Promise<void>;
}

interface Side {
  readonly region: WorldRegion;
  service: TableService | undefined;
  port: number;
  /** Writes waiting to be shipped to the other region. */
  backlog: { table: string; item: Record<string, AttributeValue> }[];
}

/** Starts the world of `scenario`; a part that fails to start stops the others first. */
export async function startRegionLossWorld(
  scenario: RegionLossScenario,
  options: { random: Random },
): Promise<RegionLossWorld> {
  const { zone, ttlS, replicationLagMs } = scenario.regions;
  const sides: Side[] = [];
  let dns: FaultDnsServer | undefined;
  const startService = (r: LossRegion, store: TableStore, port: number): Promise<TableService> =>
    startTableService({
      addresses: r.addresses,
      port,
      concurrency: scenario.table.concurrency,
      queue: scenario.table.queue,
      serviceTimeMs: scenario.table.serviceTimeMs,
      store,
    });
  try {
    for (const r of [scenario.regions.primary, scenario.regions.replica]) {
      const store = new TableStore({ [lossTables.baseline]: ['id'], [lossTables.failsmall]: ['id'] });
      for (let i = 0; i < scenario.table.items; i++) {
        for (const table of Object.values(lossTables)) {
          store.seed(table, { id: { S: `item-${i}` }, at: { N: '-1' } });
        }
      }
      const service = await startService(r, store, 0);
      const endpoint = `dynamodb.${r.name}.${zone}`;
      const side: Side = {
        service,
        port: service.port,
        backlog: [],
        region: {
          name: r.name,
          endpoint,
          endpointUrl: `http://${endpoint}:${service.port}`,
          addresses: r.addresses,
          store,
          service: () => side.service,
          up: () => side.service !== undefined,
        },
      };
      store.puts.on((put) => side.backlog.push(put));
      sides.push(side);
    }
    dns = await startFaultDnsServer({
      zones: [
        {
          name: zone,
          records: [
            ...zoneApex(zone, ttlS),
            ...sides.map((s) => ({
              name: s.region.endpoint,
              type: 'A' as const,
              ttl: ttlS,
              records: s.region.addresses.map((value) => ({ value })),
            })),
          ],
        },
      ],
      random: options.random,
    });
  } catch (error) {
    await Promise.allSettled([...sides.map((s) => s.service?.close()), dns?.close()]);
    throw new FailsmallError('FS_ERR_LAB_START', `The region-loss world could not start: ${String(error)}`, {
      cause: error,
    });
  }
  const [a, b] = sides as [Side, Side];
  const ship = (from: Side, to: Side): void => {
    if (from.service === undefined || to.service === undefined || from.backlog.length === 0) return;
    const batch = from.backlog;
    from.backlog = [];
    for (const put of batch) to.region.store.seed(put.table, put.item); // seed: not replicated back
  };
  const replication = new PeriodicLoop(
    () => {
      ship(a, b);
      ship(b, a);
    },
    { clock: systemClock, every: replicationLagMs, unref: true },
  );
  replication.start();
  const server = dns;
  let closing: Promise<void> | undefined;
  return {
    dns: server,
    dnsServer: server.dnsServer,
    primary: a.region,
    replica: b.region,
    replicationBacklog: (from, to) => (from === to ? 0 : (from === a.region ? a : b).backlog.length),
    async lose() {
      const service = a.service;
      a.service = undefined;
      await service?.close();
    },
    async restore() {
      if (a.service !== undefined || closing !== undefined) return;
      a.service = await startService(scenario.regions.primary, a.region.store, a.port);
    },
    close() {
      closing ??= (async () => {
        replication.stop();
        await Promise.allSettled([a.service?.close(), b.service?.close(), server.close()]);
        a.service = undefined;
        b.service = undefined;
      })();
      return closing;
    },
  };
}
