import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import { seededRandom } from '../core/random.js';
import { DnsMetrics } from './dns-metrics.js';
import { FaultEngine, type FaultRuleInput } from './fault-rules.js';
import { decodeReply, probeQuery } from './probe.js';
import { QueryLog } from './query-log.js';
import { DnsResponder } from './responder.js';
import { ZoneStore } from './zone-store.js';
import type { ZoneDefinition } from './zone-schema.js';
import { editedBytes } from '../test-support/byte-edits.js';

const many = Array.from({ length: 40 }, (_, i) => ({ value: `127.0.1.${i + 1}` }));
const zone: ZoneDefinition = {
  name: 'example.com',
  records: [
    { name: 'api.example.com', type: 'A', ttl: 60, records: [{ value: '127.0.0.10' }, { value: '127.0.0.11' }] },
    { name: 'api.example.com', type: 'AAAA', ttl: 60, records: [{ value: '::10' }] },
    { name: 'big.example.com', type: 'A', ttl: 60, records: many },
    { name: 'huge.example.com', type: 'TXT', ttl: 60, records: [{ value: 'x'.repeat(1500) }] },
    {
      name: 'w.example.com',
      type: 'A',
      ttl: 60,
      records: [
        { value: '127.0.0.1', weight: 1 },
        { value: '127.0.0.2', weight: 1 },
      ],
    },
  ],
};

function setup(rules: FaultRuleInput[] = []) {
  const clock = new VirtualClock(10_000);
  const random = seededRandom(42);
  const store = new ZoneStore([zone]);
  const faults = new FaultEngine({ clock, random });
  for (const rule of rules) faults.add(rule);
  const metrics = new DnsMetrics();
  const log = new QueryLog(100);
  const responder = new DnsResponder({ store, faults, metrics, log, clock, random });
  const ask = (name: string, options: Parameters<typeof probeQuery>[1] = {}, transport: 'udp' | 'tcp' = 'udp') => {
    const raw = responder.respond(probeQuery(name, { id: 4242, ...options }), transport, '127.0.0.1');
    return raw === undefined ? undefined : decodeReply(raw);
  };
  return { clock, store, faults, metrics, log, responder, ask };
}

describe('DnsResponder', () => {
  it('answers authoritatively: id, QR, AA, RD echoed, RA clear, the question echoed in its case', () => {
    const { ask } = setup();
    const reply = ask('API.Example.COM')!;
    assert.equal(reply.id, 4242);
    assert.equal(reply.type, 'response');
    assert.equal(reply.rcode, 'NOERROR');
    assert.equal(reply.flag_aa, true);
    assert.equal(reply.flag_rd, true);
    assert.equal(reply.flag_ra, false);
    assert.equal(reply.questions[0]!.name, 'API.Example.COM');
    assert.deepEqual(
      reply.answers.map((a) => a.data),
      ['127.0.0.10', '127.0.0.11'],
    );
    const second = ask('api.example.com', { recursionDesired: false, id: 7 })!;
    assert.equal(second.id, 7);
    assert.equal(second.flag_rd, false, 'the cached answer takes the new RD bit');
  });

  it('refuses names outside its zones and other classes, without AA (never recursive)', () => {
    const { ask, responder } = setup();
    const out = ask('www.google.com')!;
    assert.equal(out.rcode, 'REFUSED');
    assert.equal(out.flag_aa, false);
    assert.equal(out.answers.length, 0);
    const chaosClass = dnsPacket.encode({
      type: 'query',
      id: 1,
      questions: [{ type: 'TXT', name: 'version.bind', class: 'CH' }],
    });
    assert.equal(decodeReply(responder.respond(chaosClass, 'udp', 'x')!).rcode, 'REFUSED');
  });

  it('carries the SOA in negative answers (RFC 2308)', () => {
    const { ask } = setup();
    const nx = ask('nope.example.com')!;
    assert.equal(nx.rcode, 'NXDOMAIN');
    assert.equal(nx.authorities[0]?.type, 'SOA');
    assert.equal(nx.authorities[0]?.ttl, 60);
    const nodata = ask('api.example.com', { type: 'TXT' })!;
    assert.equal(nodata.rcode, 'NOERROR');
    assert.equal(nodata.answers.length, 0);
    assert.equal(nodata.authorities[0]?.type, 'SOA');
  });

  it('never sends more over UDP than the query allows: 512 without EDNS, else min(EDNS size, 1232)', () => {
    const { ask } = setup();
    const plain = ask('big.example.com')!;
    assert.ok(plain.size <= 512);
    assert.equal(plain.flag_tc, true);
    assert.equal(plain.answers.length, 0);
    const edns = ask('big.example.com', { edns: 4096 })!;
    assert.equal(edns.flag_tc, false);
    assert.equal(edns.answers.length, 40);
    assert.ok(edns.size <= 1232);
    const opt = edns.additionals.find((a) => a.type === 'OPT') as { udpPayloadSize: number } | undefined;
    assert.equal(opt?.udpPayloadSize, 1232);
    const huge = ask('huge.example.com', { type: 'TXT', edns: 4096 })!;
    assert.equal(huge.flag_tc, true);
    assert.ok(huge.size <= 1232);
    const small = ask('huge.example.com', { type: 'TXT', edns: 100 })!;
    assert.equal(small.flag_tc, true, 'an EDNS size under 512 counts as 512');
    const tcp = ask('huge.example.com', { type: 'TXT' }, 'tcp')!;
    assert.equal(tcp.flag_tc, false);
    assert.equal((tcp.answers[0]!.data as Buffer[]).map((b) => b.toString()).join(''), 'x'.repeat(1500));
  });

  it('answers SERVFAIL over TCP when an answer cannot fit in 64 KiB', () => {
    const { ask, store } = setup();
    store.apply('example.com', {
      changes: [
        {
          action: 'UPSERT',
          recordSet: {
            name: 'vast.example.com',
            type: 'TXT',
            ttl: 60,
            records: Array.from({ length: 20 }, (_, i) => ({ value: `${i}`.padEnd(4000, 'v') })),
          },
        },
      ],
    });
    for (let i = 0; i < 2; i++) {
      const tcp = ask('vast.example.com', { type: 'TXT' }, 'tcp')!;
      assert.equal(tcp.rcode, 'SERVFAIL');
      assert.equal(tcp.flag_tc, false);
      const udp = ask('vast.example.com', { type: 'TXT', edns: 1232 })!;
      assert.equal(udp.flag_tc, true);
    }
  });

  it('answers malformed queries with FORMERR, other opcodes with NOTIMP, EDNS v1 with BADVERS, and ignores responses', () => {
    const { responder, log } = setup();
    const two = dnsPacket.encode({
      type: 'query',
      id: 9,
      questions: [
        { type: 'A', name: 'a.example.com' },
        { type: 'A', name: 'b.example.com' },
      ],
    });
    const formerr = decodeReply(responder.respond(two, 'udp', 'x')!);
    assert.equal(formerr.rcode, 'FORMERR');
    assert.equal(formerr.id, 9);
    const status = Buffer.from(probeQuery('api.example.com'));
    status[2] = (status[2]! & 0x87) | (2 << 3); // opcode STATUS
    assert.equal(decodeReply(responder.respond(status, 'udp', 'x')!).rcode, 'NOTIMP');
    const v1 = dnsPacket.encode({
      type: 'query',
      id: 3,
      questions: [{ type: 'A', name: 'api.example.com' }],
      additionals: [{ type: 'OPT', name: '.', udpPayloadSize: 1232, ednsVersion: 1 } as dnsPacket.Answer],
    });
    const badvers = decodeReply(responder.respond(v1, 'udp', 'x')!);
    const opt = badvers.additionals.find((a) => a.type === 'OPT')!;
    assert.equal(opt.extendedRcode, 1, 'BADVERS is extended rcode 16: 1 in the OPT, 0 in the header');
    const response = Buffer.from(probeQuery('api.example.com'));
    response[2] = response[2]! | 0x80;
    assert.equal(responder.respond(response, 'udp', 'x'), undefined);
    assert.equal(responder.respond(Buffer.alloc(5), 'udp', 'x'), undefined);
    assert.deepEqual(
      log.entries().map((e) => e.rcode),
      ['FORMERR', 'NOTIMP', 'BADVERS', 'DROPPED', 'DROPPED'],
    );
  });

  it('drops its cached answers when the zone changes', () => {
    const { ask, store } = setup();
    assert.equal(ask('api.example.com')!.answers.length, 2);
    store.apply('example.com', {
      changes: [{ action: 'UPSERT', recordSet: { name: 'api.example.com', type: 'A', ttl: 5, records: [] } }],
    });
    const empty = ask('api.example.com')!;
    assert.equal(empty.rcode, 'NOERROR');
    assert.equal(empty.answers.length, 0);
  });

  it('orders weighted answers per query from the injected random', () => {
    const { ask } = setup();
    const firsts = new Set<string>();
    for (let i = 0; i < 40; i++) firsts.add(ask('w.example.com')!.answers[0]!.data as string);
    assert.deepEqual([...firsts].sort(), ['127.0.0.1', '127.0.0.2']);
  });

  it('applies every fault action', () => {
    const cases: [FaultRuleInput, (r: ReturnType<ReturnType<typeof setup>['ask']>) => void][] = [
      [
        { name: 'api.*', action: 'empty' },
        (r) => (
          assert.equal(r!.rcode, 'NOERROR'),
          assert.equal(r!.answers.length, 0),
          assert.equal(r!.authorities[0]!.type, 'SOA'),
          assert.equal(r!.flag_aa, true)
        ),
      ],
      [{ name: 'api.*', action: 'nxdomain' }, (r) => assert.equal(r!.rcode, 'NXDOMAIN')],
      [
        { name: 'api.*', action: 'servfail' },
        (r) => (assert.equal(r!.rcode, 'SERVFAIL'), assert.equal(r!.flag_aa, false)),
      ],
      [{ name: 'api.*', action: 'refused' }, (r) => assert.equal(r!.rcode, 'REFUSED')],
      [{ name: 'api.*', action: 'drop' }, (r) => assert.equal(r, undefined)],
      [
        { name: 'api.*', action: 'truncate' },
        (r) => (assert.equal(r!.flag_tc, true), assert.equal(r!.answers.length, 0)),
      ],
      [
        { name: 'api.*', action: 'wrong-address', address: '127.9.9.9', ttl: 7 },
        (r) =>
          assert.deepEqual(
            r!.answers.map((a) => [a.data, a.ttl]),
            [['127.9.9.9', 7]],
          ),
      ],
      [
        { name: 'api.*', action: 'random-address', cidr: '10.1.2.0/24' },
        (r) => (assert.equal(r!.answers.length, 1), assert.match(r!.answers[0]!.data as string, /^10\.1\.2\.\d+$/)),
      ],
      [
        { name: 'api.*', action: 'ttl', ttl: 86_400 },
        (r) =>
          assert.deepEqual(
            r!.answers.map((a) => a.ttl),
            [86_400, 86_400],
          ),
      ],
      [{ name: 'api.*', action: 'delay', delayMs: 300 }, (r) => assert.equal(r!.answers.length, 2)],
    ];
    for (const [rule, check] of cases) {
      const { ask, responder, metrics, clock } = setup([rule]);
      check(ask('api.example.com'));
      assert.equal(responder.delayMs, rule.action === 'delay' ? 300 : 0);
      const snapshot = metrics.snapshot(clock.now());
      assert.deepEqual(snapshot.byAction, { [rule.action]: 1 }, rule.action);
      assert.deepEqual(snapshot.byFault, { f1: 1 });
      assert.equal(ask('nope.org')!.rcode, 'REFUSED', 'faults never apply outside our zones');
    }
  });

  it('answers a truncate fault over TCP in full, and adds delay to any action', () => {
    const { ask, responder } = setup([{ name: '*', action: 'truncate' }]);
    assert.equal(ask('api.example.com', {}, 'tcp')!.answers.length, 2);
    const slow = setup([{ name: '*', action: 'servfail', delayMs: 1000, jitterMs: 100 }]);
    assert.equal(slow.ask('api.example.com')!.rcode, 'SERVFAIL');
    assert.ok(slow.responder.delayMs >= 1000 && slow.responder.delayMs < 1100);
    assert.equal(responder.delayMs, 0);
  });

  it('publishes each fault decision on failsmall:chaos:fault', () => {
    const { ask } = setup([{ id: 'lie', name: 'api.*', type: 'A', action: 'empty' }]);
    const seen: unknown[] = [];
    const listener = (message: unknown): void => void seen.push(message);
    diagnostics.subscribe('failsmall:chaos:fault', listener);
    try {
      ask('api.example.com');
      ask('api.example.com', { type: 'AAAA' });
    } finally {
      diagnostics.unsubscribe('failsmall:chaos:fault', listener);
    }
    assert.deepEqual(seen, [
      {
        at: 10_000,
        name: 'api.example.com',
        type: 'A',
        transport: 'udp',
        client: '127.0.0.1',
        rule: 'lie',
        action: 'empty',
      },
    ]);
  });

  it('opens a fault window on the server clock', async () => {
    const { ask, clock } = setup([{ name: '*', action: 'nxdomain', from: 20_000, durationMs: 5_000 }]);
    assert.equal(ask('api.example.com')!.rcode, 'NOERROR');
    await clock.advance(10_000);
    assert.equal(ask('api.example.com')!.rcode, 'NXDOMAIN');
    await clock.advance(5_000);
    assert.equal(ask('api.example.com')!.rcode, 'NOERROR');
  });

  it('counts queries per name, rcode and transport, and logs them', async () => {
    const { ask, metrics, log, clock } = setup();
    for (let i = 0; i < 30; i++) ask('api.example.com');
    await clock.advance(1000);
    for (let i = 0; i < 10; i++) ask('nope.example.com', {}, 'tcp');
    const s = metrics.snapshot(clock.now());
    assert.equal(s.queries, 40);
    assert.equal(s.tcp, 10);
    assert.deepEqual(s.byRcode, { NOERROR: 30, NXDOMAIN: 10 });
    assert.equal(s.names[0]!.name, 'api.example.com');
    assert.equal(s.names[0]!.qps, 3, '30 queries over a 10 s window');
    assert.equal(s.names[0]!.lastSecond, 30);
    assert.equal(log.entries(1)[0]!.name, 'nope.example.com');
    assert.equal(log.entries(100, 'API.example.com.').length, 30);
  });

  it('never throws and never answers over the size limit, for any bytes (property)', () => {
    const { responder } = setup([{ name: '*', action: 'delay', delayMs: 1, probability: 0.2 }]);
    const valid = probeQuery('api.example.com', { edns: 1232 });
    const mutated = editedBytes(valid, 6);
    const random = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
    const truncated = fc.nat(valid.length).map((n) => valid.subarray(0, n));
    fc.assert(
      fc.property(
        fc.oneof(mutated, random, truncated),
        fc.constantFrom('udp' as const, 'tcp' as const),
        (packet, transport) => {
          const out = responder.respond(packet, transport, 'x');
          if (out !== undefined && transport === 'udp') assert.ok(out.length <= 1232);
          if (out !== undefined) assert.doesNotThrow(() => dnsPacket.decode(out));
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('DnsResponder answers as NSD does (RFC points)', () => {
  const child: ZoneDefinition = {
    name: 'example.com',
    records: [
      { name: 'api.example.com', type: 'A', ttl: 60, records: [{ value: '127.0.0.10' }] },
      { name: 'sub.example.com', type: 'NS', ttl: 300, records: [{ value: 'ns1.sub.example.com' }] },
      { name: 'ns1.sub.example.com', type: 'A', ttl: 300, records: [{ value: '127.0.0.53' }] },
    ],
  };
  function respond(query: Buffer) {
    const clock = new VirtualClock(0);
    const random = seededRandom(1);
    const responder = new DnsResponder({
      store: new ZoneStore([child]),
      faults: new FaultEngine({ clock, random }),
      metrics: new DnsMetrics(),
      log: new QueryLog(10),
      clock,
      random,
    });
    return responder.respond(query, 'udp', '127.0.0.1');
  }
  const encode = (question: dnsPacket.Question, additionals: dnsPacket.Answer[] = []): Buffer =>
    dnsPacket.encode({ type: 'query', id: 77, flags: dnsPacket.RECURSION_DESIRED, questions: [question], additionals });
  const opt = (flags: number): dnsPacket.Answer =>
    ({ type: 'OPT', name: '.', udpPayloadSize: 1232, flags }) as dnsPacket.Answer;

  it('copies the DO bit back in the OPT (RFC 3225 §3), and not when unset', () => {
    for (const flags of [dnsPacket.DNSSEC_OK, 0]) {
      const reply = decodeReply(respond(encode({ name: 'api.example.com', type: 'A' }, [opt(flags)]))!);
      const back = reply.additionals.find((a) => a.type === 'OPT') as { flags?: number } | undefined;
      assert.equal(((back?.flags ?? 0) & dnsPacket.DNSSEC_OK) !== 0, flags !== 0);
      assert.equal(reply.answers.length, 1);
    }
  });

  it('answers a name at or below a delegated child with a referral, not authoritative data (RFC 1034 §4.3.2)', () => {
    for (const name of ['sub.example.com', 'www.sub.example.com', 'ns1.sub.example.com']) {
      const reply = decodeReply(respond(encode({ name, type: 'A' }))!);
      assert.equal(reply.rcode, 'NOERROR', name);
      assert.equal(reply.flag_aa, false, name);
      assert.equal(reply.answers.length, 0, name);
      assert.deepEqual(
        reply.authorities.map((a) => [a.type, a.name, a.data]),
        [['NS', 'sub.example.com', 'ns1.sub.example.com']],
      );
      assert.deepEqual(
        reply.additionals.map((a) => [a.type, a.name, a.data]),
        [['A', 'ns1.sub.example.com', '127.0.0.53']],
      );
    }
    // The parent's own data is still authoritative.
    assert.equal(decodeReply(respond(encode({ name: 'api.example.com', type: 'A' }))!).flag_aa, true);
  });

  it('refuses zone transfers: AXFR and IXFR get REFUSED', () => {
    for (const type of ['AXFR', 'IXFR'] as const) {
      const reply = decodeReply(respond(encode({ name: 'example.com', type }))!);
      assert.equal(reply.rcode, 'REFUSED', type);
      assert.equal(reply.answers.length, 0);
    }
  });

  it('answers a label with non-hostname bytes with an authoritative NXDOMAIN inside the zone (RFC 2181 §11)', () => {
    const name = (labels: Buffer[]): Buffer =>
      Buffer.concat([...labels.map((l) => Buffer.concat([Buffer.from([l.length]), l])), Buffer.from([0])]);
    const query = (labels: Buffer[]): Buffer =>
      Buffer.concat([Buffer.from([0, 77, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), name(labels), Buffer.from([0, 1, 0, 1])]);
    const odd = Buffer.from([0x61, 0x00, 0x20, 0xff, 0x2e]);
    const inZone = decodeReply(respond(query([odd, Buffer.from('example'), Buffer.from('com')]))!);
    assert.equal(inZone.rcode, 'NXDOMAIN');
    assert.equal(inZone.flag_aa, true);
    assert.equal(inZone.authorities[0]!.type, 'SOA');
    const outside = decodeReply(respond(query([odd, Buffer.from('example'), Buffer.from('org')]))!);
    assert.equal(outside.rcode, 'REFUSED');
    // A dotted label is one odd label, not a path into the zone.
    const dotted = decodeReply(respond(query([Buffer.from('x.example.com')]))!);
    assert.equal(dotted.rcode, 'REFUSED');
    const belowCut = decodeReply(
      respond(query([odd, Buffer.from('sub'), Buffer.from('example'), Buffer.from('com')]))!,
    );
    assert.equal(belowCut.flag_aa, false);
    assert.equal(belowCut.authorities[0]!.type, 'NS');
  });

  it('answers QCLASS ANY as IN without the AA bit', () => {
    const reply = decodeReply(respond(encode({ name: 'api.example.com', type: 'A', class: 'ANY' }))!);
    assert.equal(reply.rcode, 'NOERROR');
    assert.equal(reply.flag_aa, false);
    assert.deepEqual(
      reply.answers.map((a) => a.data),
      ['127.0.0.10'],
    );
    assert.equal(decodeReply(respond(encode({ name: 'api.example.com', type: 'A', class: 'CH' }))!).rcode, 'REFUSED');
  });

  it('answers a query without a question but with EDNS (cookie-only, RFC 7873 §5.4) with FORMERR and an OPT', () => {
    const cookie = {
      type: 'OPT',
      name: '.',
      udpPayloadSize: 1232,
      flags: 0,
      options: [{ code: 10, data: Buffer.alloc(8, 7) }],
    };
    const query = dnsPacket.encode({ type: 'query', id: 78, questions: [], additionals: [cookie as dnsPacket.Answer] });
    const reply = decodeReply(respond(query)!);
    assert.equal(reply.id, 78);
    assert.equal(reply.rcode, 'FORMERR');
    assert.equal(reply.additionals.filter((a) => a.type === 'OPT').length, 1);
    // Without EDNS: FORMERR without OPT, as before.
    const plain = decodeReply(respond(dnsPacket.encode({ type: 'query', id: 79, questions: [] }))!);
    assert.equal(plain.rcode, 'FORMERR');
    assert.equal(plain.additionals.length, 0);
  });
});
