/**
 * The last-known-good file: so that a process restarted in the middle of a DNS outage still has
 * addresses for the names it used, and knows how old they are. Written atomically (a temporary file
 * in the same directory, then `rename`, so a reader sees the old file or the new one, never half of
 * one) and read defensively: a missing, oversized, unparseable or foreign file is ignored, and each
 * entry is validated (name, family, addresses, times) before it is trusted.
 *
 * The writer and the reader apply the same {@link LkgLimits}, so whatever the resolver writes it
 * reads back: a set with more addresses than `maxAddresses` is written with its first
 * `maxAddresses`, entries past `maxEntries` or past `maxBytes` are left out of the file.
 *
 * Format (JSON): `{ "format": "failsmall-dns-lkg", "version": 2, "savedAt": ms, "entries": [{ "name",
 * "family", "addresses": [{ "address", "family" }], "ttl", "confirmedAt", "heldSince"?, "heldReason"? }] }`.
 * `confirmedAt` is when an upstream last gave the set, `heldSince` when the guard started holding it
 * against an upstream's denial (absent when it was not held). Version 1 files
 * (`failsmall-dns-snapshot`, with `receivedAt`) are still read.
 */
import { readStateFile, writeStateFile } from '../core/state-file.js';
import net from 'node:net';
import { positiveInteger } from '../core/validate.js';
import type { GuardReason } from './guard.js';
import { hostnameProblem } from './hostname.js';
import type { DnsAddress, DnsFamily } from './types.js';

const FORMAT = 'failsmall-dns-lkg';
const VERSION = 2;
const LEGACY_FORMAT = 'failsmall-dns-snapshot';
const LEGACY_VERSION = 1;

/** One last-known-good record. */
export interface LkgRecord {
  readonly name: string;
  readonly family: DnsFamily;
  readonly addresses: readonly DnsAddress[];
  /** The TTL in seconds. */
  readonly ttl: number;
  /** When an upstream last gave these addresses, in clock ms. */
  readonly confirmedAt: number;
  /** When the guard started holding the set against an upstream's denial, in clock ms; absent when not held. */
  readonly heldSince?: number;
  /** Why the guard held it; present with `heldSince`. */
  readonly heldReason?: GuardReason;
}

/** What {@link readLkgFile} found. */
export interface LkgRead {
  readonly records: LkgRecord[];
  /** Why the file (or some entries) were ignored; undefined when all was well. */
  readonly problem: string | undefined;
  /** Entries skipped as invalid. */
  readonly skipped: number;
}

/** Limits of the last-known-good file, applied alike when writing and when reading. */
export interface LkgLimits {
  /** The largest file, in bytes; default 8 MiB. */
  readonly maxBytes: number;
  /** The most entries; default 10,000 (the resolver passes its `maxEntries`). */
  readonly maxEntries: number;
  /**
   * The most addresses per entry; default 4,096 (more than a 64 KiB TCP answer of A records can
   * hold, so every set the resolver accepts is written whole).
   */
  readonly maxAddresses: number;
}

/** The defaults of {@link LkgLimits}. */
export const defaultLkgLimits: LkgLimits = Object.freeze({
  maxBytes: 8 * 1024 * 1024,
  maxEntries: 10_000,
  maxAddresses: 4_096,
});

/**
 * Validates partial limits and fills in defaults; `FS_ERR_INVALID_ARGUMENT` for a value that is not
 * a positive integer.
 *
 * @example
 * lkgLimits({ maxAddresses: 256 }); // { maxBytes: 8388608, maxEntries: 10000, maxAddresses: 256 }
 */
export function lkgLimits(options: Partial<LkgLimits> = {}): LkgLimits {
  return {
    maxBytes: positiveInteger('lkgLimits.maxBytes', options.maxBytes ?? defaultLkgLimits.maxBytes),
    maxEntries: positiveInteger('lkgLimits.maxEntries', options.maxEntries ?? defaultLkgLimits.maxEntries),
    maxAddresses: positiveInteger('lkgLimits.maxAddresses', options.maxAddresses ?? defaultLkgLimits.maxAddresses),
  };
}

/** What {@link encodeLkg} produced. */
export interface LkgEncoded {
  readonly text: string;
  /** Entries in the file. */
  readonly entries: number;
  /** Entries left out (past `maxEntries` or `maxBytes`). */
  readonly omitted: number;
}

/**
 * Serialises records to the file format within `limits` (see the module comment).
 *
 * @example
 * await writeLkgFile(file, encodeLkg(records, Date.now()).text);
 */
export function encodeLkg(
  records: readonly LkgRecord[],
  savedAt: number,
  limits: LkgLimits = defaultLkgLimits,
): LkgEncoded {
  const head = `{"format":"${FORMAT}","version":${VERSION},"savedAt":${JSON.stringify(savedAt)},"entries":[`;
  const parts: string[] = [];
  let bytes = Buffer.byteLength(head) + 2;
  let omitted = 0;
  for (const record of records) {
    if (parts.length >= limits.maxEntries) {
      omitted++;
      continue;
    }
    const addresses =
      record.addresses.length > limits.maxAddresses ? record.addresses.slice(0, limits.maxAddresses) : record.addresses;
    const text = JSON.stringify(addresses === record.addresses ? record : { ...record, addresses });
    const size = Buffer.byteLength(text) + 1;
    if (bytes + size > limits.maxBytes) {
      omitted++;
      continue;
    }
    bytes += size;
    parts.push(text);
  }
  return { text: `${head}${parts.join(',')}]}`, entries: parts.length, omitted };
}

function validRecord(value: unknown, legacy: boolean, maxAddresses: number, now: number): LkgRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { name, family, addresses, ttl } = v;
  const confirmedAt = legacy ? v.receivedAt : v.confirmedAt;
  if (typeof name !== 'string' || name !== name.toLowerCase() || hostnameProblem(name) !== undefined) return undefined;
  if (family !== 0 && family !== 4 && family !== 6) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0 || ttl > 604_800) return undefined;
  if (typeof confirmedAt !== 'number' || !Number.isFinite(confirmedAt)) return undefined;
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > maxAddresses) return undefined;
  const list: DnsAddress[] = [];
  for (const a of addresses as unknown[]) {
    if (typeof a !== 'object' || a === null) return undefined;
    const { address, family: f } = a as Record<string, unknown>;
    if (typeof address !== 'string' || (f !== 4 && f !== 6) || net.isIP(address) !== f) return undefined;
    if (family !== 0 && f !== family) return undefined;
    if (!list.some((b) => b.address === address)) list.push({ address, family: f });
  }
  const record: LkgRecord = { name, family, addresses: list, ttl, confirmedAt: Math.min(confirmedAt, now) };
  const { heldSince, heldReason } = v;
  if (heldSince === undefined) return record;
  if (typeof heldSince !== 'number' || !Number.isFinite(heldSince)) return undefined;
  if (heldReason !== 'empty' && heldReason !== 'nxdomain' && heldReason !== 'drop') return undefined;
  return { ...record, heldSince: Math.min(heldSince, now), heldReason };
}

/**
 * Reads a last-known-good file synchronously (once, at start-up) and never throws: every problem is
 * reported in `problem` and the file or entry ignored.
 *
 * @param limits - the same limits the file was written with; default {@link defaultLkgLimits}.
 * @example
 * const { records, problem } = readLkgFile('/var/lib/app/dns-lkg.json', Date.now());
 */
export function readLkgFile(file: string, now: number, limits: LkgLimits = defaultLkgLimits): LkgRead {
  const { maxBytes, maxEntries, maxAddresses } = limits;
  const read = readStateFile(file, maxBytes);
  if (read.text === undefined) return { records: [], problem: read.problem, skipped: 0 };
  const text = read.text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { records: [], problem: 'the file is not valid JSON', skipped: 0 };
  }
  if (typeof parsed !== 'object' || parsed === null)
    return { records: [], problem: 'the file is not a last-known-good file', skipped: 0 };
  const p = parsed as Record<string, unknown>;
  const current = p.format === FORMAT && p.version === VERSION;
  const legacy = p.format === LEGACY_FORMAT && p.version === LEGACY_VERSION;
  if ((!current && !legacy) || !Array.isArray(p.entries)) {
    return {
      records: [],
      problem: `the file is not a failsmall DNS last-known-good file of version ${VERSION}`,
      skipped: 0,
    };
  }
  const records: LkgRecord[] = [];
  let skipped = 0;
  for (const entry of p.entries as unknown[]) {
    if (records.length >= maxEntries) {
      skipped++;
      continue;
    }
    const record = validRecord(entry, legacy, maxAddresses, now);
    if (record === undefined) skipped++;
    else records.push(record);
  }
  return { records, problem: skipped > 0 ? `${skipped} invalid or surplus entries were skipped` : undefined, skipped };
}

/**
 * Writes `text` to `file` atomically: a temporary file beside it, synced, then a rename over it
 * (core's `writeStateFile`).
 *
 * @example
 * await writeLkgFile('/var/lib/app/dns-lkg.json', encodeLkg(records, Date.now()).text);
 */
export function writeLkgFile(file: string, text: string): Promise<void> {
  return writeStateFile(file, text);
}
