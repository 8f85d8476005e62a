import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/index.js';
import { startHttpServer, startHttpsServer, testCert, suiteServer, labResolver } from '../test-support/client.js';
import { createHttpAgent, createHttpsAgent } from './http-agent.js';

/** GETs `url` with `options`; resolves with the status and body, rejects with the request's error. */
function get(
  module: typeof http | typeof https,
  url: string,
  options: https.RequestOptions,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    module
      .get(url, options, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe('createHttpAgent / createHttpsAgent', () => {
  const server = suiteServer(() => startHttpServer());
  const tlsServer = suiteServer(() => startHttpsServer());
  const resolver = labResolver();

  it('http.get through the agent: the dead first address is skipped, kept-alive sockets reused', async () => {
    const agent = createHttpAgent({ resolver });
    try {
      const first = await get(http, `http://api.lab.test:${server().port}/`, { agent });
      assert.deepEqual(first, { status: 200, body: 'hello from 127.0.0.1' });
      const second = await get(http, `http://api.lab.test:${server().port}/`, { agent });
      assert.equal(second.status, 200);
      const snapshot = agent.snapshot();
      assert.equal(snapshot.connects, 1, 'the second request reused the kept-alive socket');
      assert.equal(snapshot.failovers, 1);
    } finally {
      agent.destroy();
    }
  });

  it('https.get through the agent checks the certificate against the host name', async () => {
    const agent = createHttpsAgent({ resolver, agent: { ca: testCert } });
    try {
      const ok = await get(https, `https://api.lab.test:${tlsServer().port}/`, { agent });
      assert.deepEqual(ok, { status: 200, body: 'hello from 127.0.0.1' });
      await assert.rejects(get(https, `https://wrong-name.example:${tlsServer().port}/`, { agent }), {
        code: 'ERR_TLS_CERT_ALTNAME_INVALID',
      });
    } finally {
      agent.destroy();
    }
  });

  it('reports FS_ERR_CLIENT_CONNECT_FAILED on the request when no address accepts', async () => {
    const agent = createHttpAgent({ resolver });
    try {
      await assert.rejects(get(http, `http://dead.lab.test:${server().port}/`, { agent }), (e) => {
        assert.ok(isFailsmallError(e, 'FS_ERR_CLIENT_CONNECT_FAILED'));
        assert.equal((e.cause as { code: string }).code, 'ECONNREFUSED');
        return true;
      });
      await assert.rejects(get(http, `http://nowhere.lab.test:${server().port}/`, { agent }), { code: 'ENOTFOUND' });
    } finally {
      agent.destroy();
    }
  });

  it('respects maxSockets although connections are made asynchronously', async () => {
    const slow = await startHttpServer((_req, res) => setTimeout(() => res.end('slow'), 20));
    const agent = createHttpAgent({ resolver, agent: { keepAlive: true, maxSockets: 2 } });
    try {
      const sockets = new Set<unknown>();
      const bodies = await Promise.all(
        Array.from(
          { length: 10 },
          () =>
            new Promise<string>((resolve, reject) => {
              const req = http.get(`http://api.lab.test:${slow.port}/`, { agent }, (res) => {
                let body = '';
                res.setEncoding('utf8');
                res.on('data', (chunk: string) => (body += chunk));
                res.on('end', () => resolve(body));
              });
              req.on('socket', (socket) => sockets.add(socket));
              req.on('error', reject);
            }),
        ),
      );
      assert.deepEqual(new Set(bodies), new Set(['slow']));
      assert.equal(sockets.size, 2, 'two connections served the ten requests');
      assert.equal(agent.snapshot().connects, 2);
    } finally {
      agent.destroy();
      await slow.close();
    }
  });

  it('fails every queued request when no address accepts, and is not left stuck', async () => {
    const agent = createHttpAgent({ resolver, agent: { keepAlive: true, maxSockets: 1 } });
    try {
      const results = await Promise.allSettled(
        Array.from({ length: 3 }, () => get(http, `http://dead.lab.test:${server().port}/`, { agent })),
      );
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        assert.ok(isFailsmallError((r as PromiseRejectedResult).reason, 'FS_ERR_CLIENT_CONNECT_FAILED'));
      }
      assert.deepEqual({ ...agent.sockets }, {});
      // The pool recovered: a request to a live name goes through.
      assert.equal((await get(http, `http://api.lab.test:${server().port}/`, { agent })).status, 200);
    } finally {
      agent.destroy();
    }
  });

  it('agent.destroy() cancels a connect in progress', async () => {
    const hanging = { resolve: () => new Promise<never>(() => {}) };
    const agent = createHttpAgent({ resolver: hanging });
    const request = get(http, `http://api.lab.test:${server().port}/`, { agent });
    await new Promise((resolve) => setImmediate(resolve));
    agent.destroy();
    await assert.rejects(request, (e) => isFailsmallError(e, 'FS_ERR_ABORTED'));
  });

  it('documents Node 20: a plain agent with a lookup returning every address tries the same-family ones too (autoSelectFamily)', async () => {
    // What `lookup: resolver.lookup` gives got, axios and http.Agent without failsmall's agents.
    const lookup = ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
      const all = [
        { address: '127.0.0.201', family: 4 },
        { address: '127.0.0.1', family: 4 },
      ];
      if (options.all === true) callback(null, all);
      else callback(null, all[0]!.address, 4);
    }) as unknown as LookupFunction;
    const agent = new http.Agent({ lookup } as http.AgentOptions);
    try {
      const res = await get(http, `http://api.lab.test:${server().port}/`, { agent });
      assert.equal(res.body, 'hello from 127.0.0.1');
    } finally {
      agent.destroy();
    }
  });
});
