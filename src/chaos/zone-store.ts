/**
 * The zone store: the authoritative data of the fault DNS server, versioned per zone. It is the heart
 * of the change API and holds no I/O and no clock: `apply` validates a change batch and either swaps in
 * the next version of the zone or throws, so a batch is all or nothing, and `resolve` answers a
 * question from the current version. Every version is an immutable snapshot, so a query never sees
 * half a batch.
 *
 * Change batches follow Route 53 change transactions (`ChangeResourceRecordSets`): UPSERT and DELETE
 * of whole record sets, atomic, and here optionally conditional on the zone's version
 * (compare-and-set), which is what a fenced enactor needs.
 *
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
 * @see RFC 1034 §3.6.2 (CNAME exclusivity), RFC 2308 (negative answers carry the SOA), RFC 8020
 * (a name with descendants exists: NODATA, not NXDOMAIN).
 */
import { FailsmallError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import {
  parseOrThrow,
  formatPath,
  inZone,
  parseSoa,
  zoneSchemas,
  type Change,
  type ChangeBatch,
  type RecordSet,
  type RecordType,
  type ZoneDefinition,
} from './zone-schema.js';

/** One immutable version of a zone. */
interface ZoneVersion {
  readonly name: string;
  readonly version: number;
  /** name → type → record set. */
  readonly sets: ReadonlyMap<string, ReadonlyMap<RecordType, RecordSet>>;
  /** Every strict ancestor (within the zone) of a name that holds data: these exist (RFC 8020). */
  readonly nonTerminals: ReadonlySet<string>;
  /** Delegation points: names below the apex with NS records (zone cuts, RFC 1034 §4.2.1). */
  readonly cuts: ReadonlySet<string>;
  /** The SOA served in negative answers: the zone's own, or one synthesised from the version. */
  readonly soa: RecordSet;
  /** The TTL of negative answers: min(SOA TTL, SOA minimum), RFC 2308 §5. */
  readonly negativeTtl: number;
}

/** A zone and its version, as `GET /v1/zones` lists it. */
export interface ZoneSummary {
  readonly name: string;
  readonly version: number;
}

/** A zone with every record set, as `GET /v1/zones/:zone` returns it. */
export interface ZoneContents extends ZoneSummary {
  readonly records: RecordSet[];
}

/** Emitted after a change batch is applied. */
export interface ZoneChangeEvent {
  readonly zone: string;
  readonly version: number;
  readonly previousVersion: number;
  readonly changes: readonly Change[];
  readonly comment: string | undefined;
}

/** How a question resolves against the zones. */
export interface Resolution {
  /** NOERROR (answer or NODATA), NXDOMAIN, or REFUSED (no zone of ours holds the name). */
  readonly rcode: 'NOERROR' | 'NXDOMAIN' | 'REFUSED';
  /** The zone that holds the name, or undefined when REFUSED. */
  readonly zone: string | undefined;
  /** The answer record sets in order: CNAMEs followed, then the records of the asked type. */
  readonly answers: readonly RecordSet[];
  /** The zone's SOA, for the authority section of a negative answer (NODATA or NXDOMAIN). */
  readonly soa: RecordSet | undefined;
  /** The TTL of the SOA in a negative answer, RFC 2308: min(SOA TTL, SOA minimum). */
  readonly negativeTtl: number;
  /** A negative answer (NXDOMAIN, or NODATA: the name exists without data of the type): carries the SOA. */
  readonly negative: boolean;
  /**
   * The NS record set of a delegated child the name lies at or below: the answer is a referral
   * (RFC 1034 §4.3.2: not authoritative, NS in the authority section), undefined otherwise.
   */
  readonly delegation?: RecordSet | undefined;
  /** Address records of the delegation's name servers held in the zone (glue, for the additional section). */
  readonly glue?: readonly RecordSet[];
}

/** Longest CNAME chain followed inside our zones. */
const maxChain = 8;

const refused: Resolution = {
  rcode: 'REFUSED',
  zone: undefined,
  answers: [],
  soa: undefined,
  negativeTtl: 0,
  negative: false,
};

/**
 * Versioned, authoritative zones with atomic, compare-and-set change batches.
 *
 * @example
 * const store = new ZoneStore([{ name: 'example.com', records: [
 *   { name: 'api.example.com', type: 'A', ttl: 60, records: [{ value: '127.0.0.10' }] },
 * ] }]);
 * const { version } = store.apply('example.com', {
 *   expectedVersion: 1,
 *   changes: [{ action: 'UPSERT', recordSet: { name: 'api.example.com', type: 'A', ttl: 60, records: [] } }],
 * });
 * store.resolve('api.example.com', 'A'); // NOERROR, no answer: the empty-answer lie
 */
export class ZoneStore {
  #zones = new Map<string, ZoneVersion>();
  #generation = 0;
  /** Emits after every applied batch. */
  readonly events = new Emitter<ZoneChangeEvent>();

  /**
   * @param zones - the initial zones; each starts at version 1. Throws `FS_ERR_CHAOS_INVALID_ZONE`
   *   naming the field when a definition is invalid, or when two zones share a name.
   */
  constructor(zones: readonly ZoneDefinition[] = []) {
    zones.forEach((zone, i) => this.#addZone(zone, ['zones', i]));
  }

  /**
   * Adds a zone at version 1. Throws `FS_ERR_CHAOS_INVALID_ZONE` naming the field when the definition
   * is invalid or the zone exists.
   */
  addZone(definition: ZoneDefinition | unknown): ZoneSummary {
    return this.#addZone(definition, []);
  }

  #addZone(definition: unknown, prefix: (string | number)[]): ZoneSummary {
    const invalid = (path: (string | number)[], message: string, extra: Record<string, unknown> = {}): never => {
      const full = [...prefix, ...path];
      throw new FailsmallError('FS_ERR_CHAOS_INVALID_ZONE', `${formatPath(full) || 'zone'}: ${message}`, {
        details: { path: full, ...extra },
      });
    };
    const parsed = zoneSchemas().zoneDefinitionSchema.safeParse(definition);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      return invalid(first.path as (string | number)[], first.message, {
        issues: parsed.error.issues.map((i) => ({ path: formatPath([...prefix, ...i.path]), message: i.message })),
      });
    }
    const { name, records = [] } = parsed.data;
    if (this.#zones.has(name)) invalid(['name'], `zone ${JSON.stringify(name)} is defined twice`);
    const sets = new Map<string, Map<RecordType, RecordSet>>();
    const indexOf = new Map<string, number>();
    records.forEach((set, i) => {
      const problem = placementProblem(name, set);
      if (problem !== undefined) invalid(['records', i, 'name'], problem);
      let byType = sets.get(set.name);
      if (byType === undefined) sets.set(set.name, (byType = new Map()));
      if (byType.has(set.type)) {
        invalid(['records', i], `a second ${set.type} record set for ${set.name} (merge them into one)`);
      }
      byType.set(set.type, set);
      indexOf.set(set.name, i);
    });
    for (const owner of sets.keys()) {
      const conflict = cnameConflict(sets, [owner]);
      if (conflict !== undefined) invalid(['records', indexOf.get(owner)!], conflict);
    }
    this.#zones.set(name, buildVersion(name, 1, sets));
    this.#generation++;
    return { name, version: 1 };
  }

  /**
   * A number that changes whenever any zone changes: caches of encoded answers compare it to know
   * when they are stale.
   */
  get generation(): number {
    return this.#generation;
  }

  /** Every zone with its version, sorted by name. */
  list(): ZoneSummary[] {
    return [...this.#zones.values()]
      .map((z) => ({ name: z.name, version: z.version }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One zone with all its record sets (sorted by name, then type), or undefined. */
  get(zone: string): ZoneContents | undefined {
    const z = this.#zones.get(normalizeZoneKey(zone));
    if (z === undefined) return undefined;
    const records: RecordSet[] = [];
    for (const name of [...z.sets.keys()].sort()) {
      const byType = z.sets.get(name)!;
      for (const type of [...byType.keys()].sort()) records.push(byType.get(type)!);
    }
    return { name: z.name, version: z.version, records };
  }

  /** The current version of a zone, or undefined. */
  version(zone: string): number | undefined {
    return this.#zones.get(normalizeZoneKey(zone))?.version;
  }

  /**
   * Applies a change batch atomically: every change is checked first, then the zone moves to
   * version + 1 in one step. Throws, leaving the zone untouched:
   * - `FS_ERR_CHAOS_ZONE_NOT_FOUND` for an unknown zone,
   * - `FS_ERR_CHAOS_VERSION_CONFLICT` (with `details.currentVersion`) when `expectedVersion` is given and differs,
   * - `FS_ERR_CHAOS_INVALID_CHANGE` naming the field for an invalid batch (bad value, name outside the
   *   zone, DELETE of a missing record set, CNAME beside other data, SOA off the apex).
   *
   * @returns the new version.
   */
  apply(zone: string, batch: ChangeBatch | unknown): { version: number } {
    const key = normalizeZoneKey(zone);
    const current = this.#zones.get(key);
    if (current === undefined) {
      throw new FailsmallError('FS_ERR_CHAOS_ZONE_NOT_FOUND', `No zone named ${JSON.stringify(zone)}`, {
        details: { zone },
      });
    }
    const { expectedVersion, changes, comment } = parseOrThrow(
      zoneSchemas().changeBatchSchema,
      batch,
      'FS_ERR_CHAOS_INVALID_CHANGE',
    );
    if (expectedVersion !== undefined && expectedVersion !== current.version) {
      throw new FailsmallError(
        'FS_ERR_CHAOS_VERSION_CONFLICT',
        `Zone ${current.name} is at version ${current.version}, not the expected ${expectedVersion}`,
        { details: { zone: current.name, currentVersion: current.version, expectedVersion } },
      );
    }
    const sets = new Map(current.sets) as Map<string, ReadonlyMap<RecordType, RecordSet>>;
    const touched = new Set<string>();
    changes.forEach((change, i) => {
      const set = change.recordSet;
      const problem = placementProblem(current.name, set);
      if (problem !== undefined) invalidChange(`changes[${i}].recordSet.name: ${problem}`, i);
      const byType = new Map(sets.get(set.name) ?? []);
      if (change.action === 'UPSERT') {
        byType.set(set.type, set);
      } else {
        if (!byType.delete(set.type)) {
          invalidChange(`changes[${i}].recordSet: no ${set.type} record set named ${set.name} to delete`, i);
        }
      }
      if (byType.size === 0) sets.delete(set.name);
      else sets.set(set.name, byType);
      touched.add(set.name);
    });
    const conflict = cnameConflict(sets, touched);
    if (conflict !== undefined) invalidChange(`changes: ${conflict}`);
    bumpSerial(sets, current.name, changes);
    const next = buildVersion(current.name, current.version + 1, sets);
    this.#zones.set(key, next);
    this.#generation++;
    if (this.events.hasListeners) {
      this.events.emit({
        zone: current.name,
        version: next.version,
        previousVersion: current.version,
        changes,
        comment,
      });
    }
    return { version: next.version };
  }

  /** The zone that holds `name` (longest match), or undefined. `name` is normalised (lower-case, no dot). */
  findZone(name: string): string | undefined {
    return this.#findZone(name)?.name;
  }

  #findZone(name: string): ZoneVersion | undefined {
    for (let candidate = name; ;) {
      const zone = this.#zones.get(candidate);
      if (zone !== undefined) return zone;
      if (candidate === '') return undefined;
      const dot = candidate.indexOf('.');
      candidate = dot < 0 ? '' : candidate.slice(dot + 1);
    }
  }

  /**
   * Answers a question from the current versions. `name` must be normalised (lower-case, no trailing
   * dot); `type` is a record type name, `ANY` (answered with one record set, RFC 8482) or any other
   * type name (answered NODATA when the name exists). Follows CNAMEs inside our zones (at most 8).
   */
  resolve(name: string, type: string): Resolution {
    let zone = this.#findZone(name);
    if (zone === undefined) return refused;
    const first = zone;
    const answers: RecordSet[] = [];
    let current = name;
    for (let hop = 0; hop < maxChain; hop++) {
      if (zone.cuts.size > 0) {
        const cut = findCut(zone, current);
        // A DS query at the cut itself belongs to the parent side (RFC 4035 §3.1.4.1).
        if (cut !== undefined && !(type === 'DS' && cut === current)) {
          return hop === 0 ? referral(zone, cut) : answer(first, answers);
        }
      }
      // The apex always has an SOA: its own, or the synthesised one.
      if (type === 'SOA' && current === zone.name) return answer(first, [...answers, zone.soa]);
      const byType = zone.sets.get(current);
      if (byType === undefined) {
        const exists = zone.nonTerminals.has(current) || current === zone.name;
        return {
          rcode: exists ? 'NOERROR' : 'NXDOMAIN',
          zone: first.name,
          answers,
          soa: zone.soa,
          negativeTtl: zone.negativeTtl,
          negative: true,
        };
      }
      if (type === 'ANY') {
        for (const set of byType.values()) {
          if (set.records.length > 0) return answer(first, [...answers, set]);
        }
        return nodata(first, zone, answers);
      }
      const set = byType.get(type as RecordType);
      if (set !== undefined && set.records.length > 0) return answer(first, [...answers, set]);
      const cname = type === 'CNAME' ? undefined : byType.get('CNAME');
      if (cname === undefined || cname.records.length === 0) return nodata(first, zone, answers);
      answers.push(cname);
      current = cname.records[0]!.value;
      const next = this.#findZone(current);
      if (next === undefined) return answer(first, answers); // the target is someone else's: stop here
      zone = next;
    }
    return answer(first, answers); // a chain too long (or a loop): serve what we followed
  }

  /**
   * Answers a name with a label our zones cannot hold (bytes other than letters, digits, `-`, `_`),
   * given the longest suffix of host labels: authoritative NXDOMAIN inside our zones (RFC 2181 §11:
   * any bytes are legal in a label; such a name simply does not exist here), a referral below a zone
   * cut, REFUSED outside our zones.
   */
  resolveUnholdable(suffix: string): Resolution {
    const zone = this.#findZone(suffix);
    if (zone === undefined) return refused;
    const cut = zone.cuts.size > 0 ? findCut(zone, suffix) : undefined;
    if (cut !== undefined) return referral(zone, cut);
    return {
      rcode: 'NXDOMAIN',
      zone: zone.name,
      answers: [],
      soa: zone.soa,
      negativeTtl: zone.negativeTtl,
      negative: true,
    };
  }

  /** Plain JSON for metrics: the zones, their versions and record-set counts. */
  snapshot(): { generation: number; zones: { name: string; version: number; recordSets: number }[] } {
    return {
      generation: this.#generation,
      zones: [...this.#zones.values()].map((z) => {
        let recordSets = 0;
        for (const byType of z.sets.values()) recordSets += byType.size;
        return { name: z.name, version: z.version, recordSets };
      }),
    };
  }
}

function answer(zone: ZoneVersion, answers: readonly RecordSet[]): Resolution {
  return { rcode: 'NOERROR', zone: zone.name, answers, soa: zone.soa, negativeTtl: zone.negativeTtl, negative: false };
}

function nodata(first: ZoneVersion, last: ZoneVersion, answers: readonly RecordSet[]): Resolution {
  return { rcode: 'NOERROR', zone: first.name, answers, soa: last.soa, negativeTtl: last.negativeTtl, negative: true };
}

/** The highest zone cut at or above `name` (strictly below the apex), or undefined. */
function findCut(zone: ZoneVersion, name: string): string | undefined {
  let found: string | undefined;
  for (let n = name; n.length > zone.name.length;) {
    if (zone.cuts.has(n)) found = n;
    const dot = n.indexOf('.');
    if (dot < 0) break;
    n = n.slice(dot + 1);
  }
  return found;
}

/** A referral to the child at `cut`: its NS set, and the address records of its servers we hold. */
function referral(zone: ZoneVersion, cut: string): Resolution {
  const ns = zone.sets.get(cut)!.get('NS')!;
  const glue: RecordSet[] = [];
  for (const r of ns.records) {
    const byType = zone.sets.get(r.value);
    for (const type of ['A', 'AAAA'] as const) {
      const set = byType?.get(type);
      if (set !== undefined && set.records.length > 0) glue.push(set);
    }
  }
  return {
    rcode: 'NOERROR',
    zone: zone.name,
    answers: [],
    soa: zone.soa,
    negativeTtl: zone.negativeTtl,
    negative: false,
    delegation: ns,
    glue,
  };
}

/**
 * When the zone has an SOA of its own and the batch did not set it, the next version carries the
 * serial + 1 (RFC 1982 arithmetic: wraps past 2^32 - 1), as a primary does on every change, so a
 * secondary or a cache watching the serial sees the change.
 */
function bumpSerial(
  sets: Map<string, ReadonlyMap<RecordType, RecordSet>>,
  apex: string,
  changes: readonly Change[],
): void {
  const byType = sets.get(apex);
  const soa = byType?.get('SOA');
  if (byType === undefined || soa === undefined || soa.records.length === 0) return;
  if (changes.some((c) => c.recordSet.type === 'SOA' && c.recordSet.name === apex)) return;
  const data = parseSoa(soa.records[0]!.value);
  if (data === undefined) return;
  const serial = (data.serial + 1) % 2 ** 32;
  const value = `${data.mname} ${data.rname} ${serial} ${data.refresh} ${data.retry} ${data.expire} ${data.minimum}`;
  const next = new Map(byType);
  next.set('SOA', { ...soa, records: [{ ...soa.records[0]!, value }] });
  sets.set(apex, next);
}

function normalizeZoneKey(zone: string): string {
  const lower = zone.trim().toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

function invalidChange(message: string, index?: number): never {
  throw new FailsmallError('FS_ERR_CHAOS_INVALID_CHANGE', message, {
    details: index === undefined ? {} : { index },
  });
}

/** Why `set` cannot live in `zone`, or undefined. */
function placementProblem(zone: string, set: RecordSet): string | undefined {
  if (!inZone(set.name, zone)) return `${JSON.stringify(set.name)} is not in zone ${JSON.stringify(zone)}`;
  if (set.type === 'SOA' && set.name !== zone) return `an SOA record set belongs at the zone apex ${zone}`;
  return undefined;
}

/** A CNAME with data beside it at one of `names` (RFC 1034 §3.6.2), described, or undefined. */
function cnameConflict(
  sets: ReadonlyMap<string, ReadonlyMap<RecordType, RecordSet>>,
  names: Iterable<string>,
): string | undefined {
  for (const name of names) {
    const byType = sets.get(name);
    const cname = byType?.get('CNAME');
    if (byType === undefined || cname === undefined || cname.records.length === 0) continue;
    for (const [type, set] of byType) {
      if (type !== 'CNAME' && set.records.length > 0) {
        return `${name} has a CNAME and ${type} records; a CNAME cannot share its name with other data (RFC 1034)`;
      }
    }
  }
  return undefined;
}

function buildVersion(
  name: string,
  version: number,
  sets: ReadonlyMap<string, ReadonlyMap<RecordType, RecordSet>>,
): ZoneVersion {
  const nonTerminals = new Set<string>();
  for (const owner of sets.keys()) {
    for (let n = owner; n !== name && n.length > name.length;) {
      const dot = n.indexOf('.');
      if (dot < 0) break;
      n = n.slice(dot + 1);
      if (nonTerminals.has(n)) break;
      nonTerminals.add(n);
    }
  }
  const cuts = new Set<string>();
  for (const [owner, byType] of sets) {
    const ns = byType.get('NS');
    if (owner !== name && ns !== undefined && ns.records.length > 0) cuts.add(owner);
  }
  const own = sets.get(name)?.get('SOA');
  const soa: RecordSet =
    own !== undefined && own.records.length > 0
      ? own
      : {
          name,
          type: 'SOA',
          ttl: 60,
          // Synthesised: the serial follows the zone's version, as a real primary bumps it per change.
          records: [{ value: `ns.${name || 'root'} hostmaster.${name || 'root'} ${version} 3600 600 1209600 60` }],
        };
  const minimum = parseSoa(soa.records[0]!.value)?.minimum ?? 60;
  return { name, version, sets, nonTerminals, cuts, soa, negativeTtl: Math.min(soa.ttl, minimum) };
}
