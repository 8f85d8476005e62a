/**
 * The audit log of the fault DNS server: every zone change batch and every fault rule added, removed
 * or cleared, with the time on the server's clock. Bounded (a ring of the last entries); read it through
 * `GET /v1/audit`, or subscribe to {@link AuditLog.events} (the CLI prints each entry).
 */
import { Emitter } from '../core/events.js';
import { positiveInteger } from '../core/validate.js';
import type { FaultRule } from './fault-rules.js';
import type { Change } from './zone-schema.js';

/** One audited change. */
export type AuditEntry =
  | {
      readonly at: number;
      readonly kind: 'zone-change';
      readonly zone: string;
      readonly version: number;
      readonly previousVersion: number;
      readonly changes: readonly Change[];
      readonly comment: string | undefined;
    }
  | { readonly at: number; readonly kind: 'fault-add' | 'fault-remove'; readonly rule: FaultRule }
  | { readonly at: number; readonly kind: 'fault-clear'; readonly removed: readonly string[] };

/**
 * A bounded list of audit entries, oldest first.
 *
 * @example
 * const audit = new AuditLog(1000);
 * audit.events.on((e) => console.error(describeAuditEntry(e)));
 */
export class AuditLog {
  readonly capacity: number;
  #entries: AuditEntry[] = [];
  /** Emits each entry as it is added. */
  readonly events = new Emitter<AuditEntry>();

  /** @param capacity - entries kept, default 1,000. */
  constructor(capacity = 1000) {
    this.capacity = positiveInteger('capacity', capacity);
  }

  /** Appends an entry (dropping the oldest past `capacity`) and emits it. */
  add(entry: AuditEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > this.capacity) this.#entries.splice(0, this.#entries.length - this.capacity);
    this.events.emit(entry);
  }

  /** Plain JSON for metrics. */
  snapshot(): { capacity: number; kept: number } {
    return { capacity: this.capacity, kept: this.#entries.length };
  }

  /** The last `limit` entries, oldest first. */
  entries(limit = this.capacity): AuditEntry[] {
    return this.#entries.slice(Math.max(0, this.#entries.length - limit));
  }
}

/** One line describing an entry, for logs: `zone amazonaws.com v1 -> v2: UPSERT dynamodb… A (0 records)`. */
export function describeAuditEntry(entry: AuditEntry): string {
  switch (entry.kind) {
    case 'zone-change': {
      const changes = entry.changes
        .map((c) => `${c.action} ${c.recordSet.name} ${c.recordSet.type} (${c.recordSet.records.length} records)`)
        .join(', ');
      const comment = entry.comment === undefined ? '' : ` "${entry.comment}"`;
      return `zone ${entry.zone} v${entry.previousVersion} -> v${entry.version}: ${changes}${comment}`;
    }
    case 'fault-add':
      return `fault added ${entry.rule.id}: ${describeRule(entry.rule)}`;
    case 'fault-remove':
      return `fault removed ${entry.rule.id}: ${describeRule(entry.rule)}`;
    case 'fault-clear':
      return `faults cleared (${entry.removed.length}${entry.removed.length > 0 ? `: ${entry.removed.join(', ')}` : ''})`;
  }
}

/**
 * The settings of a DNS fault rule that differ from the defaults, as `key=value` words:
 * `p=0.5 delay=2000+100ms address=… cidr=… ttl=5 transport=udp` (the audit log and the CLI list them).
 */
export function ruleSettings(
  rule: Pick<FaultRule, 'probability' | 'delayMs' | 'jitterMs'> & {
    readonly address?: string | undefined;
    readonly cidr?: string | undefined;
    readonly ttl?: number | undefined;
    readonly transport?: string | undefined;
  },
): string[] {
  const out: string[] = [];
  if (rule.probability < 1) out.push(`p=${rule.probability}`);
  if (rule.delayMs > 0 || rule.jitterMs > 0) out.push(`delay=${rule.delayMs}+${rule.jitterMs}ms`);
  if (rule.address !== undefined) out.push(`address=${rule.address}`);
  if (rule.cidr !== undefined) out.push(`cidr=${rule.cidr}`);
  if (rule.ttl !== undefined) out.push(`ttl=${rule.ttl}`);
  if (rule.transport !== undefined) out.push(`transport=${rule.transport}`);
  return out;
}

/** A short description of a rule: `empty for dynamodb.* A p=1`. */
export function describeRule(rule: FaultRule): string {
  const types = rule.types.length === 0 ? 'any type' : rule.types.join(',');
  const extras = ruleSettings(rule);
  if (Number.isFinite(rule.from)) extras.push(`from=${rule.from}`);
  if (Number.isFinite(rule.until)) extras.push(`until=${rule.until}`);
  return `${rule.action} for ${rule.name} ${types}${extras.length > 0 ? ` ${extras.join(' ')}` : ''}`;
}
