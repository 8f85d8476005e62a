/**
 * The replay feeding a running status service (`failsmall replay --status-url URL`): the day's
 * signals become suggested incidents there, and the replayed region's dependency map shows on its
 * page.
 *
 * - Before the load: the region's status component (`dynamodb`, in the business process
 *   `Orders`) and its catalog (Backstage `catalog-info.yaml`: the System `orders`, the two client
 *   groups as Components, DynamoDB, its DNS name and its load balancer as Resources) are posted.
 * - During the run, one {@link StatusReporter} per group: failsmall's listens to failsmall's
 *   channels (its `dependency('dynamodb')` attempts, its breaker, its resolver's guard, the health
 *   link's monitor escalations); the baseline has no failsmall inside, so its calls are the lab's own
 *   outcomes (logical requests) reported by hand.
 * - At the end both reporters flush; what they sent and dropped goes into the replay's summary.
 *
 * Nothing here fails the replay: a status service that is down or refuses costs counted drops
 * and a line in the summary.
 */
import { StatusReporter, type ReporterSnapshot } from '../status/reporter.js';
import type { Outcome } from './load.js';

/** Options of {@link startStatusFeed}. */
export interface StatusFeedOptions {
  /** The status service, `http://host:port`. */
  readonly url: string;
  /** Its write token. */
  readonly token: string;
  /** The region's name on the page; default `us-east-1`. */
  readonly region?: string;
  /** The replayed endpoint's host name (for the catalog). */
  readonly endpoint: string;
  /** How often the reporters post, real milliseconds; default 500. */
  readonly flushIntervalMs?: number;
}

/** What the replay's summary says about the feed. */
export interface StatusFeedSummary {
  readonly url: string;
  readonly region: string;
  /** False when the component or the catalog could not be posted (the reason in `setup_error`). */
  readonly setup_ok: boolean;
  readonly setup_error?: string;
  readonly reporters: Readonly<Record<string, ReporterSnapshot>>;
}

/** A running feed. */
export interface StatusFeed {
  /** Records one of the baseline group's outcomes (its calls to DynamoDB). */
  outcome(o: Outcome): void;
  /** Flushes and stops both reporters. */
  close(): Promise<StatusFeedSummary>;
}

/** One client group of the replay (it calls the table), as a Backstage Component. */
function clientGroup(name: string, title: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${name}
  title: ${title}
spec:
  type: service
  lifecycle: production
  owner: lab
  system: orders
  dependsOn: [resource:dynamodb]
`;
}

/** The region's catalog, in Backstage's format. */
export function regionCatalog(region: string, endpoint: string): string {
  return `apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: orders
  title: Orders
  description: Customers read and write their orders (the replayed DynamoDB table in ${region})
spec:
  owner: lab
---
${clientGroup('baseline', 'Orders API (SDK defaults)')}---
${clientGroup('failsmall', 'Orders API (failsmall)')}---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: dynamodb
  title: DynamoDB ${region}
  annotations:
    failsmall.dev/status-component: dynamodb
spec:
  type: database
  owner: aws
  system: orders
  dependsOn: [resource:dynamodb-dns, resource:dynamodb-nlb]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: dynamodb-dns
  title: ${endpoint}
  description: The endpoint's DNS record, emptied by the race
  annotations:
    failsmall.dev/status-component: dynamodb
spec:
  type: dns-record
  owner: aws
  system: orders
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: dynamodb-nlb
  title: DynamoDB load balancer
  description: Its health checks flapped after the restore
  annotations:
    failsmall.dev/status-component: dynamodb
spec:
  type: load-balancer
  owner: aws
  system: orders
`;
}

/**
 * Posts the region's component and catalog, and starts the two reporters.
 *
 * @example
 * const feed = await startStatusFeed({ url: 'http://127.0.0.1:8080', token, endpoint: 'dynamodb.us-east-1.amazonaws.com' });
 * const summary = await feed.close();
 */
export async function startStatusFeed(options: StatusFeedOptions): Promise<StatusFeed> {
  const region = options.region ?? 'us-east-1';
  const url = options.url.replace(/\/+$/, '');
  const common = {
    url,
    token: options.token,
    region,
    flushIntervalMs: options.flushIntervalMs ?? 500,
  };
  const failsmall = new StatusReporter({ ...common, service: 'failsmall' });
  const baseline = new StatusReporter({ ...common, service: 'baseline', subscribe: false });
  let setupError: string | undefined;
  try {
    const res = await fetch(`${url}/api/admin/components`, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        id: 'dynamodb',
        name: `DynamoDB (${region})`,
        group: 'Orders',
        description: 'The table behind every order read and write',
      }),
      signal: AbortSignal.timeout(5_000),
    });
    const text = await res.text();
    if (!res.ok) setupError = `component: HTTP ${res.status} ${text.slice(0, 300)}`;
  } catch (error) {
    setupError = `component: ${(error as Error).message}`;
  }
  // The catalog ties the dependency's DNS name, the load balancer and the table to one component.
  const posted = await failsmall.postCatalog(regionCatalog(region, options.endpoint), `lab-${region}`);
  if (!posted.ok) setupError ??= `catalog: ${posted.status ?? ''} ${posted.error ?? ''}`.trim();
  return {
    outcome(o) {
      if (o.group === 'baseline') baseline.call('dynamodb', o.ok ? 'ok' : 'error', o.latencyMs);
    },
    async close() {
      await Promise.all([failsmall.close(), baseline.close()]);
      return {
        url,
        region,
        setup_ok: setupError === undefined,
        ...(setupError === undefined ? {} : { setup_error: setupError }),
        reporters: { failsmall: failsmall.snapshot(), baseline: baseline.snapshot() },
      };
    },
  };
}
