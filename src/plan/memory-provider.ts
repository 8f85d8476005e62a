/**
 * A {@link DnsProvider} in memory with the semantics of the fault DNS server's change API (atomic
 * batches, compare-and-set on the zone's version): for the model, the property tests and examples.
 */
import { FailsmallError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { normalizeName } from './plan-body.js';
import type { DnsProvider, ProviderChangeBatch, ProviderRecordSet, ZoneSnapshot } from './types.js';

/** Emitted after every applied batch, synchronously, before `change` resolves. */
export interface ProviderChangeEvent {
  readonly zone: string;
  readonly version: number;
  readonly batch: ProviderChangeBatch;
  /** The zone after the batch. */
  readonly records: readonly ProviderRecordSet[];
}

interface Zone {
  version: number;
  /** `name type` → record set. */
  sets: Map<string, ProviderRecordSet>;
}

const key = (name: string, type: string): string => `${name} ${type}`;

/**
 * Zones in memory. Each applied batch bumps the zone's version by one.
 *
 * @example
 * const provider = new MemoryDnsProvider({ zones: [{ name: 'example.com', records: [] }] });
 * const { version } = await provider.readZone('example.com');
 * await provider.change('example.com', { expectedVersion: version, changes: [...] });
 */
export class MemoryDnsProvider implements DnsProvider {
  readonly kind = 'memory';
  readonly #zones = new Map<string, Zone>();
  /** Every applied batch, synchronously. */
  readonly changes = new Emitter<ProviderChangeEvent>();
  /** Called before a batch is applied; a returned error fails the call (fault injection). */
  readonly #fault: ((zone: string, batch: ProviderChangeBatch) => Error | undefined) | undefined;

  constructor(
    options: {
      zones?: readonly { name: string; records?: readonly ProviderRecordSet[] }[];
      fault?: (zone: string, batch: ProviderChangeBatch) => Error | undefined;
    } = {},
  ) {
    this.#fault = options.fault;
    for (const zone of options.zones ?? []) this.addZone(zone.name, zone.records ?? []);
  }

  /** Adds (or replaces) a zone at version 1. */
  addZone(name: string, records: readonly ProviderRecordSet[] = []): void {
    const zone = normalizeName(name);
    if (zone === undefined)
      throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `Invalid zone name ${JSON.stringify(name)}`);
    const sets = new Map<string, ProviderRecordSet>();
    for (const set of records) {
      const n = normalizeName(set.name) ?? set.name;
      sets.set(key(n, set.type), { ...set, name: n });
    }
    this.#zones.set(zone, { version: 1, sets });
  }

  #zone(name: string): { zone: Zone; name: string } {
    const normal = normalizeName(name) ?? name;
    const zone = this.#zones.get(normal);
    if (zone === undefined) {
      throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `No such zone: ${name}`, {
        details: { zone: name, status: 404 },
      });
    }
    return { zone, name: normal };
  }

  async readZone(name: string): Promise<ZoneSnapshot> {
    const { zone, name: normal } = this.#zone(name);
    return { name: normal, version: zone.version, records: [...zone.sets.values()] };
  }

  /** The version of a zone right now, synchronously; `undefined` when there is no such zone. */
  versionOf(name: string): number | undefined {
    return this.#zones.get(name)?.version ?? this.#zones.get(normalizeName(name) ?? name)?.version;
  }

  /** The records of one zone right now, synchronously (for invariant checks). */
  peek(name: string): readonly ProviderRecordSet[] {
    return [...this.#zone(name).zone.sets.values()];
  }

  async change(name: string, batch: ProviderChangeBatch): Promise<{ version: number }> {
    const { zone, name: normal } = this.#zone(name);
    const failure = this.#fault?.(normal, batch);
    if (failure !== undefined) throw failure;
    if (batch.expectedVersion !== undefined && batch.expectedVersion !== zone.version) {
      throw new FailsmallError(
        'FS_ERR_PLAN_VERSION_CONFLICT',
        `Zone ${normal} is at version ${zone.version}, not the expected ${batch.expectedVersion}`,
        { details: { zone: normal, currentVersion: zone.version, expectedVersion: batch.expectedVersion } },
      );
    }
    const next = new Map(zone.sets);
    for (const change of batch.changes) {
      const n = normalizeName(change.recordSet.name);
      if (n === undefined || !(n === normal || n.endsWith(`.${normal}`))) {
        throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `Record ${change.recordSet.name} is not in zone ${normal}`, {
          details: { zone: normal, status: 400 },
        });
      }
      const k = key(n, change.recordSet.type);
      if (change.action === 'UPSERT') next.set(k, { ...change.recordSet, name: n });
      else if (!next.delete(k)) {
        throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `Cannot delete ${n} ${change.recordSet.type}: not found`, {
          details: { zone: normal, status: 400 },
        });
      }
    }
    zone.sets = next;
    zone.version += 1;
    if (this.changes.hasListeners) {
      this.changes.emit({ zone: normal, version: zone.version, batch, records: [...next.values()] });
    }
    return { version: zone.version };
  }

  /** Plain JSON for metrics. */
  snapshot(): Record<string, unknown> {
    return {
      kind: this.kind,
      zones: [...this.#zones].map(([name, z]) => ({ name, version: z.version, recordSets: z.sets.size })),
    };
  }
}
