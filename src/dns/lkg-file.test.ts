import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import type { DnsEvent } from './resolver/events.js';
import { Resolver } from './resolver/resolver.js';
import { defaultLkgLimits, encodeLkg, readLkgFile, writeLkgFile, type LkgRecord } from './lkg-file.js';
import type { ResolverOptions } from './resolver/options.js';
import { startDnsFixture, type DnsFixture, type FixtureRecord } from '../test-support/dns-server.js';

const dir = mkdtempSync(join(tmpdir(), 'failsmall-dns-lkg-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = (): string => join(dir, `lkg-${++n}.json`);

const record: LkgRecord = {
  name: 'api.test',
  family: 4,
  addresses: [{ address: '10.0.0.1', family: 4 }],
  ttl: 60,
  confirmedAt: 1_000,
};

describe('last-known-good file', () => {
  it('round-trips, atomically, leaving no temporary file', async () => {
    const path = file();
    await writeLkgFile(path, encodeLkg([record], 2_000).text);
    assert.deepEqual(readLkgFile(path, 5_000), { records: [record], problem: undefined, skipped: 0 });
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });

  it('ignores a missing file silently, and garbage, foreign or oversized files with a reason', () => {
    assert.deepEqual(readLkgFile(join(dir, 'absent.json'), 0), {
      records: [],
      problem: undefined,
      skipped: 0,
    });
    const cases: [string, string | Buffer, RegExp][] = [
      ['garbage', Buffer.from([0xff, 0x00, 0x13, 0x37]), /not valid JSON/],
      ['json array', '[1,2,3]', /not a failsmall DNS last-known-good file/],
      ['other format', JSON.stringify({ format: 'x', version: 2, entries: [] }), /not a failsmall/],
      ['future version', JSON.stringify({ format: 'failsmall-dns-lkg', version: 3, entries: [] }), /version 2/],
      ['null', 'null', /not a last-known-good file/],
    ];
    for (const [label, content, problem] of cases) {
      const path = file();
      writeFileSync(path, content);
      const read = readLkgFile(path, 0);
      assert.deepEqual(read.records, [], label);
      assert.match(read.problem ?? '', problem, label);
    }
    const big = file();
    writeFileSync(big, encodeLkg([record], 0).text);
    assert.match(readLkgFile(big, 0, { ...defaultLkgLimits, maxBytes: 10 }).problem ?? '', /larger than 10 bytes/);
    assert.match(readLkgFile(dir, 0).problem ?? '', /cannot be read/);
  });

  it('validates every entry and keeps only the good ones', () => {
    const path = file();
    const bad = [
      { ...record, name: 'Bad..Name' },
      { ...record, name: 'UPPER.test' },
      { ...record, family: 5 },
      { ...record, ttl: -1 },
      { ...record, ttl: 1e9 },
      { ...record, confirmedAt: 'yesterday' },
      { ...record, heldSince: 5 },
      { ...record, heldSince: 'x', heldReason: 'empty' },
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
      JSON.stringify({ format: 'failsmall-dns-lkg', version: 2, savedAt: 0, entries: [record, ...bad] }),
    );
    const read = readLkgFile(path, 0);
    assert.equal(read.records.length, 1);
    assert.equal(read.skipped, bad.length);
    assert.equal(read.records[0]!.confirmedAt, 0, 'a time in the future is clamped to now');
  });

  it('still reads a version 1 file (failsmall-dns-snapshot, receivedAt)', () => {
    const path = file();
    const { confirmedAt, ...rest } = record;
    writeFileSync(
      path,
      JSON.stringify({
        format: 'failsmall-dns-snapshot',
        version: 1,
        savedAt: 0,
        entries: [{ ...rest, receivedAt: confirmedAt }],
      }),
    );
    assert.deepEqual(readLkgFile(path, 5_000).records, [record]);
  });

  it('writes within the limits it reads with: what is written is read back', () => {
    const path = file();
    const many = Array.from({ length: 300 }, (_, i) => ({ address: `10.9.${i >> 8}.${i & 255}`, family: 4 as const }));
    const limits = { maxBytes: 4_000, maxEntries: 3, maxAddresses: 100 };
    const records: LkgRecord[] = [
      { ...record, name: 'many.test', addresses: many },
      ...['a', 'b', 'c', 'd'].map((n) => ({ ...record, name: `${n}.test` })),
    ];
    const encoded = encodeLkg(records, 0, limits);
    writeFileSync(path, encoded.text);
    assert.ok(Buffer.byteLength(encoded.text) <= limits.maxBytes);
    const read = readLkgFile(path, 0, limits);
    assert.equal(read.problem, undefined);
    assert.equal(read.records.length, encoded.entries);
    assert.equal(encoded.entries + encoded.omitted, records.length);
    assert.equal(read.records[0]!.addresses.length, 100, 'a larger set is written with its first maxAddresses');
  });

  it('never throws, whatever the file holds (property)', () => {
    const path = file();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.string(),
          fc.jsonValue().map((v) => JSON.stringify({ format: 'failsmall-dns-lkg', version: 2, entries: [v, v] })),
        ),
        (content) => {
          writeFileSync(path, content);
          const read = readLkgFile(path, 0);
          return Array.isArray(read.records);
        },
      ),
      { numRuns: 200 },
    );
  });
});

/** Runs `fn` with an upstream serving `zone`, a fresh file path and a virtual clock; closes the upstream after. */
async function withUpstream(
  zone: Record<string, FixtureRecord>,
  fn: (t: { server: DnsFixture; path: string; clock: VirtualClock }) => Promise<void>,
): Promise<void> {
  const server = await startDnsFixture({ zone });
  try {
    await fn({ server, path: file(), clock: new VirtualClock(1_000_000) });
  } finally {
    await server.close();
  }
}

/** A resolver and every event it emits from construction on, once it has read its file (on the next tick). */
async function started(options: ResolverOptions): Promise<{ resolver: Resolver; events: DnsEvent[] }> {
  const resolver = new Resolver(options);
  const events: DnsEvent[] = [];
  resolver.events.on((e) => events.push(e));
  await new Promise((resolve) => process.nextTick(resolve));
  return { resolver, events };
}

describe('Resolver lkgFile', () => {
  it('persists last-known-good sets and serves them after a restart during an outage', async () => {
    await withUpstream({ 'db.test': { A: ['10.8.0.1', '10.8.0.2'], ttl: 30 } }, async ({ server, path, clock }) => {
      const first = new Resolver({ upstreams: [server.server], clock, lkgFile: path, lkgDebounce: 500 });
      const saved: DnsEvent[] = [];
      first.events.on((e) => saved.push(e));
      await first.resolve('db.test', { family: 4 });
      assert.equal(existsSync(path), false, 'debounced');
      await clock.advance(500);
      await first.flushLkgFile();
      assert.ok(saved.some((e) => e.type === 'lkg-saved' && e.entries === 1));
      const onDisk = JSON.parse(readFileSync(path, 'utf8')) as { entries: LkgRecord[] };
      assert.deepEqual(
        onDisk.entries[0]?.addresses.map((a) => a.address),
        ['10.8.0.1', '10.8.0.2'],
      );
      await first.close();

      // The process restarts while the record is empty.
      server.behave('db.test', 'empty');
      await clock.advance(60_000);
      const { resolver: second, events } = await started({
        upstreams: [server.server],
        clock,
        lkgFile: path,
        guard: { confirmations: 0 },
      });
      assert.ok(events.some((e) => e.type === 'lkg-loaded' && e.entries === 1));
      const answer = await second.resolve('db.test', { family: 4 });
      assert.equal(answer.source, 'last-known-good');
      assert.deepEqual(
        answer.addresses.map((a) => a.address),
        ['10.8.0.1', '10.8.0.2'],
      );
      await second.close();

      // …or while the upstream fails: the set, still held when the file was written, is served as last-known-good.
      server.behave('db.test', 'servfail');
      const third = new Resolver({ upstreams: [server.server], clock, lkgFile: path });
      assert.equal((await third.resolve('db.test', { family: 4 })).source, 'last-known-good');
      await third.close();
      // A set that was never held is served stale when the upstream fails.
      server.behave('db.test', 'answer');
      const fourth = new Resolver({ upstreams: [server.server], clock, lkgFile: path, lkgDebounce: 0 });
      await clock.advance(31_000);
      assert.equal((await fourth.resolve('db.test', { family: 4 })).source, 'fresh');
      await fourth.flushLkgFile();
      await fourth.close();
      server.behave('db.test', 'servfail');
      await clock.advance(31_000);
      const third2 = new Resolver({ upstreams: [server.server], clock, lkgFile: path });
      assert.equal((await third2.resolve('db.test', { family: 4 })).source, 'stale');
      await third2.close();
    });
  });

  it('reads back a set of more than 64 addresses that it wrote itself', async () => {
    const many = Array.from({ length: 100 }, (_, i) => `10.20.0.${i + 1}`);
    await withUpstream({ 'big.test': { A: many, ttl: 30 } }, async ({ server, path, clock }) => {
      const first = new Resolver({ upstreams: [server.server], clock, lkgFile: path });
      assert.equal((await first.resolve('big.test', { family: 4 })).addresses.length, 100);
      await first.close(); // writes the pending file
      server.behave('big.test', 'servfail');
      await clock.advance(60_000);
      const { resolver: second, events } = await started({ upstreams: [server.server], clock, lkgFile: path });
      assert.deepEqual(
        events.map((e) => e.type),
        ['lkg-loaded'],
      );
      const answer = await second.resolve('big.test', { family: 4 });
      assert.equal(answer.source, 'stale');
      assert.equal(answer.addresses.length, 100);
      await second.close();
    });
  });

  it('does not serve a set older than guard.maxHold after a restart (a 7-day-old file)', async () => {
    await withUpstream({ 'old.test': { A: ['10.21.0.1'], ttl: 30 } }, async ({ server, path, clock }) => {
      const first = new Resolver({ upstreams: [server.server], clock, lkgFile: path });
      await first.resolve('old.test', { family: 4 });
      await first.close();
      server.behave('old.test', 'empty');
      await clock.advance(7 * 86_400_000);
      const { resolver: second, events } = await started({
        upstreams: [server.server],
        clock,
        lkgFile: path,
        guard: { confirmations: 0 },
      });
      assert.ok(events.some((e) => e.type === 'lkg-loaded' && e.entries === 0 && e.expired === 1));
      await assert.rejects(second.resolve('old.test', { family: 4 }), (e) => isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'));
      await second.close();
    });
  });

  it('carries the age of a held set across a restart: the hold-down counts from when it began', async () => {
    const hour = 3_600_000;
    // Held for 23 h without confirmation; maxHold 24 h.
    const guard = { confirmations: 0, holdDown: 23 * hour };
    await withUpstream({ 'held.test': { A: ['10.22.0.1'], ttl: 30 } }, async ({ server, path, clock }) => {
      const first = new Resolver({ upstreams: [server.server], clock, lkgFile: path, guard });
      await first.resolve('held.test', { family: 4 });
      server.behave('held.test', 'empty');
      await clock.advance(31_000);
      assert.equal((await first.resolve('held.test', { family: 4 })).source, 'last-known-good');
      await clock.advance(20 * hour);
      await first.close();

      // Restarted 20 h into the hold: it goes on holding, for 3 h more, not for 23 h.
      const second = new Resolver({ upstreams: [server.server], clock, lkgFile: path, guard });
      assert.equal((await second.resolve('held.test', { family: 4 })).source, 'last-known-good');
      await clock.advance(3.5 * hour);
      await assert.rejects(second.resolve('held.test', { family: 4 }), (e) =>
        isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'),
      );
      await second.close();
    });
  });

  it('starts normally, with an event, from a corrupt file', async () => {
    const path = file();
    writeFileSync(path, '{"format":"failsmall-dns-lkg","version":2,"entries":[{"name":');
    const { resolver, events } = await started({
      upstreams: ['127.0.0.1:9'],
      lkgFile: path,
      clock: new VirtualClock(),
    });
    assert.deepEqual(
      events.map((e) => e.type === 'lkg-ignored' && e.code),
      ['FS_ERR_DNS_LKG_FILE'],
    );
    assert.equal(resolver.snapshot().entries, 0);
    await resolver.close();
  });

  it('reports a failed write as an event, not an exception', async () => {
    const server = await startDnsFixture({ zone: { 'w.test': { A: ['10.8.1.1'] } } });
    const resolver = new Resolver({
      upstreams: [server.server],
      lkgFile: join(dir, 'no-such-dir', 'lkg.json'),
      clock: new VirtualClock(),
    });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    try {
      await resolver.resolve('w.test', { family: 4 });
      await resolver.flushLkgFile();
      assert.ok(events.some((e) => e.type === 'lkg-error' && e.code === 'FS_ERR_DNS_LKG_FILE'));
    } finally {
      await resolver.close();
      await server.close();
    }
  });
});
