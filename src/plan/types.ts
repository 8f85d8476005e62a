/**
 * The shapes of plan enactment: a plan's body (one endpoint's record set, addresses with weights), the
 * DNS provider an enactor writes to, and the error codes of this module.
 */
import type { ErrorCode } from '../core/errors.js';
import type { StoredPlan } from './store.js';

/** One address of a record set with its Route 53-style weight (an integer 0..255; 0 is never served). */
export type WeightedAddress = {
  readonly address: string;
  readonly weight: number;
};

/**
 * What a plan says: the whole record set of one endpoint. Stored as plain JSON, so it holds only
 * strings, numbers and booleans.
 */
export type PlanBody = {
  /** The provider's zone (hosted zone) that holds the name, e.g. `example.com`. */
  readonly zone: string;
  /** The endpoint's name, absolute, lower-case, no trailing dot: `dynamodb.us-east-1.example.com`. */
  readonly name: string;
  /** `A` or `AAAA`. */
  readonly type: 'A' | 'AAAA';
  /** The records' time to live, in seconds. */
  readonly ttl: number;
  /** The addresses with their weights (at most 100). */
  readonly records: readonly WeightedAddress[];
  /**
   * An operator approved this plan past the guards (empty record set, velocity): enactors apply it
   * anyway, still fenced. Default false.
   */
  readonly force?: boolean;
};

/** A plan: immutable, numbered by generation per target. */
export type Plan = StoredPlan<PlanBody>;

/** A record set as a provider holds it (the fault DNS server's and Route 53's shape). */
export interface ProviderRecordSet {
  readonly name: string;
  readonly type: string;
  readonly ttl: number;
  readonly records: readonly { readonly value: string; readonly weight?: number }[];
}

/** One change of a batch: UPSERT creates or replaces the record set of (name, type); DELETE removes it. */
export interface ProviderChange {
  readonly action: 'UPSERT' | 'DELETE';
  readonly recordSet: ProviderRecordSet;
}

/** An atomic batch of changes, optionally conditional on the zone's version (compare-and-set). */
export interface ProviderChangeBatch {
  /** The batch fails with `FS_ERR_PLAN_VERSION_CONFLICT` unless the zone is still at this version. */
  readonly expectedVersion?: number;
  readonly changes: readonly ProviderChange[];
  /** Free text for the provider's audit log. */
  readonly comment?: string;
}

/** A zone as read from the provider. */
export interface ZoneSnapshot {
  readonly name: string;
  /** Increases with every applied batch. */
  readonly version: number;
  readonly records: readonly ProviderRecordSet[];
}

/**
 * Where plans are enacted: a DNS provider with atomic, version-conditional change batches. It is the
 * fault DNS server's change API, and small on purpose: a Route 53 adapter implements `readZone` with
 * `ListResourceRecordSets` and `change` with `ChangeResourceRecordSets`, emulating `expectedVersion`
 * by putting a DELETE of the fence TXT record with its exact old value in the same batch (Route 53
 * rejects the whole batch when that value no longer matches).
 *
 * Errors: `FS_ERR_PLAN_VERSION_CONFLICT` (with `details.currentVersion`) when `expectedVersion` does
 * not match; `FS_ERR_PLAN_PROVIDER` for anything else.
 *
 * @see https://docs.aws.amazon.com/Route53/latest/APIReference/API_ChangeResourceRecordSets.html
 */
export interface DnsProvider {
  /** `memory`, `http` … */
  readonly kind: string;
  /** Reads a whole zone. */
  readZone(zone: string, signal?: AbortSignal): Promise<ZoneSnapshot>;
  /** Applies a batch atomically; resolves with the zone's new version. */
  change(zone: string, batch: ProviderChangeBatch, signal?: AbortSignal): Promise<{ version: number }>;
}

/** Codes owned by plan/ (documented under `## plan` in docs/errors.md). */
export const PlanErrorCodes = {
  /** A plan body is malformed (no zone, a bad address, a weight out of 0..255 …). */
  INVALID_PLAN: 'FS_ERR_PLAN_INVALID',
  /** A conditional provider write lost: the zone changed since it was read. */
  VERSION_CONFLICT: 'FS_ERR_PLAN_VERSION_CONFLICT',
  /** The provider failed or answered something unexpected. */
  PROVIDER: 'FS_ERR_PLAN_PROVIDER',
  /** Rollback found no earlier applied plan still stored. */
  NO_KNOWN_GOOD: 'FS_ERR_PLAN_NO_KNOWN_GOOD',
  /** The deterministic scheduler ran past its step limit (a livelock in the model). */
  SCHEDULE_LIMIT: 'FS_ERR_PLAN_SCHEDULE_LIMIT',
} as const satisfies Record<string, ErrorCode>;
