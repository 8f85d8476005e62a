/**
 * The one contract suite every {@link StatusStore} passes: memory, SQLite and PostgreSQL register it
 * with their own factory (status/store.test.ts). It imports `node:test`, so it lives in test support.
 */
import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { DnsGuardSignal, ReportInput } from '../status/model.js';
import type { StatusStore } from '../status/store.js';
import { code, contractSuite, type ContractFactory, type ContractOptions } from './store-contract.js';

/** How a suite gets stores. */
export interface StatusStoreFactory extends ContractFactory {
  /** A fresh, empty store. */
  open(): Promise<StatusStore>;
  /** A second client on the same data as the last store `open` returned (another server), when the backend has one. */
  openPeer?(): Promise<StatusStore>;
}

/**
 * Registers the contract tests under `describe(name)`; with `skip`, every case is reported skipped.
 *
 * @example
 * registerStatusStoreContract('memory', { open: async () => createStatusStore(new MemoryBackend()) });
 */
export function registerStatusStoreContract(
  name: string,
  factory: StatusStoreFactory,
  options: ContractOptions = {},
): void {
  describe(`StatusStore contract: ${name}`, () => {
    const { it, tracked } = contractSuite<StatusStore>(factory, options.skip);
    const open = tracked(() => factory.open());
    const openPeer = tracked(() => factory.openPeer!());

    it('adds components in order, changes them in place, groups by business process', async () => {
      const store = await open();
      const api = await store.putComponent({ id: 'api', name: 'API', group: 'Checkout' }, 1_000);
      assert.deepEqual(api, {
        id: 'api',
        name: 'API',
        description: null,
        group: 'Checkout',
        position: 0,
        status: 'operational',
        createdAt: 1_000,
        updatedAt: 1_000,
      });
      const db = await store.putComponent({ name: 'Database ✓', group: 'Checkout', description: 'orders' }, 1_100);
      assert.match(db.id, /^[a-z0-9]{12}$/);
      assert.equal(db.position, 1);
      const renamed = await store.putComponent({ id: 'api', name: 'Public API', group: 'Sign-in' }, 1_200);
      assert.equal(renamed.createdAt, 1_000);
      assert.equal(renamed.position, 0);
      assert.deepEqual(
        (await store.listComponents()).map((c) => [c.id, c.name, c.group]),
        [
          ['api', 'Public API', 'Sign-in'],
          [db.id, 'Database ✓', 'Checkout'],
        ],
      );
    });

    it('refuses invalid input with field-level errors and unknown ids with FS_ERR_STATUS_NOT_FOUND', async () => {
      const store = await open();
      await assert.rejects(
        store.putComponent({ name: '', group: 'x', extra: 1 } as never, 1),
        (e: unknown) =>
          code('FS_ERR_STATUS_INVALID_INPUT')(e) &&
          JSON.stringify((e as unknown as { details: { errors: unknown } }).details.errors) ===
            JSON.stringify([
              { field: 'name', message: 'must not be empty' },
              { field: 'extra', message: 'unknown field' },
            ]),
      );
      await assert.rejects(store.setComponentStatus('nope', 'major_outage', 1), code('FS_ERR_STATUS_NOT_FOUND'));
      await assert.rejects(
        store.openIncident({ name: 'x', body: 'y', components: [{ id: 'nope', status: 'major_outage' }] }, 1),
        code('FS_ERR_STATUS_NOT_FOUND'),
      );
      assert.equal((await store.listIncidents()).length, 0, 'a refused write leaves nothing behind');
      await assert.rejects(
        store.updateIncident('nope', { status: 'identified', body: 'x' }, 1),
        code('FS_ERR_STATUS_NOT_FOUND'),
      );
      assert.equal(await store.getIncident('../etc'), undefined);
    });

    it('runs an incident investigating → identified → monitoring → resolved with timestamped updates', async () => {
      const store = await open();
      await store.putComponent({ id: 'api', name: 'API', group: 'Checkout' }, 0);
      await store.putComponent({ id: 'db', name: 'DB', group: 'Checkout' }, 0);
      const opened = await store.openIncident(
        {
          name: 'Checkout errors <script>',
          impact: 'major',
          body: 'We are investigating.',
          whatYouCanDo: 'Retry in a few minutes.',
          components: [{ id: 'api', status: 'partial_outage' }],
        },
        10_000,
      );
      assert.equal(opened.status, 'investigating');
      assert.equal(opened.name, 'Checkout errors <script>');
      assert.deepEqual(opened.updates[0]!.affected, [
        { componentId: 'api', oldStatus: 'operational', newStatus: 'partial_outage' },
      ]);
      assert.equal(opened.updates[0]!.whatYouCanDo, 'Retry in a few minutes.');
      const identified = await store.updateIncident(
        opened.id,
        {
          status: 'identified',
          body: 'The database is overloaded.',
          components: [{ id: 'db', status: 'major_outage' }],
        },
        20_000,
      );
      assert.deepEqual(identified.componentIds, ['api', 'db']);
      const monitoring = await store.updateIncident(opened.id, { status: 'monitoring', body: 'A fix is out.' }, 30_000);
      assert.equal(monitoring.monitoringAt, 30_000);
      const resolved = await store.updateIncident(opened.id, { status: 'resolved', body: 'Resolved.' }, 40_000);
      assert.equal(resolved.resolvedAt, 40_000);
      assert.deepEqual(
        resolved.updates.map((u) => [u.status, u.at]),
        [
          ['investigating', 10_000],
          ['identified', 20_000],
          ['monitoring', 30_000],
          ['resolved', 40_000],
        ],
      );
      assert.deepEqual(
        resolved.updates[3]!.affected.map((a) => [a.componentId, a.newStatus]),
        [
          ['api', 'operational'],
          ['db', 'operational'],
        ],
        'resolving returns every affected component to operational',
      );
      assert.deepEqual(
        (await store.listComponents()).map((c) => c.status),
        ['operational', 'operational'],
      );
      await assert.rejects(
        store.updateIncident(opened.id, { status: 'identified', body: 'again' }, 50_000),
        code('FS_ERR_STATUS_CLOSED'),
      );
      assert.deepEqual(await store.getIncident(opened.id), resolved);
      const events = await store.componentEvents(0);
      assert.deepEqual(
        events.filter((e) => e.componentId === 'api').map((e) => [e.at, e.status]),
        [
          [0, 'operational'],
          [10_000, 'partial_outage'],
          [40_000, 'operational'],
        ],
      );
      assert.deepEqual(
        (await store.componentEvents(20_000)).map((e) => e.at),
        [20_000, 40_000, 40_000],
      );
    });

    it('lists incidents newest first, unresolved only on request', async () => {
      const store = await open();
      const a = await store.openIncident({ name: 'a', body: 'a' }, 1);
      const b = await store.openIncident({ name: 'b', body: 'b' }, 2);
      await store.updateIncident(a.id, { status: 'resolved', body: 'done' }, 3);
      assert.deepEqual(
        (await store.listIncidents()).map((i) => i.name),
        ['b', 'a'],
      );
      assert.deepEqual(
        (await store.listIncidents({ unresolved: true })).map((i) => i.id),
        [b.id],
      );
      assert.deepEqual(
        (await store.listIncidents({ limit: 1 })).map((i) => i.id),
        [b.id],
      );
    });

    it('schedules maintenance; its components are under maintenance while it runs', async () => {
      const store = await open();
      await store.putComponent({ id: 'db', name: 'DB', group: 'Data' }, 0);
      await assert.rejects(
        store.scheduleMaintenance({ name: 'm', body: 'b', scheduledFor: 10, scheduledUntil: 5 }, 1),
        (e: unknown) =>
          code('FS_ERR_STATUS_INVALID_INPUT')(e) &&
          (e as unknown as { details: { errors: { field: string }[] } }).details.errors[0]!.field === 'scheduledUntil',
      );
      const m = await store.scheduleMaintenance(
        { name: 'Upgrade', body: 'Planned.', scheduledFor: 100, scheduledUntil: 200, components: ['db'] },
        1,
      );
      assert.equal(m.status, 'scheduled');
      await store.setMaintenanceStatus(m.id, 'in_progress', 100);
      assert.equal((await store.listComponents())[0]!.status, 'under_maintenance');
      await store.setMaintenanceStatus(m.id, 'completed', 200);
      assert.equal((await store.listComponents())[0]!.status, 'operational');
      await assert.rejects(store.setMaintenanceStatus(m.id, 'in_progress', 300), code('FS_ERR_STATUS_CLOSED'));
      assert.deepEqual(
        (await store.listMaintenances()).map((x) => x.status),
        ['completed'],
      );
    });

    it('keeps webhook subscribers once per URL', async () => {
      const store = await open();
      const s = await store.addSubscriber('http://127.0.0.1:9/hook', 5);
      assert.equal((await store.addSubscriber('http://127.0.0.1:9/hook', 6)).id, s.id);
      await assert.rejects(store.addSubscriber('javascript:alert(1)', 7), code('FS_ERR_STATUS_INVALID_INPUT'));
      assert.deepEqual(await store.listSubscribers(), [s]);
      assert.equal(await store.removeSubscriber(s.id), true);
      assert.equal(await store.removeSubscriber(s.id), false);
    });

    it('serialises concurrent updates: none is lost', async () => {
      const store = await open();
      const incident = await store.openIncident({ name: 'race', body: 'start' }, 0);
      const peer = factory.openPeer === undefined ? store : await openPeer();
      await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          (i % 2 === 0 ? store : peer).updateIncident(incident.id, { status: 'identified', body: `u${i}` }, i + 1),
        ),
      );
      const final = await store.getIncident(incident.id);
      assert.equal(final!.updates.length, 21);
      assert.deepEqual(
        final!.updates.map((u) => u.body).sort(),
        ['start', ...Array.from({ length: 20 }, (_, i) => `u${i}`)].sort(),
      );
    });

    const buckets = (n: number): number[] => {
      const b = new Array<number>(14).fill(0);
      b[5] = n; // ≤ 50 ms
      return b;
    };
    const calls = (dependency: string, n: number, errors: number) => ({
      dependency,
      calls: n,
      errors,
      rejected: 0,
      latencyMsSum: n * 40,
      latencyMsMax: 48,
      latencyBuckets: buckets(n),
    });

    /** checkout's report that its DNS guard engaged on DynamoDB's hostname. */
    const dnsGuardReport = (signal: Pick<DnsGuardSignal, 'reason' | 'at'>): ReportInput => ({
      service: 'checkout',
      signals: [
        {
          kind: 'dns-guard',
          hostname: 'dynamodb.us-east-1.amazonaws.com',
          dependency: 'dynamodb',
          event: 'engaged',
          ...signal,
        },
      ],
    });

    it('accumulates reported calls on the edge service → dependency, and keeps the breaker state', async () => {
      const store = await open();
      await store.recordReport({ service: 'checkout', region: 'us-east-1', calls: [calls('dynamodb', 10, 1)] }, 1_000);
      await store.recordReport(
        {
          service: 'checkout',
          calls: [calls('dynamodb', 5, 5)],
          signals: [{ kind: 'breaker', dependency: 'dynamodb', from: 'closed', to: 'open', at: 900 }],
        },
        2_000,
      );
      const [edge] = await store.listEdges();
      assert.equal(edge!.service, 'checkout');
      assert.equal(edge!.dependency, 'dynamodb');
      assert.equal(edge!.region, 'us-east-1');
      assert.deepEqual([edge!.calls, edge!.errors, edge!.rejected], [15, 6, 0]);
      assert.deepEqual(edge!.recent, { calls: 5, errors: 5, rejected: 0, at: 2_000 });
      assert.equal(edge!.latencyBuckets[5], 15);
      assert.equal(edge!.breaker, 'open');
      assert.deepEqual([edge!.firstAt, edge!.lastAt], [1_000, 2_000]);
    });

    it('turns a breaker open into one suggestion that folds repeats, and a failure interval that the close ends', async () => {
      const store = await open();
      await store.putComponent({ id: 'dynamodb', name: 'DynamoDB', group: 'Orders' }, 0);
      const open1 = await store.recordReport(
        {
          service: 'checkout',
          signals: [{ kind: 'breaker', dependency: 'dynamodb', to: 'open', reason: 'consecutive', at: 10_000 }],
        },
        10_000,
      );
      assert.equal(open1.suggestions.length, 1);
      const s = open1.suggestions[0]!;
      assert.equal(s.kind, 'breaker-open');
      assert.equal(s.status, 'suggested');
      assert.deepEqual(s.componentIds, ['dynamodb'], 'a component named as the dependency is affected');
      assert.match(s.name, /dynamodb/);
      await store.recordReport(
        {
          service: 'checkout',
          signals: [
            { kind: 'breaker', dependency: 'dynamodb', to: 'half-open', at: 40_000 },
            { kind: 'breaker', dependency: 'dynamodb', to: 'open', at: 40_001 },
            { kind: 'breaker', dependency: 'dynamodb', to: 'closed', at: 70_000 },
          ],
        },
        70_000,
      );
      const [folded] = await store.listSuggestions();
      assert.equal(folded!.id, s.id, 'one suggestion, not one per open');
      assert.equal(folded!.count, 2);
      assert.equal(folded!.clearedAt, 70_000);
      assert.deepEqual(
        (await store.listFailures()).map((f) => [f.source, f.dependency, f.startedAt, f.endedAt]),
        [['breaker', 'dynamodb', 10_000, 70_000]],
        'open → (half-open → open) → closed is one interval',
      );
    });

    it('publishes a suggestion as an incident in one write, and refuses a second decision', async () => {
      const store = await open();
      await store.putComponent({ id: 'dynamodb', name: 'DynamoDB', group: 'Orders' }, 0);
      const { suggestions } = await store.recordReport(dnsGuardReport({ reason: 'empty', at: 5 }), 5_000);
      const id = suggestions[0]!.id;
      const { suggestion, incident } = await store.publishSuggestion(
        id,
        { whatYouCanDo: 'Nothing: requests go through.' },
        'responder',
        6_000,
      );
      assert.equal(suggestion.status, 'published');
      assert.equal(suggestion.incidentId, incident.id);
      assert.equal(incident.name, suggestions[0]!.name);
      assert.equal(incident.updates[0]!.whatYouCanDo, 'Nothing: requests go through.');
      assert.deepEqual(incident.componentIds, ['dynamodb']);
      assert.equal((await store.listComponents())[0]!.status, 'degraded_performance');
      await assert.rejects(store.publishSuggestion(id, {}, 'responder', 7_000), code('FS_ERR_STATUS_CLOSED'));
      await assert.rejects(store.dismissSuggestion(id, 7_000), code('FS_ERR_STATUS_CLOSED'));
      // While the incident is open, the same signal folds into the published suggestion.
      const again = await store.recordReport(dnsGuardReport({ at: 8 }), 8_000);
      assert.equal(again.suggestions[0]!.id, id);
      assert.equal(again.suggestions[0]!.count, 2);
      const other = await store.recordReport(
        {
          service: 'checkout',
          signals: [{ kind: 'health-escalation', set: 'nlb', reason: 'disagreement', targets: ['n2'], at: 9 }],
        },
        9_000,
      );
      const dismissed = await store.dismissSuggestion(other.suggestions[0]!.id, 9_500);
      assert.equal(dismissed.status, 'dismissed');
      assert.deepEqual(
        (await store.listSuggestions({ status: 'suggested' })).map((x) => x.id),
        [],
      );
      await assert.rejects(store.publishSuggestion('nope', {}, 'responder', 1), code('FS_ERR_STATUS_NOT_FOUND'));
    });

    it('refuses a malformed report or an unknown component with field-level errors, recording nothing', async () => {
      const store = await open();
      const fields = (e: unknown): string[] =>
        (e as { details: { errors: { field: string }[] } }).details.errors.map((x) => x.field);
      await assert.rejects(
        store.recordReport(
          {
            service: 'bad name!',
            signals: [{ kind: 'breaker', dependency: 'db', to: 'ajar', at: -1 }],
            calls: [{ ...calls('db', 1, 2) }],
          } as never,
          1,
        ),
        (e: unknown) =>
          code('FS_ERR_STATUS_INVALID_INPUT')(e) &&
          JSON.stringify(fields(e)) ===
            JSON.stringify(['service', 'signals[0].to', 'signals[0].at', 'calls[0].errors']),
      );
      await assert.rejects(
        store.recordReport(
          {
            service: 'checkout',
            calls: [calls('db', 3, 0)],
            signals: [{ kind: 'breaker', dependency: 'db', to: 'open', at: 1, components: ['ghost'] }],
          },
          1,
        ),
        (e: unknown) =>
          code('FS_ERR_STATUS_UNKNOWN_COMPONENT')(e) && JSON.stringify(fields(e)) === '["signals[0].components[0]"]',
      );
      assert.deepEqual(await store.listEdges(), [], 'a refused report leaves nothing behind');
      assert.deepEqual(await store.listSuggestions(), []);
    });

    it('keeps one catalog per source; the catalog ties a subject to its status component', async () => {
      const store = await open();
      await store.putComponent({ id: 'orders-db', name: 'Orders database', group: 'Orders' }, 0);
      await store.putCatalog(
        'file',
        [
          {
            kind: 'Resource',
            name: 'dynamodb',
            title: 'DynamoDB',
            description: null,
            type: 'database',
            system: 'orders',
            dependsOn: [],
            statusComponent: 'orders-db',
          },
        ],
        100,
      );
      await store.putCatalog('file', (await store.listCatalogs())[0]!.entities, 200);
      assert.deepEqual(
        (await store.listCatalogs()).map((c) => [c.source, c.entities.length, c.updatedAt]),
        [['file', 1, 200]],
      );
      const { suggestions } = await store.recordReport(
        { service: 'checkout', signals: [{ kind: 'breaker', dependency: 'dynamodb', to: 'open', at: 1 }] },
        300,
      );
      assert.deepEqual(suggestions[0]!.componentIds, ['orders-db']);
      assert.match(suggestions[0]!.name, /DynamoDB/, 'the catalog title names it');
    });

    it('refuses every call after close with FS_ERR_STATUS_STORE_CLOSED', async () => {
      const store = await factory.open();
      await store.close();
      await assert.rejects(store.listComponents(), code('FS_ERR_STATUS_STORE_CLOSED'));
      await assert.rejects(store.openIncident({ name: 'x', body: 'y' }, 1), code('FS_ERR_STATUS_STORE_CLOSED'));
    });
  });
}
