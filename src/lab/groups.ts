/**
 * The replay's client groups: the same `@aws-sdk/client-dynamodb` client, configured two ways.
 *
 * - **baseline**: the SDK's defaults (standard retry mode and its retry quota; 4 attempts for
 *   DynamoDB in this SDK version) on the SDK's own `NodeHttpHandler`, with an `http.Agent` resolving
 *   through cacheable-lookup pointed at the region's DNS server: the best setup Node users have today.
 * - **failsmall**: the same client with failsmall's request handler and retry strategy
 *   (`dependency('dynamodb').aws`): a failsmall `Resolver` with the last-known-good guard, the whole
 *   address set tried, a breaker and a timeout per attempt, retries drawn from a retry budget.
 *
 * The AWS SDK, `@smithy/node-http-handler` and cacheable-lookup are optional peers of failsmall: they
 * are loaded on first use by `loadReplayPeers` (peers.ts) and nowhere else in the package's runtime
 * code, so a user of `failsmall/lab` without them gets one clear error naming every missing package
 * (`FS_ERR_MISSING_PEER`), and nobody else pays.
 *
 * Both groups run on real time, like any client: their retries, backoff and timeouts are not
 * compressed. What is compressed is scenario-scale: the DNS TTLs on the wire, the connection age, and
 * the failsmall resolver's guard timers (its defaults, in scenario time, divided by the speed): the
 * hold-down, the window in which a successful connect counts as evidence, and the cap. The evidence
 * itself is real: every connect of the failsmall group is reported to its resolver, which stamps it
 * on its own clock.
 */
import http from 'node:http';
import { promises as dnsPromises } from 'node:dns';
import { dependency } from '../client/index.js';
import { validate } from '../core/index.js';
import type { Random } from '../core/index.js';
import { Resolver, defaultGuardConfig } from '../dns/index.js';
import type * as DynamoSdk from '@aws-sdk/client-dynamodb';
import type { GroupFunction, RequestContext } from './load.js';
import { tagCommand } from './sdk-tag.js';
import { loadReplayPeers } from './peers.js';
import type { TableService } from './table-service.js';

/** The names of the groups, in display order. */
export const groupNames = ['baseline', 'failsmall'] as const;
/** One of {@link groupNames}. */
export type GroupName = (typeof groupNames)[number];

/** A client group ready to take load. */
export interface ClientGroup {
  readonly name: GroupName;
  /** Performs one logical request (GetItem or PutItem) and counts its attempts. */
  readonly run: GroupFunction;
  /** DNS queries this group's resolver sent so far. */
  dnsQueries(): number;
  /** Plain JSON for the report: the resolver's and handler's counters. */
  snapshot(): Record<string, unknown>;
  /** Destroys the SDK client, its sockets and its resolver. Idempotent. */
  close(): Promise<void>;
}

/** What both groups need. */
export interface GroupOptions {
  /** `http://<endpoint>:<port>`. */
  readonly endpointUrl: string;
  /** The region's DNS server, `ip:port`. */
  readonly dnsServer: string;
  /** The table the requests go to. */
  readonly tableName: string;
  /** The table service: attempts that reached it are counted per logical request. */
  readonly table: Pick<TableService, 'takeAttempts'>;
  /** failsmall's jitter. */
  readonly random: Random;
  /**
   * How long failsmall's resolver keeps serving the last-known-good addresses of a name that answers
   * empty once connects to them stop succeeding, before it believes the change without an
   * independent upstream, in real milliseconds; default the resolver's 5 minutes divided by `speed`.
   */
  readonly holdDownMs?: number;
  /**
   * Scenario seconds per real second: the failsmall resolver's guard timers (hold-down, reachability
   * window, 24 h cap) are its defaults divided by this; default 1 (real time).
   */
  readonly speed?: number;
}

/** The failsmall resolver's guard settings: its defaults, compressed by `speed`, in real milliseconds. */
export function compressedGuard(
  speed: number,
  holdDownMs?: number,
): { holdDown: number; reachableWithin: number; maxHold: number } {
  validate.positiveNumber('speed', speed);
  const holdDown = validate.duration('holdDownMs', holdDownMs ?? defaultGuardConfig.holdDown / speed, true);
  return {
    holdDown,
    reachableWithin: defaultGuardConfig.reachableWithin / speed,
    maxHold: Math.max(defaultGuardConfig.maxHold / speed, holdDown),
  };
}

const credentials = { accessKeyId: 'failsmall-lab', secretAccessKey: 'failsmall-lab' };

// Type-only imports above are erased at build time: the modules themselves load through `loadReplayPeers()`.
type DynamoModule = typeof DynamoSdk;
type DynamoClient = InstanceType<DynamoModule['DynamoDBClient']>;

function requestFunction(
  name: GroupName,
  client: DynamoClient,
  sdk: DynamoModule,
  options: GroupOptions,
): GroupFunction {
  return async (req: RequestContext) => {
    const command =
      req.kind === 'read'
        ? new sdk.GetItemCommand({ TableName: options.tableName, Key: { id: { S: req.key } } })
        : new sdk.PutItemCommand({
            TableName: options.tableName,
            Item: { id: { S: req.key }, at: { N: String(req.index) } },
          });
    const tag = tagCommand(command, name, req.id);
    try {
      await client.send(command as Parameters<DynamoClient['send']>[0], { abortSignal: req.signal });
    } finally {
      // The SDK's count covers attempts that never reached the service (DNS failed); the service's
      // count covers any retry below the SDK. Take the larger.
      req.attempts = Math.max(tag.attempts, options.table.takeAttempts(req.id));
    }
  };
}

/** Builds the baseline group: the SDK's defaults, resolving through cacheable-lookup. */
export async function baselineGroup(options: GroupOptions): Promise<ClientGroup> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const { sdk, smithy, CacheableLookup } = await loadReplayPeers();
  const { NodeHttpHandler } = smithy;
  const resolver = new dnsPromises.Resolver({ timeout: 2_000, tries: 1 });
  resolver.setServers([options.dnsServer]);
  let queries = 0;
  // Count the queries cacheable-lookup sends (it asks for A and AAAA separately).
  const counted = new Proxy(resolver, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver) as unknown;
      if ((property === 'resolve4' || property === 'resolve6') && typeof value === 'function') {
        return (...args: unknown[]) => {
          queries++;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  // lookup: false and fallbackDuration: 0, so that it never falls back to the system resolver (and
  // never leaves loopback).
  const cacheable = new CacheableLookup({ resolver: counted, lookup: false, fallbackDuration: 0 });
  const agent = new http.Agent({ keepAlive: true, maxSockets: 50 });
  cacheable.install(agent);
  const client = new sdk.DynamoDBClient({
    region: 'us-east-1',
    endpoint: options.endpointUrl,
    credentials,
    requestHandler: new NodeHttpHandler({ httpAgent: agent }),
  });
  let closed = false;
  return {
    name: 'baseline',
    run: requestFunction('baseline', client, sdk, options),
    dnsQueries: () => queries,
    snapshot: () => ({
      dnsQueries: queries,
      setup: 'AWS SDK v3 defaults (standard retry mode), NodeHttpHandler, http.Agent + cacheable-lookup',
    }),
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      agent.destroy();
      resolver.cancel();
    },
  };
}

/** Builds the failsmall group: the same SDK client with failsmall's handler and retry strategy. */
export async function failsmallGroup(options: GroupOptions): Promise<ClientGroup> {
  process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';
  const guard = compressedGuard(options.speed ?? 1, options.holdDownMs);
  const { sdk } = await loadReplayPeers();
  // The resolver runs on real time (TTLs on the wire are real seconds); its connector reports every
  // connect to it (Connector finds reportReachable by feature), the evidence that keeps the set.
  const resolver = new Resolver({ upstreams: [options.dnsServer], guard, random: options.random });
  const db = dependency('dynamodb', { resolver, random: options.random });
  const client = new sdk.DynamoDBClient({ region: 'us-east-1', endpoint: options.endpointUrl, credentials, ...db.aws });
  const upstreamQueries = (): number => resolver.snapshot().upstreamQueries;
  // Why the guard released, by reason: the replay shows that the hold-down never fired while the
  // servers answered.
  const releases: Record<string, number> = {};
  resolver.events.on((e) => {
    if (e.type === 'guard-released') releases[e.reason] = (releases[e.reason] ?? 0) + 1;
  });
  let closed = false;
  return {
    name: 'failsmall',
    run: requestFunction('failsmall', client, sdk, options),
    dnsQueries: upstreamQueries,
    snapshot: () => ({ resolver: resolver.snapshot(), guard, releases: { ...releases }, dependency: db.snapshot() }),
    async close() {
      if (closed) return;
      closed = true;
      client.destroy();
      await db.close();
      await resolver.close();
    },
  };
}
