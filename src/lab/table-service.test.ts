import assert from 'node:assert/strict';
import http from 'node:http';
import { after, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { isFailsmallError } from '../core/index.js';
import { tagCommand } from './sdk-tag.js';
import { startTableService } from './table-service.js';
import type { TableService } from './table-service.js';

const credentials = { accessKeyId: 'lab', secretAccessKey: 'lab' };

function client(endpoint: string, maxAttempts = 3): DynamoDBClient {
  return new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts });
}

function post(
  url: string,
  target: string | undefined,
  body: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          ...(target === undefined ? {} : { 'x-amz-target': target }),
          connection: 'close',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('table service', () => {
  const services: TableService[] = [];
  const clients: DynamoDBClient[] = [];
  after(async () => {
    for (const c of clients) c.destroy();
    await Promise.all(services.map((s) => s.close()));
  });

  it('serves GetItem and PutItem to the real AWS SDK on every address of one port', async () => {
    const table = await startTableService({ addresses: ['127.0.0.2', '127.0.0.3'] });
    services.push(table);
    const a = client(table.endpoint('127.0.0.2'));
    const b = client(table.endpoint('127.0.0.3'));
    clients.push(a, b);
    await a.send(new PutItemCommand({ TableName: 'orders', Item: { id: { S: 'o-1' }, total: { N: '42' } } }));
    const got = await b.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'o-1' } } }));
    assert.deepEqual(got.Item, { id: { S: 'o-1' }, total: { N: '42' } });
    const missing = await b.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'nope' } } }));
    assert.equal(missing.Item, undefined);
    const s = table.snapshot();
    assert.equal(s.nodes[0]!.requests, 1);
    assert.equal(s.nodes[1]!.requests, 2);
    assert.equal(s.items, 1);
  });

  it('answers with the error shapes the SDK maps to its exception classes', async () => {
    const table = await startTableService({ addresses: ['127.0.0.2'] });
    services.push(table);
    const c = client(table.endpoint(), 1);
    clients.push(c);
    await assert.rejects(c.send(new GetItemCommand({ TableName: 'nothere', Key: { id: { S: 'x' } } })), {
      name: 'ResourceNotFoundException',
    });
    await assert.rejects(
      c.send(new GetItemCommand({ TableName: 'orders', Key: { other: { S: 'x' } } })),
      (e: Error) => {
        assert.equal(e.name, 'ValidationException');
        return true;
      },
    );
    const raw = await post(table.endpoint(), 'DynamoDB_20120810.Scan', '{}');
    assert.equal(raw.status, 400);
    assert.equal(raw.json['__type'], 'com.amazon.coral.service#UnknownOperationException');
    const bad = await post(table.endpoint(), 'DynamoDB_20120810.GetItem', '{not json');
    assert.equal(bad.json['__type'], 'com.amazon.coral.service#SerializationException');
    assert.equal(bad.headers['content-type'], 'application/x-amz-json-1.0');
    assert.match(String(bad.headers['x-amz-crc32']), /^\d+$/);
    const invalid = await post(
      table.endpoint(),
      'DynamoDB_20120810.PutItem',
      '{"TableName":"orders","Item":{"id":"x"}}',
    );
    assert.equal(invalid.json['__type'], 'com.amazonaws.dynamodb.v20120810#ValidationException');
  });

  for (const [overload, check] of [
    ['throughput', { name: 'ProvisionedThroughputExceededException' }],
    ['throttling', { name: 'ThrottlingException' }],
    ['unavailable', (e: unknown) => (e as { $metadata: { httpStatusCode: number } }).$metadata.httpStatusCode === 503],
  ] as const) {
    it(`is overloaded for real: beyond the queue it answers ${overload}`, async () => {
      const table = await startTableService({
        addresses: ['127.0.0.2'],
        concurrency: 1,
        queue: 1,
        serviceTimeMs: 150,
        overload,
      });
      services.push(table);
      const c = client(table.endpoint(), 1);
      clients.push(c);
      const calls = [0, 1, 2].map((i) =>
        c.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: String(i) } } })),
      );
      const settled = await Promise.allSettled(calls);
      assert.equal(settled.filter((r) => r.status === 'fulfilled').length, 2);
      const rejected = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.ok(rejected);
      await assert.rejects(Promise.reject(rejected.reason as Error), check);
      const node = table.snapshot().nodes[0]!;
      assert.equal(node.rejected, 1);
      assert.equal(node.completed, 2);
      assert.equal(node.peakQueued, 1);
    });
  }

  it('counts every SDK attempt of a logical request, client side and server side alike', async () => {
    const table = await startTableService({
      addresses: ['127.0.0.2'],
      concurrency: 1,
      queue: 0,
      serviceTimeMs: 4_000,
      overload: 'unavailable',
    });
    services.push(table);
    const c = client(table.endpoint(), 3);
    clients.push(c);
    // A request that holds the only slot; it fails when the service closes.
    const hog = c.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'hog' } } })).catch(() => undefined);
    // Wait until the hog really holds the slot (bounded: the test runner's timeout), not a fixed guess.
    while (table.snapshot().nodes.every((n) => n.inService === 0)) await new Promise((r) => setImmediate(r));
    const command = new GetItemCommand({ TableName: 'orders', Key: { id: { S: 'x' } } });
    const tag = tagCommand(command, 'baseline', 'req-1');
    await assert.rejects(c.send(command), (e) => (e as { $metadata: { attempts: number } }).$metadata.attempts === 3);
    assert.equal(tag.attempts, 3);
    assert.equal(table.takeAttempts('req-1'), 3);
    assert.equal(table.takeAttempts('req-1'), 0);
    assert.equal(table.snapshot().attemptsByGroup['baseline'], 3);
    assert.equal(table.snapshot().rejectedByGroup['baseline'], 3);
    await table.close();
    await hog;
  });

  it('recycles connections past their maximum age, so clients resolve and connect again', async () => {
    const table = await startTableService({ addresses: ['127.0.0.2'], maxConnectionAgeMs: 0 });
    const keep = await startTableService({ addresses: ['127.0.0.3'] });
    services.push(table, keep);
    const a = client(table.endpoint());
    const b = client(keep.endpoint());
    clients.push(a, b);
    for (let i = 0; i < 3; i++) {
      await a.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: String(i) } } }));
      await b.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: String(i) } } }));
    }
    assert.equal(table.snapshot().nodes[0]!.connections, 3);
    assert.equal(keep.snapshot().nodes[0]!.connections, 1);
  });

  it('rejects bad options with the option named, and closes idempotently', async () => {
    await assert.rejects(
      startTableService({ addresses: ['10.0.0.1'] }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && /addresses\[0\]/.test(e.message),
    );
    await assert.rejects(startTableService({ addresses: [] }), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(startTableService({ overload: 'nope' as 'throughput' }), /`overload`/);
    const table = await startTableService({ addresses: ['127.0.0.5'] });
    await assert.rejects(startTableService({ addresses: ['127.0.0.5'], port: table.port }), (e) =>
      isFailsmallError(e, 'FS_ERR_LAB_LISTEN'),
    );
    await table.close();
    await table.close();
  });
});
