import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startProxyServer, type ProxyServer } from './proxy-server.js';

async function call(
  url: string,
  method: string,
  path: string,
  body?: string,
  headers: Record<string, string> = body === undefined ? {} : { 'content-type': 'application/json' },
): Promise<{ status: number; json: unknown; headers: Headers }> {
  const res = await fetch(`${url}${path}`, { method, headers, ...(body === undefined ? {} : { body }) });
  const text = await res.text();
  return { status: res.status, json: text === '' ? undefined : (JSON.parse(text) as unknown), headers: res.headers };
}

describe('proxy API: Toxiproxy curl examples, status codes and error bodies', () => {
  let server: ProxyServer;
  before(async () => {
    server = await startProxyServer({ port: 0 });
  });
  after(() => server.close());

  it('runs the documented curl calls (with the JSON content type)', async () => {
    const u = server.url;
    // curl --data '{"name": "member1", "upstream": "...", "listen": "..."}' $TOXIPROXY/proxies
    let r = await call(
      u,
      'POST',
      '/proxies',
      '{"name": "member1", "upstream": "127.0.0.1:5701", "listen": "127.0.0.1:0"}',
    );
    assert.equal(r.status, 201);
    assert.deepEqual(Object.keys(r.json as object), ['name', 'listen', 'upstream', 'enabled', 'toxics']);
    // curl --data '{"name": "member1_downstream", "stream": "downstream", "toxicity": 1.0, "type": "bandwidth", "attributes": { "rate": 0 }}' .../toxics
    r = await call(
      u,
      'POST',
      '/proxies/member1/toxics',
      '{"name": "member1_downstream", "stream": "downstream", "toxicity": 1.0, "type": "bandwidth", "attributes": { "rate": 0 }}',
    );
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, {
      attributes: { rate: 0 },
      name: 'member1_downstream',
      type: 'bandwidth',
      stream: 'downstream',
      toxicity: 1,
    });
    r = await call(u, 'POST', '/proxies/member1/toxics', '{"type": "latency", "attributes": {"latency": 1000}}');
    assert.equal((r.json as { name: string }).name, 'latency_downstream', 'name defaults to <type>_<stream>');
    r = await call(u, 'GET', '/proxies/member1/toxics');
    assert.equal((r.json as unknown[]).length, 2);
    // curl -v -X DELETE .../toxics/member1_downstream
    r = await call(u, 'DELETE', '/proxies/member1/toxics/member1_downstream');
    assert.equal(r.status, 204);
    r = await call(u, 'POST', '/reset', '');
    assert.equal(r.status, 204);
    r = await call(u, 'GET', '/version');
    assert.deepEqual(r.json, { version: '2.12.0' });
    r = await call(u, 'DELETE', '/proxies/member1');
    assert.equal(r.status, 204);
  });

  it("answers Toxiproxy's error bodies and status codes", async () => {
    const u = server.url;
    const cases: [string, string, string | undefined, number, string, string][] = [
      ['GET', '/proxies/nope', undefined, 404, 'proxy not found', 'FS_ERR_PROXY_NOT_FOUND'],
      [
        'POST',
        '/proxies',
        '{"upstream": "127.0.0.1:1"}',
        400,
        'missing required field: name',
        'FS_ERR_PROXY_BAD_REQUEST',
      ],
      ['POST', '/proxies', '{"name": "a"}', 400, 'missing required field: upstream', 'FS_ERR_PROXY_BAD_REQUEST'],
      ['POST', '/proxies', '{', 400, 'bad request body: The body is not valid JSON', 'FS_ERR_PROXY_BAD_REQUEST'],
      [
        'POST',
        '/populate',
        '[{"name": "p"}]',
        400,
        'missing required field: upstream at proxy 1',
        'FS_ERR_PROXY_BAD_REQUEST',
      ],
    ];
    for (const [method, path, body, status, message, code] of cases) {
      const r = await call(u, method, path, body);
      assert.equal(r.status, status, `${method} ${path}`);
      const json = r.json as { error: string; status: number; code: string };
      assert.ok(json.error.startsWith(message), json.error);
      assert.equal(json.status, status);
      assert.equal(json.code, code);
    }
    await call(u, 'POST', '/proxies', '{"name": "e", "upstream": "127.0.0.1:1", "listen": "127.0.0.1:0"}');
    let r = await call(u, 'POST', '/proxies', '{"name": "e", "upstream": "127.0.0.1:1", "listen": "127.0.0.1:0"}');
    assert.deepEqual([r.status, (r.json as { error: string }).error], [409, 'proxy already exists']);
    r = await call(u, 'POST', '/proxies/e/toxics', '{"type": "latency", "stream": "sideways"}');
    assert.deepEqual(
      [r.status, (r.json as { error: string }).error],
      [400, 'stream was invalid, can be either upstream or downstream'],
    );
    r = await call(u, 'POST', '/proxies/e/toxics', '{"type": "poison"}');
    assert.deepEqual([r.status, (r.json as { error: string }).error], [400, 'invalid toxic type']);
    await call(u, 'POST', '/proxies/e/toxics', '{"type": "latency"}');
    r = await call(u, 'POST', '/proxies/e/toxics', '{"type": "latency"}');
    assert.deepEqual([r.status, (r.json as { error: string }).error], [409, 'toxic already exists']);
    r = await call(u, 'GET', '/proxies/e/toxics/none');
    assert.deepEqual([r.status, (r.json as { error: string }).error], [404, 'toxic not found']);
    r = await call(u, 'DELETE', '/proxies/e');
    assert.equal(r.status, 204);
  });

  it('passes writes only with the JSON content type (curl --data sends a form type: 415)', async () => {
    const r = await call(server.url, 'POST', '/proxies', '{"name": "f", "upstream": "127.0.0.1:1"}', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    assert.equal(r.status, 415);
    assert.equal((r.json as { code: string }).code, 'FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses cross-origin requests and foreign Host headers (the shared guard)', async () => {
    const r = await call(server.url, 'GET', '/proxies', undefined, { origin: 'http://evil.example' });
    assert.equal(r.status, 403);
    assert.equal((r.json as { code: string }).code, 'FS_ERR_CHAOS_CROSS_ORIGIN');
    const status = await new Promise<number>((resolve) => {
      http.get(
        { host: '127.0.0.1', port: server.port, path: '/proxies', headers: { host: 'rebind.example' } },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
    });
    assert.equal(status, 403);
  });
});

describe('proxy API with a token', () => {
  it('answers 401 with WWW-Authenticate without it, serves with it', async () => {
    const server = await startProxyServer({ port: 0, token: 's3cret' });
    try {
      let r = await call(server.url, 'GET', '/proxies');
      assert.equal(r.status, 401);
      assert.match(r.headers.get('www-authenticate') ?? '', /^Bearer/);
      r = await call(server.url, 'GET', '/proxies', undefined, { authorization: 'Bearer s3cret' });
      assert.equal(r.status, 200);
    } finally {
      await server.close();
    }
  });

  it('refuses to listen off loopback without a token', async () => {
    await assert.rejects(startProxyServer({ host: '0.0.0.0', port: 0 }), { code: 'FS_ERR_CHAOS_TOKEN_REQUIRED' });
  });
});
