import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { awsClientConfig } from './aws-client-config.js';
import { StaticResolver, startTableServer, suiteServer, tableClientOptions } from '../test-support/client.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('awsClientConfig', () => {
  const table = suiteServer(startTableServer);
  const resolver = new StaticResolver({ 'dynamodb.lab.test': ['127.0.0.1'] });

  it('builds a handler and a strategy; an open breaker fails calls fast and is never retried', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 3 }, halfOpenAfter: 10_000 });
    const config = awsClientConfig({
      resolver,
      breaker,
      clock,
      backoff: constantBackoff(0),
      maxAttempts: 3,
      dependency: 'dynamodb',
    });
    const client = new DynamoDBClient({
      ...tableClientOptions(table()),
      ...config,
    });
    try {
      table().mode = 'error';
      // 3 attempts (2 retries from the budget's per-second reserve) fail: the breaker opens.
      await assert.rejects(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })), {
        name: 'InternalServerError',
      });
      assert.equal(table().requests, 3);
      table().mode = 'ok';
      await assert.rejects(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })), (e) =>
        isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'),
      );
      assert.equal(table().requests, 3, 'the open breaker kept the call local');
      assert.equal(config.retryStrategy.snapshot().refusedNotRetryable, 1);
      // After halfOpenAfter a probe goes through and closes it.
      await clock.advance(10_000);
      const { Item } = await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
      assert.equal(Item, undefined);
      assert.equal(table().requests, 4);
    } finally {
      client.destroy();
      table().mode = 'ok';
    }
  });

  it('works with neither breaker nor timeout, and rejects a bad attemptTimeout', () => {
    const { requestHandler, retryStrategy } = awsClientConfig({ resolver, breaker: false, attemptTimeout: Infinity });
    assert.equal(typeof requestHandler.handle, 'function');
    assert.equal(typeof retryStrategy.acquireInitialRetryToken, 'function');
    requestHandler.destroy();
    assert.throws(
      () => awsClientConfig({ attemptTimeout: -1 }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });
});
