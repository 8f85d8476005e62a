import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dependencyEdge } from '../test-support/dependency-edge.js';
import { buildDependencyMap } from './dependency-map.js';
import { renderDependencySvg } from './map-svg.js';

describe('dependency map SVG', () => {
  it('draws a box per node and an arrow per edge, escapes every text, uses no style attribute', () => {
    const evil = '<script>alert(1)</script>';
    const map = buildDependencyMap({
      edges: [
        dependencyEdge({
          region: null,
          calls: 3,
          errors: 1,
          recent: { calls: 3, errors: 1, rejected: 0, at: 0 },
          guard: 'engaged',
        }),
      ],
      catalogs: [
        {
          source: 'file',
          updatedAt: 0,
          entities: [
            {
              kind: 'Resource',
              name: 'dynamodb',
              title: evil,
              description: null,
              type: 'database',
              system: null,
              dependsOn: ['dynamodb'],
              statusComponent: null,
            },
          ],
        },
      ],
      failures: [],
      suggestions: [],
      incidents: [],
      components: [],
      now: 0,
    });
    const svg = renderDependencySvg(map);
    assert.equal((svg.match(/<g class="map-node"/g) ?? []).length, 2);
    assert.equal((svg.match(/<g class="map-edge/g) ?? []).length, 2, 'the traffic edge and the self-declared one');
    assert.ok(!svg.includes('<script>'));
    assert.ok(svg.includes('&#60;script&#62;'));
    assert.ok(!/style=/.test(svg), 'no inline style: the page CSP forbids it');
    assert.match(svg, /3 calls · 33\.3% err<\/text><text [^>]*>DNS guard engaged</);
    assert.match(svg, /class="map-edge health-failing"/);
    assert.equal(
      renderDependencySvg({ ...map, nodes: [], edges: [] }),
      '<p class="map-empty">No dependencies reported yet.</p>',
    );
  });
});
