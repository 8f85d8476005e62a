/**
 * The 2025-10-20 failure mode, end to end on loopback: a real DNS server, failsmall's Resolver, and
 * each integration (fetch, http.Agent, the real DynamoDB client). After a first successful call the
 * record goes empty (NOERROR, no answer) or NXDOMAIN while the servers stay up; clients built on
 * failsmall keep working from the last known good set.
 */
import assert from 'node:assert/strict';
import { Resolver as CaresResolver } from 'node:dns/promises';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { Resolver } from '../dns/index.js';
import { startDnsFixture } from '../test-support/dns-server.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { awsClientConfig } from './aws-client-config.js';
import { startTableServer, suiteServer, tableClientOptions, fetchVia } from '../test-support/client.js';
import { createHttpAgent } from './http-agent.js';
import { createUndiciAgent } from './undici-agent.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const NAME = 'dynamodb.lab.test';

describe('last-known-good through every integration', () => {
  const table = suiteServer(startTableServer);
  const dns = suiteServer(() => startDnsFixture({ zone: { [NAME]: { A: ['127.0.0.201', '127.0.0.1'], ttl: 1 } } }));

  /** A resolver on a virtual clock (TTLs and hold-down), querying the loopback DNS server. */
  function resolverFor(clock: VirtualClock, guard = true): Resolver {
    return new Resolver({ upstreams: [dns().server], clock, guard });
  }

  /**
   * A DynamoDB client on {@link awsClientConfig} with `resolver`, without backoff. keepAlive off: every
   * call opens a new connection, so every call resolves the name again.
   */
  function tableClient(resolver: Resolver, clock: VirtualClock, attempts: { maxAttempts?: number } = {}) {
    const config = awsClientConfig({
      resolver,
      clock,
      agent: { keepAlive: false },
      backoff: constantBackoff(0),
      ...attempts,
    });
    return { config, client: new DynamoDBClient({ ...tableClientOptions(table(), NAME), ...config }) };
  }

  it('the DNS server really answers empty, then NXDOMAIN (checked with c-ares)', async () => {
    const cares = new CaresResolver({ timeout: 1_000, tries: 1 });
    cares.setServers([dns().server]);
    try {
      assert.deepEqual((await cares.resolve4(NAME)).sort(), ['127.0.0.1', '127.0.0.201']);
      dns().behave(NAME, 'empty');
      await assert.rejects(cares.resolve4(NAME), { code: 'ENODATA' });
      dns().behave(NAME, 'nxdomain');
      await assert.rejects(cares.resolve4(NAME), { code: 'ENOTFOUND' });
    } finally {
      dns().behave(NAME, 'answer');
    }
  });

  it('DynamoDBClient: PutItem, then the record empties and GetItem still works; NXDOMAIN too', async () => {
    const clock = new VirtualClock();
    const resolver = resolverFor(clock);
    const engaged: string[] = [];
    resolver.events.on((e) => {
      if (e.type === 'guard-engaged') engaged.push(e.reason);
    });
    const { config, client } = tableClient(resolver, clock);
    try {
      await client.send(new PutItemCommand({ TableName: 'leases', Item: { pk: { S: 'host-1' }, gen: { N: '7' } } }));
      dns().behave(NAME, 'empty');
      await clock.advance(2_000); // past the 1 s TTL: the next call must ask the DNS server again
      const { Item } = await client.send(new GetItemCommand({ TableName: 'leases', Key: { pk: { S: 'host-1' } } }));
      assert.deepEqual(Item, { pk: { S: 'host-1' }, gen: { N: '7' } });

      dns().behave(NAME, 'nxdomain');
      await clock.advance(2_000);
      await client.send(new GetItemCommand({ TableName: 'leases', Key: { pk: { S: 'host-1' } } }));

      assert.ok(engaged.length >= 1, 'the guard engaged');
      const connector = config.requestHandler.snapshot().connector as { sources: Record<string, number> };
      assert.ok((connector.sources['last-known-good'] ?? 0) >= 2, JSON.stringify(connector.sources));
      assert.equal(config.requestHandler.snapshot().errors, 0);
    } finally {
      client.destroy();
      await resolver.close();
      dns().behave(NAME, 'answer');
    }
  });

  it('fetch and http.get keep working while the record is empty', async () => {
    const clock = new VirtualClock();
    const resolver = resolverFor(clock);
    const dispatcher = createUndiciAgent({ resolver, clock });
    const agent = createHttpAgent({ connector: dispatcher.connector, agent: { keepAlive: false } });
    const url = `http://${NAME}:${table().port}/`;
    const httpGet = (): Promise<number> =>
      new Promise((resolve, reject) => {
        http
          .get(url, { agent }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          })
          .on('error', reject);
      });
    try {
      assert.equal((await fetchVia(url, dispatcher)).status, 400); // the fixture's UnknownOperation
      dns().behave(NAME, 'empty');
      await clock.advance(2_000);
      assert.equal(await httpGet(), 400);
      // A fresh dispatcher has no pooled connection: it must resolve, and gets the last-known-good set.
      const fresh = createUndiciAgent({ connector: dispatcher.connector });
      try {
        assert.equal((await fetchVia(url, fresh)).status, 400);
      } finally {
        await fresh.close();
      }
      assert.ok(((dispatcher.snapshot().sources as Record<string, number>)['last-known-good'] ?? 0) >= 2);
    } finally {
      agent.destroy();
      await dispatcher.close();
      await resolver.close();
      dns().behave(NAME, 'answer');
    }
  });

  it('without the guard the same client fails: the test is not vacuous', async () => {
    const clock = new VirtualClock();
    const resolver = resolverFor(clock, false);
    const { client } = tableClient(resolver, clock, { maxAttempts: 1 });
    try {
      await client.send(new GetItemCommand({ TableName: 'leases', Key: { pk: { S: 'x' } } }));
      dns().behave(NAME, 'empty');
      await clock.advance(2_000);
      await assert.rejects(client.send(new GetItemCommand({ TableName: 'leases', Key: { pk: { S: 'x' } } })), (e) =>
        isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'),
      );
    } finally {
      client.destroy();
      await resolver.close();
      dns().behave(NAME, 'answer');
    }
  });
});
