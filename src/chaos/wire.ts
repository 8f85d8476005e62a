/**
 * DNS wire format for the fault DNS server's hot path: a hand-written, allocation-light query parser
 * that never throws on hostile input, and response assembly from pre-encoded resource records.
 *
 * Queries are parsed strictly (RFC 1035 §4.1): one question, no answer or authority records, no
 * compression pointer in the question, labels of at most 63 bytes, names of at most 255. Additional
 * records are walked only to find an EDNS OPT record (RFC 6891), with compression pointers followed
 * backwards only and a hop limit, so a pointer loop cannot hang the server. Resource records are
 * encoded once with `dns-packet` (which writes names uncompressed, so an encoded record can be
 * spliced anywhere) and cached per record set.
 *
 * @see RFC 1035 (messages), RFC 6891 (EDNS(0)), RFC 2308 (negative answers), RFC 7766 (TCP framing)
 */
import dnsPacket from 'dns-packet';
import { DnsType, Rcode as DnsRcode, rcodeNames, typeName } from '../dns/wire/constants.js';
import type { RecordSet, RecordType, RecordValue } from './zone-schema.js';
import { parseSoa } from './zone-schema.js';

// The wire constants are dns/wire/constants.ts's (one table for the client and the server).
export { rcodeNames, typeName };

/** Response codes used by the server (dns/wire/constants.ts's table). */
export const Rcode = DnsRcode;

/** Query type numbers of the served record types, and back. */
export const typeNumbers: Readonly<Record<RecordType | 'ANY', number>> = {
  A: DnsType.A,
  NS: DnsType.NS,
  CNAME: DnsType.CNAME,
  SOA: DnsType.SOA,
  TXT: DnsType.TXT,
  AAAA: DnsType.AAAA,
  ANY: DnsType.ANY,
};

/** What to do with a datagram, as decided by {@link QueryParser.parse}. */
export const ParseStatus = {
  /** A well-formed query: answer it. */
  OK: 0,
  /** Not worth a reply: shorter than a header, or a response (QR set: never answer answers). */
  DROP: 1,
  /** Malformed after a readable header: reply FORMERR. */
  FORMERR: 2,
  /** An opcode other than QUERY: reply NOTIMP. */
  NOTIMP: 3,
  /** EDNS version other than 0: reply BADVERS (RFC 6891 §6.1.3). */
  BADVERS: 4,
} as const;

/** Longest pointer chain followed in an additional record's name. */
const maxPointerHops = 16;

/**
 * A reusable query parser: `parse(buf)` fills its fields and returns a {@link ParseStatus}. One
 * instance per server; parsing allocates only the name key string.
 */
export class QueryParser {
  /** The query id. */
  id = 0;
  /** The 16-bit flags word of the query. */
  flags = 0;
  /** Offset just past the question's QCLASS (the question occupies [12, questionEnd)). */
  questionEnd = 12;
  /** QTYPE and QCLASS. */
  qtype = 0;
  qclass = 0;
  /**
   * The question name as its wire labels, lower-cased, read as latin1 (`\x03www\x07example\x03com`):
   * the cache key. Only meaningful when {@link hostName} is true.
   */
  key = '';
  /** True when every label holds only letters, digits, `-` and `_` (a name our zones can hold). */
  hostName = false;
  /**
   * When {@link hostName} is false: the key (as {@link key}) of the longest suffix of whole labels
   * that are host labels (the part that says which zone the odd name would live in); else ''.
   */
  hostSuffixKey = '';
  /** True when the query carries an EDNS OPT record. */
  edns = false;
  /** The DO bit of the query's OPT record (RFC 3225): copied back in the response's OPT. */
  dnssecOk = false;
  /** The requester's advertised UDP payload size (512 without EDNS). */
  udpSize = 512;

  /** Parses `buf`; never throws. */
  parse(buf: Buffer): number {
    const len = buf.length;
    if (len < 12) return ParseStatus.DROP;
    this.id = (buf[0]! << 8) | buf[1]!;
    const flags = (buf[2]! << 8) | buf[3]!;
    this.flags = flags;
    this.edns = false;
    this.dnssecOk = false;
    this.udpSize = 512;
    this.questionEnd = 12;
    this.hostName = false;
    this.hostSuffixKey = '';
    if ((flags & 0x8000) !== 0) return ParseStatus.DROP;
    if (((flags >> 11) & 0xf) !== 0) return ParseStatus.NOTIMP;
    const qdcount = (buf[4]! << 8) | buf[5]!;
    const ancount = (buf[6]! << 8) | buf[7]!;
    const nscount = (buf[8]! << 8) | buf[9]!;
    const arcount = (buf[10]! << 8) | buf[11]!;
    if (qdcount === 0 && ancount === 0 && nscount === 0) {
      // No question (a cookie-only query, RFC 7873 §5.4): FORMERR, with an OPT when the query had one.
      const status = this.#additionals(buf, 12, arcount);
      return status === ParseStatus.OK ? ParseStatus.FORMERR : status;
    }
    if (qdcount !== 1 || ancount !== 0 || nscount !== 0) return ParseStatus.FORMERR;
    // The question name: labels only, no pointers.
    let off = 12;
    let host = true;
    let upper = false;
    let nameLength = 0;
    /** Where the labels after the last odd label start. */
    let suffixStart = 12;
    for (;;) {
      if (off >= len) return ParseStatus.FORMERR;
      const l = buf[off]!;
      if (l === 0) {
        off++;
        break;
      }
      if (l > 63) return ParseStatus.FORMERR;
      nameLength += l + 1;
      if (nameLength > 255 || off + 1 + l > len) return ParseStatus.FORMERR;
      let labelHost = true;
      for (let i = off + 1; i <= off + l; i++) {
        const c = buf[i]!;
        if (c >= 0x61 && c <= 0x7a) continue; // a-z
        if (c >= 0x30 && c <= 0x39) continue; // 0-9
        if (c === 0x2d || c === 0x5f) continue; // - _
        if (c >= 0x41 && c <= 0x5a) upper = true;
        else labelHost = false;
      }
      off += 1 + l;
      if (!labelHost) {
        host = false;
        suffixStart = off;
      }
    }
    const nameEnd = off;
    if (off + 4 > len) return ParseStatus.FORMERR;
    this.qtype = (buf[off]! << 8) | buf[off + 1]!;
    this.qclass = (buf[off + 2]! << 8) | buf[off + 3]!;
    off += 4;
    this.questionEnd = off;
    this.hostName = host;
    if (host) {
      const raw = latin1(buf, 12, nameEnd);
      this.key = upper ? raw.toLowerCase() : raw;
    } else {
      this.key = '';
      this.hostSuffixKey = latin1(buf, suffixStart, nameEnd).toLowerCase();
    }
    return this.#additionals(buf, off, arcount);
  }

  /** Walks the additional records from `start` to find one OPT (RFC 6891 §6.1.1). */
  #additionals(buf: Buffer, start: number, arcount: number): number {
    const len = buf.length;
    let off = start;
    let sawOpt = false;
    for (let i = 0; i < arcount; i++) {
      const nameStart = off;
      off = skipName(buf, off);
      if (off < 0 || off + 10 > len) return ParseStatus.FORMERR;
      const type = (buf[off]! << 8) | buf[off + 1]!;
      const klass = (buf[off + 2]! << 8) | buf[off + 3]!;
      const version = buf[off + 5]!;
      const rdlength = (buf[off + 8]! << 8) | buf[off + 9]!;
      off += 10 + rdlength;
      if (off > len) return ParseStatus.FORMERR;
      if (type === 41) {
        if (sawOpt || buf[nameStart] !== 0) return ParseStatus.FORMERR; // one OPT, owned by the root
        sawOpt = true;
        this.edns = true;
        this.dnssecOk = (buf[off - rdlength - 4]! & 0x80) !== 0;
        this.udpSize = klass < 512 ? 512 : klass;
        if (version !== 0) return ParseStatus.BADVERS;
      }
    }
    return ParseStatus.OK;
  }
}

/**
 * `buf.latin1Slice(start, end)`: the fast path behind `buf.toString('latin1', …)` without its argument
 * checks (present on every Node Buffer, though undocumented), with the public call as a fallback.
 */
const latin1: (buf: Buffer, start: number, end: number) => string =
  typeof (Buffer.prototype as unknown as { latin1Slice?: unknown }).latin1Slice === 'function'
    ? (buf, start, end) => (buf as unknown as { latin1Slice(s: number, e: number): string }).latin1Slice(start, end)
    : (buf, start, end) => buf.toString('latin1', start, end);

/** Skips a possibly compressed name at `off`; returns the offset after it, or -1 when malformed. */
function skipName(buf: Buffer, start: number): number {
  let off = start;
  let end = -1;
  let hops = 0;
  let limit = start; // pointers must point strictly backwards
  for (;;) {
    if (off >= buf.length) return -1;
    const l = buf[off]!;
    if (l === 0) return end < 0 ? off + 1 : end;
    if ((l & 0xc0) === 0xc0) {
      if (off + 1 >= buf.length || ++hops > maxPointerHops) return -1;
      const target = ((l & 0x3f) << 8) | buf[off + 1]!;
      if (end < 0) end = off + 2;
      if (target >= limit) return -1;
      limit = target;
      off = target;
      continue;
    }
    if (l > 63) return -1;
    off += 1 + l;
  }
}

/** The dotted, lower-case name of a validated wire key (`\x03www\x07example\x03com` → `www.example.com`). */
export function keyToName(key: string): string {
  let out = '';
  let i = 0;
  while (i < key.length) {
    const l = key.charCodeAt(i);
    if (l === 0) break;
    if (out !== '') out += '.';
    out += key.slice(i + 1, i + 1 + l);
    i += 1 + l;
  }
  return out;
}

/**
 * The fixed bytes of the OPT record in every response to an EDNS query: our payload size, version 0,
 * and the DO bit when the query set it (RFC 3225 §3).
 */
export function optRecord(udpSize: number, extendedRcode = 0, dnssecOk = false): Buffer {
  const b = Buffer.alloc(11);
  b[0] = 0; // root
  b.writeUInt16BE(41, 1);
  b.writeUInt16BE(udpSize, 3);
  b[5] = extendedRcode;
  if (dnssecOk) b[7] = 0x80;
  return b;
}

/** dns-packet's record encoder (exported by the package, missing from its type declarations). */
const packetAnswer = (dnsPacket as unknown as { answer: { encode(rr: unknown): Buffer } }).answer;

function toPacketData(type: RecordType, value: string): unknown {
  switch (type) {
    case 'TXT': {
      const bytes = Buffer.from(value);
      const chunks: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += 255) chunks.push(bytes.subarray(i, i + 255));
      return chunks.length === 0 ? [Buffer.alloc(0)] : chunks;
    }
    case 'SOA':
      return parseSoa(value);
    default:
      return value;
  }
}

/** Encodes one resource record with `dns-packet`. */
export function encodeRecord(name: string, type: RecordType, ttl: number, value: string): Buffer {
  const rr = { name: name === '' ? '.' : name, type, class: 'IN', ttl, data: toPacketData(type, value) };
  return packetAnswer.encode(rr);
}

const encodedSets = new WeakMap<RecordSet, Buffer[]>();

/**
 * The encoded records of a record set, one buffer per value in stored order, cached for the life of
 * the (immutable) record set.
 */
export function encodedRecords(set: RecordSet): Buffer[] {
  let encoded = encodedSets.get(set);
  if (encoded === undefined) {
    encoded = set.records.map((r) => encodeRecord(set.name, set.type, set.ttl, r.value));
    encodedSets.set(set, encoded);
  }
  return encoded;
}

const pointed = new WeakMap<RecordSet, Map<number, Buffer[]>>();

/**
 * The offset, inside a response, of `owner` written as part of the question name `qname` (which
 * always starts at byte 12), or -1 when `owner` is not `qname` or one of its suffixes. In wire form a
 * suffix of `a.b.c` starts `qname.length - owner.length` bytes in: each dot is a length byte.
 */
export function questionOffset(qname: string, owner: string): number {
  if (owner === qname) return 12;
  if (owner === '' || !qname.endsWith(owner) || qname.charCodeAt(qname.length - owner.length - 1) !== 46) return -1;
  return 12 + qname.length - owner.length;
}

/**
 * The encoded records of a record set as they appear in an answer to `qname`: when the owner name is
 * the question name or a suffix of it, it is written as a 2-byte compression pointer into the
 * question (RFC 1035 §4.1.4), which roughly halves an A record. Cached per set and offset.
 */
export function answerRecords(set: RecordSet, qname: string): Buffer[] {
  const offset = questionOffset(qname, set.name);
  const plain = encodedRecords(set);
  if (offset < 0 || offset > 0x3fff) return plain;
  let byOffset = pointed.get(set);
  if (byOffset === undefined) pointed.set(set, (byOffset = new Map()));
  let records = byOffset.get(offset);
  if (records === undefined) {
    const nameLength = set.name === '' ? 1 : set.name.length + 2;
    records = plain.map((rr) => {
      const out = Buffer.allocUnsafe(rr.length - nameLength + 2);
      out[0] = 0xc0 | (offset >> 8);
      out[1] = offset & 0xff;
      rr.copy(out, 2, nameLength);
      return out;
    });
    if (byOffset.size < 64) byOffset.set(offset, records);
  }
  return records;
}

/** The records `answerRecords(set, qname)` in the given order of values (a weighted answer). */
export function answerInOrder(set: RecordSet, qname: string, order: readonly RecordValue[]): Buffer[] {
  const all = answerRecords(set, qname);
  if (order === set.records) return all;
  return order.map((v) => all[set.records.indexOf(v)]!);
}

/** The length of the owner name at the start of an encoded record (a pointer counts 2). */
function ownerLength(record: Buffer): number {
  let off = 0;
  for (;;) {
    const l = record[off]!;
    if (l === 0) return off + 1;
    if ((l & 0xc0) === 0xc0) return off + 2;
    off += 1 + l;
  }
}

/** A copy of an encoded record with its TTL replaced. */
export function withTtl(record: Buffer, ttl: number): Buffer {
  const copy = Buffer.from(record);
  copy.writeUInt32BE(ttl >>> 0, ownerLength(record) + 4);
  return copy;
}

/** What goes into one response, besides the query's own header fields and question. */
export interface ResponseParts {
  readonly rcode: number;
  /** Set the AA bit (we are authoritative for the name). */
  readonly authoritative: boolean;
  readonly truncated?: boolean;
  readonly answers: readonly Buffer[];
  readonly authority: readonly Buffer[];
  /** Records of the additional section besides the OPT (glue of a referral); default none. */
  readonly additional?: readonly Buffer[];
}

/**
 * Assembles a response: header (id, QR, opcode 0, AA, TC, RD copied, RA clear, rcode), the query's
 * question copied byte for byte (so the case the client sent is echoed), the records, and an OPT when
 * the query had one.
 *
 * @param query - the query buffer; its question occupies [12, questionEnd).
 * @param questionEnd - 12 for a response without a question (FORMERR/NOTIMP to a broken question).
 */
export function assembleResponse(
  query: Buffer,
  questionEnd: number,
  parts: ResponseParts,
  opt: Buffer | undefined,
): Buffer {
  let length = questionEnd;
  for (const rr of parts.answers) length += rr.length;
  for (const rr of parts.authority) length += rr.length;
  const additional = parts.additional ?? [];
  for (const rr of additional) length += rr.length;
  if (opt !== undefined) length += opt.length;
  const out = Buffer.allocUnsafe(length);
  writeHeader(out, query, parts.rcode & 0xf, parts.authoritative, parts.truncated === true);
  out.writeUInt16BE(questionEnd > 12 ? 1 : 0, 4);
  out.writeUInt16BE(parts.answers.length, 6);
  out.writeUInt16BE(parts.authority.length, 8);
  out.writeUInt16BE(additional.length + (opt === undefined ? 0 : 1), 10);
  let off = 12;
  if (questionEnd > 12) off += query.copy(out, 12, 12, questionEnd);
  for (const rr of parts.answers) off += rr.copy(out, off);
  for (const rr of parts.authority) off += rr.copy(out, off);
  for (const rr of additional) off += rr.copy(out, off);
  if (opt !== undefined) opt.copy(out, off);
  return out;
}

/** Writes id and flags of a response to `query` into `out[0..4)`. */
function writeHeader(out: Buffer, query: Buffer, rcode: number, aa: boolean, tc: boolean): void {
  out[0] = query[0]!;
  out[1] = query[1]!;
  // QR=1, opcode copied, AA, TC, RD copied from the query.
  out[2] = 0x80 | (query[2]! & 0x79) | (aa ? 0x04 : 0) | (tc ? 0x02 : 0);
  out[3] = rcode & 0x0f; // RA=0: never recursive
}

/**
 * The truncated form of a response (RFC 2181 §9): header with TC set, the question, the OPT; no
 * records, so the client retries over TCP.
 */
export function truncatedResponse(full: Buffer, questionEnd: number, opt: Buffer | undefined): Buffer {
  const length = questionEnd + (opt === undefined ? 0 : opt.length);
  const out = Buffer.allocUnsafe(length);
  full.copy(out, 0, 0, questionEnd);
  out[2] = out[2]! | 0x02;
  out.writeUInt16BE(0, 6);
  out.writeUInt16BE(0, 8);
  out.writeUInt16BE(opt === undefined ? 0 : 1, 10);
  if (opt !== undefined) opt.copy(out, questionEnd);
  return out;
}

/**
 * Copies a cached response for a new query: a fresh buffer with the new id, the new RD bit and the
 * new question bytes (same name up to case, so the same length).
 */
export function patchCached(cached: Buffer, query: Buffer, questionEnd: number): Buffer {
  const length = cached.length;
  const out = Buffer.allocUnsafe(length);
  // Byte loops: for responses of a few hundred bytes they beat Buffer#copy's call overhead.
  out[0] = query[0]!;
  out[1] = query[1]!;
  out[2] = (cached[2]! & 0xfe) | (query[2]! & 0x01);
  for (let i = 3; i < 12; i++) out[i] = cached[i]!;
  for (let i = 12; i < questionEnd; i++) out[i] = query[i]!;
  if (length - questionEnd > 512) cached.copy(out, questionEnd, questionEnd);
  else for (let i = questionEnd; i < length; i++) out[i] = cached[i]!;
  return out;
}
