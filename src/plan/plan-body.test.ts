import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { capacity, checkPlanBody, fenceName, guard, readFence, removedShare, targetOf } from './plan-body.js';
import { planBody } from '../test-support/plan-body.js';
import type { WeightedAddress } from './types.js';

const body = (records: WeightedAddress[], force = false) => planBody(records, force ? { force } : {});

describe('checkPlanBody', () => {
  it('normalises names and sorts records', () => {
    const checked = checkPlanBody({
      ...body([
        { address: '192.0.2.11', weight: 1 },
        { address: '192.0.2.10', weight: 2 },
      ]),
      zone: 'Example.COM.',
      name: 'API.example.com.',
    });
    assert.equal(checked.name, 'api.example.com');
    assert.equal(checked.zone, 'example.com');
    assert.deepEqual(
      checked.records.map((r) => r.address),
      ['192.0.2.10', '192.0.2.11'],
    );
    assert.equal(targetOf(checked), 'api.example.com/A');
    assert.equal(fenceName(checked), '_fence-a-api.example.com', 'a sibling, so a deleted name is NXDOMAIN');
    assert.equal(fenceName({ zone: 'example.com', name: 'example.com', type: 'AAAA' }), '_fence-aaaa.example.com');
    const long = fenceName({ name: `${'x'.repeat(63)}.example.com`, type: 'A' });
    assert.ok(long.split('.')[0]!.length <= 63 && long.endsWith('.example.com'));
  });

  it('rejects bad bodies with FS_ERR_PLAN_INVALID', () => {
    const good = body([]);
    for (const bad of [
      null,
      [],
      'x',
      { ...good, zone: 'bad zone' },
      { ...good, name: 'api.other.com' },
      { ...good, type: 'MX' },
      { ...good, ttl: -1 },
      { ...good, ttl: 1.5 },
      { ...good, records: 'x' },
      { ...good, records: [{ address: '2001:db8::1', weight: 1 }] },
      { ...good, records: [{ address: '192.0.2.1', weight: 256 }] },
      { ...good, records: [{ address: '192.0.2.1' }] },
      {
        ...good,
        records: [
          { address: '192.0.2.1', weight: 1 },
          { address: '192.0.2.1', weight: 2 },
        ],
      },
      { ...good, records: Array.from({ length: 101 }, (_, i) => ({ address: `10.0.0.${i}`, weight: 1 })) },
      { ...good, force: 'yes' },
    ]) {
      assert.throws(
        () => checkPlanBody(bad),
        (e) => isFailsmallError(e, 'FS_ERR_PLAN_INVALID'),
        JSON.stringify(bad)?.slice(0, 80),
      );
    }
    assert.equal(
      checkPlanBody({ ...good, type: 'AAAA', records: [{ address: '2001:DB8::1', weight: 0 }] }).records[0]!.address,
      '2001:db8::1',
    );
  });
});

describe('guard (velocity control)', () => {
  const current = [
    { address: '10.0.0.1', weight: 50 },
    { address: '10.0.0.2', weight: 50 },
    { address: '10.0.0.3', weight: 100 },
  ];
  it('refuses an empty set, or all weights 0, unless forced', () => {
    assert.deepEqual(guard(current, body([]), 0.5), { ok: false, reason: 'guard-empty', share: 1 });
    assert.equal(guard(current, body([{ address: '10.0.0.1', weight: 0 }]), 1).ok, false);
    assert.equal(guard(current, body([], true), 0.5).ok, true);
  });
  it('refuses removing more than the share, counts dropped addresses only', () => {
    assert.equal(removedShare(current, [{ address: '10.0.0.3', weight: 1 }]), 0.5);
    assert.equal(guard(current, body([{ address: '10.0.0.3', weight: 1 }]), 0.5).ok, true);
    const verdict = guard(current, body([{ address: '10.0.0.1', weight: 1 }]), 0.5);
    assert.deepEqual(verdict, { ok: false, reason: 'guard-velocity', share: 0.75 });
    assert.equal(
      guard(undefined, body([{ address: '10.0.0.1', weight: 1 }]), 0).ok,
      true,
      'restoring from nothing is fine',
    );
  });
  it('removed share is always within 0..1 and 0 when nothing is dropped', () => {
    const set = fc.uniqueArray(fc.record({ address: fc.ipV4(), weight: fc.integer({ min: 0, max: 255 }) }), {
      selector: (r) => r.address,
      maxLength: 8,
    });
    fc.assert(
      fc.property(set, set, (a, b) => {
        const share = removedShare(a, b);
        return (
          share >= 0 &&
          share <= 1 &&
          removedShare(
            a,
            a.map((r) => ({ ...r, weight: r.weight + 1 })),
          ) === 0
        );
      }),
    );
    assert.equal(capacity(undefined), 0);
  });
  it('reads the fence from a zone, 0 without one', () => {
    const key = { name: 'api.example.com', type: 'A' as const };
    assert.equal(readFence([], key), 0);
    assert.equal(
      readFence(
        [{ name: '_FENCE-A-api.example.com.', type: 'TXT', ttl: 1, records: [{ value: 'generation=7' }] }],
        key,
      ),
      7,
    );
    assert.equal(
      readFence([{ name: '_fence-a-api.example.com', type: 'TXT', ttl: 1, records: [{ value: 'junk' }] }], key),
      0,
    );
  });
});
