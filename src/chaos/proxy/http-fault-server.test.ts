import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { seededRandom } from '../../core/random.js';
import { decideHttpFault, parseHttpFault } from './http-faults.js';
import { startProxyServer, type ProxyServer } from './proxy-server.js';

const json = { 'content-type': 'application/json' };

describe('HTTP mode: HTTP faults on a proxy', () => {
  let server: ProxyServer;
  let upstream: http.Server;
  let base: string;
  const clock = new VirtualClock(0);
  before(async () => {
    upstream = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 1000 });
      res.end('x'.repeat(1000));
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    server = await startProxyServer({ port: 0, clock, random: seededRandom(1) });
    const port = (upstream.address() as { port: number }).port;
    const r = await fetch(`${server.url}/proxies`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ name: 'api', listen: '127.0.0.1:0', upstream: `127.0.0.1:${port}`, mode: 'http' }),
    });
    assert.equal(r.status, 201);
    base = `http://${((await r.json()) as { listen: string }).listen}`;
  });
  after(async () => {
    await server.close();
    upstream.close();
  });
  const addFault = async (rule: unknown): Promise<{ id: string }> => {
    const r = await fetch(`${server.url}/proxies/api/http_faults`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify(rule),
    });
    assert.equal(r.status, 201);
    return (await r.json()) as { id: string };
  };
  const clear = () => fetch(`${server.url}/proxies/api/http_faults`, { method: 'DELETE' });

  it('forwards untouched without a rule', async () => {
    const r = await fetch(`${base}/orders`);
    assert.equal(r.status, 200);
    assert.equal((await r.text()).length, 1000);
  });

  it('answers a status with Retry-After on the matching route only', async () => {
    await addFault({ path: '/orders*', method: 'GET', action: 'status', status: 503, retryAfter: 7 });
    const hit = await fetch(`${base}/orders/1`);
    assert.equal(hit.status, 503);
    assert.equal(hit.headers.get('retry-after'), '7');
    assert.equal((await fetch(`${base}/users`)).status, 200);
    await clear();
  });

  it('answers a DynamoDB ThrottlingException as the service does', async () => {
    await addFault({ action: 'aws-error', awsError: 'ThrottlingException' });
    const r = await fetch(`${base}/`, { method: 'POST', body: '{}' });
    assert.equal(r.status, 400);
    assert.equal(r.headers.get('x-amzn-errortype'), 'ThrottlingException');
    assert.equal(r.headers.get('content-type'), 'application/x-amz-json-1.0');
    assert.equal(
      ((await r.json()) as { __type: string }).__type,
      'com.amazonaws.dynamodb.v20120810#ThrottlingException',
    );
    await clear();
  });

  it('cuts a body short after truncateAfter bytes', async () => {
    await addFault({ action: 'truncate', truncateAfter: 100 });
    const r = await fetch(`${base}/big`);
    assert.equal(r.status, 200);
    await assert.rejects(r.text());
    await clear();
  });

  it('hangs: no answer until the client gives up', async () => {
    await addFault({ action: 'hang' });
    await assert.rejects(fetch(`${base}/`, { signal: AbortSignal.timeout(200) }), /TimeoutError|aborted/);
    await clear();
  });

  it('applies a rule only inside its window on the injected clock', async () => {
    await addFault({ action: 'status', status: 500, from: 1_000, durationMs: 1_000 });
    assert.equal((await fetch(`${base}/`)).status, 200);
    await clock.advance(1_000);
    assert.equal((await fetch(`${base}/`)).status, 500);
    await clock.advance(1_000);
    assert.equal((await fetch(`${base}/`)).status, 200);
    await clear();
  });

  it('rejects an invalid rule naming the field, and toxics on an http proxy', async () => {
    let r = await fetch(`${server.url}/proxies/api/http_faults`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ action: 'aws-error' }),
    });
    assert.equal(r.status, 400);
    const body = (await r.json()) as { code: string; error: string };
    assert.equal(body.code, 'FS_ERR_PROXY_INVALID_HTTP_FAULT');
    assert.match(body.error, /awsError/);
    r = await fetch(`${server.url}/proxies/api/toxics`, { method: 'POST', headers: json, body: '{"type":"latency"}' });
    assert.equal(((await r.json()) as { code: string }).code, 'FS_ERR_PROXY_WRONG_MODE');
  });
});

describe('decideHttpFault', () => {
  it('fires a probability rule at about its rate (seeded)', () => {
    const rules = [parseHttpFault({ path: '/a/*', action: 'status', probability: 0.3 }, 'h1', 0)];
    const random = seededRandom(7);
    let hits = 0;
    for (let i = 0; i < 10_000; i++) if (decideHttpFault(rules, 'GET', '/a/b', 0, random) !== undefined) hits++;
    assert.ok(hits > 2_700 && hits < 3_300, `${hits}`);
    assert.equal(decideHttpFault(rules, 'GET', '/b', 0, random), undefined);
  });
});
