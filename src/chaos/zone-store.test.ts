import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { ZoneStore } from './zone-store.js';
import { checkValue, type Change, type RecordSet, type RecordType, type ZoneDefinition } from './zone-schema.js';

const zone: ZoneDefinition = {
  name: 'example.com',
  records: [
    { name: 'example.com', type: 'NS', ttl: 300, records: [{ value: 'ns1.example.com' }] },
    { name: 'api.example.com', type: 'A', ttl: 60, records: [{ value: '127.0.0.10' }, { value: '127.0.0.11' }] },
    { name: 'api.example.com', type: 'AAAA', ttl: 60, records: [{ value: '::1' }] },
    { name: 'www.example.com', type: 'CNAME', ttl: 60, records: [{ value: 'api.example.com' }] },
    { name: 'out.example.com', type: 'CNAME', ttl: 60, records: [{ value: 'elsewhere.org' }] },
    { name: 'a.b.c.example.com', type: 'TXT', ttl: 60, records: [{ value: 'deep' }] },
    { name: 'loop1.example.com', type: 'CNAME', ttl: 60, records: [{ value: 'loop2.example.com' }] },
    { name: 'loop2.example.com', type: 'CNAME', ttl: 60, records: [{ value: 'loop1.example.com' }] },
  ],
};

const code = (c: string) => (e: unknown) => isFailsmallError(e, c as `FS_ERR_${string}`);
const upsert = (set: RecordSet): Change => ({ action: 'UPSERT', recordSet: set });

describe('ZoneStore', () => {
  it('lists zones at version 1 and returns their records sorted', () => {
    const store = new ZoneStore([zone, { name: 'Other.ORG.' }]);
    assert.deepEqual(store.list(), [
      { name: 'example.com', version: 1 },
      { name: 'other.org', version: 1 },
    ]);
    const contents = store.get('EXAMPLE.com.')!;
    assert.equal(contents.version, 1);
    assert.equal(contents.records[0]!.name, 'a.b.c.example.com');
    assert.equal(store.get('nope.com'), undefined);
  });

  it('resolves answers, CNAME chains, NODATA, NXDOMAIN, empty non-terminals and REFUSED', () => {
    const store = new ZoneStore([zone]);
    const a = store.resolve('api.example.com', 'A');
    assert.equal(a.rcode, 'NOERROR');
    assert.equal(a.negative, false);
    assert.deepEqual(
      a.answers.flatMap((s) => s.records.map((r) => r.value)),
      ['127.0.0.10', '127.0.0.11'],
    );
    const www = store.resolve('www.example.com', 'A');
    assert.deepEqual(
      www.answers.map((s) => s.type),
      ['CNAME', 'A'],
    );
    assert.deepEqual(
      store.resolve('www.example.com', 'CNAME').answers.map((s) => s.type),
      ['CNAME'],
    );
    const out = store.resolve('out.example.com', 'A');
    assert.equal(out.rcode, 'NOERROR');
    assert.deepEqual(
      out.answers.map((s) => s.type),
      ['CNAME'],
    );
    assert.equal(out.negative, false, 'a chain leaving our zones is not a negative answer');
    const nodata = store.resolve('api.example.com', 'TXT');
    assert.equal(nodata.rcode, 'NOERROR');
    assert.equal(nodata.negative, true);
    assert.equal(nodata.soa?.type, 'SOA');
    assert.equal(store.resolve('nope.example.com', 'A').rcode, 'NXDOMAIN');
    assert.equal(store.resolve('b.c.example.com', 'A').rcode, 'NOERROR', 'RFC 8020: a name with descendants exists');
    assert.equal(store.resolve('x.b.c.example.com', 'A').rcode, 'NXDOMAIN');
    assert.equal(store.resolve('example.org', 'A').rcode, 'REFUSED');
    assert.equal(store.resolve('example.com', 'A').rcode, 'NOERROR');
    assert.equal(store.resolve('example.com', 'SOA').answers[0]!.type, 'SOA', 'a synthesised SOA at the apex');
    assert.equal(store.resolve('api.example.com', 'MX').negative, true);
    assert.equal(store.resolve('api.example.com', 'ANY').answers.length, 1, 'ANY gets one record set (RFC 8482)');
    const loop = store.resolve('loop1.example.com', 'A');
    assert.equal(loop.rcode, 'NOERROR');
    assert.equal(loop.answers.length, 8, 'a CNAME loop stops after 8 hops');
  });

  it('uses the zone SOA and RFC 2308 negative TTL when the zone has one', () => {
    const store = new ZoneStore([
      {
        name: 'z.test',
        records: [
          { name: 'z.test', type: 'SOA', ttl: 900, records: [{ value: 'ns.z.test admin.z.test 7 3600 600 86400 30' }] },
        ],
      },
    ]);
    const r = store.resolve('missing.z.test', 'A');
    assert.equal(r.negativeTtl, 30);
    assert.equal(r.soa?.records[0]?.value, 'ns.z.test admin.z.test 7 3600 600 86400 30');
  });

  it('applies a batch atomically and bumps the version once', () => {
    const store = new ZoneStore([zone]);
    const seen: number[] = [];
    store.events.on((e) => seen.push(e.version));
    const before = store.generation;
    const { version } = store.apply('example.com', {
      expectedVersion: 1,
      comment: 'plan 42',
      changes: [
        upsert({ name: 'api.example.com', type: 'A', ttl: 5, records: [{ value: '127.0.0.12' }] }),
        { action: 'DELETE', recordSet: { name: 'api.example.com', type: 'AAAA', ttl: 60, records: [] } },
        upsert({ name: 'new.example.com', type: 'TXT', ttl: 5, records: [{ value: 'hi' }] }),
      ],
    });
    assert.equal(version, 2);
    assert.deepEqual(seen, [2]);
    assert.ok(store.generation > before);
    assert.equal(store.resolve('api.example.com', 'A').answers[0]!.records[0]!.value, '127.0.0.12');
    assert.equal(store.resolve('api.example.com', 'AAAA').negative, true);
    assert.equal(store.resolve('new.example.com', 'TXT').rcode, 'NOERROR');
  });

  it('serves NOERROR with no data after an UPSERT of zero records, NXDOMAIN after the last DELETE', () => {
    const store = new ZoneStore([zone]);
    store.apply('example.com', { changes: [upsert({ name: 'api.example.com', type: 'A', ttl: 5, records: [] })] });
    const empty = store.resolve('api.example.com', 'A');
    assert.equal(empty.rcode, 'NOERROR');
    assert.equal(empty.answers.length, 0);
    assert.equal(empty.negative, true);
    store.apply('example.com', {
      changes: [
        { action: 'DELETE', recordSet: { name: 'api.example.com', type: 'A', ttl: 5, records: [] } },
        { action: 'DELETE', recordSet: { name: 'api.example.com', type: 'AAAA', ttl: 5, records: [] } },
      ],
    });
    // www is a CNAME to api: the chain now ends in NXDOMAIN (RFC 6604: the rcode of the last name).
    assert.equal(store.resolve('api.example.com', 'A').rcode, 'NXDOMAIN');
    assert.equal(store.resolve('www.example.com', 'A').rcode, 'NXDOMAIN');
  });

  it('refuses a stale expectedVersion with the current version', () => {
    const store = new ZoneStore([zone]);
    store.apply('example.com', { changes: [upsert({ name: 'x.example.com', type: 'A', ttl: 1, records: [] })] });
    assert.throws(
      () =>
        store.apply('example.com', {
          expectedVersion: 1,
          changes: [upsert({ name: 'y.example.com', type: 'A', ttl: 1, records: [] })],
        }),
      (e) => isFailsmallError(e, 'FS_ERR_CHAOS_VERSION_CONFLICT') && e.details?.['currentVersion'] === 2,
    );
    assert.equal(store.version('example.com'), 2);
  });

  it('rejects invalid batches naming the field, leaving the zone untouched', () => {
    const store = new ZoneStore([zone]);
    const cases: [unknown, RegExp][] = [
      [{ changes: [] }, /changes: expected at least one change/],
      [{ changes: [{ action: 'PATCH', recordSet: {} }] }, /changes\[0\]\.action/],
      [
        { changes: [upsert({ name: 'a.example.com', type: 'A', ttl: -1, records: [] })] },
        /changes\[0\]\.recordSet\.ttl/,
      ],
      [
        { changes: [upsert({ name: 'a.example.com', type: 'A', ttl: 1, records: [{ value: '::1' }] })] },
        /changes\[0\]\.recordSet\.records\[0\]\.value: expected an IPv4 address/,
      ],
      [
        { changes: [upsert({ name: 'a.example.com', type: 'AAAA', ttl: 1, records: [{ value: '1.2.3.4' }] })] },
        /records\[0\]\.value: expected an IPv6 address/,
      ],
      [{ changes: [upsert({ name: 'bad_name!.example.com', type: 'A', ttl: 1, records: [] })] }, /recordSet\.name/],
      [{ changes: [upsert({ name: 'a.other.com', type: 'A', ttl: 1, records: [] })] }, /is not in zone/],
      [
        { changes: [{ action: 'DELETE', recordSet: { name: 'none.example.com', type: 'A', ttl: 1, records: [] } }] },
        /changes\[0\]\.recordSet: no A record set/,
      ],
      [
        { changes: [upsert({ name: 'api.example.com', type: 'CNAME', ttl: 1, records: [{ value: 'x.org' }] })] },
        /CNAME cannot share/,
      ],
      [
        {
          changes: [
            upsert({ name: 'c.example.com', type: 'CNAME', ttl: 1, records: [{ value: 'a.org' }, { value: 'b.org' }] }),
          ],
        },
        /at most one record/,
      ],
      [
        {
          changes: [upsert({ name: 'c.example.com', type: 'SOA', ttl: 1, records: [{ value: 'a b 1 2 3 4 5' }] })],
        },
        /belongs at the zone apex/,
      ],
      [
        { changes: [upsert({ name: 'example.com', type: 'SOA', ttl: 1, records: [{ value: 'a b c' }] })] },
        /records\[0\]\.value: expected "mname rname serial/,
      ],
      [
        { changes: [upsert({ name: 't.example.com', type: 'TXT', ttl: 1, records: [{ value: 'x'.repeat(4001) }] })] },
        /at most 4000 bytes/,
      ],
      [
        { changes: [{ action: 'UPSERT', recordSet: { name: 'a.example.com', type: 'MX', ttl: 1, records: [] } }] },
        /recordSet\.type: expected one of A, AAAA/,
      ],
      [
        {
          changes: [upsert({ name: 'a.example.com', type: 'A', ttl: 1, records: [{ value: '1.2.3.4', weight: 256 }] })],
        },
        /weight/,
      ],
      [{ changes: [], extra: 1 }, /extra|Unrecognized/],
      [{ expectedVersion: 'one', changes: [] }, /expectedVersion/],
      ['nonsense', /expected object|Invalid input/],
    ];
    for (const [batch, message] of cases) {
      assert.throws(
        () => store.apply('example.com', batch),
        (e) => isFailsmallError(e, 'FS_ERR_CHAOS_INVALID_CHANGE') && message.test(e.message),
        `${JSON.stringify(batch).slice(0, 120)} should fail with ${message}`,
      );
    }
    assert.equal(store.version('example.com'), 1);
    assert.throws(() => store.apply('nope.com', { changes: [] }), code('FS_ERR_CHAOS_ZONE_NOT_FOUND'));
  });

  it('rejects invalid zone definitions naming the field', () => {
    assert.throws(() => new ZoneStore([zone, zone]), /zones\[1\]\.name: zone "example\.com" is defined twice/);
    assert.throws(
      () => new ZoneStore([{ name: 'x.com', records: [{ name: 'y.com', type: 'A', ttl: 1, records: [] }] }]),
      (e) => isFailsmallError(e, 'FS_ERR_CHAOS_INVALID_ZONE') && /zones\[0\]\.records\[0\]\.name/.test(e.message),
    );
    assert.throws(() => new ZoneStore([{ name: '', records: [] }]), code('FS_ERR_CHAOS_INVALID_ZONE'));
    assert.throws(
      () =>
        new ZoneStore([
          {
            name: 'x.com',
            records: [
              { name: 'a.x.com', type: 'A', ttl: 1, records: [] },
              { name: 'a.x.com', type: 'A', ttl: 1, records: [] },
            ],
          },
        ]),
      /zones\[0\]\.records\[1\]: a second A record set/,
    );
  });

  it('is all or nothing, checked against an oracle; both outcomes occur (property)', () => {
    const names = ['a', 'b', 'c', 'd'].map((n) => `${n}.example.com`);
    const change = fc.record({
      action: fc.constantFrom('UPSERT' as const, 'DELETE' as const),
      name: fc.constantFrom(...names),
      type: fc.constantFrom('A' as const, 'TXT' as const, 'CNAME' as const),
      value: fc.constantFrom('127.0.0.1', 'hello', 'target.example.com', 'not-an-ip!'),
    });
    type Model = Map<string, Map<string, string>>;
    /** The oracle: the zone after the batch, or undefined when the batch must be refused as a whole. */
    const oracle = (model: Model, batch: { action: string; name: string; type: RecordType; value: string }[]) => {
      const next: Model = new Map([...model].map(([n, byType]) => [n, new Map(byType)]));
      for (const c of batch) {
        const checked = checkValue(c.type, c.value);
        if ('error' in checked) return undefined;
        const byType = next.get(c.name) ?? new Map<string, string>();
        if (c.action === 'UPSERT') byType.set(c.type, checked.value);
        else if (!byType.delete(c.type)) return undefined;
        if (byType.size === 0) next.delete(c.name);
        else next.set(c.name, byType);
      }
      for (const c of batch) {
        const byType = next.get(c.name);
        if (byType?.has('CNAME') === true && byType.size > 1) return undefined; // RFC 1034 §3.6.2
      }
      return next;
    };
    const contents = (store: ZoneStore): Model => {
      const out: Model = new Map();
      for (const set of store.get('example.com')!.records) {
        const byType = out.get(set.name) ?? new Map<string, string>();
        byType.set(set.type, set.records[0]!.value);
        out.set(set.name, byType);
      }
      return out;
    };
    let applied = 0;
    let refused = 0;
    fc.assert(
      fc.property(fc.array(fc.array(change, { minLength: 1, maxLength: 5 }), { maxLength: 8 }), (batches) => {
        const store = new ZoneStore([{ name: 'example.com' }]);
        let model: Model = new Map();
        for (const batch of batches) {
          const expected = oracle(model, batch);
          const version = store.version('example.com')!;
          try {
            const result = store.apply('example.com', {
              changes: batch.map((c) => ({
                action: c.action,
                recordSet: { name: c.name, type: c.type, ttl: 1, records: [{ value: c.value }] },
              })),
            });
            assert.notEqual(expected, undefined, `applied a batch the oracle refuses: ${JSON.stringify(batch)}`);
            assert.equal(result.version, version + 1);
            model = expected!;
            applied++;
          } catch (error) {
            assert.ok(isFailsmallError(error, 'FS_ERR_CHAOS_INVALID_CHANGE'), String(error));
            assert.equal(expected, undefined, `refused a batch the oracle applies: ${JSON.stringify(batch)}`);
            assert.equal(store.version('example.com'), version);
            refused++;
          }
          assert.deepEqual(contents(store), model);
        }
      }),
      { numRuns: 200, seed: 20261201 },
    );
    assert.ok(applied > 50 && refused > 50, `applied ${applied}, refused ${refused}: both outcomes must be exercised`);
  });

  it('bumps an explicit SOA serial on every batch that does not set the SOA itself (RFC 1982 wrap)', () => {
    const soa = (serial: number) => `ns.z.test admin.z.test ${serial} 3600 600 86400 30`;
    const store = new ZoneStore([
      { name: 'z.test', records: [{ name: 'z.test', type: 'SOA', ttl: 900, records: [{ value: soa(4294967295) }] }] },
    ]);
    const serial = () => store.resolve('z.test', 'SOA').answers[0]!.records[0]!.value;
    store.apply('z.test', {
      changes: [upsert({ name: 'a.z.test', type: 'A', ttl: 1, records: [{ value: '127.0.0.1' }] })],
    });
    assert.equal(serial(), soa(0));
    store.apply('z.test', {
      changes: [upsert({ name: 'a.z.test', type: 'A', ttl: 1, records: [{ value: '127.0.0.2' }] })],
    });
    assert.equal(serial(), soa(1));
    store.apply('z.test', {
      changes: [upsert({ name: 'z.test', type: 'SOA', ttl: 900, records: [{ value: soa(100) }] })],
    });
    assert.equal(serial(), soa(100), 'a batch that sets the SOA keeps its serial');
  });

  it('gives every concurrent writer with the same expectedVersion exactly one winner (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 10 }), (writers) => {
        const store = new ZoneStore([{ name: 'example.com' }]);
        let wins = 0;
        for (let w = 0; w < writers; w++) {
          try {
            store.apply('example.com', {
              expectedVersion: 1,
              changes: [upsert({ name: 'p.example.com', type: 'A', ttl: 1, records: [{ value: `127.0.0.${w + 1}` }] })],
            });
            wins++;
          } catch (error) {
            assert.ok(isFailsmallError(error, 'FS_ERR_CHAOS_VERSION_CONFLICT'));
          }
        }
        assert.equal(wins, 1);
      }),
    );
  });
});
