import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { dependency } from './dependency.js';
import { StaticResolver, startTableServer, type TableServer } from '../test-support/client.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('dependency', () => {
  let table: TableServer;
  const resolver = new StaticResolver({ 'dynamodb.lab.test': ['127.0.0.201', '127.0.0.1'] });
  before(async () => {
    table = await startTableServer();
  });
  after(async () => {
    await table.close();
  });

  it('exposes fetch, http.Agent and AWS integrations over one connector, and one snapshot', async () => {
    const db = dependency('dynamodb', { resolver });
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://dynamodb.lab.test:${table.port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      ...db.aws,
    });
    try {
      const url = `http://dynamodb.lab.test:${table.port}/`;
      const viaFetch = await db.execute(({ signal }) =>
        fetch(url, { dispatcher: db.dispatcher, signal } as unknown as RequestInit),
      );
      assert.equal(viaFetch.status, 400); // no x-amz-target: the fixture says UnknownOperation
      await viaFetch.text();
      const status = await new Promise<number>((resolve, reject) => {
        http
          .get(url, { agent: db.httpAgent }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
      assert.equal(status, 400);
      await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
      const snapshot = db.snapshot();
      assert.equal(snapshot.dependency, 'dynamodb');
      const connector = snapshot.connector as Record<string, number>;
      // Three integrations, three connections, and the dead address cost one failed attempt in all.
      assert.equal(connector.connects, 3);
      assert.equal(connector.attemptFailures, 1);
      assert.ok(snapshot.aws);
      assert.equal((snapshot.budget as { kind: string }).kind, 'ratio');
    } finally {
      client.destroy();
      await db.close();
    }
  });

  it('shares the breaker: failures seen through execute make AWS calls fail fast', async () => {
    const clock = new VirtualClock();
    const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 2 } });
    const db = dependency('dynamodb', { resolver, breaker, clock, maxAttempts: 1 });
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://dynamodb.lab.test:${table.port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      ...db.aws,
    });
    try {
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          db.execute(() => Promise.reject(new Error('boom'))),
          /boom/,
        );
      }
      const before = table.requests;
      await assert.rejects(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })), (e) =>
        isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'),
      );
      assert.equal(table.requests, before);
    } finally {
      client.destroy();
      await db.close();
    }
  });

  it('rejects a bad name or option with FS_ERR_INVALID_ARGUMENT', () => {
    for (const make of [
      () => dependency(''),
      () => dependency('x', { attemptTimeout: -1 }),
      () => dependency('x', { attemptDelay: -1 }),
    ]) {
      assert.throws(make, (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    }
  });
});
