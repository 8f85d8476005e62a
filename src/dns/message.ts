/**
 * The DNS messages the wire client sends and reads, encoded and parsed strictly (RFC 1035 §4).
 * Queries are built by hand (a validated ASCII name needs no generic encoder). Responses are parsed
 * with every length checked: a record whose RDLENGTH does not fit its type, a section cut short, a
 * compression pointer that does not point backwards (`dns-packet`'s name decoder, which this uses,
 * refuses those) makes the whole message malformed. Only what a resolver needs is kept: the
 * question, A/AAAA/CNAME answers and the SOA of a negative answer.
 *
 * @see https://www.rfc-editor.org/rfc/rfc1035#section-4
 * @see https://www.rfc-editor.org/rfc/rfc2308 (negative caching TTL)
 */
import dnsPacket from 'dns-packet';
import { DnsClass, DnsFlag, DnsType, OPCODE_SHIFT, rcodeName } from './wire/constants.js';

/** One answer record the resolver cares about. */
export interface ParsedRecord {
  /** Owner name, lower case, no trailing dot. */
  readonly name: string;
  readonly type: number;
  readonly class: number;
  /** TTL in seconds. */
  readonly ttl: number;
  /** The address (A, AAAA) or the target name in lower case (CNAME); undefined for other types. */
  readonly data: string | undefined;
}

/** A parsed response. */
export interface ParsedResponse {
  readonly id: number;
  /** The QR bit: a response. */
  readonly isResponse: boolean;
  readonly opcode: number;
  /** The TC bit: truncated. */
  readonly truncated: boolean;
  /** `NOERROR`, `NXDOMAIN`, … or `RCODE<n>`. */
  readonly rcode: string;
  /** The question, when there is exactly one. */
  readonly question: { readonly name: string; readonly type: number; readonly class: number } | undefined;
  readonly answers: readonly ParsedRecord[];
  /** RFC 2308 §5: min(SOA TTL, SOA MINIMUM) from the authority section, when an SOA is there. */
  readonly negativeTtl: number | undefined;
}

/**
 * Builds a query for one question, with the RD flag, and an EDNS0 OPT record advertising
 * `udpPayloadSize` bytes unless it is 0.
 */
export function encodeQuery(id: number, name: string, type: number, udpPayloadSize: number): Buffer {
  const edns = udpPayloadSize > 0;
  const nameLength = name.length === 0 ? 1 : name.length + 2;
  const buf = Buffer.allocUnsafe(12 + nameLength + 4 + (edns ? 11 : 0));
  buf.writeUInt16BE(id, 0);
  buf.writeUInt16BE(DnsFlag.RD, 2);
  buf.writeUInt16BE(1, 4); // QDCOUNT
  buf.writeUInt32BE(0, 6); // ANCOUNT, NSCOUNT
  buf.writeUInt16BE(edns ? 1 : 0, 10); // ARCOUNT
  let offset = 12;
  let labelStart = 0;
  for (let i = 0; i <= name.length && name.length > 0; i++) {
    if (i === name.length || name.charCodeAt(i) === 0x2e) {
      buf[offset++] = i - labelStart;
      offset += buf.write(name.slice(labelStart, i), offset, 'latin1');
      labelStart = i + 1;
    }
  }
  buf[offset++] = 0;
  buf.writeUInt16BE(type, offset);
  buf.writeUInt16BE(DnsClass.IN, offset + 2);
  offset += 4;
  if (edns) {
    buf[offset] = 0; // root owner name
    buf.writeUInt16BE(DnsType.OPT, offset + 1);
    buf.writeUInt16BE(udpPayloadSize, offset + 3); // CLASS carries the payload size
    buf.writeUInt32BE(0, offset + 5); // extended rcode, version 0, flags (DO off)
    buf.writeUInt16BE(0, offset + 9); // RDLENGTH
  }
  return buf;
}

/** Thrown by {@link parseResponse}; the message says what is wrong. */
export class MalformedMessage extends Error {
  override get name(): string {
    return 'MalformedMessage';
  }
}

function need(buf: Buffer, offset: number, length: number, what: string): void {
  if (offset + length > buf.length) throw new MalformedMessage(`${what} runs past the end of the message`);
}

/** dns-packet's name codec (untyped in @types/dns-packet): follows only backward pointers, caps the length. */
const nameCodec = (
  dnsPacket as unknown as { name: { decode: ((buf: Buffer, offset: number) => string) & { bytes: number } } }
).name;

function readName(buf: Buffer, offset: number): { name: string; next: number } {
  let name: string;
  try {
    name = nameCodec.decode(buf, offset);
  } catch (error) {
    throw new MalformedMessage(`a name cannot be decoded (${(error as Error).message})`);
  }
  const next = offset + nameCodec.decode.bytes;
  return { name: name === '.' ? '' : name.toLowerCase(), next };
}

/** RFC 5952 text form of 16 bytes of IPv6 address. */
function formatIPv6(buf: Buffer, offset: number): string {
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(offset + i * 2));
  // IPv4-mapped addresses keep the dotted quad (RFC 5952 §5).
  if (groups[5] === 0xffff && groups.slice(0, 5).every((g) => g === 0)) {
    return `::ffff:${buf[offset + 12]}.${buf[offset + 13]}.${buf[offset + 14]}.${buf[offset + 15]}`;
  }
  // The longest run of two or more zero groups becomes "::" (the first such run on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  const head = hex.slice(0, bestStart).join(':');
  const tail = hex.slice(bestStart + bestLength).join(':');
  return `${head}::${tail}`;
}

/**
 * Parses a response strictly. Throws {@link MalformedMessage} when anything does not add up.
 *
 * @example
 * const response = parseResponse(datagram);
 * if (response.rcode === 'NOERROR') for (const r of response.answers) console.log(r.name, r.data);
 */
export function parseResponse(buf: Buffer): ParsedResponse {
  need(buf, 0, 12, 'the header');
  const id = buf.readUInt16BE(0);
  const flags = buf.readUInt16BE(2);
  const qdcount = buf.readUInt16BE(4);
  const ancount = buf.readUInt16BE(6);
  const nscount = buf.readUInt16BE(8);
  const arcount = buf.readUInt16BE(10);
  const rcodeNumber = flags & DnsFlag.RCODE;
  let offset = 12;
  let question: ParsedResponse['question'];
  for (let i = 0; i < qdcount; i++) {
    const { name, next } = readName(buf, offset);
    need(buf, next, 4, 'a question');
    if (qdcount === 1) question = { name, type: buf.readUInt16BE(next), class: buf.readUInt16BE(next + 2) };
    offset = next + 4;
  }
  const answers: ParsedRecord[] = [];
  let negativeTtl: number | undefined;
  const total = ancount + nscount + arcount;
  const truncated = (flags & DnsFlag.TC) !== 0;
  try {
    parseRecords();
  } catch (error) {
    // A truncated answer may be cut mid-record; the client only needs its header and question.
    if (!truncated) throw error;
  }
  return {
    id,
    isResponse: (flags & DnsFlag.QR) !== 0,
    opcode: (flags & DnsFlag.OPCODE) >> OPCODE_SHIFT,
    truncated,
    rcode: rcodeName(rcodeNumber),
    question,
    answers,
    negativeTtl,
  };

  function parseRecords(): void {
    for (let i = 0; i < total; i++) {
      const section = i < ancount ? 'answer' : i < ancount + nscount ? 'authority' : 'additional';
      const { name, next } = readName(buf, offset);
      need(buf, next, 10, `an ${section} record`);
      const type = buf.readUInt16BE(next);
      const klass = buf.readUInt16BE(next + 2);
      const ttl = buf.readUInt32BE(next + 4);
      const rdlength = buf.readUInt16BE(next + 8);
      const rdata = next + 10;
      need(buf, rdata, rdlength, `the data of an ${section} record`);
      offset = rdata + rdlength;
      if (section === 'answer') {
        let data: string | undefined;
        if (type === DnsType.A) {
          if (rdlength !== 4) throw new MalformedMessage(`an A record has ${rdlength} bytes of data, not 4`);
          data = `${buf[rdata]}.${buf[rdata + 1]}.${buf[rdata + 2]}.${buf[rdata + 3]}`;
        } else if (type === DnsType.AAAA) {
          if (rdlength !== 16) throw new MalformedMessage(`an AAAA record has ${rdlength} bytes of data, not 16`);
          data = formatIPv6(buf, rdata);
        } else if (type === DnsType.CNAME) {
          const target = readName(buf, rdata);
          if (target.next > offset) throw new MalformedMessage('a CNAME target runs past its record');
          data = target.name;
        }
        answers.push({ name, type, class: klass, ttl, data });
      } else if (section === 'authority' && type === DnsType.SOA && negativeTtl === undefined) {
        const mname = readName(buf, rdata);
        const rname = readName(buf, mname.next);
        if (rname.next + 20 !== offset) throw new MalformedMessage('an SOA record has the wrong length');
        negativeTtl = Math.min(ttl, buf.readUInt32BE(offset - 4));
      }
    }
  }
}
