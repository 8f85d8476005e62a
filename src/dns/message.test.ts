import assert from 'node:assert/strict';
import net from 'node:net';
import { describe, it } from 'node:test';
import dnsPacket from 'dns-packet';
import type { Answer } from 'dns-packet';
import fc from 'fast-check';
import { MalformedMessage, encodeQuery, parseResponse } from './message.js';
import { DnsType as TYPE } from './wire/constants.js';

function response(answers: Answer[], extra: { authorities?: Answer[]; flags?: number } = {}): Buffer {
  return dnsPacket.encode({
    type: 'response',
    id: 4242,
    flags: extra.flags ?? 0,
    questions: [{ type: 'A', name: 'Api.Test', class: 'IN' }],
    answers,
    authorities: extra.authorities ?? [],
  });
}

describe('encodeQuery', () => {
  it('builds what dns-packet decodes as the same question with EDNS0', () => {
    const decoded = dnsPacket.decode(encodeQuery(0xbeef, 'api.example.com', TYPE.AAAA, 1232));
    assert.equal(decoded.id, 0xbeef);
    assert.equal(decoded.type, 'query');
    assert.equal(decoded.flag_rd, true);
    assert.deepEqual(decoded.questions, [{ name: 'api.example.com', type: 'AAAA', class: 'IN' }]);
    const opt = decoded.additionals?.[0] as { type: string; udpPayloadSize: number } | undefined;
    assert.equal(opt?.type, 'OPT');
    assert.equal(opt?.udpPayloadSize, 1232);
    assert.equal(dnsPacket.decode(encodeQuery(1, 'a.b', TYPE.A, 0)).additionals?.length, 0);
  });
});

describe('parseResponse', () => {
  it('reads the question, answers (names in lower case) and the negative TTL', () => {
    const parsed = parseResponse(
      response(
        [
          { type: 'CNAME', name: 'API.test', ttl: 30, class: 'IN', data: 'Edge.Test' },
          { type: 'A', name: 'edge.test', ttl: 60, class: 'IN', data: '10.0.0.1' },
        ],
        {
          authorities: [
            {
              type: 'SOA',
              name: 'test',
              ttl: 900,
              class: 'IN',
              data: {
                mname: 'ns.test',
                rname: 'h.test',
                serial: 1,
                refresh: 1,
                retry: 1,
                expire: 1,
                minimum: 120,
              },
            },
          ],
        },
      ),
    );
    assert.equal(parsed.id, 4242);
    assert.equal(parsed.isResponse, true);
    assert.equal(parsed.rcode, 'NOERROR');
    assert.deepEqual(parsed.question, { name: 'api.test', type: TYPE.A, class: 1 });
    assert.deepEqual(
      parsed.answers.map((a) => [a.name, a.type, a.data, a.ttl]),
      [
        ['api.test', TYPE.CNAME, 'edge.test', 30],
        ['edge.test', TYPE.A, '10.0.0.1', 60],
      ],
    );
    assert.equal(parsed.negativeTtl, 120);
  });

  it('formats IPv6 addresses as RFC 5952 text, as Node does', () => {
    fc.assert(
      // Groups written out in full (dns-packet's encoder mishandles some compressed forms with a dotted quad).
      fc.property(
        fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffff })), { minLength: 8, maxLength: 8 }),
        (groups) => {
          const address = groups.map((g) => g.toString(16)).join(':');
          const parsed = parseResponse(
            response([{ type: 'AAAA', name: 'api.test', ttl: 1, class: 'IN', data: address }]),
          );
          const text = parsed.answers[0]!.data!;
          // The same address (a block list matches by value), in RFC 5952 form: lower case, "::" for
          // the longest zero run, no leading zeros.
          const same = new net.BlockList();
          same.addAddress(address, 'ipv6');
          return (
            net.isIPv6(text) && same.check(text, 'ipv6') && !/(^|:)0[0-9a-f]/.test(text) && text === text.toLowerCase()
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('rejects an A record whose RDLENGTH is not 4, and cut messages', () => {
    const good = response([{ type: 'A', name: 'api.test', ttl: 1, class: 'IN', data: '10.0.0.1' }]);
    const bad = Buffer.from(good);
    bad.writeUInt16BE(5, bad.length - 6); // RDLENGTH
    assert.throws(() => parseResponse(bad), MalformedMessage);
    for (let cut = 1; cut < good.length - 12; cut++) {
      assert.throws(() => parseResponse(good.subarray(0, good.length - cut)), MalformedMessage, `cut ${cut}`);
    }
  });

  it('keeps header and question of a truncated (TC) message cut mid-record', () => {
    const good = response([{ type: 'A', name: 'api.test', ttl: 1, class: 'IN', data: '10.0.0.1' }], {
      flags: dnsPacket.TRUNCATED_RESPONSE,
    });
    const parsed = parseResponse(good.subarray(0, good.length - 2));
    assert.equal(parsed.truncated, true);
    assert.equal(parsed.question?.name, 'api.test');
  });

  it('never throws anything but MalformedMessage and never hangs on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 1500 }), (bytes) => {
        try {
          parseResponse(Buffer.from(bytes));
          return true;
        } catch (error) {
          return error instanceof MalformedMessage;
        }
      }),
      { numRuns: 2_000 },
    );
  });

  it('rejects forward compression pointers (no loops)', () => {
    const buf = Buffer.alloc(12 + 2 + 4);
    buf.writeUInt16BE(1, 4); // one question
    buf.writeUInt16BE(0xc000 | 12, 12); // pointer to itself
    assert.throws(() => parseResponse(buf), MalformedMessage);
  });
});
