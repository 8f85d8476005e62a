/**
 * The replay's optional peers: the AWS SDK v3 DynamoDB client, `@smithy/node-http-handler` and
 * cacheable-lookup for its client groups, and chart.js for the HTML report. None of them is loaded by
 * importing `failsmall/lab` or the CLI: the replay loads them when it starts, all at once, so that one
 * error names every package missing (not one per run).
 */
import { createRequire } from 'node:module';
import type * as DynamoSdk from '@aws-sdk/client-dynamodb';
import type * as SmithyHttp from '@smithy/node-http-handler';
import type * as CacheableLookupModule from 'cacheable-lookup';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { importPeer, MISSING_PEER } from '../core/optional-peer.js';

/** The packages the client groups need. */
export const GROUP_PEERS = ['@aws-sdk/client-dynamodb', '@smithy/node-http-handler', 'cacheable-lookup'] as const;
/** The package the HTML report inlines. */
export const REPORT_PEER = 'chart.js';

/** The client groups' modules, loaded. */
export interface GroupPeers {
  readonly sdk: typeof DynamoSdk;
  readonly smithy: typeof SmithyHttp;
  readonly CacheableLookup: (typeof CacheableLookupModule)['default'];
}

/** Where chart.js is installed (its CommonJS entry), or an error when it is not. */
export function resolveChartJs(): string {
  return createRequire(import.meta.url).resolve(REPORT_PEER);
}

/**
 * Loads the client groups' packages (once per process) and, with `report`, checks that chart.js is
 * installed. Rejects with one `FS_ERR_MISSING_PEER` naming every missing package
 * (`details.packages`) and the one `npm install` that fixes them all; a package that is installed but
 * fails to load is named with its own error as the cause.
 *
 * @example
 * const { sdk } = await loadReplayPeers({ report: true });
 */
export async function loadReplayPeers(options: { report?: boolean } = {}): Promise<GroupPeers> {
  const feature = 'failsmall replay';
  const [sdk, smithy, lookup] = await Promise.allSettled([
    importPeer<typeof DynamoSdk>(GROUP_PEERS[0], feature),
    importPeer<typeof SmithyHttp>(GROUP_PEERS[1], feature),
    importPeer<typeof CacheableLookupModule>(GROUP_PEERS[2], feature),
  ]);
  const failures: { name: string; error: unknown }[] = [];
  [sdk, smithy, lookup].forEach((r, i) => {
    if (r.status === 'rejected') failures.push({ name: GROUP_PEERS[i]!, error: r.reason });
  });
  if (options.report === true) {
    try {
      resolveChartJs();
    } catch (error) {
      failures.push({ name: REPORT_PEER, error });
    }
  }
  if (failures.length > 0) {
    const packages = failures.map((f) => f.name);
    const broken = failures.filter(
      (f) => isFailsmallError(f.error, MISSING_PEER) && f.error.details?.['installed'] === true,
    );
    const cause = failures.length === 1 ? failures[0]!.error : new AggregateError(failures.map((f) => f.error));
    throw new FailsmallError(
      MISSING_PEER,
      `${feature} needs ${packages.join(', ')}, which ${packages.length === 1 ? 'is' : 'are'} not installed` +
        `${broken.length === 0 ? '' : ` or failed to load (${broken.map((b) => b.name).join(', ')})`}: ` +
        `run \`npm install ${packages.join(' ')}\``,
      { cause, details: { packages, feature } },
    );
  }
  const ok = <T>(r: PromiseSettledResult<T>): T => (r as PromiseFulfilledResult<T>).value;
  return { sdk: ok(sdk), smithy: ok(smithy), CacheableLookup: ok(lookup).default };
}
