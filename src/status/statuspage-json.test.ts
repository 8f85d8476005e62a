import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { documentedEnums, documentedSummary, nullableFields } from '../test-support/statuspage-shape.js';
import { MemoryBackend } from './backend.js';
import { StatusService } from './service.js';
import { statuspageDocuments } from './statuspage-json.js';
import { createStatusStore } from './store.js';

/** Asserts `actual` has exactly the fields of `shape`, with the same types, at every level. */
function assertShape(actual: unknown, shape: unknown, path: string): void {
  if (Array.isArray(shape)) {
    assert.ok(Array.isArray(actual), `${path}: expected an array`);
    for (const [i, item] of (actual as unknown[]).entries()) assertShape(item, shape[0], `${path}[${i}]`);
    return;
  }
  if (shape !== null && typeof shape === 'object') {
    assert.ok(actual !== null && typeof actual === 'object' && !Array.isArray(actual), `${path}: expected an object`);
    // A component group carries `components` (its members' ids); a plain component does not.
    const isGroup = (actual as { group?: unknown }).group === true;
    const expected = new Set(Object.keys(shape));
    if (isGroup) expected.add('components');
    assert.deepEqual(Object.keys(actual as object).sort(), [...expected].sort(), `${path}: field names`);
    for (const [key, value] of Object.entries(actual as Record<string, unknown>)) {
      if (value === null) {
        assert.ok(nullableFields.has(key), `${path}.${key}: null where the documented shape has none`);
      } else if (key === 'components' && isGroup) {
        assert.ok(Array.isArray(value) && value.every((v) => typeof v === 'string'), `${path}.components: member ids`);
      } else {
        assertShape(value, (shape as Record<string, unknown>)[key], `${path}.${key}`);
      }
    }
    return;
  }
  assert.equal(typeof actual, typeof shape, `${path}: type`);
  if (typeof actual === 'string' && /_at$|scheduled_(for|until)$/.test(path)) {
    assert.match(actual, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/, `${path}: ISO 8601`);
  }
}

const sample = async () => {
  const clock = new VirtualClock(Date.UTC(2025, 9, 20, 7, 0));
  const service = new StatusService({
    store: createStatusStore(new MemoryBackend()),
    clock,
    page: { url: 'http://127.0.0.1:8080/' },
  });
  await service.putComponent({ id: 'api', name: 'API', group: 'Checkout' });
  await service.putComponent({ id: 'db', name: 'DB', group: 'Checkout', description: 'orders' });
  await service.putComponent({ id: 'login', name: 'Login', group: 'Sign-in' });
  await clock.advance(60_000);
  const incident = await service.openIncident({
    name: 'Checkout errors',
    impact: 'major',
    body: 'Investigating.',
    whatYouCanDo: 'Retry later.',
    components: [{ id: 'api', status: 'partial_outage' }],
  });
  await clock.advance(60_000);
  await service.updateIncident(incident.id, { status: 'identified', body: 'Found it.' });
  await service.scheduleMaintenance({
    name: 'DB upgrade',
    body: 'Planned.',
    scheduledFor: clock.now() + 86_400_000,
    scheduledUntil: clock.now() + 90_000_000,
    components: ['db'],
  });
  return service;
};

describe('Statuspage-compatible JSON', () => {
  it('summary.json has the documented fields, types and values, field by field', async () => {
    const service = await sample();
    const summary = JSON.parse((await service.document('summary.json')).text) as typeof documentedSummary;
    assertShape(summary, documentedSummary, 'summary');
    for (const c of summary.components)
      assert.ok((documentedEnums.componentStatus as readonly string[]).includes(c.status));
    for (const i of summary.incidents) {
      assert.ok((documentedEnums.incidentStatus as readonly string[]).includes(i.status));
      assert.ok((documentedEnums.incidentImpact as readonly string[]).includes(i.impact));
      for (const u of i.incident_updates)
        assert.ok((documentedEnums.incidentStatus as readonly string[]).includes(u.status));
    }
    for (const m of summary.scheduled_maintenances)
      assert.ok((documentedEnums.maintenanceStatus as readonly string[]).includes(m.status));
    assert.ok((documentedEnums.indicator as readonly string[]).includes(summary.status.indicator));
    assert.deepEqual(summary.status, { indicator: 'major', description: 'Partial System Outage' });
    // Groups are business processes; members point at them.
    const groups = summary.components.filter((c) => c.group);
    assert.deepEqual(
      groups.map((g) => [g.name, g.status]),
      [
        ['Checkout', 'partial_outage'],
        ['Sign-in', 'operational'],
      ],
    );
    const api = summary.components.find((c) => c.id === 'api')!;
    assert.equal(api.group_id, groups[0]!.id);
    const [incident] = summary.incidents;
    assert.deepEqual(
      incident!.incident_updates.map((u) => u.status),
      ['identified', 'investigating'],
      'newest first',
    );
    assert.equal(incident!.incident_updates[1]!.body, 'Investigating.\n\nWhat you can do: Retry later.');
    assert.deepEqual(incident!.incident_updates[1]!.affected_components, [
      { code: 'api', name: 'API', old_status: 'operational', new_status: 'partial_outage' },
    ]);
    assert.equal(incident!.shortlink, `http://127.0.0.1:8080/incidents/${incident!.id}`);
  });

  it('every other document has its documented top-level fields', async () => {
    const service = await sample();
    const state = await service.state();
    const keys = (path: keyof typeof statuspageDocuments) => Object.keys(statuspageDocuments[path](state)).sort();
    assert.deepEqual(keys('status.json'), ['page', 'status']);
    assert.deepEqual(keys('components.json'), ['components', 'page']);
    assert.deepEqual(keys('incidents.json'), ['incidents', 'page']);
    assert.deepEqual(keys('incidents/unresolved.json'), ['incidents', 'page']);
    assert.deepEqual(keys('scheduled-maintenances.json'), ['page', 'scheduled_maintenances']);
    assert.deepEqual(keys('scheduled-maintenances/upcoming.json'), ['page', 'scheduled_maintenances']);
    assert.deepEqual(keys('scheduled-maintenances/active.json'), ['page', 'scheduled_maintenances']);
    const incidents = statuspageDocuments['incidents.json'](state).incidents;
    assertShape(incidents, documentedSummary.incidents, 'incidents');
    const maint = statuspageDocuments['scheduled-maintenances.json'](state).scheduled_maintenances;
    assertShape(maint, documentedSummary.scheduled_maintenances, 'scheduled_maintenances');
    assertShape(statuspageDocuments['status.json'](state).page, documentedSummary.page, 'page');
  });

  it('the indicator is none when all is well, maintenance while only maintenance runs', async () => {
    const clock = new VirtualClock(0);
    const service = new StatusService({ store: createStatusStore(new MemoryBackend()), clock });
    await service.putComponent({ id: 'db', name: 'DB', group: 'Data' });
    const s = () => service.state().then((st) => statuspageDocuments['status.json'](st).status);
    assert.deepEqual(await s(), { indicator: 'none', description: 'All Systems Operational' });
    const m = await service.scheduleMaintenance({
      name: 'm',
      body: 'b',
      scheduledFor: 1,
      scheduledUntil: 2,
      components: ['db'],
    });
    await service.setMaintenanceStatus(m.id, 'in_progress');
    assert.deepEqual(await s(), { indicator: 'maintenance', description: 'Service Under Maintenance' });
    await service.setComponentStatus('db', 'major_outage');
    assert.equal((await s()).indicator, 'critical');
  });
});
