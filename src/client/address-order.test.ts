import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isFailsmallError } from '../core/index.js';
import { AddressHealth, interleave, type Address } from './address-order.js';

const v4 = (address: string): Address => ({ address, family: 4 });
const v6 = (address: string): Address => ({ address, family: 6 });

describe('interleave', () => {
  it('alternates families starting with the first one, keeping the order within a family', () => {
    const got = interleave([v6('::1'), v6('::2'), v6('::3'), v4('10.0.0.1'), v4('10.0.0.2')]);
    assert.deepEqual(
      got.map((a) => a.address),
      ['::1', '10.0.0.1', '::2', '10.0.0.2', '::3'],
    );
    assert.deepEqual(
      interleave([v4('1.1.1.1'), v6('::1'), v4('2.2.2.2')]).map((a) => a.address),
      ['1.1.1.1', '::1', '2.2.2.2'],
    );
  });

  it('drops duplicates and accepts an empty set', () => {
    assert.deepEqual(interleave([v4('1.1.1.1'), v4('1.1.1.1')]), [v4('1.1.1.1')]);
    assert.deepEqual(interleave([]), []);
  });
});

describe('AddressHealth', () => {
  it('moves a failed address to the back for the penalty window, then forgives it', () => {
    const health = new AddressHealth({ penalty: 30_000 });
    const set = [v4('127.0.0.201'), v4('127.0.0.1'), v4('127.0.0.2')];
    health.recordFailure('127.0.0.201', 80, 1_000);
    assert.deepEqual(
      health.order(set, 80, 1_000).map((a) => a.address),
      ['127.0.0.1', '127.0.0.2', '127.0.0.201'],
    );
    // Another port of the same address is another endpoint.
    assert.equal(health.order(set, 443, 1_000)[0]!.address, '127.0.0.201');
    assert.equal(health.isPenalised('127.0.0.201', 80, 30_999), true);
    assert.equal(health.order(set, 80, 31_000)[0]!.address, '127.0.0.201');
    assert.deepEqual(health.snapshot(31_000), { penalised: [] });
  });

  it('orders penalised addresses oldest failure first, and forgets one on success', () => {
    const health = new AddressHealth();
    const set = [v4('10.0.0.1'), v4('10.0.0.2'), v4('10.0.0.3')];
    health.recordFailure('10.0.0.2', 80, 10);
    health.recordFailure('10.0.0.1', 80, 20);
    assert.deepEqual(
      health.order(set, 80, 30).map((a) => a.address),
      ['10.0.0.3', '10.0.0.2', '10.0.0.1'],
    );
    health.recordSuccess('10.0.0.1', 80);
    assert.deepEqual(
      health.order(set, 80, 30).map((a) => a.address),
      ['10.0.0.1', '10.0.0.3', '10.0.0.2'],
    );
    assert.deepEqual(health.snapshot(), { penalised: [{ key: '10.0.0.2:80', failedAt: 10, failures: 1 }] });
  });

  it('stays bounded in memory', () => {
    const health = new AddressHealth({ maxEntries: 2 });
    health.recordFailure('10.0.0.1', 80, 1);
    health.recordFailure('10.0.0.2', 80, 2);
    health.recordFailure('10.0.0.3', 80, 3);
    assert.deepEqual(
      health.snapshot().penalised.map((p) => p.key),
      ['10.0.0.2:80', '10.0.0.3:80'],
    );
  });

  it('never drops or invents an address, and puts every penalised one after every healthy one', () => {
    const address = fc.oneof(fc.ipV4().map(v4), fc.ipV6().map(v6));
    fc.assert(
      fc.property(
        fc.array(address, { maxLength: 12 }),
        fc.array(fc.tuple(fc.nat(11), fc.nat(60_000)), { maxLength: 12 }),
        fc.nat(100_000),
        (set, failures, now) => {
          const health = new AddressHealth({ penalty: 30_000 });
          for (const [i, at] of failures) if (set[i]) health.recordFailure(set[i].address, 80, at);
          const order = health.order(set, 80, now);
          const unique = new Set(set.map((a) => a.address));
          assert.equal(order.length, unique.size);
          assert.deepEqual(new Set(order.map((a) => a.address)), unique);
          const flags = order.map((a) => health.isPenalised(a.address, 80, now));
          const firstPenalised = flags.indexOf(true);
          if (firstPenalised >= 0) assert.ok(flags.slice(firstPenalised).every(Boolean));
        },
      ),
    );
  });

  it('rejects bad options with a stable code', () => {
    assert.throws(
      () => new AddressHealth({ penalty: -1 }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
    assert.throws(
      () => new AddressHealth({ maxEntries: 0 }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });
});
