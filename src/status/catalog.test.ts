import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFailsmallError } from '../core/errors.js';
import { parseCatalog, refName } from './catalog.js';

const good = `apiVersion: backstage.io/v1alpha1
kind: System
metadata:
  name: orders
  title: Orders
spec:
  owner: team-orders
---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: checkout
  title: Checkout API
  annotations:
    failsmall.dev/status-component: api
spec:
  type: service
  lifecycle: production
  owner: team-orders
  system: system:default/orders
  dependsOn: [resource:default/dynamodb, component:payments, resource:dynamodb]
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: dynamodb
spec:
  type: database
  system: orders
---
apiVersion: backstage.io/v1alpha1
kind: Group
metadata:
  name: team-orders
spec:
  type: team
---
`;

const errorsOf = (text: string): { field: string; message: string; line?: number }[] => {
  try {
    parseCatalog(text, 'catalog-info.yaml');
  } catch (error) {
    assert.ok(isFailsmallError(error, 'FS_ERR_STATUS_INVALID_CATALOG'), String(error));
    return (error.details as { errors: { field: string; message: string; line?: number }[] }).errors;
  }
  assert.fail('expected FS_ERR_STATUS_INVALID_CATALOG');
};

describe('catalog', () => {
  it('reads Components, Resources and Systems, normalises references, skips other kinds', () => {
    const { entities, ignored } = parseCatalog(good);
    assert.deepEqual(
      entities.map((e) => [e.kind, e.name, e.system, e.dependsOn, e.statusComponent]),
      [
        ['System', 'orders', null, [], null],
        ['Component', 'checkout', 'orders', ['dynamodb', 'payments'], 'api'],
        ['Resource', 'dynamodb', 'orders', [], null],
      ],
    );
    assert.equal(entities[1]!.title, 'Checkout API');
    assert.deepEqual(ignored, ['Group:team-orders']);
    assert.equal(refName('resource:default/dynamodb'), 'dynamodb');
    assert.equal(refName('payments'), 'payments');
  });

  it('reports every problem with its field and line, and loads nothing', () => {
    const bad = `apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: -checkout
spec:
  dependsOn: ['not a ref!']
---
apiVersion: example.com/v1
kind: Resource
metadata:
  name: db
  annotations:
    failsmall.dev/status-component: "no spaces allowed"
spec:
  type: database
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: db
spec:
  type: database
`;
    const errors = errorsOf(bad);
    assert.deepEqual(
      errors.map((e) => e.field),
      [
        'documents[0].metadata.name',
        'documents[0].spec.type',
        'documents[0].spec.dependsOn[0]',
        'documents[1].apiVersion',
      ],
    );
    assert.equal(errors[0]!.line, 4);
    assert.equal(errors[2]!.line, 6);
  });

  it('refuses broken YAML, a duplicate name and a bad status-component annotation', () => {
    assert.deepEqual(
      errorsOf('kind: [unclosed').map((e) => e.field),
      ['documents[0]'],
    );
    const twice = `apiVersion: backstage.io/v1alpha1
kind: Resource
metadata: { name: db }
spec: { type: database }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: db
  annotations: { failsmall.dev/status-component: ok }
spec: { type: database }
---
apiVersion: backstage.io/v1alpha1
kind: Resource
metadata:
  name: other
  annotations: { failsmall.dev/status-component: "bad id" }
spec: { type: database }
`;
    assert.deepEqual(
      errorsOf(twice).map((e) => [e.field, e.message]),
      [
        ['documents[1].metadata.name', 'named twice (also documents[0])'],
        [
          'documents[2].metadata.annotations.failsmall.dev/status-component',
          'a status component id: letters, digits, - and _, 1 to 64 characters',
        ],
      ],
    );
    assert.deepEqual(
      errorsOf('- just\n- a list\n').map((e) => e.field),
      ['documents[0].kind'],
    );
  });
});
