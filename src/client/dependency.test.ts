import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { dependency } from './dependency.js';
import { startTableServer, suiteServer, labResolver, tableClientOptions, fetchVia } from '../test-support/client.js';
import { drive } from '../test-support/policy.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('dependency', () => {
  const table = suiteServer(startTableServer);
  const resolver = labResolver();

  it('exposes fetch, http.Agent and AWS integrations over one connector, and one snapshot', async () => {
    const db = dependency('dynamodb', { resolver });
    const client = new DynamoDBClient({
      ...tableClientOptions(table()),
      ...db.aws,
    });
    try {
      const url = `http://dynamodb.lab.test:${table().port}/`;
      const viaFetch = await db.execute(({ signal }) => fetchVia(url, db.dispatcher, { signal }));
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
      ...tableClientOptions(table()),
      ...db.aws,
    });
    const seen: string[] = [];
    db.observer.onCall.on((c) => seen.push(`${c.dependency} ${c.outcome}`));
    try {
      await client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })).catch(() => undefined);
      for (let i = 0; i < 2; i++) {
        await assert.rejects(
          db.execute(() => Promise.reject(new Error('boom'))),
          /boom/,
        );
      }
      const before = table().requests;
      await assert.rejects(client.send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } })), (e) =>
        isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'),
      );
      assert.equal(table().requests, before);
      // Every attempt of both integrations is observed once: the AWS call, two failures, the fast rejection.
      assert.deepEqual(seen.slice(-3), ['dynamodb error', 'dynamodb error', 'dynamodb rejected']);
      assert.equal(seen.length, 4);
      assert.match(seen[0]!, /^dynamodb (ok|error)$/);
    } finally {
      client.destroy();
      await db.close();
    }
  });

  it('with the defaults, an open breaker fails fast through execute: no wait for the breaker', async () => {
    const clock = new VirtualClock();
    const db = dependency('dynamodb', { resolver, clock });
    try {
      const reset = (): Promise<never> => Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
      // Enough failed attempts to open the default breaker (5 in a row), retries included.
      for (let i = 0; i < 3; i++) await drive(clock, db.execute(reset));
      const started = clock.now();
      let calls = 0;
      const r = await drive(
        clock,
        db.execute(() => {
          calls++;
          return Promise.resolve('never');
        }),
      );
      assert.equal(r.ok, false);
      assert.ok(!r.ok && isFailsmallError(r.error, 'FS_ERR_BREAKER_OPEN'));
      assert.equal(calls, 0);
      assert.equal(clock.now(), started, 'rejected at once, not after the breaker retryAfter');
    } finally {
      await db.close();
    }
  });

  it('waitForBreaker: true retries an open breaker after its retryAfter, on execute and the AWS strategy', async () => {
    for (const waitForBreaker of [false, true]) {
      const clock = new VirtualClock();
      const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 1 }, halfOpenAfter: 1_000 });
      const db = dependency('dynamodb', { resolver, clock, breaker, waitForBreaker });
      try {
        let calls = 0;
        const r = await drive(
          clock,
          db.execute(() => (++calls === 1 ? Promise.reject(new Error('boom')) : Promise.resolve('served'))),
        );
        if (waitForBreaker) {
          assert.deepEqual(r, { ok: true, value: 'served' });
          assert.equal(calls, 2);
          assert.ok(clock.now() >= 1_000, 'waited out the open breaker');
        } else {
          assert.ok(!r.ok && isFailsmallError(r.error, 'FS_ERR_BREAKER_OPEN'));
          assert.equal(calls, 1);
        }
        // The AWS path of the same dependency decides the same way.
        const strategy = db.aws.retryStrategy;
        const token = await strategy.acquireInitialRetryToken('');
        await drive(
          clock,
          breaker.execute(() => Promise.reject(new Error('x'))),
        ); // opens it (again)
        const rejection = await drive(
          clock,
          breaker.execute(() => Promise.resolve(0)),
        );
        assert.ok(!rejection.ok && isFailsmallError(rejection.error, 'FS_ERR_BREAKER_OPEN'));
        const before = clock.now();
        const refreshed = await drive(
          clock,
          strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT', error: rejection.error }),
        );
        assert.equal(refreshed.ok, waitForBreaker);
        if (waitForBreaker) assert.ok(clock.now() - before >= 1_000, 'slept the breaker retryAfter');
      } finally {
        await db.close();
      }
    }
  });

  it('counts an HTTP 5xx result seen through execute as a breaker failure by default, overridable', async () => {
    const clock = new VirtualClock();
    const response = (status: number): Response => new Response(null, { status });
    const db = dependency('dynamodb', { resolver, clock, maxAttempts: 1 });
    try {
      for (let i = 0; i < 5; i++) {
        assert.equal((await db.execute(() => Promise.resolve(response(503)))).status, 503);
      }
      await assert.rejects(
        db.execute(() => Promise.resolve(response(200))),
        (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'),
      );
    } finally {
      await db.close();
    }
    const lenient = dependency('dynamodb', { resolver, clock, maxAttempts: 1, isFailureResult: () => false });
    try {
      for (let i = 0; i < 6; i++) await lenient.execute(() => Promise.resolve(response(503)));
      assert.equal((await lenient.execute(() => Promise.resolve(response(200)))).status, 200);
      // 4xx answers prove the dependency works: never a breaker failure.
      const other = dependency('other', { resolver, clock, maxAttempts: 1 });
      for (let i = 0; i < 6; i++) await other.execute(() => Promise.resolve(response(404)));
      assert.equal((await other.execute(() => Promise.resolve(response(200)))).status, 200);
      await other.close();
    } finally {
      await lenient.close();
    }
  });

  it('rejects a bad name or option with FS_ERR_INVALID_ARGUMENT', () => {
    for (const make of [
      () => dependency(''),
      () => dependency('x', { attemptTimeout: -1 }),
      () => dependency('x', { attemptDelay: -1 }),
      () => dependency('x', { waitForBreaker: 'yes' as never }),
      () => dependency('x', { isFailureResult: 1 as never }),
    ]) {
      assert.throws(make, (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    }
  });
});
