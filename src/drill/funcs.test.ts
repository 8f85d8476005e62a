import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { startFaultDnsServer } from '../chaos/index.js';
import { systemClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { runFunc, type FuncContext } from './funcs.js';
import { httpProbe } from '../health/index.js';
import { LyingSource, serveLyingSource } from '../lab/drill-targets/lying-source.js';
import { ServiceManager } from './services.js';

const ctx: FuncContext = { clock: systemClock, services: new ServiceManager([], process.cwd(), systemClock) };

/** A small fake of Toxiproxy's documented API: records each call, answers as Toxiproxy does. */
async function fakeToxiproxy() {
  const calls: { method: string; path: string; body: unknown }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const parsed: unknown = body === '' ? undefined : JSON.parse(body);
      calls.push({ method: req.method ?? '', path: req.url ?? '', body: parsed });
      if (req.url?.endsWith('/toxics/missing'))
        return void res
          .writeHead(404, { 'content-type': 'application/json' })
          .end('{"error":"toxic not found","status":404}');
      if (req.method === 'DELETE' || req.url === '/reset') return void res.writeHead(204).end();
      if (req.url === '/proxies' && req.method === 'POST')
        return void res
          .writeHead(201, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ...(parsed as object), enabled: true, toxics: [] }));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(parsed ?? {}));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    close: () => new Promise((r) => server.close(r)),
  };
}

describe('failsmall funcs', () => {
  it('drive a Toxiproxy API with its documented paths and bodies', async () => {
    const fake = await fakeToxiproxy();
    try {
      const api = fake.api;
      await runFunc(
        'proxy-create',
        { api, proxy: { name: 'db', listen: '127.0.0.1:0', upstream: '127.0.0.1:1' } },
        ctx,
      );
      await runFunc(
        'proxy-toxic',
        {
          api,
          proxy: 'db',
          toxic: { name: 'lag', type: 'latency', stream: 'downstream', attributes: { latency: 100 } },
        },
        ctx,
      );
      await runFunc('proxy-remove-toxic', { api, proxy: 'db', toxic: 'lag' }, ctx);
      await runFunc('proxy-http-fault', { api, proxy: 'db', fault: { action: 'status', status: 503 } }, ctx);
      await runFunc('proxy-clear-http-faults', { api, proxy: 'db' }, ctx);
      await runFunc('proxy-reset', { api }, ctx);
      assert.deepEqual(
        fake.calls.map((c) => `${c.method} ${c.path}`),
        [
          'POST /proxies',
          'POST /proxies/db/toxics',
          'DELETE /proxies/db/toxics/lag',
          'POST /proxies/db/http_faults',
          'DELETE /proxies/db/http_faults',
          'POST /reset',
        ],
      );
      assert.deepEqual(fake.calls[1]?.body, {
        name: 'lag',
        type: 'latency',
        stream: 'downstream',
        attributes: { latency: 100 },
      });
      await assert.rejects(runFunc('proxy-remove-toxic', { api, proxy: 'db', toxic: 'missing' }, ctx), (e: unknown) =>
        isFailsmallError(e, 'FS_ERR_DRILL_ACTIVITY'),
      );
    } finally {
      await fake.close();
    }
  });

  it('change records and inject faults on the fault DNS server, and probe it', async () => {
    const server = await startFaultDnsServer({
      zones: [
        { name: 'lab.test', records: [{ name: 'a.lab.test', type: 'A', ttl: 1, records: [{ value: '127.0.0.1' }] }] },
      ],
    });
    try {
      const [host, port] = server.dnsServer.split(':');
      const probe = () => runFunc('dns-probe', { server: `${host}:${port}`, name: 'a.lab.test' }, ctx);
      assert.deepEqual(await probe(), { rcode: 'NOERROR', addresses: ['127.0.0.1'] });
      await runFunc(
        'dns-change',
        {
          api: server.apiUrl,
          zone: 'lab.test',
          changes: [{ action: 'UPSERT', recordSet: { name: 'a.lab.test', type: 'A', ttl: 1, records: [] } }],
        },
        ctx,
      );
      assert.deepEqual(await probe(), { rcode: 'NOERROR', addresses: [] });
      await runFunc('dns-fault', { api: server.apiUrl, rule: { name: 'a.lab.test', action: 'nxdomain' } }, ctx);
      assert.equal(((await probe()) as { rcode: string }).rcode, 'NXDOMAIN');
      await runFunc('dns-clear-faults', { api: server.apiUrl }, ctx);
      assert.equal(((await probe()) as { rcode: string }).rcode, 'NOERROR');
    } finally {
      await server.close();
    }
  });

  it('make a health source lie and tell the truth again', async () => {
    const target = http.createServer((_q, r) => r.writeHead(200).end());
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const liar = new LyingSource(httpProbe({ path: '/' }));
    const source = await serveLyingSource(liar, [
      { id: 'a', address: '127.0.0.1', port: (target.address() as AddressInfo).port },
    ]);
    try {
      const health = () => runFunc('http-probe', { url: `${source.url}/health/a` }, ctx) as Promise<{ status: number }>;
      assert.equal((await health()).status, 200);
      await runFunc('health-lie', { url: source.url, report: 'down' }, ctx);
      assert.equal((await health()).status, 503);
      assert.deepEqual(liar.lies(), { '*': 'down' });
      await runFunc('health-truth', { url: source.url }, ctx);
      assert.equal((await health()).status, 200);
      assert.equal(await runFunc('tcp-probe', { port: (target.address() as AddressInfo).port }, ctx), true);
    } finally {
      await source.close();
      await new Promise((r) => target.close(r));
    }
  });

  it('a process-kill of a service that does not run is an error', async () => {
    await assert.rejects(runFunc('process-kill', { service: 'nope' }, ctx), (e: unknown) =>
      isFailsmallError(e, 'FS_ERR_DRILL_SERVICE'),
    );
  });
});
