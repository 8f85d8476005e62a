/**
 * The DNS wire constants, one table for every codec of the project: record types, classes, response
 * codes and header flags. The client side (`dns/message.ts`) and the fault server's side
 * (`chaos/wire.ts`) both read them from here.
 *
 * @see https://www.rfc-editor.org/rfc/rfc1035#section-4.1.1 (header, types, classes, rcodes)
 * @see https://www.rfc-editor.org/rfc/rfc6895 (the IANA registries)
 * @see https://www.rfc-editor.org/rfc/rfc6891 (EDNS(0): OPT, BADVERS, the DO bit)
 */

/** Record (and query) type numbers. */
export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  DS: 43,
  RRSIG: 46,
  DNSKEY: 48,
  SVCB: 64,
  HTTPS: 65,
  IXFR: 251,
  AXFR: 252,
  ANY: 255,
  CAA: 257,
} as const;

/** Names by number, an array for the servers' hot path. */
const typeNames: (string | undefined)[] = [];
for (const [name, number] of Object.entries(DnsType)) typeNames[number] = name;

/**
 * The mnemonic of a type number, `TYPE<n>` for one without (RFC 3597 §5).
 *
 * @example
 * typeName(28); // 'AAAA'
 * typeName(65280); // 'TYPE65280'
 */
export function typeName(type: number): string {
  return typeNames[type] ?? `TYPE${type}`;
}

/** Class numbers. */
export const DnsClass = {
  /** The Internet. */
  IN: 1,
  /** Chaos (CH). */
  CH: 3,
  /** Hesiod (HS). */
  HS: 4,
  /** QCLASS NONE (RFC 2136). */
  NONE: 254,
  /** QCLASS ANY. */
  ANY: 255,
} as const;

/** Response codes (the 4 header bits, and the extended EDNS ones above 15). */
export const Rcode = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  YXDOMAIN: 6,
  YXRRSET: 7,
  NXRRSET: 8,
  NOTAUTH: 9,
  NOTZONE: 10,
  /** Extended (EDNS) rcode 16: the query's EDNS version is not supported. */
  BADVERS: 16,
} as const;

/** Response code names by number, 0..16 (`RCODE<n>` for the unassigned ones). */
export const rcodeNames = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
  'RCODE11',
  'RCODE12',
  'RCODE13',
  'RCODE14',
  'RCODE15',
  'BADVERS',
] as const;

/**
 * The name of a response code number.
 *
 * @example
 * rcodeName(3); // 'NXDOMAIN'
 */
export function rcodeName(rcode: number): string {
  return rcodeNames[rcode] ?? `RCODE${rcode}`;
}

/** Bits of the header's flags word (bytes 2–3). */
export const DnsFlag = {
  /** A response. */
  QR: 0x8000,
  /** The opcode's bits (shift right by {@link OPCODE_SHIFT}). */
  OPCODE: 0x7800,
  /** Authoritative answer. */
  AA: 0x0400,
  /** Truncated. */
  TC: 0x0200,
  /** Recursion desired. */
  RD: 0x0100,
  /** Recursion available. */
  RA: 0x0080,
  /** Authentic data (RFC 4035). */
  AD: 0x0020,
  /** Checking disabled (RFC 4035). */
  CD: 0x0010,
  /** The rcode's 4 bits. */
  RCODE: 0x000f,
} as const;

/** How far the opcode is shifted in the flags word. */
export const OPCODE_SHIFT = 11;

/** Opcode QUERY (the only one answered or asked here). */
export const OPCODE_QUERY = 0;

/** The DO bit ("DNSSEC OK") in the flags of an OPT record's TTL field (RFC 3225). */
export const EDNS_DO = 0x8000;
