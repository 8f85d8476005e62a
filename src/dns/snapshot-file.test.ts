import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import { Resolver, type DnsEvent } from './resolver.js';
import { encodeSnapshot, readSnapshotFile, writeSnapshotFile, type SnapshotRecord } from './snapshot-file.js';
import { startTestDnsServer } from './test-server.js';

const dir = mkdtempSync(join(tmpdir(), 'failsmall-dns-snapshot-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => join(dir, `snap-${++n}.json`);

const record: SnapshotRecord = {
  name: 'api.test',
  family: 4,
  addresses: [{ address: '10.0.0.1', family: 4 }],
  ttl: 60,
  receivedAt: 1_000,
};

describe('snapshot file', () => {
  it('round-trips, atomically, leaving no temporary file', async () => {
    const path = file();
    await writeSnapshotFile(path, encodeSnapshot([record], 2_000));
    assert.deepEqual(readSnapshotFile(path, { now: 5_000 }), { records: [record], problem: undefined, skipped: 0 });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('ignores a missing file silently, and garbage, foreign or oversized files with a reason', () => {
    assert.deepEqual(readSnapshotFile(join(dir, 'absent.json'), { now: 0 }), {
      records: [],
      problem: undefined,
      skipped: 0,
    });
    const cases: [string, string | Buffer, RegExp][] = [
      ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37]), /not valid JSON/],
      ['json array', '[1,2,3]', /not a failsmall DNS snapshot/],
      ['other format', JSON.stringify({ format: 'x', version: 1, entries: [] }), /not a failsmall/],
      ['future version', JSON.stringify({ format: 'failsmall-dns-snapshot', version: 2, entries: [] }), /version 1/],
      ['null', 'null', /not a snapshot/],
    ];
    for (const [label, content, problem] of cases) {
      const path = file();
      writeFileSync(path, content);
      const read = readSnapshotFile(path, { now: 0 });
      assert.deepEqual(read.records, [], label);
      assert.match(read.problem ?? '', problem, label);
    }
    const big = file();
    writeFileSync(big, encodeSnapshot([record], 0));
    assert.match(readSnapshotFile(big, { now: 0, maxBytes: 10 }).problem ?? '', /larger than 10 bytes/);
    assert.match(readSnapshotFile(dir, { now: 0 }).problem ?? '', /cannot be read/);
  });

  it('validates every entry and keeps only the good ones', () => {
    const path = file();
    const bad = [
      { ...record, name: 'Bad..Name' },
      { ...record, name: 'UPPER.test' },
      { ...record, family: 5 },
      { ...record, ttl: -1 },
      { ...record, ttl: 1e9 },
      { ...record, receivedAt: 'yesterday' },
      { ...record, addresses: [] },
      { ...record, addresses: [{ address: '999.1.1.1', family: 4 }] },
      { ...record, addresses: [{ address: 'fd00::1', family: 4 }] },
      { ...record, family: 6 },
      { ...record, addresses: 'x' },
      null,
      42,
    ];
    writeFileSync(
      path,
      JSON.stringify({ format: 'failsmall-dns-snapshot', version: 1, savedAt: 0, entries: [record, ...bad] }),
    );
    const read = readSnapshotFile(path, { now: 0 });
    assert.equal(read.records.length, 1);
    assert.equal(read.skipped, bad.length);
    assert.equal(read.records[0]!.receivedAt, 0, 'a time in the future is clamped to now');
  });

  it('never throws, whatever the file holds (property)', () => {
    const path = file();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ format: 'failsmall-dns-snapshot', version: 1, entries: [v, v] })),
        ),
        (content) => {
          writeFileSync(path, content);
          const read = readSnapshotFile(path, { now: 0 });
          return Array.isArray(read.records);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('Resolver snapshotFile', () => {
  it('persists last-known-good sets and serves them after a restart during an outage', async () => {
    const server = await startTestDnsServer({ zone: { 'db.test': { A: ['10.8.0.1', '10.8.0.2'], ttl: 30 } } });
    const path = file();
    const clock = new VirtualClock(1_000_000);
    try {
      const first = new Resolver({ upstreams: [server.server], clock, snapshotFile: path, snapshotDebounce: 500 });
      const saved: DnsEvent[] = [];
      first.events.on((e) => saved.push(e));
      await first.resolve('db.test', { family: 4 });
      assert.equal(existsSync(path), false, 'debounced');
      await clock.advance(500);
      await first.flushSnapshot();
      assert.ok(saved.some((e) => e.type === 'snapshot-saved' && e.entries === 1));
      const onDisk = JSON.parse(readFileSync(path, 'utf8')) as { entries: SnapshotRecord[] };
      assert.deepEqual(
        onDisk.entries[0]?.addresses.map((a) => a.address),
        ['10.8.0.1', '10.8.0.2'],
      );
      await first.close();

      // The process restarts while the record is empty.
      server.behave('db.test', 'empty');
      await clock.advance(60_000);
      const second = new Resolver({
        upstreams: [server.server],
        clock,
        snapshotFile: path,
        guard: { confirmations: 0 },
      });
      const events: DnsEvent[] = [];
      second.events.on((e) => events.push(e));
      await new Promise((resolve) => process.nextTick(resolve));
      assert.ok(events.some((e) => e.type === 'snapshot-loaded' && e.entries === 1));
      const answer = await second.resolve('db.test', { family: 4 });
      assert.equal(answer.source, 'last-known-good');
      assert.deepEqual(
        answer.addresses.map((a) => a.address),
        ['10.8.0.1', '10.8.0.2'],
      );
      await second.close();

      // …or while the upstream fails: the snapshot is served stale.
      server.behave('db.test', 'servfail');
      const third = new Resolver({ upstreams: [server.server], clock, snapshotFile: path });
      assert.equal((await third.resolve('db.test', { family: 4 })).source, 'stale');
      await third.close();
    } finally {
      await server.close();
    }
  });

  it('starts normally, with an event, from a corrupt snapshot file', async () => {
    const path = file();
    writeFileSync(path, '{"format":"failsmall-dns-snapshot","version":1,"entries":[{"name":');
    const resolver = new Resolver({ upstreams: ['127.0.0.1:9'], snapshotFile: path, clock: new VirtualClock() });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    await new Promise((resolve) => process.nextTick(resolve));
    assert.deepEqual(
      events.map((e) => e.type === 'snapshot-ignored' && e.code),
      ['FS_ERR_DNS_SNAPSHOT'],
    );
    assert.equal(resolver.snapshot().entries, 0);
    await resolver.close();
  });

  it('reports a failed write as an event, not an exception', async () => {
    const server = await startTestDnsServer({ zone: { 'w.test': { A: ['10.8.1.1'] } } });
    const resolver = new Resolver({
      upstreams: [server.server],
      snapshotFile: join(dir, 'no-such-dir', 'snap.json'),
      clock: new VirtualClock(),
    });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    try {
      await resolver.resolve('w.test', { family: 4 });
      await resolver.flushSnapshot();
      assert.ok(events.some((e) => e.type === 'snapshot-error' && e.code === 'FS_ERR_DNS_SNAPSHOT'));
    } finally {
      await resolver.close();
      await server.close();
    }
  });
});
