/**
 * The signal and dependency-map API of the status server on loopback: reports (field errors,
 * unknown components), suggestions published or dismissed with the token or a responder session
 * (CSRF), the catalog (field errors with lines, the previous one kept), `/api/dependencies.json`
 * and the map on the public page, and an auto-publish rule.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { MemoryBackend } from './backend.js';
import type { DependencyMap } from './dependency-map.js';
import type { Suggestion } from './model.js';
import { startStatusServer, type StatusServer } from './server.js';
import { StatusService } from './service.js';
import { createStatusStore } from './store.js';

const TOKEN = 'signals-token-0123456789';
const buckets = [0, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0, 0, 0, 0];
const catalog = `apiVersion: backstage.io/v1alpha1
kind: System
metadata: { name: orders, title: Orders }
spec: {}
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata: { name: checkout, title: "Checkout <b>API</b>" }
spec: { type: service, system: orders, dependsOn: ["resource:dynamodb"] }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: dynamodb
  title: DynamoDB
  annotations: { failsmall.dev/status-component: db }
spec: { type: database, system: orders }
`;

describe('status server: signals, suggestions, the dependency map', () => {
  let clock: VirtualClock;
  let server: StatusServer;
  let service: StatusService;

  before(async () => {
    clock = new VirtualClock(Date.UTC(2025, 9, 20, 7, 0));
    service = new StatusService({ store: createStatusStore(new MemoryBackend()), clock, page: { name: 'Example' } });
    await service.putComponent({ id: 'db', name: 'Orders database', group: 'Orders' });
    server = await startStatusServer({ service, token: TOKEN });
  });
  after(async () => {
    await server.close();
  });

  const write = (path: string, body: unknown, method = 'POST', headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, ...headers },
      body: JSON.stringify(body),
    });
  const json = async <T>(res: Response): Promise<T> => (await res.json()) as T;

  it('refuses a malformed report with field-level errors and keeps serving', async () => {
    const res = await write('/api/admin/reports', {
      service: 'checkout',
      signals: [
        { kind: 'earthquake', at: 1 },
        { kind: 'breaker', dependency: 'db', to: 'open' },
      ],
      calls: 'lots',
      extra: true,
    });
    assert.equal(res.status, 400);
    const body = await json<{ code: string; errors: { field: string }[] }>(res);
    assert.equal(body.code, 'FS_ERR_STATUS_INVALID_INPUT');
    assert.deepEqual(
      body.errors.map((e) => e.field),
      ['signals[0].kind', 'signals[1].at', 'calls', 'extra'],
    );
    const unknown = await write('/api/admin/reports', {
      service: 'checkout',
      signals: [{ kind: 'breaker', dependency: 'db', to: 'open', at: 1, components: ['nope'] }],
    });
    assert.equal(unknown.status, 400);
    assert.deepEqual(await json(unknown), {
      code: 'FS_ERR_STATUS_UNKNOWN_COMPONENT',
      message: 'Unknown component: signals[0].components[0]: no component "nope"',
      errors: [{ field: 'signals[0].components[0]', message: 'no component "nope"' }],
    });
    assert.equal((await fetch(`${server.url}/api/v2/status.json`)).status, 200, 'still serving');
  });

  it('refuses an invalid catalog with fields and lines, keeping the previous one', async () => {
    const ok = await write('/api/admin/catalog', { yaml: catalog }, 'PUT');
    assert.equal(ok.status, 200);
    assert.deepEqual(await json(ok), { entities: 3, ignored: [] });
    const bad = await write(
      '/api/admin/catalog',
      { yaml: 'apiVersion: backstage.io/v1alpha1\nkind: Resource\nmetadata: { name: x }\nspec: {}\n' },
      'PUT',
    );
    assert.equal(bad.status, 400);
    const problem = await json<{ code: string; errors: { field: string; line: number }[] }>(bad);
    assert.equal(problem.code, 'FS_ERR_STATUS_INVALID_CATALOG');
    assert.deepEqual(
      problem.errors.map((e) => [e.field, e.line]),
      [['documents[0].spec.type', 4]],
    );
    const { catalogs } = await json<{ catalogs: { entities: unknown[] }[] }>(
      await fetch(`${server.url}/api/admin/catalog`, { headers: { authorization: `Bearer ${TOKEN}` } }),
    );
    assert.equal(catalogs[0]!.entities.length, 3, 'the previous catalog stays');
  });

  it('a breaker open becomes a suggestion on the catalog’s component; a responder publishes it', async () => {
    const res = await write('/api/admin/reports', {
      service: 'checkout',
      region: 'us-east-1',
      calls: [
        {
          dependency: 'dynamodb',
          calls: 10,
          errors: 4,
          rejected: 0,
          latencyMsSum: 400,
          latencyMsMax: 48,
          latencyBuckets: buckets,
        },
      ],
      signals: [
        {
          kind: 'breaker',
          dependency: 'dynamodb',
          from: 'closed',
          to: 'open',
          reason: 'consecutive-failures',
          at: clock.now(),
        },
      ],
    });
    assert.equal(res.status, 202);
    const accepted = await json<{ suggestions: { id: string; kind: string; status: string }[] }>(res);
    assert.deepEqual(
      accepted.suggestions.map((s) => [s.kind, s.status]),
      [['breaker-open', 'suggested']],
    );
    const id = accepted.suggestions[0]!.id;
    assert.equal((await service.store.listIncidents()).length, 0, 'nothing published by itself');

    // The responder view lists it, with its words, for a signed-in responder.
    const login = await write('/responder/login', { token: TOKEN }, 'POST', { authorization: '' });
    const session = login.headers.get('set-cookie')!.split(';')[0]!;
    const { csrf } = await json<{ csrf: string }>(login);
    const view = await (await fetch(`${server.url}/responder`, { headers: { cookie: session } })).text();
    assert.ok(view.includes(`id="suggestion-${id}"`));
    assert.ok(view.includes('Errors reaching DynamoDB'));
    assert.ok(view.includes('Affects Orders database (partial outage)'));
    const viaSession = (path: string, body: unknown, extra: Record<string, string>) =>
      fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie: session, ...extra },
        body: JSON.stringify(body),
      });
    const noCsrf = await viaSession(`/api/admin/suggestions/${id}/publish`, {}, {});
    assert.equal(noCsrf.status, 403);
    const published = await viaSession(
      `/api/admin/suggestions/${id}/publish`,
      { name: 'Orders fail to load', whatYouCanDo: 'Retry in a few minutes.' },
      { 'x-csrf-token': csrf },
    );
    assert.equal(published.status, 201);
    const { incident, suggestion } = await json<{ incident: { id: string; name: string }; suggestion: Suggestion }>(
      published,
    );
    assert.equal(incident.name, 'Orders fail to load');
    assert.equal(suggestion.decidedBy, 'responder');
    assert.equal((await service.store.listComponents()).find((c) => c.id === 'db')!.status, 'partial_outage');
    const again = await write(`/api/admin/suggestions/${id}/publish`, {});
    assert.equal(again.status, 409);
    assert.equal((await json<{ code: string }>(again)).code, 'FS_ERR_STATUS_CLOSED');

    // Ten minutes later the breaker closes, the incident is resolved: MTTR on both sources.
    await clock.advance(10 * 60_000);
    await write('/api/admin/reports', {
      service: 'checkout',
      signals: [{ kind: 'breaker', dependency: 'dynamodb', to: 'closed', at: clock.now() }],
    });
    await write(`/api/admin/incidents/${incident.id}/updates`, { status: 'resolved', body: 'Fixed.' });
    const map = await json<DependencyMap>(await fetch(`${server.url}/api/dependencies.json`));
    assert.deepEqual(
      map.edges.map((e) => [e.from, e.to, e.declared, e.observed, e.calls, e.errorRate, e.breaker]),
      [['checkout', 'dynamodb', true, true, 10, 0.4, 'closed']],
    );
    assert.deepEqual(
      map.mttr.map((m) => [m.dependency, m.failures, m.bySource, m.p50Ms, m.maxMs]),
      [['dynamodb', 2, { breaker: 1, incident: 1 }, 600_000, 600_000]],
    );
    const page = await (await fetch(`${server.url}/`)).text();
    assert.ok(page.includes('<section id="dependencies">'));
    assert.ok(page.includes('<svg xmlns="http://www.w3.org/2000/svg" class="dependency-map"'));
    assert.ok(page.includes('Checkout &#60;b&#62;API&#60;/b&#62;'), 'catalog text escaped');
    assert.ok(!page.includes('<b>API</b>'));
    assert.ok(page.includes('<td>dynamodb</td><td>2</td>'));
  });

  it('a responder dismisses a suggestion; a rule publishes one by itself', async () => {
    const res = await write('/api/admin/reports', {
      service: 'checkout',
      signals: [{ kind: 'health-escalation', set: 'nlb', reason: 'disagreement', targets: ['n2'], at: 1 }],
    });
    const { suggestions } = await json<{ suggestions: { id: string }[] }>(res);
    const dismissed = await write(`/api/admin/suggestions/${suggestions[0]!.id}/dismiss`, {});
    assert.equal(dismissed.status, 200);
    assert.equal((await json<Suggestion>(dismissed)).status, 'dismissed');
    const listed = await json<{ suggestions: Suggestion[] }>(
      await fetch(`${server.url}/api/admin/suggestions?status=suggested`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      }),
    );
    assert.deepEqual(listed.suggestions, []);

    const ruled = new StatusService({
      store: createStatusStore(new MemoryBackend()),
      clock,
      autoPublish: [{ kind: 'dns-guard', minCount: 2 }],
    });
    const guard = { kind: 'dns-guard' as const, hostname: 'db.example', event: 'engaged' as const, at: 1 };
    const first = await ruled.report({ service: 'api', signals: [guard] });
    assert.equal(first.suggestions[0]!.status, 'suggested', 'below the rule’s count');
    const second = await ruled.report({ service: 'api', signals: [guard] });
    assert.equal(second.suggestions[0]!.status, 'published');
    assert.equal(second.suggestions[0]!.decidedBy, 'rule');
    assert.equal((await ruled.store.listIncidents()).length, 1);
    assert.throws(() => new StatusService({ store: ruled.store, autoPublish: [{ kind: 'meteor' as never }] }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
    });
    await ruled.close();
  });
});
