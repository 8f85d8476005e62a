import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { HttpDnsProvider } from './http-provider.js';

/** A stand-in for the fault DNS server's control API: one zone, versioned, compare-and-set. */
function fakeApi() {
  let version = 1;
  let records: unknown[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const send = (status: number, body: unknown): void => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let text = '';
    req.on('data', (c: Buffer) => (text += c.toString()));
    req.on('end', () => {
      if (req.url === '/v1/zones/example.com' && req.method === 'GET')
        return send(200, { name: 'example.com', version, records });
      if (req.url === '/v1/zones/example.com/changes' && req.method === 'POST') {
        const batch = JSON.parse(text) as { expectedVersion?: number; changes: { recordSet: unknown }[] };
        if (batch.expectedVersion !== undefined && batch.expectedVersion !== version) {
          return send(409, {
            error: { code: 'FS_ERR_CHAOS_VERSION_CONFLICT', message: 'conflict', currentVersion: version },
          });
        }
        records = batch.changes.map((c) => c.recordSet);
        return send(200, { version: ++version });
      }
      if (req.url === '/v1/zones/broken') return res.end('not json');
      return send(404, { error: { code: 'FS_ERR_CHAOS_NO_SUCH_ZONE', message: 'no such zone' } });
    });
  });
  return server;
}

describe('HttpDnsProvider', () => {
  const server = fakeApi();
  let url = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a zone and applies a conditional batch', async () => {
    const provider = new HttpDnsProvider({ apiUrl: url });
    const zone = await provider.readZone('example.com');
    assert.equal(zone.version, 1);
    const recordSet = { name: 'api.example.com', type: 'A', ttl: 5, records: [{ value: '192.0.2.1', weight: 3 }] };
    assert.deepEqual(
      await provider.change('example.com', { expectedVersion: 1, changes: [{ action: 'UPSERT', recordSet }] }),
      {
        version: 2,
      },
    );
    assert.deepEqual((await provider.readZone('example.com')).records, [recordSet]);
  });

  it('maps a 409 to FS_ERR_PLAN_VERSION_CONFLICT with the current version, the rest to FS_ERR_PLAN_PROVIDER', async () => {
    const provider = new HttpDnsProvider({ apiUrl: url });
    await assert.rejects(
      provider.change('example.com', { expectedVersion: 99, changes: [] }),
      (e) => isFailsmallError(e, 'FS_ERR_PLAN_VERSION_CONFLICT') && e.details?.['currentVersion'] === 2,
    );
    await assert.rejects(
      provider.readZone('other.com'),
      (e) => isFailsmallError(e, 'FS_ERR_PLAN_PROVIDER') && e.details?.['status'] === 404,
    );
    await assert.rejects(provider.readZone('broken'), (e) => isFailsmallError(e, 'FS_ERR_PLAN_PROVIDER'));
    const closed = new HttpDnsProvider({ apiUrl: 'http://127.0.0.1:1', timeoutMs: 2_000 });
    await assert.rejects(closed.readZone('example.com'), (e) => isFailsmallError(e, 'FS_ERR_PLAN_PROVIDER'));
    assert.throws(
      () => new HttpDnsProvider({ apiUrl: 'not a url' }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });
});
