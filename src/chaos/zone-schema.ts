/**
 * The shapes of zones, record sets and change batches, and their validation (zod). One schema serves
 * the zone files, the HTTP control API and the programmatic API, so every entry point rejects the same
 * bad input with the same message, naming the field: `changes[0].recordSet.records[1].value: …`.
 *
 * Names are absolute, case-insensitive, and stored lower-case without the trailing dot
 * (`dynamodb.us-east-1.amazonaws.com`); a trailing dot is accepted on input.
 */
import { isIPv4, isIPv6 } from 'node:net';
import type * as Zod from 'zod';
import { FailsmallError, type ErrorCode } from '../core/errors.js';
import { lazyPeer } from '../core/optional-peer.js';
import { formatPath } from './yaml-text.js';
import { hostnameOrUndefined } from '../dns/hostname.js';

/** The record types the fault DNS server serves. */
export const recordTypes = ['A', 'AAAA', 'CNAME', 'NS', 'SOA', 'TXT'] as const;

/** One of {@link recordTypes}. */
export type RecordType = (typeof recordTypes)[number];

/** One value of a record set, with an optional weight (see {@link RecordSet}). */
export interface RecordValue {
  /**
   * The value in presentation form: an IPv4 address (A), an IPv6 address (AAAA), a name (CNAME, NS),
   * any text (TXT, split into 255-byte strings on the wire) or `mname rname serial refresh retry
   * expire minimum` (SOA).
   */
  readonly value: string;
  /**
   * Route 53-style weight, an integer 0..255. When any value of a set carries a weight the set is
   * weighted: each answer orders the values by weighted sampling (see `weightedOrder`); a value without
   * a weight then counts as weight 1, weight 0 is never served unless every weight is 0.
   */
  readonly weight?: number;
}

/**
 * Every record of one name and type. `records: []` is allowed: the name exists but holds no data of
 * this type, so a query gets NOERROR with an empty answer (the answer `dynamodb.us-east-1.amazonaws.com`
 * gave on 2025-10-20).
 */
export interface RecordSet {
  /** The owner name, absolute (`api.example.com`), trailing dot optional. */
  readonly name: string;
  readonly type: RecordType;
  /** Time to live in seconds, an integer 0..2147483647. */
  readonly ttl: number;
  readonly records: readonly RecordValue[];
}

/** One change of a batch: UPSERT creates or replaces the record set of (name, type), DELETE removes it. */
export interface Change {
  readonly action: 'UPSERT' | 'DELETE';
  readonly recordSet: RecordSet;
}

/** A batch of changes applied atomically, optionally only if the zone is still at `expectedVersion`. */
export interface ChangeBatch {
  /** Compare-and-set: the batch fails with `FS_ERR_CHAOS_VERSION_CONFLICT` unless the zone has this version. */
  readonly expectedVersion?: number;
  readonly changes: readonly Change[];
  /** Free text kept in the audit log. */
  readonly comment?: string;
}

/** A zone as given to the server: its apex name and its record sets. */
export interface ZoneDefinition {
  /** The apex, e.g. `amazonaws.com`. */
  readonly name: string;
  readonly records?: readonly RecordSet[];
}

/** Most values in one record set: bounds every answer (the server never amplifies). */
export const maxRecordsPerSet = 100;
/** Largest TXT value, in bytes of UTF-8 (Route 53 allows 4,000 characters). */
export const maxTxtBytes = 4000;
/** Most changes in one batch (Route 53 allows 1,000). */
export const maxChangesPerBatch = 1000;

/**
 * Normalises a domain name: lower-case, no trailing dot. Returns `undefined` when it is not a valid
 * host name by the resolver's rule (`dns/hostname.ts`: RFC 1123 labels of 1–63 letters, digits, `-`
 * or `_`, not starting or ending with `-`, at most 253 characters), so the fault server serves no
 * name the resolver refuses. The root (`''` or `'.'`) is explicitly `''`: it is a valid zone apex
 * here, where it is no host name.
 */
export function normalizeName(input: string): string | undefined {
  const name = input.trim();
  if (name === '' || name === '.') return '';
  return hostnameOrUndefined(name);
}

/** True when `name` equals `zone` or lies below it (both normalised). */
export function inZone(name: string, zone: string): boolean {
  return zone === '' || name === zone || name.endsWith(`.${zone}`);
}

/** The parsed fields of an SOA value. */
export interface SoaData {
  readonly mname: string;
  readonly rname: string;
  readonly serial: number;
  readonly refresh: number;
  readonly retry: number;
  readonly expire: number;
  readonly minimum: number;
}

/** Parses `mname rname serial refresh retry expire minimum`; `undefined` when malformed. */
export function parseSoa(value: string): SoaData | undefined {
  const parts = value.trim().split(/\s+/);
  if (parts.length !== 7) return undefined;
  const mname = normalizeName(parts[0]!);
  const rname = normalizeName(parts[1]!);
  const numbers = parts.slice(2).map((p) => (/^\d{1,10}$/.test(p) ? Number(p) : NaN));
  if (mname === undefined || rname === undefined || numbers.some((n) => !(n <= 0xffff_ffff))) return undefined;
  const [serial, refresh, retry, expire, minimum] = numbers as [number, number, number, number, number];
  return { mname, rname, serial, refresh, retry, expire, minimum };
}

/**
 * Checks a value for its type and returns it normalised, or an error message.
 * @returns `{ value }` or `{ error }`.
 */
export function checkValue(type: RecordType, raw: string): { value: string } | { error: string } {
  switch (type) {
    case 'A':
      return isIPv4(raw) ? { value: raw } : { error: `expected an IPv4 address for an A record, got ${quote(raw)}` };
    case 'AAAA':
      return isIPv6(raw)
        ? { value: raw.toLowerCase() }
        : { error: `expected an IPv6 address for an AAAA record, got ${quote(raw)}` };
    case 'CNAME':
    case 'NS': {
      const name = normalizeName(raw);
      return name === undefined || name === ''
        ? { error: `expected a domain name for a ${type} record, got ${quote(raw)}` }
        : { value: name };
    }
    case 'TXT':
      return Buffer.byteLength(raw) > maxTxtBytes
        ? { error: `expected a TXT value of at most ${maxTxtBytes} bytes, got ${Buffer.byteLength(raw)}` }
        : { value: raw };
    case 'SOA': {
      const soa = parseSoa(raw);
      return soa === undefined
        ? { error: `expected "mname rname serial refresh retry expire minimum" for an SOA record, got ${quote(raw)}` }
        : { value: `${soa.mname} ${soa.rname} ${soa.serial} ${soa.refresh} ${soa.retry} ${soa.expire} ${soa.minimum}` };
    }
  }
}

function quote(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 80)}…` : s);
}

/** Checks the per-type rules of a record set (values, counts) and normalises its values. */
function refineRecordSet(
  set: { name: string; type: RecordType; ttl: number; records: { value: string; weight?: number | undefined }[] },
  ctx: Zod.RefinementCtx,
): RecordSet {
  const records: RecordValue[] = [];
  set.records.forEach((r, i) => {
    const checked = checkValue(set.type, r.value);
    if ('error' in checked) ctx.addIssue({ code: 'custom', message: checked.error, path: ['records', i, 'value'] });
    else records.push(r.weight === undefined ? { value: checked.value } : { value: checked.value, weight: r.weight });
  });
  if ((set.type === 'CNAME' || set.type === 'SOA') && set.records.length > 1) {
    ctx.addIssue({
      code: 'custom',
      message: `a ${set.type} record set holds at most one record, got ${set.records.length}`,
      path: ['records'],
    });
  }
  return { name: set.name, type: set.type, ttl: set.ttl, records };
}

/**
 * The zod schemas of zones, built on first use (zod is an optional peer, loaded then;
 * `FS_ERR_MISSING_PEER` names it when it is not installed): `recordValueSchema` (`{ value, weight? }`),
 * `recordSetSchema` (a record set as the API takes it: absolute name), `changeSchema`,
 * `changeBatchSchema` (the body of `POST /v1/zones/:zone/changes`), `zoneDefinitionSchema` (a zone
 * as the programmatic API takes it), and as a zone file writes them: `fileRecordSetSchema` (the
 * name may be relative to the zone, `@` for the apex, or absolute; `ttl` defaults to the zone's; a
 * record may be a bare string), `fileZoneSchema` and `zoneFileSchema` (one zone, or
 * `{ zones: [...] }`).
 *
 * @example
 * zoneSchemas().recordSetSchema.parse({ name: 'www.example.com', type: 'A', ttl: 60, records: [{ value: '127.0.0.1' }] });
 */
export const zoneSchemas = lazyPeer('zod', 'zone validation in failsmall/chaos', ({ z }: typeof Zod) => {
  const nameSchema = z.string().transform((raw, ctx) => {
    const name = normalizeName(raw);
    if (name === undefined || name === '') {
      ctx.addIssue({ code: 'custom', message: `expected a domain name, got ${quote(raw)}` });
      return z.NEVER;
    }
    return name;
  });

  const ttlSchema = z
    .number({ error: 'expected a TTL in seconds (an integer)' })
    .int('expected an integer TTL in seconds')
    .min(0, 'expected a TTL >= 0')
    .max(2_147_483_647, 'expected a TTL <= 2147483647');

  const weightSchema = z
    .number({ error: 'expected a weight (an integer 0..255)' })
    .int('expected an integer weight')
    .min(0, 'expected a weight >= 0')
    .max(255, 'expected a weight <= 255');

  /** A record value: an object `{ value, weight? }`. */
  const recordValueSchema = z.strictObject({
    value: z.string({ error: 'expected a string value' }),
    weight: weightSchema.optional(),
  });

  const recordTypeSchema = z.enum(recordTypes, {
    error: (issue) => `expected one of ${recordTypes.join(', ')}, got ${JSON.stringify(issue.input)}`,
  });

  /** A record set as the API takes it (absolute name, `records: [{ value, weight? }]`). */
  const recordSetSchema = z
    .strictObject({
      name: nameSchema,
      type: recordTypeSchema,
      ttl: ttlSchema,
      records: z
        .array(recordValueSchema, { error: 'expected an array of { value, weight? }' })
        .max(maxRecordsPerSet, `expected at most ${maxRecordsPerSet} records`),
    })
    .transform(refineRecordSet);

  /** One change of a batch. */
  const changeSchema = z.strictObject({
    action: z.enum(['UPSERT', 'DELETE'], {
      error: (issue) => `expected "UPSERT" or "DELETE", got ${JSON.stringify(issue.input)}`,
    }),
    recordSet: recordSetSchema,
  });

  /** The body of `POST /v1/zones/:zone/changes`. */
  const changeBatchSchema = z.strictObject({
    expectedVersion: z
      .number({ error: 'expected a zone version (a non-negative integer)' })
      .int('expected an integer version')
      .min(0, 'expected a version >= 0')
      .optional(),
    changes: z
      .array(changeSchema, { error: 'expected an array of changes' })
      .min(1, 'expected at least one change')
      .max(maxChangesPerBatch, `expected at most ${maxChangesPerBatch} changes`),
    comment: z.string({ error: 'expected a string' }).max(1024, 'expected at most 1024 characters').optional(),
  });

  /** A zone as the programmatic API takes it. */
  const zoneDefinitionSchema = z.strictObject({
    name: nameSchema,
    records: z.array(recordSetSchema, { error: 'expected an array of record sets' }).optional(),
  });

  /**
   * A record set as a zone file writes it: the name may be relative to the zone (`www`), `@` for the
   * apex, or absolute (ending with the zone name or a dot); `ttl` defaults to the zone's; each record
   * may be a bare string.
   */
  const fileRecordSetSchema = z.strictObject({
    name: z.string({ error: 'expected a name (relative, @ or absolute)' }),
    type: recordTypeSchema,
    ttl: ttlSchema.optional(),
    records: z
      .array(z.union([z.string(), recordValueSchema], { error: 'expected a string or { value, weight? }' }), {
        error: 'expected an array of values',
      })
      .max(maxRecordsPerSet, `expected at most ${maxRecordsPerSet} records`),
  });

  /** A zone as a zone file writes it. */
  const fileZoneSchema = z.strictObject({
    name: nameSchema,
    ttl: ttlSchema.optional(),
    records: z.array(fileRecordSetSchema, { error: 'expected an array of record sets' }).optional(),
  });

  /** A zone file: one zone, or `{ zones: [...] }`. */
  const zoneFileSchema = z.union([z.strictObject({ zones: z.array(fileZoneSchema).min(1) }), fileZoneSchema], {
    error: 'expected a zone ({ name, records }) or { zones: [...] }',
  });

  return {
    recordValueSchema,
    recordSetSchema,
    changeSchema,
    changeBatchSchema,
    zoneDefinitionSchema,
    fileRecordSetSchema,
    fileZoneSchema,
    zoneFileSchema,
  };
});

/** The schemas {@link zoneSchemas} returns. */
export type ZoneSchemas = ReturnType<typeof zoneSchemas>;

/** Parses a record set given in a zone file into an absolute {@link RecordSet}, or an issue. */
export function resolveFileRecordSet(
  zone: string,
  defaultTtl: number,
  set: Zod.infer<ZoneSchemas['fileRecordSetSchema']>,
): { recordSet: RecordSet } | { issues: { path: (string | number)[]; message: string }[] } {
  const raw = set.name.trim();
  let absolute: string;
  const lower = raw.toLowerCase();
  if (raw === '@' || raw === '') absolute = zone;
  else if (raw.endsWith('.')) absolute = raw;
  else if (lower === zone || lower.endsWith(`.${zone}`)) absolute = raw;
  else absolute = `${raw}.${zone}`;
  const parsed = zoneSchemas().recordSetSchema.safeParse({
    name: absolute,
    type: set.type,
    ttl: set.ttl ?? defaultTtl,
    records: set.records.map((r) => (typeof r === 'string' ? { value: r } : r)),
  });
  if (!parsed.success) {
    return { issues: parsed.error.issues.map((i) => ({ path: i.path as (string | number)[], message: i.message })) };
  }
  return { recordSet: parsed.data };
}

/**
 * Parses `input` with `schema`, or throws a `FailsmallError` with `code` whose message names every
 * field at fault and whose `details.issues` lists them (`{ path, message }`). The one way chaos
 * turns a schema failure into an error.
 */
export function parseOrThrow<T>(schema: Zod.ZodType<T>, input: unknown, code: ErrorCode): T {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new FailsmallError(code, formatIssues(parsed.error.issues), {
    details: { issues: parsed.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })) },
  });
}

/** Formats zod issues as `path: message` lines, `a.b[0].c`, for error messages. */
export function formatIssues(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${formatPath(i.path) || '(root)'}: ${i.message}`).join('; ');
}

export { formatPath };
