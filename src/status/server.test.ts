/**
 * The status server over HTTP on loopback: the write API's guard (token, Host, Origin, JSON), the
 * responder session with CSRF, rate limits, field errors, escaping, the cache, webhooks and the
 * cadence reminders on a virtual clock.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { MemoryBackend } from './backend.js';
import { startStatusServer, type StatusServer } from './server.js';
import { StatusService, type CadenceReminder } from './service.js';
import { createStatusStore } from './store.js';

const TOKEN = 'test-token-0123456789';
const MIN = 60_000;

/** A loopback webhook receiver that keeps every JSON body. */
async function receiver(): Promise<{ url: string; bodies: unknown[]; close(): Promise<void> }> {
  const bodies: unknown[] = [];
  const server = http.createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(data));
      res.end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, bodies, close: () => new Promise((r) => server.close(() => r())) };
}

describe('status server', () => {
  let clock: VirtualClock;
  let service: StatusService;
  let server: StatusServer;
  let hook: Awaited<ReturnType<typeof receiver>>;
  const reminders: CadenceReminder[] = [];
  const published: unknown[] = [];
  const onDue = (m: unknown): void => void published.push(m);

  before(async () => {
    hook = await receiver();
    clock = new VirtualClock(Date.UTC(2025, 9, 20, 7, 0));
    service = new StatusService({
      store: createStatusStore(new MemoryBackend()),
      clock,
      cadenceWebhook: hook.url,
      page: { name: 'Example status' },
    });
    service.onReminder.on((r) => reminders.push(r));
    diagnostics.subscribe('failsmall:status:update-due', onDue);
    server = await startStatusServer({ service, token: TOKEN, writeRateLimit: { limit: 20, windowMs: MIN } });
  });
  after(async () => {
    diagnostics.unsubscribe('failsmall:status:update-due', onDue);
    await server.close();
    await hook.close();
  });

  /** POSTs `body` as JSON to `path` with `headers` only (no token). */
  const post = (
    path: string,
    body: unknown,
    headers: Record<string, string> = { 'content-type': 'application/json' },
  ) => fetch(`${server.url}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
  /** POSTs `body` as JSON to `path` as the API client: the token, unless `headers` override it. */
  const write = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    post(path, body, { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers });
  /** GETs `path` and parses its JSON. */
  const getJson = async <T>(path: string, headers: Record<string, string> = {}): Promise<T> =>
    (await (await fetch(`${server.url}${path}`, { headers })).json()) as T;
  /** The `code` of a problem response. */
  const codeOf = async (res: Response): Promise<string> => ((await res.json()) as { code: string }).code;

  it('refuses writes without the token, from another Host or Origin, or not in JSON', async () => {
    const body = { name: 'API', group: 'Checkout' };
    const none = await post('/api/admin/components', body);
    assert.equal(none.status, 401);
    assert.equal(await codeOf(none), 'FS_ERR_STATUS_UNAUTHORIZED');
    const wrong = await write('/api/admin/components', body, { authorization: 'Bearer nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="failsmall"');
    assert.equal(await codeOf(wrong), 'FS_ERR_CHAOS_UNAUTHORIZED');
    const origin = await write('/api/admin/components', body, { origin: 'http://evil.example' });
    assert.equal(origin.status, 403);
    assert.equal(await codeOf(origin), 'FS_ERR_CHAOS_CROSS_ORIGIN');
    const rebinding = await new Promise<number>((resolve, reject) => {
      const req = http.request(
        `${server.url}/api/admin/components`,
        {
          method: 'POST',
          headers: { host: 'evil.example', 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode!);
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(body));
    });
    assert.equal(rebinding, 403);
    const text = await write('/api/admin/components', body, { 'content-type': 'text/plain' });
    assert.equal(text.status, 415);
    assert.deepEqual((await getJson<{ components: unknown[] }>('/api/v2/components.json')).components, []);
  });

  it('answers invalid input with field-level errors', async () => {
    const res = await write('/api/admin/incidents', {
      name: ' ',
      body: 'x',
      impact: 'huge',
      components: [{ id: 'a b', status: 'up' }],
    });
    assert.equal(res.status, 400);
    const problem = (await res.json()) as { code: string; errors: { field: string }[] };
    assert.equal(problem.code, 'FS_ERR_STATUS_INVALID_INPUT');
    assert.deepEqual(problem.errors.map((e) => e.field).sort(), [
      'components[0].id',
      'components[0].status',
      'impact',
      'name',
    ]);
    const notJson = await fetch(`${server.url}/api/admin/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
      body: '{',
    });
    assert.equal(notJson.status, 400);
    assert.equal(await codeOf(notJson), 'FS_ERR_STATUS_INVALID_INPUT');
  });

  it('opens an incident, serves it escaped, refreshes the cached JSON, tells subscribers, reminds on the cadence', async () => {
    assert.equal((await write('/api/admin/components', { id: 'api', name: 'API', group: 'Checkout' })).status, 201);
    assert.equal((await write('/api/admin/subscribers', { url: hook.url })).status, 201);
    const before = await getJson<{
      status: { indicator: string };
    }>('/api/v2/status.json');
    assert.equal(before.status.indicator, 'none');
    const res = await write('/api/admin/incidents', {
      name: '<script>alert(1)</script> checkout',
      impact: 'critical',
      body: 'Investigating <b>errors</b>.',
      components: [{ id: 'api', status: 'major_outage' }],
    });
    assert.equal(res.status, 201);
    const incident = (await res.json()) as { id: string };
    const summary = await getJson<{
      status: { indicator: string };
      incidents: { id: string; name: string }[];
    }>('/api/v2/summary.json');
    assert.equal(summary.status.indicator, 'critical');
    assert.equal(summary.incidents[0]!.name, '<script>alert(1)</script> checkout');
    const page = await (await fetch(`${server.url}/`)).text();
    assert.ok(page.includes('&#60;script&#62;alert(1)&#60;/script&#62; checkout'));
    assert.ok(!page.includes('<script>alert'));
    assert.ok(page.includes('Next update by 07:15 UTC'));
    await service.settled();
    const webhook = hook.bodies.find((b) => (b as { incident?: { id: string } }).incident?.id === incident.id) as {
      page: { status_indicator: string };
    };
    assert.equal(webhook.page.status_indicator, 'critical');

    await clock.advance(10 * MIN);
    assert.deepEqual(
      reminders.map((r) => r.type),
      ['update_due'],
    );
    await clock.advance(5 * MIN);
    assert.deepEqual(
      reminders.map((r) => [r.type, r.dueAt]),
      [
        ['update_due', Date.UTC(2025, 9, 20, 7, 15)],
        ['update_overdue', Date.UTC(2025, 9, 20, 7, 15)],
      ],
    );
    assert.equal(published.length, 2);
    await service.settled();
    assert.ok(hook.bodies.some((b) => (b as { type?: string }).type === 'update_overdue'));
    const cadence = await getJson<{ incidents: { state: string }[] }>('/api/admin/cadence', {
      authorization: `Bearer ${TOKEN}`,
    });
    assert.deepEqual(
      cadence.incidents.map((i) => i.state),
      ['overdue'],
    );

    assert.equal(
      (await write(`/api/admin/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed.' })).status,
      201,
    );
    const after = await getJson<{
      status: { indicator: string };
      incidents: unknown[];
    }>('/api/v2/summary.json');
    assert.deepEqual([after.status.indicator, after.incidents.length], ['none', 0]);
    const feed = await (await fetch(`${server.url}/history.atom`)).text();
    assert.ok(feed.includes('<feed xmlns="http://www.w3.org/2005/Atom">'));
    assert.ok(feed.includes('&#60;script&#62;alert(1)&#60;/script&#62; checkout: resolved'));
    await clock.advance(200 * MIN);
    assert.equal(reminders.length, 2, 'no reminder once resolved');
  });

  it('answers 304 to a matching ETag', async () => {
    const first = await fetch(`${server.url}/api/v2/summary.json`);
    const etag = first.headers.get('etag')!;
    await first.text();
    const again = await fetch(`${server.url}/api/v2/summary.json`, { headers: { 'if-none-match': etag } });
    assert.equal(again.status, 304);
  });

  it('signs a responder in with the token; session writes need the CSRF token', async () => {
    const login = await post('/responder/login', { token: 'wrong' });
    assert.equal(login.status, 401);
    assert.deepEqual(((await login.json()) as { errors: unknown }).errors, [
      { field: 'token', message: 'wrong token' },
    ]);
    const ok = await post('/responder/login', { token: TOKEN });
    assert.equal(ok.status, 200);
    const cookie = ok.headers.get('set-cookie')!;
    assert.match(cookie, /^fs_session=[^;]+; HttpOnly; SameSite=Strict; Path=\/; Max-Age=43200$/);
    const { csrf } = (await ok.json()) as { csrf: string };
    const session = cookie.split(';')[0]!;
    const open = (headers: Record<string, string>) =>
      post(
        '/api/admin/incidents',
        { name: 'by session', body: 'x' },
        { 'content-type': 'application/json', cookie: session, ...headers },
      );
    const noCsrf = await open({});
    assert.equal(noCsrf.status, 403);
    assert.equal(await codeOf(noCsrf), 'FS_ERR_STATUS_CSRF');
    assert.equal((await open({ 'x-csrf-token': 'guess' })).status, 403);
    assert.equal((await open({ 'x-csrf-token': csrf })).status, 201);
    const view = await (await fetch(`${server.url}/responder`, { headers: { cookie: session } })).text();
    assert.ok(view.includes(`<meta name="csrf-token" content="${csrf}">`));
  });

  it('limits writes per client with 429 and Retry-After', async () => {
    let limited: Response | undefined;
    for (let i = 0; i < 30 && limited === undefined; i++) {
      const res = await write('/api/admin/components', { id: `c${i}`, name: `C${i}`, group: 'Load' });
      if (res.status === 429) limited = res;
      else await res.text();
    }
    assert.ok(limited !== undefined);
    assert.equal(await codeOf(limited), 'FS_ERR_STATUS_RATE_LIMITED');
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    await clock.advance(MIN);
    assert.equal((await write('/api/admin/components', { id: 'later', name: 'Later', group: 'Load' })).status, 201);
  });
});
