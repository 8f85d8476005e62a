import assert from 'node:assert/strict';
import http from 'node:http';
import { describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { VirtualClock, isFailsmallError, seededRandom } from '../../core/index.js';
import { startTableServer, suiteServer, fetchVia } from '../../test-support/client.js';
import { regions, type RegionSwitch } from './region-set.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('regions', () => {
  const east = suiteServer(() => startTableServer('127.0.0.1'));
  const west = suiteServer(() => startTableServer('127.0.0.2'));

  const setup = (clock: VirtualClock) =>
    regions('orders', {
      clock,
      random: seededRandom(7),
      maxAttempts: 1,
      regions: [
        { name: 'us-east-1', endpoint: `http://127.0.0.1:${east().port}` },
        { name: 'us-west-2', endpoint: `http://127.0.0.2:${west().port}` },
      ],
      failback: { probeInterval: 3_600_000 }, // probes driven by hand below
    });

  it('fails reads over when the primary breaker opens, keeps writes on the primary, fails back with hysteresis and a ramp (fetch)', async () => {
    const clock = new VirtualClock(0);
    const orders = setup(clock);
    const seen: RegionSwitch[] = [];
    orders.onSwitch.on((s) => seen.push(s));
    const get = (operation: string): Promise<string> =>
      orders.execute(operation, async ({ region, endpoint, signal }) => {
        const res = await fetchVia(`${endpoint}/`, region.dependency.dispatcher, { signal });
        await res.arrayBuffer();
        if (res.status >= 500) throw new Error(`${region.name}:${res.status}`);
        return region.name;
      });
    try {
      assert.equal(await get('read'), 'us-east-1');
      await clock.advance(2_000);
      east().mode = 'error';
      for (let i = 0; i < 5; i++) await assert.rejects(get('read'), /us-east-1:500/);
      assert.equal(orders.regions[0]!.breaker.state, 'open');
      // the next read is routed to the alternate at once; writes have nowhere else to go
      assert.equal(await get('read'), 'us-west-2');
      await assert.rejects(get('write'), (e) => isFailsmallError(e, 'FS_ERR_BREAKER_OPEN'));
      assert.deepEqual(orders.active(), { read: 'us-west-2', write: 'us-east-1' });
      assert.deepEqual(
        seen.map(({ operation, direction, from, to, reason, at }) => ({ operation, direction, from, to, reason, at })),
        [
          {
            operation: 'read',
            direction: 'failover',
            from: 'us-east-1',
            to: 'us-west-2',
            reason: 'breaker-open',
            at: 2_000,
          },
        ],
      );

      // the primary returns; probes go through its breaker and close it once it is half-open
      east().mode = 'ok';
      await orders.probeOnce();
      assert.equal(orders.regions[0]!.breaker.state, 'open');
      await clock.advance(31_000); // t = 33 s: the breaker is half-open
      for (let i = 0; i < 3; i++) await orders.probeOnce();
      assert.equal(orders.regions[0]!.breaker.state, 'closed');
      await clock.advance(20_000); // t = 53 s: stable 20 s only, dwell not over
      orders.evaluate();
      assert.equal(orders.active().read, 'us-west-2');
      await clock.advance(10_000); // t = 63 s: stable 30 s, 61 s since the failover
      orders.evaluate();
      assert.equal(orders.active().read, 'us-east-1');
      assert.deepEqual(
        seen.map((s) => [s.direction, s.reason, s.at]),
        [
          ['failover', 'breaker-open', 2_000],
          ['failback', 'recovered', 63_000],
        ],
      );
      // the ramp: some reads still go to the alternate at first, none after the ramp window
      const early: string[] = [];
      for (let i = 0; i < 20; i++) early.push(await get('read'));
      assert.ok(early.includes('us-west-2') && early.includes('us-east-1'), early.join(','));
      await clock.advance(30_000);
      const late: string[] = [];
      for (let i = 0; i < 10; i++) late.push(await get('read'));
      assert.deepEqual(new Set(late), new Set(['us-east-1']));
      const snapshot = orders.snapshot();
      assert.equal(snapshot.failovers, 1);
      assert.equal(snapshot.failbacks, 1);
    } finally {
      await orders.close();
    }
  });

  it('routes the AWS SDK through region-specific clients, and the http.Agent of the region', async () => {
    const clock = new VirtualClock(0);
    const orders = setup(clock);
    const clientOf = orders.perRegion(
      (r) =>
        new DynamoDBClient({
          region: r.name,
          endpoint: r.endpoint!,
          credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
          ...r.dependency.aws,
        }),
    );
    try {
      const used: string[] = [];
      const read = (): Promise<unknown> =>
        orders.call('read', async ({ region }) => {
          used.push(region.name);
          assert.equal(await clientOf(region).config.region(), region.name);
          return clientOf(region).send(new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } }));
        });
      await read();
      await clock.advance(2_000);
      east().mode = 'error';
      for (let i = 0; i < 5; i++) await assert.rejects(read());
      await read(); // failed over: served by us-west-2's own client
      assert.deepEqual(used.slice(-1), ['us-west-2']);
      assert.equal(clientOf(orders.regions[1]!), clientOf(orders.regions[1]!));
      const status = await orders.execute(
        'read',
        ({ region, endpoint }) =>
          new Promise<number>((resolve, reject) => {
            http
              .get(`${endpoint}/`, { agent: region.dependency.httpAgent }, (res) => {
                res.resume();
                resolve(res.statusCode ?? 0);
              })
              .on('error', reject);
          }),
      );
      assert.equal(status, 400); // the table fixture's answer to a request without x-amz-target
    } finally {
      east().mode = 'ok';
      for (const r of orders.regions) clientOf(r).destroy();
      await orders.close();
    }
  });

  it('counts an unreachable primary (every address refused) as down: reason `unreachable`', async () => {
    const closed = await startTableServer('127.0.0.1');
    const closedPort = closed.port;
    await closed.close();
    const clock = new VirtualClock(5_000);
    const orders = regions('orders', {
      clock,
      maxAttempts: 1,
      regions: [
        { name: 'a', endpoint: `http://127.0.0.1:${closedPort}` }, // nothing listens there
        { name: 'b', endpoint: `http://127.0.0.2:${west().port}` },
      ],
    });
    const get = (): Promise<string> =>
      orders.execute('read', async ({ region, endpoint, signal }) => {
        const res = await fetchVia(`${endpoint}/`, region.dependency.dispatcher, { signal });
        await res.arrayBuffer();
        return region.name;
      });
    try {
      await assert.rejects(get());
      await clock.advance(1_000);
      assert.equal(orders.snapshot().failovers, 0); // evaluated on the next call
      assert.equal(await get(), 'b');
      assert.equal(orders.switches[0]?.reason, 'unreachable');
    } finally {
      await orders.close();
    }
  });

  it('rejects an invalid configuration naming the field', () => {
    const base = { name: 'a', endpoint: 'http://127.0.0.1:1' };
    const cases: [unknown, string, string][] = [
      [
        { regions: [] },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `regions` to be a non-empty array of regions, got an array',
      ],
      [
        { regions: [{ endpoint: 'http://x' }] },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `regions[0].name` to be a non-empty string, got undefined',
      ],
      [
        { regions: [base, { name: 'b', priority: -1 }] },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `regions[1].priority` to be a non-negative integer, got -1',
      ],
      [
        { regions: [{ ...base, endpoint: 'ftp://x' }] },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `regions[0].endpoint` to be an http(s) URL, got "ftp://x"',
      ],
      [
        { regions: [{ ...base, serves: ['delete'] }] },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `regions[0].serves[0]` to be one of "read", "write", got "delete"',
      ],
      [
        { regions: [{ ...base, region: 'x' }] },
        'FS_ERR_INVALID_ARGUMENT',
        'Unknown option `regions[0].region`; expected one of name, endpoint, priority, serves, health',
      ],
      [{ regions: [base, base] }, 'FS_ERR_REGION_CONFIG', '`regions[1].name` "a" is used twice'],
      [
        { regions: [{ ...base, serves: ['read'] }] },
        'FS_ERR_REGION_CONFIG',
        'No region serves the operation class "write"',
      ],
      [
        { regions: [base], failback: { dwell: -1 } },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `failback.dwell` to be a finite number >= 0, got -1',
      ],
      [
        { regions: [base], failback: { ramp: { window: -5 } } },
        'FS_ERR_INVALID_ARGUMENT',
        'Expected `slowStart.window` to be a finite number >= 0, got -5',
      ],
      [
        { regions: [base], failback: { dwel: 1 } },
        'FS_ERR_INVALID_ARGUMENT',
        'Unknown option `dwel`; expected one of dwell, stableFor, probes, probeInterval, minInterval, ramp, probe, caughtUp',
      ],
      [{ regions: [base], breaker: false }, 'FS_ERR_INVALID_ARGUMENT', 'Expected `breaker` to be breaker options'],
      [{ regions: [base], breaker: { halfOpenAfter: -1 } }, 'FS_ERR_INVALID_ARGUMENT', 'Expected `halfOpenAfter`'],
    ];
    for (const [options, code, message] of cases) {
      assert.throws(
        () => regions('orders', options as never),
        (e: unknown) => isFailsmallError(e, code as never) && (e as Error).message.startsWith(message),
        message,
      );
    }
  });
});
