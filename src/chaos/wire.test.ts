/**
 * The query parser on its own, by property: it never throws, and on queries dns-packet encodes it
 * reads what dns-packet wrote (id, name, type, class, EDNS size, DO bit); random bytes and mutations
 * of valid queries only ever give one of the documented statuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import fc from 'fast-check';
import { ParseStatus, QueryParser, keyToName } from './wire.js';

const label = fc.stringMatching(/^[a-zA-Z0-9_-]{1,20}$/);
const hostName = fc.array(label, { minLength: 1, maxLength: 5 }).map((l) => l.join('.'));
const query = fc.record({
  id: fc.integer({ min: 0, max: 0xffff }),
  name: hostName,
  type: fc.constantFrom('A', 'AAAA', 'TXT', 'CNAME', 'SOA', 'NS', 'MX', 'ANY'),
  klass: fc.constantFrom('IN', 'ANY', 'CH'),
  edns: fc.option(fc.record({ size: fc.integer({ min: 0, max: 0xffff }), dnssecOk: fc.boolean() })),
});

function encode(q: {
  id: number;
  name: string;
  type: string;
  klass: string;
  edns: { size: number; dnssecOk: boolean } | null;
}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: q.id,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: q.name, type: q.type as dnsPacket.RecordType, class: q.klass as 'IN' }],
    ...(q.edns === null
      ? {}
      : {
          additionals: [
            {
              type: 'OPT',
              name: '.',
              udpPayloadSize: q.edns.size,
              flags: q.edns.dnssecOk ? dnsPacket.DNSSEC_OK : 0,
            } as dnsPacket.Answer,
          ],
        }),
  });
}

const statuses = new Set<number>(Object.values(ParseStatus));

describe('QueryParser.parse (property)', () => {
  it('reads back what dns-packet encodes', () => {
    const parser = new QueryParser();
    fc.assert(
      fc.property(query, (q) => {
        const buf = encode(q);
        assert.equal(parser.parse(buf), ParseStatus.OK);
        const decoded = dnsPacket.decode(buf);
        const question = decoded.questions![0]!;
        assert.equal(parser.id, q.id);
        assert.equal(parser.hostName, true);
        assert.equal(keyToName(parser.key), question.name.toLowerCase());
        assert.equal(parser.questionEnd, 12 + question.name.length + 2 + 4);
        assert.equal(parser.qtype, buf.readUInt16BE(parser.questionEnd - 4));
        assert.equal(parser.qclass, { IN: 1, CH: 3, ANY: 255 }[q.klass]);
        assert.equal(parser.edns, q.edns !== null);
        // dns-packet writes 4096 for a size of 0: compare with what it wrote.
        const written = (decoded.additionals?.[0] as { udpPayloadSize?: number } | undefined)?.udpPayloadSize;
        assert.equal(parser.udpSize, q.edns === null ? 512 : Math.max(512, written!));
        assert.equal(parser.dnssecOk, q.edns?.dnssecOk ?? false);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws and returns a documented status for random and mutated bytes', () => {
    const parser = new QueryParser();
    const mutated = fc
      .tuple(query, fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 6 }))
      .map(([q, edits]) => {
        const b = encode(q);
        for (const [at, byte] of edits) b[at % b.length] = byte;
        return b;
      });
    const random = fc.uint8Array({ maxLength: 600 }).map((a) => Buffer.from(a));
    fc.assert(
      fc.property(fc.oneof(mutated, random), (buf) => {
        const status = parser.parse(buf);
        assert.ok(statuses.has(status), `status ${status}`);
        if (status === ParseStatus.OK) {
          assert.ok(parser.questionEnd <= buf.length);
          if (parser.hostName) assert.ok(parser.key.length > 0 && parser.key.length <= 255);
        }
        if (buf.length < 12) assert.equal(status, ParseStatus.DROP);
      }),
      { numRuns: 5000 },
    );
  });
});
