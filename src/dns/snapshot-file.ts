/**
 * The persisted last-known-good snapshot: so that a process restarted in the middle of a DNS outage
 * still has addresses for the names it used. Written atomically (a temporary file in the same
 * directory, then `rename`, so a reader sees the old file or the new one, never half of one) and
 * read defensively: a missing, oversized, unparseable or foreign file is ignored, and each entry is
 * validated (name, family, addresses, times) before it is trusted.
 *
 * Format (JSON): `{ "format": "failsmall-dns-snapshot", "version": 1, "savedAt": ms,
 * "entries": [{ "name", "family", "addresses": [{ "address", "family" }], "ttl", "receivedAt" }] }`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import net from 'node:net';
import { hostnameProblem } from './hostname.js';
import type { DnsAddress, DnsFamily } from './types.js';

const FORMAT = 'failsmall-dns-snapshot';
const VERSION = 1;

/** One last-known-good record. */
export interface SnapshotRecord {
  readonly name: string;
  readonly family: DnsFamily;
  readonly addresses: readonly DnsAddress[];
  /** The TTL in seconds. */
  readonly ttl: number;
  /** When the addresses were received, in clock ms. */
  readonly receivedAt: number;
}

/** What {@link readSnapshotFile} found. */
export interface SnapshotRead {
  readonly records: SnapshotRecord[];
  /** Why the file (or some entries) were ignored; undefined when all was well. */
  readonly problem: string | undefined;
  /** Entries skipped as invalid. */
  readonly skipped: number;
}

/** Limits of {@link readSnapshotFile}. */
export interface SnapshotLimits {
  /** The largest file read, in bytes; default 8 MiB. */
  readonly maxBytes?: number;
  /** The most entries taken; default 10,000. */
  readonly maxEntries?: number;
  /** The most addresses per entry; default 64. */
  readonly maxAddresses?: number;
  /** The current time: entries received in the future are clamped to it. */
  readonly now: number;
}

/**
 * Serialises records to the snapshot format.
 *
 * @example
 * await writeSnapshotFile(file, encodeSnapshot(records, Date.now()));
 */
export function encodeSnapshot(records: readonly SnapshotRecord[], savedAt: number): string {
  return JSON.stringify({ format: FORMAT, version: VERSION, savedAt, entries: records });
}

function validRecord(value: unknown, maxAddresses: number, now: number): SnapshotRecord | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { name, family, addresses, ttl, receivedAt } = v;
  if (typeof name !== 'string' || name !== name.toLowerCase() || hostnameProblem(name) !== undefined) return undefined;
  if (family !== 0 && family !== 4 && family !== 6) return undefined;
  if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0 || ttl > 604_800) return undefined;
  if (typeof receivedAt !== 'number' || !Number.isFinite(receivedAt)) return undefined;
  if (!Array.isArray(addresses) || addresses.length === 0 || addresses.length > maxAddresses) return undefined;
  const list: DnsAddress[] = [];
  for (const a of addresses as unknown[]) {
    if (typeof a !== 'object' || a === null) return undefined;
    const { address, family: f } = a as Record<string, unknown>;
    if (typeof address !== 'string' || (f !== 4 && f !== 6) || net.isIP(address) !== f) return undefined;
    if (family !== 0 && f !== family) return undefined;
    if (!list.some((b) => b.address === address)) list.push({ address, family: f });
  }
  return { name, family, addresses: list, ttl, receivedAt: Math.min(receivedAt, now) };
}

/**
 * Reads a snapshot file synchronously (once, at start-up) and never throws: every problem is
 * reported in `problem` and the file or entry ignored.
 *
 * @example
 * const { records, problem } = readSnapshotFile('/var/lib/app/dns.json', { now: Date.now() });
 */
export function readSnapshotFile(file: string, limits: SnapshotLimits): SnapshotRead {
  const maxBytes = limits.maxBytes ?? 8 * 1024 * 1024;
  const maxEntries = limits.maxEntries ?? 10_000;
  const maxAddresses = limits.maxAddresses ?? 64;
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const size = fstatSync(fd).size;
    if (size > maxBytes) return { records: [], problem: `the file is larger than ${maxBytes} bytes`, skipped: 0 };
    const buf = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buf, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    text = buf.toString('utf8', 0, read);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return {
      records: [],
      problem: code === 'ENOENT' ? undefined : `the file cannot be read (${code ?? String(error)})`,
      skipped: 0,
    };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { records: [], problem: 'the file is not valid JSON', skipped: 0 };
  }
  if (typeof parsed !== 'object' || parsed === null)
    return { records: [], problem: 'the file is not a snapshot', skipped: 0 };
  const p = parsed as Record<string, unknown>;
  if (p.format !== FORMAT || p.version !== VERSION || !Array.isArray(p.entries)) {
    return { records: [], problem: 'the file is not a failsmall DNS snapshot of version 1', skipped: 0 };
  }
  const records: SnapshotRecord[] = [];
  let skipped = 0;
  for (const entry of p.entries as unknown[]) {
    if (records.length >= maxEntries) {
      skipped++;
      continue;
    }
    const record = validRecord(entry, maxAddresses, limits.now);
    if (record === undefined) skipped++;
    else records.push(record);
  }
  return { records, problem: skipped > 0 ? `${skipped} invalid or surplus entries were skipped` : undefined, skipped };
}

let tmpCounter = 0;

/**
 * Writes `text` to `file` atomically: a temporary file beside it, synced, then a rename over it.
 *
 * @example
 * await writeSnapshotFile('/var/lib/app/dns.json', encodeSnapshot(records, Date.now()));
 */
export async function writeSnapshotFile(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.${++tmpCounter}.tmp`;
  try {
    const handle = await open(tmp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.sync(); // the data is on disk before the rename makes it visible
    } finally {
      await handle.close();
    }
    await rename(tmp, file);
  } catch (error) {
    await unlink(tmp).catch(() => undefined);
    throw error;
  }
}
