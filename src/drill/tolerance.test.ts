import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPath, withinTolerance } from './tolerance.js';

const http = (status: number, body: unknown = 'ok') => ({ status, headers: {}, body });

describe('withinTolerance (Chaos Toolkit semantics)', () => {
  it('a value: equality, with the status of an HTTP or process value', () => {
    assert.equal(withinTolerance(http(200), 200).ok, true);
    assert.equal(withinTolerance(http(503), 200).ok, false);
    assert.equal(withinTolerance({ status: 0, stdout: '', stderr: '' }, 0).ok, true);
    assert.equal(withinTolerance(true, true).ok, true);
    assert.equal(withinTolerance(false, true).ok, false);
    assert.equal(withinTolerance('up', 'up').ok, true);
  });

  it('a list: membership', () => {
    assert.equal(withinTolerance(http(404), [200, 404]).ok, true);
    assert.equal(withinTolerance(http(500), [200, 404]).ok, false);
  });

  it('a range, on the status by default or a target', () => {
    assert.equal(withinTolerance(http(204), { type: 'range', range: [200, 299] }).ok, true);
    assert.equal(withinTolerance(http(503), { type: 'range', range: [200, 299], target: 'status' }).ok, false);
    assert.equal(withinTolerance(3, { type: 'range', range: [0, 2] }).reason, '3 is outside [0, 2]');
  });

  it('a regex, on the body or stdout by default', () => {
    assert.equal(withinTolerance(http(200, 'all good'), { type: 'regex', pattern: 'good$' }).ok, true);
    assert.equal(
      withinTolerance({ status: 0, stdout: 'welcome=hello', stderr: '' }, { type: 'regex', pattern: 'bonjour' }).ok,
      false,
    );
  });

  it('a JSONPath with expect and count', () => {
    const v = http(200, { items: [{ ok: true }, { ok: false }], n: 2 });
    assert.equal(withinTolerance(v, { type: 'jsonpath', path: '$.items[*].ok', expect: true }).ok, true);
    assert.equal(withinTolerance(v, { type: 'jsonpath', path: '$.items[*].ok', expect: true, count: 2 }).ok, false);
    assert.equal(withinTolerance(v, { type: 'jsonpath', path: '$.n', expect: [1, 2] }).ok, true);
    assert.equal(
      withinTolerance({ addresses: [] }, { type: 'jsonpath', path: '$.addresses[*]', count: 0, target: undefined }).ok,
      true,
    );
    assert.equal(withinTolerance(http(200, '{"a":{"b":1}}'), { type: 'jsonpath', path: '$..b', expect: 1 }).ok, true);
  });

  it('a probe: its result decides', () => {
    const t = { type: 'probe' as const, provider: { type: 'http' } };
    assert.equal(withinTolerance(1, t, http(200)).ok, true);
    assert.equal(withinTolerance(1, t, http(500)).ok, false);
    assert.equal(withinTolerance(1, t, true).ok, true);
  });

  it('jsonPath: keys, indexes, wildcards, recursive descent', () => {
    const d = { a: [{ b: 1 }, { b: 2 }], c: { 'd e': 3 } };
    assert.deepEqual(jsonPath(d, '$.a[*].b'), [1, 2]);
    assert.deepEqual(jsonPath(d, '$.a[1].b'), [2]);
    assert.deepEqual(jsonPath(d, "$.c['d e']"), [3]);
    assert.deepEqual(jsonPath(d, '$..b'), [1, 2]);
    assert.throws(() => jsonPath(d, 'a.b'), /starts with \$/);
  });
});
