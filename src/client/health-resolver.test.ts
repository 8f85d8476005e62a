import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/index.js';
import { HealthMonitor, providerSource } from '../health/index.js';
import { StaticResolver, startHttpServer, suiteServer } from '../test-support/client.js';
import { Connector } from './connector.js';
import { healthAwareResolver } from './health-resolver.js';

describe('healthAwareResolver (passive outlier detection in the client)', () => {
  const server = suiteServer(() => startHttpServer());

  function setup() {
    const clock = new VirtualClock(1_000);
    const monitor = new HealthMonitor({
      targets: [
        { id: 'dead', address: '127.0.0.201' },
        { id: 'live', address: '127.0.0.1' },
      ],
      sources: [providerSource('p', () => true)],
      passive: { consecutiveGatewayErrors: 2, maxEjectedShare: 0.5 },
      clock,
    });
    const inner = new StaticResolver({ 'db.lab.test': ['127.0.0.201', '127.0.0.1', '127.0.0.7'] });
    return { clock, monitor, resolver: healthAwareResolver(inner, monitor) };
  }

  it('reports connect outcomes to the monitor and skips the address it ejected', async () => {
    const { monitor, resolver } = setup();
    const connector = new Connector({ resolver, dependency: 'db' });
    const first = await connector.connect({ hostname: 'db.lab.test', port: server().port });
    first.socket.destroy();
    assert.ok(first.attempts.some((a) => a.address === '127.0.0.201' && a.outcome === 'failed'));
    assert.deepEqual(monitor.ejected(), [], 'one gateway error ejects nothing');
    resolver.reportStatus('127.0.0.201', 503); // the second in a row, from an HTTP response
    assert.deepEqual(monitor.ejected(), ['dead']);
    const answer = await resolver.resolve('db.lab.test');
    assert.deepEqual(
      answer.addresses.map((a) => a.address),
      ['127.0.0.1', '127.0.0.7'],
      'the ejected address is left out; an address the monitor does not know passes',
    );
    const fresh = new Connector({ resolver, dependency: 'db' });
    const second = await fresh.connect({ hostname: 'db.lab.test', port: server().port });
    second.socket.destroy();
    assert.deepEqual(
      second.attempts.map((a) => a.address),
      ['127.0.0.1'],
      'a new connector never races the ejected address',
    );
  });

  it('answers every address when all of them are ejected, and lets an ejection expire', async () => {
    const { clock, monitor, resolver } = setup();
    resolver.reportStatus('127.0.0.1', 502);
    resolver.reportStatus('127.0.0.1', 502);
    assert.deepEqual(monitor.ejected(), ['live']);
    const inner = new StaticResolver({ 'one.lab.test': ['127.0.0.1'] });
    const only = healthAwareResolver(inner, monitor);
    assert.deepEqual(
      (await only.resolve('one.lab.test')).addresses.map((a) => a.address),
      ['127.0.0.1'],
      'fail-open',
    );
    await clock.advance(10 * 60_000);
    assert.deepEqual(monitor.ejected(), [], 'the ejection ran out');
    assert.equal((await resolver.resolve('db.lab.test')).addresses.length, 3);
  });
});
