import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { Resolver, type DnsEvent } from '../dns/index.js';
import { startDnsFixture } from '../test-support/dns-server.js';
import { AddressHealth } from './address-order.js';
import { Connector, systemResolver, type ConnectorEvent } from './connector.js';
import { StaticResolver, startHttpServer, suiteServer } from '../test-support/client.js';

describe('Connector', () => {
  const server = suiteServer(() => startHttpServer());

  it('connects to the next address when the first one refuses, and remembers the dead one', async () => {
    const resolver = new StaticResolver({ 'db.lab.test': ['127.0.0.201', '127.0.0.1'] });
    const clock = new VirtualClock(1_000);
    const connector = new Connector({ resolver, clock, dependency: 'db' });
    const events: ConnectorEvent[] = [];
    connector.events.on((e) => events.push(e));

    const first = await connector.connect({ hostname: 'db.lab.test', port: server().port });
    first.socket.destroy();
    assert.equal(first.address.address, '127.0.0.1');
    assert.deepEqual(
      first.attempts.map((a) => [a.address, a.outcome, a.code]),
      [
        ['127.0.0.201', 'failed', 'ECONNREFUSED'],
        ['127.0.0.1', 'connected', undefined],
      ],
    );
    // The dead address is tried last now: one attempt only.
    const second = await connector.connect({ hostname: 'db.lab.test', port: server().port });
    second.socket.destroy();
    assert.deepEqual(
      second.attempts.map((a) => a.address),
      ['127.0.0.1'],
    );
    // After the penalty window (30 s by default) it is tried first again.
    await clock.advance(30_000);
    const third = await connector.connect({ hostname: 'db.lab.test', port: server().port });
    third.socket.destroy();
    assert.equal(third.attempts.length, 2);

    assert.equal(events.length, 3);
    assert.equal(events[0]!.type, 'connect');
    assert.equal(events[0]!.dependency, 'db');
    const snapshot = connector.snapshot();
    assert.equal(snapshot.connects, 3);
    assert.equal(snapshot.failovers, 2);
    assert.equal(snapshot.attemptFailures, 2);
    assert.deepEqual(snapshot.sources, { fresh: 3 });
  });

  it('fails with FS_ERR_CLIENT_CONNECT_FAILED (cause ECONNREFUSED) when no address accepts', async () => {
    const resolver = new StaticResolver({ 'dead.lab.test': ['127.0.0.201', '127.0.0.202'] });
    const connector = new Connector({ resolver });
    const failed: ConnectorEvent[] = [];
    connector.events.on((e) => failed.push(e));
    await assert.rejects(connector.connect({ hostname: 'dead.lab.test', port: server().port }), (e) => {
      assert.ok(isFailsmallError(e, 'FS_ERR_CLIENT_CONNECT_FAILED'));
      assert.equal((e.cause as { code: string }).code, 'ECONNREFUSED');
      return true;
    });
    assert.equal(failed[0]!.type, 'connect-failed');
    assert.equal(connector.snapshot().connectFailures, 1);
  });

  it("passes the resolver's error through and connects to IP literals without resolving", async () => {
    const resolver = new StaticResolver();
    const connector = new Connector({ resolver });
    await assert.rejects(connector.connect({ hostname: 'nowhere.lab.test', port: server().port }), {
      code: 'ENOTFOUND',
    });
    const { socket, source } = await connector.connect({ hostname: '127.0.0.1', port: server().port });
    socket.destroy();
    assert.equal(source, 'literal');
    assert.equal(resolver.queries, 1);
  });

  it('cancels through the signal', async () => {
    const connector = new Connector({ resolver: new StaticResolver({ 'db.lab.test': ['127.0.0.1'] }) });
    await assert.rejects(
      connector.connect({ hostname: 'db.lab.test', port: server().port, signal: AbortSignal.abort(new Error('stop')) }),
      /stop/,
    );
  });

  it('shares what it learned through a shared AddressHealth', async () => {
    const health = new AddressHealth();
    const resolver = new StaticResolver({ 'db.lab.test': ['127.0.0.201', '127.0.0.1'] });
    const a = new Connector({ resolver, health });
    const b = new Connector({ resolver, health });
    (await a.connect({ hostname: 'db.lab.test', port: server().port })).socket.destroy();
    const viaB = await b.connect({ hostname: 'db.lab.test', port: server().port });
    viaB.socket.destroy();
    assert.equal(viaB.attempts.length, 1);
    assert.equal(b.health, a.health);
  });

  it('resolves through the system resolver by default (localhost)', async () => {
    const { addresses } = await systemResolver.resolve('localhost');
    assert.ok(addresses.length > 0);
    const connector = new Connector({ family: 4 });
    const { socket, address } = await connector.connect({ hostname: 'localhost', port: server().port });
    socket.destroy();
    assert.equal(address.address, '127.0.0.1');
  });

  it('reports connects to a failsmall resolver: the held set outlives the hold-down while it answers', async () => {
    const name = 'evidence.lab.test';
    const app = await startHttpServer();
    const dns = await startDnsFixture({ zone: { [name]: { A: ['127.0.0.1'], ttl: 5 } } });
    // The resolver decides on virtual time; the connects are real (the connector's clock is the system's).
    const clock = new VirtualClock();
    const resolver = new Resolver({ upstreams: [dns.server], clock, guard: { confirmations: 0 } });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    const connector = new Connector({ resolver });
    const connect = async (): Promise<string | undefined> => {
      const c = await connector.connect({ hostname: name, port: app.port });
      c.socket.destroy();
      return c.source;
    };
    try {
      assert.equal(await connect(), 'fresh');
      dns.behave(name, 'empty');
      await clock.advance(6_000);
      assert.equal(await connect(), 'last-known-good');
      // 20 minutes of resolver time, four times the 5 min hold-down, a connect every 30 s.
      for (let i = 0; i < 40; i++) {
        await clock.advance(30_000);
        assert.equal(await connect(), 'last-known-good', `connect ${i}`);
      }
      assert.ok(!events.some((e) => e.type === 'guard-released'), 'still held');
      assert.ok(resolver.snapshot().reachableReports >= 42);
      assert.equal(resolver.snapshot().guardsHeldByEvidence, 1);
      // The server at the held address goes away: the connect fails, and that voids the evidence.
      await app.close();
      await assert.rejects(connector.connect({ hostname: name, port: app.port }), (e) =>
        isFailsmallError(e, 'FS_ERR_CLIENT_CONNECT_FAILED'),
      );
      assert.equal(resolver.snapshot().unreachableReports, 1);
      // The hold-down passed long ago: the next connect asks the name again and believes it (empty).
      await assert.rejects(connector.connect({ hostname: name, port: app.port }), (e) =>
        isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'),
      );
      const released = events.find((e) => e.type === 'guard-released');
      assert.equal(released?.type === 'guard-released' && released.reason, 'hold-down');
      assert.deepEqual(
        events.filter((e) => e.type === 'guard-evidence').map((e) => e.type === 'guard-evidence' && e.reachable),
        [true, false],
      );
    } finally {
      await resolver.close();
      await dns.close();
      await app.close();
    }
  });

  it('reports nothing for IP literals, and survives a resolver whose report throws', async () => {
    const calls: string[] = [];
    const resolver = {
      resolve: () => Promise.resolve({ addresses: [{ address: '127.0.0.1', family: 4 as const }] }),
      reportReachable: (host: string, address: string): void => {
        calls.push(`${host} ${address}`);
        throw new Error('boom');
      },
      reportUnreachable: (): void => undefined,
    };
    const connector = new Connector({ resolver });
    const byName = await connector.connect({ hostname: 'any.lab.test', port: server().port });
    byName.socket.destroy();
    const literal = await connector.connect({ hostname: '127.0.0.1', port: server().port });
    literal.socket.destroy();
    assert.deepEqual(calls, ['any.lab.test 127.0.0.1']);
  });

  it('rejects bad options with FS_ERR_INVALID_ARGUMENT', () => {
    const bad = [
      { attemptDelay: -1 },
      { connectTimeout: Number.NaN },
      { family: 5 as 4 },
      { resolver: {} as never },
      { keepAliveInitialDelay: -5 },
      { health: { penalty: -1 } },
    ];
    for (const options of bad) {
      assert.throws(
        () => new Connector(options),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
        JSON.stringify(options),
      );
    }
  });
});
