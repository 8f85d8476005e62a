/**
 * Zone files for the fault DNS server, in YAML or JSON (JSON is read by the same YAML 1.2 parser, so
 * errors carry line and column either way). A file holds one zone or `{ zones: [...] }`:
 *
 * ```yaml
 * zones:
 *   - name: amazonaws.com
 *     ttl: 60                       # default TTL of its record sets, in seconds (default 300)
 *     records:
 *       - { name: '@', type: SOA, records: ['ns1.amazonaws.com hostmaster.amazonaws.com 1 7200 900 1209600 5'] }
 *       - name: dynamodb.us-east-1  # relative to the zone; '@' is the apex; a name ending with the zone or a dot is absolute
 *         type: A
 *         ttl: 5
 *         records: [127.0.0.10, { value: 127.0.0.11, weight: 3 }]
 * ```
 *
 * Every error names the file, line and column and the field: `zone.yaml:12:14: zones[0].records[3].ttl:
 * expected a TTL >= 0`.
 */
import { readFile } from 'node:fs/promises';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import {
  formatPath,
  resolveFileRecordSet,
  zoneSchemas,
  type RecordSet,
  type ZoneDefinition,
  type ZoneSchemas,
} from './zone-schema.js';
import { ZoneStore } from './zone-store.js';
import type * as Zod from 'zod';
import type * as Yaml from 'yaml';
import { lazyPeer, requirePeer } from '../core/optional-peer.js';
import { readYamlText } from './yaml-text.js';

// yaml and zod are optional peers, loaded on the first parse (FS_ERR_MISSING_PEER names them).
const feature = 'the zone file reader of failsmall/chaos';

/** Default TTL of a record set without one, in seconds: 300 s, Route 53's console default. */
export const defaultZoneTtl = 300;

const zonesFileSchema = lazyPeer('zod', feature, ({ z }: typeof Zod) =>
  z.strictObject({
    zones: z
      .array(zoneSchemas().fileZoneSchema, { error: 'expected a list of zones' })
      .min(1, 'expected at least one zone'),
  }),
);

/**
 * Parses a zone file's text into zone definitions, checked exactly as the server will check them.
 * Throws `FS_ERR_CHAOS_ZONE_FILE` naming `source:line:col` and the field.
 *
 * @param source - the file name used in messages.
 * @example
 * const zones = parseZoneText('name: example.com\nrecords:\n  - { name: www, type: A, records: [127.0.0.1] }\n');
 * await startFaultDnsServer({ zones });
 */
export function parseZoneText(text: string, source = 'zone'): ZoneDefinition[] {
  const file = readYamlText(requirePeer<typeof Yaml>('yaml', feature), text, source, 'FS_ERR_CHAOS_ZONE_FILE', '');
  const data = file.data;
  const fail = (path: (string | number)[], message: string): never => {
    const pos = file.locate(path);
    const where = pos === undefined ? source : `${source}:${pos.line}:${pos.col}`;
    const field = formatPath(path);
    throw new FailsmallError('FS_ERR_CHAOS_ZONE_FILE', `${where}: ${field === '' ? '' : `${field}: `}${message}`, {
      details: { source, line: pos?.line, col: pos?.col, path: field },
    });
  };
  const multi = typeof data === 'object' && data !== null && !Array.isArray(data) && 'zones' in data;
  const parsed = multi ? zonesFileSchema().safeParse(data) : zoneSchemas().fileZoneSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      fail([], 'expected a zone ({ name, records }) or { zones: [...] }');
    }
    fail(issue.path as (string | number)[], issue.message);
  }
  const fileZones = multi
    ? (parsed.data as Zod.infer<ReturnType<typeof zonesFileSchema>>).zones
    : [parsed.data as Zod.infer<ZoneSchemas['fileZoneSchema']>];
  const zones: ZoneDefinition[] = fileZones.map((zone, zi) => {
    const prefix: (string | number)[] = multi ? ['zones', zi] : [];
    const records: RecordSet[] = (zone.records ?? []).map((set, ri) => {
      const resolved = resolveFileRecordSet(zone.name, zone.ttl ?? defaultZoneTtl, set);
      if ('issues' in resolved) {
        const issue = resolved.issues[0]!;
        return fail([...prefix, 'records', ri, ...issue.path], issue.message);
      }
      return resolved.recordSet;
    });
    return { name: zone.name, records };
  });
  // Rules across record sets (duplicates, CNAME exclusivity, SOA placement, zones defined twice).
  try {
    new ZoneStore(zones);
  } catch (error) {
    if (!isFailsmallError(error)) throw error;
    const path = (error.details?.['path'] as (string | number)[] | undefined) ?? [];
    const message = error.message.replace(/^[^:]*: /, '');
    const zi = path[1] as number | undefined;
    const local = path.slice(2);
    fail(multi ? ['zones', ...(zi === undefined ? [] : [zi]), ...local] : local, message);
  }
  return zones;
}

/**
 * Reads and parses a zone file (YAML or JSON). Throws `FS_ERR_CHAOS_ZONE_FILE` when it cannot be read
 * or is invalid (naming line and field).
 */
export async function loadZoneFile(path: string): Promise<ZoneDefinition[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new FailsmallError('FS_ERR_CHAOS_ZONE_FILE', `Cannot read zone file ${path}: ${(error as Error).message}`, {
      cause: error,
      details: { source: path },
    });
  }
  return parseZoneText(text, path);
}
