import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startDnsFixture } from '../test-support/dns-server.js';
import { checkResultOf, dnsProbe, httpProbe, providerSource, tcpProbe, type HealthTarget } from './source.js';

/** An address and port nothing listens on: a port just closed, on a loopback address of its own. */
async function refused(): Promise<{ address: string; port: number }> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.9.251', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return { address: '127.0.9.251', port };
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function check(source: ReturnType<typeof httpProbe>, target: HealthTarget): Promise<unknown> {
  return source.check(target, new AbortController().signal);
}

describe('health sources', () => {
  it('http: passes on 2xx/3xx, fails on 5xx and on a refused connection', async () => {
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/health' ? 200 : 503;
      res.end();
    });
    const port = await listen(server);
    try {
      const target = { id: 'a', address: '127.0.0.1', port };
      assert.equal(await check(httpProbe(), target), true);
      assert.equal(await check(httpProbe({ path: '/other' }), target), false);
      server.close();
      await new Promise((r) => setImmediate(r));
      assert.equal(await check(httpProbe(), { id: 'b', ...(await refused()) }), false);
    } finally {
      server.close();
    }
  });

  it('tcp: passes when the connection opens', async () => {
    const server = createTcpServer((socket) => socket.end());
    const port = await listen(server);
    try {
      assert.equal(await check(tcpProbe(), { id: 'a', address: '127.0.0.1', port }), true);
    } finally {
      server.close();
    }
    const gone = await refused();
    assert.equal(await check(tcpProbe({ port: gone.port }), { id: 'a', address: gone.address }), false);
  });

  it('dns: passes when the target answers the name with addresses, fails on an empty answer', async () => {
    const dns = await startDnsFixture({ zone: { 'api.example.test': { A: ['127.0.0.9'] } } });
    try {
      const target = { id: 'ns', address: dns.address, port: dns.port };
      assert.equal(await check(dnsProbe({ query: 'api.example.test' }), target), true);
      assert.equal(await check(dnsProbe({ query: 'none.example.test' }), target), false, 'NXDOMAIN');
      dns.behave('api.example.test', 'empty');
      assert.equal(await check(dnsProbe({ query: 'api.example.test' }), target), false, 'an empty answer');
    } finally {
      await dns.close();
    }
  });

  it('reads answers: booleans pass or fail, anything else is faulty; options are checked', async () => {
    assert.equal(checkResultOf(true), 'pass');
    assert.equal(checkResultOf(false), 'fail');
    assert.equal(checkResultOf('ok'), 'faulty');
    assert.equal(checkResultOf(undefined), 'faulty');
    assert.throws(() => httpProbe({ path: 'health' }), /Expected `path` to be a path starting with \/, got "health"/);
    assert.throws(() => dnsProbe({ query: '' }), /Expected `query` to be a host name/);
    assert.throws(() => providerSource('', () => true), /Expected `name` to be a non-empty string/);
    await assert.rejects(
      async () => tcpProbe().check({ id: 'x', address: '127.0.0.1' }, new AbortController().signal),
      /Expected `tcpProbe.port` to be a port/,
    );
  });
});
