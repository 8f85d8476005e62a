import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bucketQuantile, buildDependencyMap, mttr } from './dependency-map.js';
import { dependencyEdge as edge } from '../test-support/dependency-edge.js';

describe('dependency map', () => {
  it('MTTR per dependency: count, nearest-rank p50/p90, max, mean; open intervals are ongoing', () => {
    const minutes = [4, 1, 30, 2, 3, 5, 6, 7, 8, 9];
    const stats = mttr([
      ...minutes.map((m) => ({ dependency: 'db', source: 'breaker' as const, startedAt: 0, endedAt: m * 60_000 })),
      { dependency: 'db', source: 'incident', startedAt: 0, endedAt: null },
      { dependency: 'api', source: 'incident', startedAt: 1_000, endedAt: 61_000 },
    ]);
    assert.deepEqual(stats, [
      {
        dependency: 'api',
        failures: 1,
        ongoing: 0,
        bySource: { breaker: 0, incident: 1 },
        p50Ms: 60_000,
        p90Ms: 60_000,
        maxMs: 60_000,
        meanMs: 60_000,
      },
      {
        dependency: 'db',
        failures: 10,
        ongoing: 1,
        bySource: { breaker: 10, incident: 0 },
        p50Ms: 5 * 60_000,
        p90Ms: 9 * 60_000,
        maxMs: 30 * 60_000,
        meanMs: 7.5 * 60_000,
      },
    ]);
  });

  it('latency quantiles from the buckets: the bucket bound, the max for the last', () => {
    const b = [0, 0, 0, 50, 45, 5, 0, 0, 0, 0, 0, 0, 0, 0];
    assert.equal(bucketQuantile(b, 0.5, 40), 10);
    assert.equal(bucketQuantile(b, 0.9, 40), 25);
    assert.equal(bucketQuantile(b, 0.99, 40), 40, 'capped by the maximum seen');
    const slow = new Array<number>(14).fill(0);
    slow[13] = 2;
    assert.equal(bucketQuantile(slow, 0.5, 42_000), 42_000);
    assert.equal(bucketQuantile(new Array<number>(14).fill(0), 0.5, 0), null);
  });

  it('merges traffic with the catalog: business processes, declared edges, health, incident MTTR', () => {
    const map = buildDependencyMap({
      edges: [
        edge({}),
        edge({
          service: 'checkout',
          dependency: 'payments',
          breaker: 'open',
          errors: 30,
          recent: { calls: 10, errors: 10, rejected: 0, at: 1 },
        }),
      ],
      catalogs: [
        {
          source: 'file',
          updatedAt: 1,
          entities: [
            {
              kind: 'System',
              name: 'orders',
              title: 'Orders',
              description: 'Buying things',
              type: null,
              system: null,
              dependsOn: [],
              statusComponent: null,
            },
            {
              kind: 'Component',
              name: 'checkout',
              title: 'Checkout API',
              description: null,
              type: 'service',
              system: 'orders',
              dependsOn: ['dynamodb', 'search'],
              statusComponent: 'api',
            },
          ],
        },
      ],
      failures: [
        { id: 'f1', service: 'checkout', dependency: 'payments', source: 'breaker', startedAt: 0, endedAt: 30_000 },
      ],
      suggestions: [
        {
          id: 's1',
          key: 'k',
          kind: 'dns-guard',
          service: 'checkout',
          region: null,
          subject: 'dynamodb',
          componentIds: [],
          status: 'published',
          name: 'n',
          body: 'b',
          impact: 'minor',
          componentStatus: 'degraded_performance',
          count: 1,
          reasons: [],
          firstAt: 0,
          lastAt: 0,
          clearedAt: null,
          incidentId: 'i1',
          decidedAt: 0,
          decidedBy: 'responder',
        },
      ],
      incidents: [
        {
          id: 'i1',
          name: 'n',
          status: 'resolved',
          impact: 'minor',
          createdAt: 100_000,
          updatedAt: 0,
          monitoringAt: null,
          resolvedAt: 400_000,
          componentIds: [],
          updates: [],
        },
      ],
      components: [
        {
          id: 'api',
          name: 'API',
          description: null,
          group: 'Orders',
          position: 0,
          status: 'partial_outage',
          createdAt: 0,
          updatedAt: 0,
        },
      ],
      now: 500_000,
    });
    assert.deepEqual(
      map.nodes.map((n) => [n.id, n.kind, n.title, n.system, n.component, n.status]),
      [
        ['checkout', 'Component', 'Checkout API', 'Orders', 'api', 'partial_outage'],
        ['dynamodb', 'dependency', 'dynamodb', null, null, null],
        ['payments', 'dependency', 'payments', null, null, null],
        ['search', 'dependency', 'search', null, null, null],
      ],
    );
    assert.deepEqual(
      map.edges.map((e) => [e.from, e.to, e.declared, e.observed, e.health]),
      [
        ['checkout', 'dynamodb', true, true, 'ok'],
        ['checkout', 'payments', false, true, 'failing'],
        ['checkout', 'search', true, false, 'unknown'],
      ],
    );
    assert.equal(map.edges[1]!.errorRate, 0.3);
    assert.deepEqual(map.systems, [
      { name: 'orders', title: 'Orders', description: 'Buying things', members: ['checkout'] },
    ]);
    assert.deepEqual(
      map.mttr.map((m) => [m.dependency, m.failures, m.p50Ms]),
      [
        ['dynamodb', 1, 300_000],
        ['payments', 1, 30_000],
      ],
    );
  });
});
