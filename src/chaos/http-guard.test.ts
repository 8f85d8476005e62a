/**
 * The shared guard of the control APIs, through the fault DNS server's API over real HTTP: what a web
 * page in a browser can send (a simple `text/plain` POST, a foreign `Origin`, a rebinding `Host`) is
 * refused and never applied; the API's own clients pass.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HttpGuard, parseHostHeader } from './http-guard.js';
import { startFaultDnsServer, type FaultDnsServer } from './fault-dns-server.js';

/** A raw HTTP request (fetch cannot set `Host` or `Sec-Fetch-Site`), resolving with status, headers, body. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; json: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, json: JSON.parse(text) as never }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const rule = JSON.stringify({ name: 'x.example.com', action: 'servfail' });

describe('the control API guard', () => {
  let server: FaultDnsServer;
  let host: string;
  before(async () => {
    server = await startFaultDnsServer({ apiAllowedOrigins: ['http://dashboard.test:8080'] });
    host = new URL(server.apiUrl).host;
  });
  after(() => server.close());

  it('refuses the browser-style simple request: text/plain body, foreign Origin, rebinding Host', async () => {
    const url = `${server.apiUrl}/v1/faults`;
    const attacks: [Record<string, string>, number, string][] = [
      [{ 'content-type': 'text/plain', host }, 415, 'FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE'],
      [{ 'content-type': 'application/json', host, origin: 'http://evil.test' }, 403, 'FS_ERR_CHAOS_CROSS_ORIGIN'],
      [{ 'content-type': 'application/json', host, 'sec-fetch-site': 'cross-site' }, 403, 'FS_ERR_CHAOS_CROSS_ORIGIN'],
      [
        { 'content-type': 'application/json', host: `rebind.evil.test:${new URL(server.apiUrl).port}` },
        403,
        'FS_ERR_CHAOS_HOST_NOT_ALLOWED',
      ],
      [{ 'content-type': 'application/json', host: '127.0.0.1:1' }, 403, 'FS_ERR_CHAOS_HOST_NOT_ALLOWED'],
      // All at once, as the page would send it.
      [
        {
          'content-type': 'text/plain;charset=UTF-8',
          host: `rebind.evil.test:${new URL(server.apiUrl).port}`,
          origin: 'http://evil.test',
        },
        403,
        'FS_ERR_CHAOS_HOST_NOT_ALLOWED',
      ],
    ];
    for (const [headers, status, code] of attacks) {
      const res = await send(url, 'POST', headers, rule);
      assert.equal(res.status, status, JSON.stringify(headers));
      assert.equal(res.json.error?.code, code);
    }
    assert.equal(server.faults.size, 0, 'no fault applied');
  });

  it('lets its own clients through: JSON, own or allowed Origin, localhost Host', async () => {
    const url = `${server.apiUrl}/v1/faults`;
    const port = new URL(server.apiUrl).port;
    const ok = [
      { 'content-type': 'application/json; charset=utf-8', host },
      { 'content-type': 'application/json', host: `localhost:${port}` },
      { 'content-type': 'application/json', host, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
      {
        'content-type': 'application/json',
        host,
        origin: 'http://dashboard.test:8080',
        'sec-fetch-site': 'cross-site',
      },
    ];
    for (const headers of ok) {
      assert.equal((await send(url, 'POST', headers, rule)).status, 201, JSON.stringify(headers));
      server.clearFaults();
    }
    assert.equal((await send(`${server.apiUrl}/v1/health`, 'GET', { host })).status, 200);
  });

  it('answers 401 with WWW-Authenticate: Bearer and matches the scheme in any case', async () => {
    const secured = await startFaultDnsServer({ token: 's3cret' });
    try {
      const host = new URL(secured.apiUrl).host;
      const url = `${secured.apiUrl}/v1/zones`;
      const anonymous = await send(url, 'GET', { host });
      assert.equal(anonymous.status, 401);
      assert.match(String(anonymous.headers['www-authenticate']), /^Bearer\b/);
      assert.equal(anonymous.json.error?.code, 'FS_ERR_CHAOS_UNAUTHORIZED');
      assert.equal((await send(url, 'GET', { host, authorization: 'Basic czNjcmV0' })).status, 401);
      for (const scheme of ['Bearer', 'bearer', 'BEARER'])
        assert.equal((await send(url, 'GET', { host, authorization: `${scheme} s3cret` })).status, 200, scheme);
    } finally {
      await secured.close();
    }
  });

  it('parses Host headers and accepts any IP literal on a wildcard bind, no name but allowedHosts', () => {
    assert.deepEqual(parseHostHeader('[::1]:53'), { host: '::1', port: 53 });
    assert.deepEqual(parseHostHeader('Example.TEST'), { host: 'example.test', port: undefined });
    assert.equal(parseHostHeader('a:b:c'), undefined);
    const wild = new HttpGuard({ address: '0.0.0.0', port: 80, allowedHosts: ['box.internal'] });
    const req = (h: string): http.IncomingMessage => ({ headers: { host: h }, method: 'GET' }) as http.IncomingMessage;
    wild.check(req('10.1.2.3'));
    wild.check(req('box.internal:80'));
    assert.throws(() => wild.check(req('evil.test')), { code: 'FS_ERR_CHAOS_HOST_NOT_ALLOWED' });
  });
});
