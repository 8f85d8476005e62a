import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import { startFaultDnsServer, type FaultDnsServer } from './fault-dns-server.js';
import { probe } from './probe.js';

interface ApiError {
  error: { code: string; message: string; currentVersion?: number };
}

describe('control API', () => {
  let server: FaultDnsServer;
  let clock: VirtualClock;
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const res = await fetch(`${server.apiUrl}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : {
            body: typeof body === 'string' ? body : JSON.stringify(body),
            headers: { 'content-type': 'application/json' },
          }),
    });
    return { status: res.status, json: await res.json() };
  };
  const fails = async (method: string, path: string, body: unknown, status: number, code: string, message?: RegExp) => {
    const { status: got, json } = await call(method, path, body);
    const error = (json as ApiError).error;
    assert.equal(got, status, `${method} ${path}: ${JSON.stringify(json)}`);
    assert.equal(error.code, code);
    if (message !== undefined) assert.match(error.message, message);
    return error;
  };

  before(async () => {
    clock = new VirtualClock(1_760_946_480_000); // 2025-10-20 06:48 UTC (23:48 PDT)
    server = await startFaultDnsServer({
      clock,
      random: seededRandom(5),
      zones: [
        {
          name: 'amazonaws.com',
          records: [
            { name: 'dynamodb.us-east-1.amazonaws.com', type: 'A', ttl: 5, records: [{ value: '127.0.0.10' }] },
          ],
        },
        { name: 'example.org' },
      ],
    });
  });
  after(() => server.close());

  it('lists zones and returns one with its records and version', async () => {
    assert.deepEqual((await call('GET', '/v1/zones')).json, {
      zones: [
        { name: 'amazonaws.com', version: 1 },
        { name: 'example.org', version: 1 },
      ],
    });
    assert.deepEqual((await call('GET', '/v1/zones/AMAZONAWS.com.')).json, {
      name: 'amazonaws.com',
      version: 1,
      records: [{ name: 'dynamodb.us-east-1.amazonaws.com', type: 'A', ttl: 5, records: [{ value: '127.0.0.10' }] }],
    });
    await fails('GET', '/v1/zones/nope.com', undefined, 404, 'FS_ERR_CHAOS_ZONE_NOT_FOUND');
  });

  it('applies change batches atomically, conditional on the version, and audits them', async () => {
    const name = 'dynamodb.us-east-1.amazonaws.com';
    const ok = await call('POST', '/v1/zones/amazonaws.com/changes', {
      expectedVersion: 1,
      comment: 'plan 101',
      changes: [
        {
          action: 'UPSERT',
          recordSet: {
            name,
            type: 'A',
            ttl: 5,
            records: [{ value: '127.0.0.11', weight: 2 }, { value: '127.0.0.12' }],
          },
        },
        { action: 'UPSERT', recordSet: { name, type: 'AAAA', ttl: 5, records: [{ value: '::1' }] } },
      ],
    });
    assert.deepEqual(ok, { status: 200, json: { version: 2 } });
    const conflict = await fails(
      'POST',
      '/v1/zones/amazonaws.com/changes',
      { expectedVersion: 1, changes: [{ action: 'DELETE', recordSet: { name, type: 'A', ttl: 5, records: [] } }] },
      409,
      'FS_ERR_CHAOS_VERSION_CONFLICT',
    );
    assert.equal(conflict.currentVersion, 2);
    // One bad change spoils the batch: nothing applied.
    await fails(
      'POST',
      '/v1/zones/amazonaws.com/changes',
      {
        changes: [
          { action: 'DELETE', recordSet: { name, type: 'A', ttl: 5, records: [] } },
          { action: 'UPSERT', recordSet: { name: 'x.amazonaws.com', type: 'A', ttl: 5, records: [{ value: 'nope' }] } },
        ],
      },
      400,
      'FS_ERR_CHAOS_INVALID_CHANGE',
      /changes\[1\]\.recordSet\.records\[0\]\.value: expected an IPv4 address/,
    );
    assert.equal((await probe(server.dnsAddress, server.dnsPort, name)).answers.length, 2);
    // The lie: NOERROR with an empty answer.
    assert.equal(
      (
        await call('POST', '/v1/zones/amazonaws.com/changes', {
          expectedVersion: 2,
          changes: [{ action: 'UPSERT', recordSet: { name, type: 'A', ttl: 5, records: [] } }],
        })
      ).status,
      200,
    );
    const empty = await probe(server.dnsAddress, server.dnsPort, name);
    assert.equal(empty.rcode, 'NOERROR');
    assert.equal(empty.answers.length, 0);
    const audit = (await call('GET', '/v1/audit?limit=10')).json as {
      entries: { kind: string; version?: number; comment?: string }[];
    };
    assert.deepEqual(
      audit.entries.map((e) => [e.kind, e.version, e.comment]),
      [
        ['zone-change', 2, 'plan 101'],
        ['zone-change', 3, undefined],
      ],
    );
  });

  it('publishes every change on failsmall:chaos:change', async () => {
    const seen: { kind: string }[] = [];
    const listener = (message: unknown): void => void seen.push(message as { kind: string });
    diagnostics.subscribe('failsmall:chaos:change', listener);
    try {
      await call('POST', '/v1/faults', { id: 'watched', name: 'x.example.org', action: 'drop' });
      await call('DELETE', '/v1/faults/watched');
    } finally {
      diagnostics.unsubscribe('failsmall:chaos:change', listener);
    }
    assert.deepEqual(
      seen.map((e) => e.kind),
      ['fault-add', 'fault-remove'],
    );
  });

  it('rejects bad requests naming the field', async () => {
    const path = '/v1/zones/amazonaws.com/changes';
    await fails('POST', path, '{"changes": [', 400, 'FS_ERR_CHAOS_INVALID_REQUEST', /not valid JSON/);
    await fails('POST', path, '', 400, 'FS_ERR_CHAOS_INVALID_REQUEST', /Expected a JSON body/);
    await fails(
      'POST',
      path,
      { changes: [{ action: 'UPSERT' }] },
      400,
      'FS_ERR_CHAOS_INVALID_CHANGE',
      /changes\[0\]\.recordSet/,
    );
    await fails(
      'POST',
      path,
      { expectedVersion: -1, changes: [] },
      400,
      'FS_ERR_CHAOS_INVALID_CHANGE',
      /expectedVersion/,
    );
    await fails('POST', '/v1/zones/nope.com/changes', { changes: [] }, 404, 'FS_ERR_CHAOS_ZONE_NOT_FOUND');
    await fails('POST', '/v1/faults', { name: 'x', action: 'delay' }, 400, 'FS_ERR_CHAOS_INVALID_FAULT', /^delayMs: /);
    await fails(
      'POST',
      '/v1/faults',
      { name: 'x', action: 'empty', probability: 'often' },
      400,
      'FS_ERR_CHAOS_INVALID_FAULT',
      /^probability: /,
    );
    await fails('GET', '/v1/log?limit=0', undefined, 400, 'FS_ERR_CHAOS_INVALID_REQUEST', /limit: expected an integer/);
    await fails('GET', '/v1/metrics?top=x', undefined, 400, 'FS_ERR_CHAOS_INVALID_REQUEST', /top/);
    await fails('GET', '/v1/nothing', undefined, 404, 'FS_ERR_CHAOS_NOT_FOUND');
    await fails('GET', '/v2/zones', undefined, 404, 'FS_ERR_CHAOS_NOT_FOUND');
    await fails('PUT', '/v1/zones', {}, 405, 'FS_ERR_CHAOS_METHOD_NOT_ALLOWED');
    await fails('GET', '/v1/zones/amazonaws.com/changes', undefined, 405, 'FS_ERR_CHAOS_METHOD_NOT_ALLOWED');
    await fails('DELETE', '/v1/faults/nope', undefined, 404, 'FS_ERR_CHAOS_FAULT_NOT_FOUND');
    const big = JSON.stringify({ changes: [], comment: 'x'.repeat(2 << 20) });
    await fails('POST', path, big, 413, 'FS_ERR_CHAOS_BODY_TOO_LARGE');
  });

  it('adds, lists, gets, removes and clears faults, with windows on the server clock', async () => {
    const name = 'dynamodb.us-east-1.amazonaws.com';
    const created = await call('POST', '/v1/faults', {
      name: 'dynamodb.*',
      type: 'AAAA',
      action: 'nxdomain',
      durationMs: 60_000,
    });
    assert.equal(created.status, 201);
    const rule = created.json as { id: string; until: number | null; from: number | null; types: string[] };
    assert.equal(rule.id, 'f1');
    assert.equal(rule.from, null);
    assert.equal(rule.until, clock.now() + 60_000);
    await call('POST', '/v1/faults', { id: 'slow', name: '*', action: 'servfail', probability: 0 });
    const listed = (await call('GET', '/v1/faults')).json as { faults: { id: string; active: boolean }[] };
    assert.deepEqual(
      listed.faults.map((f) => [f.id, f.active]),
      [
        ['f1', true],
        ['slow', true],
      ],
    );
    assert.equal(((await call('GET', '/v1/faults/slow')).json as { id: string }).id, 'slow');
    assert.equal((await probe(server.dnsAddress, server.dnsPort, name, { type: 'AAAA' })).rcode, 'NXDOMAIN');
    await clock.advance(60_000);
    assert.equal((await probe(server.dnsAddress, server.dnsPort, name, { type: 'AAAA' })).rcode, 'NOERROR');
    assert.deepEqual(((await call('DELETE', '/v1/faults/f1')).json as { removed: { id: string } }).removed.id, 'f1');
    assert.deepEqual((await call('DELETE', '/v1/faults')).json, { removed: 1 });
    assert.deepEqual((await call('GET', '/v1/faults')).json, { faults: [] });
    await fails('POST', '/v1/faults', { id: 'dup', name: 'a', action: 'drop' }, 201, 'x').catch(() => undefined);
    await fails('POST', '/v1/faults', { id: 'dup', name: 'a', action: 'drop' }, 409, 'FS_ERR_CHAOS_FAULT_EXISTS');
    await call('DELETE', '/v1/faults');
    const audit = (await call('GET', '/v1/audit')).json as { entries: { kind: string }[] };
    assert.deepEqual(
      audit.entries.map((e) => e.kind).filter((k) => k.startsWith('fault')),
      [
        'fault-add',
        'fault-remove',
        'fault-add',
        'fault-add',
        'fault-remove',
        'fault-clear',
        'fault-add',
        'fault-clear',
      ],
    );
  });

  it('reports metrics per name, rcode and fault, and the query log', async () => {
    await call('DELETE', '/v1/metrics');
    await call('DELETE', '/v1/log');
    const name = 'dynamodb.us-east-1.amazonaws.com';
    await call('POST', '/v1/faults', { id: 'storm', name, type: 'A', action: 'servfail' });
    for (let i = 0; i < 20; i++) await probe(server.dnsAddress, server.dnsPort, name);
    for (let i = 0; i < 5; i++)
      await probe(server.dnsAddress, server.dnsPort, 'gone.example.org', { transport: 'tcp' });
    await call('DELETE', '/v1/faults');
    const metrics = (await call('GET', '/v1/metrics?top=1')).json as {
      queries: number;
      qps: number;
      tcp: number;
      byRcode: Record<string, number>;
      byFault: Record<string, number>;
      byAction: Record<string, number>;
      names: { name: string; total: number; qps: number }[];
      series: { t: number; queries: number }[];
      server: Record<string, number>;
    };
    assert.deepEqual([metrics.queries, metrics.byRcode], [25, { SERVFAIL: 20, NXDOMAIN: 5 }]);
    assert.equal(metrics.tcp, 5);
    assert.deepEqual(metrics.byRcode, { SERVFAIL: 20, NXDOMAIN: 5 });
    assert.deepEqual(metrics.byFault, { storm: 20 });
    assert.deepEqual(metrics.byAction, { servfail: 20 });
    assert.deepEqual(metrics.names, [{ name, total: 20, qps: 2, lastSecond: 0 }]);
    assert.equal(metrics.series.at(-1)!.queries, 25);
    assert.equal(metrics.server['internalErrors'], 0);
    const log = (await call('GET', '/v1/log?limit=3')).json as {
      total: number;
      entries: { name: string; rcode: string; transport: string }[];
    };
    assert.equal(log.total, 25);
    assert.deepEqual(
      log.entries.map((e) => [e.name, e.rcode, e.transport]),
      Array(3).fill(['gone.example.org', 'NXDOMAIN', 'tcp']),
    );
    const filtered = (await call('GET', `/v1/log?name=${name}`)).json as { entries: { fault: string }[] };
    assert.equal(filtered.entries.length, 20);
    assert.equal(filtered.entries[0]!.fault, 'storm');
    assert.deepEqual((await call('GET', '/v1/health')).json, { ok: true });
  });
});
