import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { DnsMetrics } from './dns-metrics.js';
import { QueryLog, droppedRcode } from './query-log.js';

describe('DnsMetrics', () => {
  it('computes per-name rates over a sliding window of seconds', () => {
    const m = new DnsMetrics({ windowSeconds: 5, historySeconds: 10 });
    for (let s = 0; s < 10; s++)
      for (let i = 0; i < (s + 1) * 10; i++) m.record(s * 1000 + i, 'a.test', 0, 'udp', false, undefined, undefined);
    m.record(9_500, 'b.test', 3, 'tcp', true, 'f1', 'nxdomain');
    m.record(9_600, 'b.test', droppedRcode, 'udp', false, 'f2', 'drop');
    const s = m.snapshot(9_999);
    // seconds 5..9 hold 60+70+80+90+100 = 400 queries of a.test.
    assert.deepEqual(s.names[0], { name: 'a.test', total: 550, qps: 80, lastSecond: 90 });
    assert.equal(s.names[1]!.name, 'b.test');
    assert.equal(s.dropped, 1);
    assert.equal(s.answered, 551);
    assert.equal(s.truncated, 1);
    assert.deepEqual(s.byRcode, { NOERROR: 550, NXDOMAIN: 1 });
    assert.deepEqual(s.byFault, { f1: 1, f2: 1 });
    assert.deepEqual(s.byAction, { nxdomain: 1, drop: 1 });
    assert.equal(s.series.length, 10);
    assert.deepEqual(s.series[0], { t: 0, queries: 10 });
    const later = m.snapshot(60_000);
    assert.equal(later.names[0]!.qps, 0, 'old seconds leave the window');
    assert.equal(later.qps, 0);
    m.reset();
    assert.equal(m.snapshot(0).queries, 0);
  });

  it('bounds the names it tracks one by one', () => {
    const m = new DnsMetrics({ maxNames: 3 });
    for (let i = 0; i < 100; i++) m.record(0, `n${i}.test`, 3, 'udp', false, undefined, undefined);
    const names = m.snapshot(0).names.map((n) => n.name);
    assert.equal(names.length, 4);
    assert.ok(names.includes('(other)'));
    assert.throws(
      () => new DnsMetrics({ windowSeconds: 0 }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });

  it('counts a query whose time went backwards into the newest second (the BucketRing rule)', () => {
    const m = new DnsMetrics({ windowSeconds: 5, historySeconds: 5 });
    m.record(9_000, 'a.test', 0, 'udp', false, undefined, undefined);
    m.record(2_000, 'a.test', 0, 'udp', false, undefined, undefined); // the clock stepped back 7 s
    const s = m.snapshot(9_999);
    assert.deepEqual(s.names[0], { name: 'a.test', total: 2, qps: 0.4, lastSecond: 0 });
    assert.deepEqual(s.series.at(-1), { t: 9_000, queries: 2 });
  });

  it('counts every query in the window exactly once (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 20_000 }), { maxLength: 300 }), (times) => {
        const m = new DnsMetrics({ windowSeconds: 10 });
        const sorted = [...times].sort((a, b) => a - b);
        for (const t of sorted) m.record(t, 'x', 0, 'udp', false, undefined, undefined);
        const now = 20_999;
        const inWindow = sorted.filter((t) => Math.floor(t / 1000) > 10).length;
        assert.equal(m.snapshot(now).names[0]?.qps ?? 0, inWindow / 10);
      }),
    );
  });
});

describe('QueryLog', () => {
  it('keeps the last entries in order and never grows', () => {
    const log = new QueryLog(3);
    for (let i = 0; i < 5; i++)
      log.add(
        i,
        `n${i}`,
        1,
        i === 4 ? droppedRcode : 0,
        '127.0.0.1',
        i % 2 === 0 ? 0 : 1,
        undefined,
        undefined,
        false,
        40,
      );
    assert.equal(log.total, 5);
    assert.deepEqual(
      log.entries().map((e) => [e.at, e.name, e.transport, e.rcode]),
      [
        [2, 'n2', 'udp', 'NOERROR'],
        [3, 'n3', 'tcp', 'NOERROR'],
        [4, 'n4', 'udp', 'DROPPED'],
      ],
    );
    assert.deepEqual(
      log.entries(1).map((e) => e.name),
      ['n4'],
    );
    assert.deepEqual(log.snapshot(), { capacity: 3, kept: 3, total: 5 });
    log.clear();
    assert.deepEqual(log.entries(), []);
  });
});
