import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { rootContext } from '../policy/core/context.js';
import { ratioBudget } from '../policy/budget/ratio.js';
import { timeout } from '../policy/timeout/timeout.js';
import type { Policy } from '../policy/core/types.js';
import { awsRequestHandler, type FailsmallRequestHandler } from './aws-request-handler.js';
import { awsRetryStrategy, type FailsmallRetryStrategy } from './aws-retry-strategy.js';
import {
  startTableServer,
  type TableMode,
  suiteServer,
  labResolver,
  tableClientOptions,
} from '../test-support/client.js';

// The SDK warns once per process about Node 20 support; the tests know.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const get = (pk: string): GetItemCommand => new GetItemCommand({ TableName: 'leases', Key: { pk: { S: pk } } });
const put = (pk: string): PutItemCommand =>
  new PutItemCommand({ TableName: 'leases', Item: { pk: { S: pk }, owner: { S: 'host-1' } } });

/** A pass-through policy that records what each attempt threw. */
function recorder(): Policy & { seen: unknown[] } {
  const seen: unknown[] = [];
  return {
    kind: 'recorder',
    seen,
    execute(fn, signal) {
      return this.run(fn, rootContext(signal));
    },
    async run(fn, ctx) {
      try {
        return await fn(ctx);
      } catch (error) {
        seen.push(error);
        throw error;
      }
    },
  };
}

describe('awsRequestHandler with the real DynamoDBClient', () => {
  const table = suiteServer(startTableServer);
  const resolver = labResolver();

  /**
   * Runs `body` with a DynamoDB client on `requestHandler` (and `retryStrategy`, else the SDK's) while
   * the table answers in `mode`; then destroys the client and puts the table back to `ok`.
   */
  async function withClient(
    mode: TableMode,
    requestHandler: FailsmallRequestHandler,
    retryStrategy: FailsmallRetryStrategy | undefined,
    body: (client: DynamoDBClient) => Promise<void>,
  ): Promise<void> {
    table().mode = mode;
    const client = new DynamoDBClient({
      ...tableClientOptions(table()),
      requestHandler,
      ...(retryStrategy === undefined ? {} : { retryStrategy }),
    });
    try {
      await body(client);
    } finally {
      client.destroy();
      table().mode = 'ok';
    }
  }

  it('PutItem and GetItem by name, the first address dead, the second serving', async () => {
    const requestHandler = awsRequestHandler({ resolver, dependency: 'dynamodb' });
    await withClient('ok', requestHandler, undefined, async (client) => {
      await client.send(put('lease-1'));
      const { Item } = await client.send(get('lease-1'));
      assert.deepEqual(Item, { pk: { S: 'lease-1' }, owner: { S: 'host-1' } });
      const snapshot = requestHandler.snapshot();
      assert.equal(snapshot.requests, 2);
      assert.equal(snapshot.amplification, 1);
      const connector = snapshot.connector as Record<string, unknown>;
      assert.equal(connector.failovers, 1);
      assert.equal(connector.connects, 1, 'the second call reused the kept-alive connection');
    });
  });

  it('throttled: the retry budget caps attempts at 1.1 per logical request (the SDK default would make 3)', async () => {
    const before = table().requests;
    const clock = new VirtualClock();
    const requestHandler = awsRequestHandler({ resolver });
    const retryStrategy = awsRetryStrategy({
      budget: ratioBudget({ ratio: 0.1, minRetriesPerSecond: 0 }),
      backoff: constantBackoff(0),
      throttleBackoff: constantBackoff(0),
      clock,
    });
    await withClient('throttle', requestHandler, retryStrategy, async (client) => {
      const logical = 30;
      let throttled = 0;
      for (let i = 0; i < logical; i++) {
        await client.send(get(`k${i}`)).catch((e: Error) => {
          if (e.name === 'ProvisionedThroughputExceededException') throttled++;
        });
      }
      assert.equal(throttled, logical);
      const attempts = table().requests - before;
      assert.ok(attempts <= logical * 1.1, `${attempts} attempts for ${logical} requests`);
      assert.ok(attempts > logical, 'some retries did go out');
      assert.ok((retryStrategy.snapshot().amplification as number) <= 1.1);
      assert.ok((requestHandler.snapshot().amplification as number) <= 1.1);
    });
  });

  it('runs each attempt in the policy: 5xx responses count as failures, the SDK still gets them', async () => {
    const policy = recorder();
    const requestHandler = awsRequestHandler({ resolver, policy });
    const retryStrategy = awsRetryStrategy({ backoff: constantBackoff(0), clock: new VirtualClock(), maxAttempts: 2 });
    await withClient('error', requestHandler, retryStrategy, async (client) => {
      await assert.rejects(client.send(get('x')), { name: 'InternalServerError' });
      assert.equal(policy.seen.length, 2, 'both attempts failed inside the policy');
      assert.equal(requestHandler.snapshot().failedResponses, 2);
    });
  });

  it('a per-attempt timeout aborts a hung request with FS_ERR_TIMEOUT, which the SDK retries', async () => {
    const requestHandler = awsRequestHandler({ resolver, policy: timeout(100) });
    const retryStrategy = awsRetryStrategy({ backoff: constantBackoff(0), maxAttempts: 2 });
    await withClient('hang', requestHandler, retryStrategy, async (client) => {
      await assert.rejects(client.send(get('x')), (e) => {
        assert.ok(isFailsmallError(e, 'FS_ERR_TIMEOUT'));
        assert.equal((e as { $metadata?: { attempts?: number } }).$metadata?.attempts, 2);
        return true;
      });
      assert.equal(requestHandler.snapshot().attempts, 2);
    });
  });

  it('passes an SDK abort through', async () => {
    const requestHandler = awsRequestHandler({ resolver, policy: recorder() });
    await withClient('hang', requestHandler, awsRetryStrategy(), async (client) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      await assert.rejects(client.send(get('x'), { abortSignal: controller.signal }), { name: 'AbortError' });
    });
  });
});
