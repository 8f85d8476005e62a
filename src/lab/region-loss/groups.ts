/**
 * The client groups of the region-loss scenario, both on the real `@aws-sdk/client-dynamodb`:
 *
 * - **baseline**: the SDK pointed at the primary region only, with its defaults (the replay's
 *   baseline group of groups.ts: standard retries, `NodeHttpHandler`, cacheable-lookup);
 * - **failsmall**: the two regions as one {@link RegionSet} (`regions()` of failsmall/client: reads
 *   may fail over to the replica, writes only go to the primary), an SDK client per region on that
 *   region's failsmall config, writes through a durable {@link Outbox} (SQLite, in a temporary
 *   folder; acknowledged once applied or queued), reads through a `cached` feature of
 *   {@link Degradation} over a {@link ReadCache} (the last good value while both regions fail).
 *
 * Each write creates its own item (`order-<arrival>`), so after the run every acknowledged write can
 * be read back on its own: the RPO is counted, not assumed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { degradation, outbox, readCache, regions } from '../../client/index.js';
import type { Outbox, RegionSet } from '../../client/index.js';
import type { Clock, Random } from '../../core/index.js';
import { Resolver } from '../../dns/index.js';
import { SqliteOutboxStore } from '../../store/sqlite-outbox.js';
import { baselineGroup } from '../groups.js';
import type { GroupFunction, RequestContext } from '../load.js';
import { loadReplayPeers } from '../peers.js';
import { tagCommand } from '../sdk-tag.js';
import type { RegionLossScenario } from './scenario.js';
import { lossTables, type RegionLossWorld, type WorldRegion } from './world.js';

/** Where a read of the failsmall group was served from. */
export interface ReadSources {
  primary: number;
  replica: number;
  /** The read cache's last good value (both regions failed the read). */
  cache: number;
}

/** A group of the region-loss run. */
export interface LossGroup {
  readonly name: 'baseline' | 'failsmall';
  readonly run: GroupFunction;
  /** The failsmall group's region set (undefined for the baseline). */
  readonly regions?: RegionSet;
  /** The failsmall group's outbox (undefined for the baseline). */
  readonly outbox?: Outbox;
  /** The failsmall group's read sources. */
  readonly reads?: ReadSources;
  snapshot(): Record<string, unknown>;
  close(): Promise<void>;
}

/** The item a write creates: `order-<arrival>`. */
export const writeKey = (index: number): string => `order-${index}`;

const credentials = { accessKeyId: 'failsmall-lab', secretAccessKey: 'failsmall-lab' };

/** The baseline: the SDK's defaults pointed at the primary region only. */
export async function lossBaselineGroup(world: RegionLossWorld): Promise<LossGroup> {
  const primary = world.primary;
  const group = await baselineGroup({
    endpointUrl: primary.endpointUrl,
    dnsServer: world.dnsServer,
    tableName: lossTables.baseline,
    table: { takeAttempts: (id) => primary.service()?.takeAttempts(id) ?? 0 },
    random: { next: () => 0.5 }, // unused by the baseline
  });
  return {
    name: 'baseline',
    run: async (req) => {
      if (req.kind === 'read') return group.run(req);
      const own: RequestContext = { ...req, key: writeKey(req.index) };
      try {
        await group.run(own);
      } finally {
        req.attempts = own.attempts;
      }
    },
    snapshot: () => group.snapshot(),
    close: () => group.close(),
  };
}

/** The failsmall group: ordered regions, the outbox, the read cache and the degradation of reads. */
export async function lossFailsmallGroup(
  world: RegionLossWorld,
  scenario: RegionLossScenario,
  options: { clock: Clock; random: Random },
): Promise<LossGroup> {
  const { sdk } = await loadReplayPeers();
  const f = scenario.failsmall;
  const { clock, random } = options;
  const byName = new Map<string, WorldRegion>([
    [world.primary.name, world.primary],
    [world.replica.name, world.replica],
  ]);
  const resolver = new Resolver({ upstreams: [world.dnsServer], random });
  const set = regions('dynamodb', {
    resolver,
    random,
    clock,
    regions: [
      { name: world.primary.name, endpoint: world.primary.endpointUrl },
      { name: world.replica.name, endpoint: world.replica.endpointUrl }, // reads only (the default)
    ],
    breaker: { halfOpenAfter: f.breakerHalfOpenMs },
    failback: {
      dwell: f.failback.dwellMs,
      stableFor: f.failback.stableForMs,
      probes: f.failback.probes,
      probeInterval: f.failback.probeIntervalMs,
      ramp: { window: f.failback.rampMs },
      // the region failed back to has every write the other accepted meanwhile
      caughtUp: (from, to) => world.replicationBacklog(byName.get(from.name)!, byName.get(to.name)!) === 0,
    },
  });
  const clientOf = set.perRegion(
    (r) => new sdk.DynamoDBClient({ region: r.name, endpoint: r.endpoint!, credentials, ...r.dependency.aws }),
  );
  const dir = mkdtempSync(join(tmpdir(), 'failsmall-region-loss-'));
  let box: Outbox | undefined;
  try {
    box = outbox({
      store: await SqliteOutboxStore.open({ path: join(dir, 'outbox.db') }),
      dependency: 'dynamodb',
      clock,
      rate: f.outbox.rate,
      drainInterval: f.outbox.drainIntervalMs,
      retryDelay: f.outbox.drainIntervalMs,
      apply: async (write, signal) => {
        const { id, at } = write.payload as { id: string; at: number };
        const command = new sdk.PutItemCommand({
          TableName: lossTables.failsmall,
          Item: { id: { S: id }, at: { N: String(at) } },
        });
        tagCommand(command, 'failsmall', `failsmall:${write.key}:${write.attempts}`);
        await set.call('write', ({ region }) => clientOf(region).send(command, { abortSignal: signal }));
      },
    });
    await box.start();
  } catch (error) {
    await box?.close().catch(() => undefined);
    await set.close();
    await resolver.close();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const writes = box;
  const cache = readCache({ ttl: 0, maxStale: Infinity, maxEntries: scenario.table.items + 100, clock });
  const features = degradation({ dependency: 'dynamodb', features: { item: { fallback: 'cached', cache } }, clock });
  const reads: ReadSources = { primary: 0, replica: 0, cache: 0 };
  const run: GroupFunction = async (req) => {
    if (req.kind === 'write') {
      await writes.write({ key: writeKey(req.index), payload: { id: writeKey(req.index), at: req.index } }, req.signal);
      req.attempts = Math.max(req.attempts, 1);
      return;
    }
    const command = new sdk.GetItemCommand({ TableName: lossTables.failsmall, Key: { id: { S: req.key } } });
    const tag = tagCommand(command, 'failsmall', req.id);
    try {
      const result = await features.run(
        'item',
        async () => {
          let served = '';
          const out = await set.call('read', ({ region }) => {
            served = region.name;
            return clientOf(region).send(command, { abortSignal: req.signal });
          });
          return { item: out.Item ?? null, region: served };
        },
        req.key,
      );
      if (result.state === 'hidden') throw result.error;
      if (result.state === 'degraded') reads.cache++;
      else if (result.value.region === world.primary.name) reads.primary++;
      else reads.replica++;
    } finally {
      req.attempts = tag.attempts;
    }
  };
  let closed = false;
  return {
    name: 'failsmall',
    run,
    regions: set,
    outbox: writes,
    reads,
    snapshot: () => ({
      regions: set.snapshot(),
      outbox: writes.snapshot(),
      readCache: cache.snapshot(),
      degradation: features.snapshot(),
      reads: { ...reads },
    }),
    async close() {
      if (closed) return;
      closed = true;
      for (const r of set.regions) clientOf(r).destroy();
      await writes.close();
      await set.close();
      await resolver.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
