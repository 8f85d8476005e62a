/**
 * Plan bodies: validation, the target key a plan is numbered under, the fence record that carries the
 * applied generation in the provider, and the pure guard that refuses dangerous steps (an empty record
 * set, too much capacity removed at once).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { FailsmallError } from '../core/errors.js';
import { hostnameOrUndefined } from '../dns/hostname.js';
import type { PlanBody, ProviderChange, ProviderRecordSet, WeightedAddress } from './types.js';

/**
 * Lower-case, no trailing dot; `undefined` when it is not a host name. The resolver's rule
 * (`dns/hostname.ts`, RFC 1123), so a plan never publishes a name the resolver refuses; the root
 * (`''`, `'.'`) is not a name a plan targets.
 */
export function normalizeName(input: string): string | undefined {
  return hostnameOrUndefined(input.trim());
}

function bad(message: string, body: unknown): never {
  throw new FailsmallError('FS_ERR_PLAN_INVALID', message, { details: { body: body as never } });
}

/**
 * Checks a plan body and returns it normalised (names lower-case without the trailing dot, records
 * sorted by address). Throws `FS_ERR_PLAN_INVALID` naming the field.
 *
 * @example
 * checkPlanBody({ zone: 'example.com', name: 'api.example.com', type: 'A', ttl: 60,
 *   records: [{ address: '192.0.2.10', weight: 100 }] });
 */
export function checkPlanBody(input: unknown): PlanBody {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) bad('A plan body must be an object', input);
  const raw = input as Record<string, unknown>;
  const zone = typeof raw.zone === 'string' ? normalizeName(raw.zone) : undefined;
  if (zone === undefined) bad(`plan.zone: expected a domain name, got ${JSON.stringify(raw.zone)}`, input);
  const name = typeof raw.name === 'string' ? normalizeName(raw.name) : undefined;
  if (name === undefined) bad(`plan.name: expected a domain name, got ${JSON.stringify(raw.name)}`, input);
  if (name !== zone && !name.endsWith(`.${zone}`)) bad(`plan.name: ${name} is not in zone ${zone}`, input);
  if (raw.type !== 'A' && raw.type !== 'AAAA')
    bad(`plan.type: expected "A" or "AAAA", got ${JSON.stringify(raw.type)}`, input);
  const type = raw.type;
  if (typeof raw.ttl !== 'number' || !Number.isInteger(raw.ttl) || raw.ttl < 0 || raw.ttl > 2_147_483_647) {
    bad(`plan.ttl: expected an integer number of seconds, got ${JSON.stringify(raw.ttl)}`, input);
  }
  if (!Array.isArray(raw.records)) bad('plan.records: expected an array of { address, weight }', input);
  if (raw.records.length > 100) bad(`plan.records: at most 100 addresses, got ${raw.records.length}`, input);
  const seen = new Set<string>();
  const records: WeightedAddress[] = [];
  raw.records.forEach((r: unknown, i: number) => {
    const rec = (typeof r === 'object' && r !== null ? r : {}) as Record<string, unknown>;
    const address = rec.address;
    const ok = typeof address === 'string' && (type === 'A' ? isIPv4(address) : isIPv6(address));
    if (!ok)
      bad(
        `plan.records[${i}].address: expected an IPv${type === 'A' ? 4 : 6} address, got ${JSON.stringify(address)}`,
        input,
      );
    const weight = rec.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 255) {
      bad(`plan.records[${i}].weight: expected an integer 0..255, got ${JSON.stringify(weight)}`, input);
    }
    const key = address.toLowerCase();
    if (seen.has(key)) bad(`plan.records[${i}].address: ${address} is listed twice`, input);
    seen.add(key);
    records.push({ address: key, weight });
  });
  records.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  if (raw.force !== undefined && typeof raw.force !== 'boolean') bad('plan.force: expected a boolean', input);
  const body: PlanBody = { zone, name, type, ttl: raw.ttl, records };
  return raw.force === true ? { ...body, force: true } : body;
}

/** The target a plan is numbered under: `<name>/<type>`, e.g. `api.example.com/A`. */
export function targetOf(body: Pick<PlanBody, 'name' | 'type'>): string {
  return `${body.name}/${body.type}`;
}

/**
 * The name of the TXT record that carries the generation applied to a target, written in the same
 * atomic batch as the records. It is a sibling of the endpoint, not a child
 * (`_fence-a-dynamodb.us-east-1.example.com` beside `dynamodb.us-east-1.example.com`), so that a
 * deleted endpoint really answers NXDOMAIN (a name with a child exists, RFC 8020). `zone` is the
 * apex: an endpoint at the apex keeps its fence as a child.
 */
export function fenceName(body: Pick<PlanBody, 'name' | 'type'> & { readonly zone?: string }): string {
  const prefix = `_fence-${body.type.toLowerCase()}`;
  const dot = body.name.indexOf('.');
  if (dot < 0 || body.name === body.zone) return `${prefix}.${body.name}`;
  let label = `${prefix}-${body.name.slice(0, dot)}`;
  if (label.length > 63) {
    let hash = 0;
    for (const ch of label) hash = (Math.imul(hash, 31) + ch.charCodeAt(0)) >>> 0;
    label = `${label.slice(0, 54)}-${hash.toString(16).padStart(8, '0')}`;
  }
  return `${label}${body.name.slice(dot)}`;
}

/** The fence value for a generation: `generation=42`. */
export function fenceValue(generation: number): string {
  return `generation=${generation}`;
}

/** Whether a provider's name (any case, trailing dot optional) is `name` (normalised). */
function sameName(raw: string, name: string): boolean {
  if (raw === name) return true;
  const lower = raw.toLowerCase();
  return lower === name || lower === `${name}.`;
}

/** Reads the generation from a zone's fence record; 0 when there is none. */
export function readFence(
  records: readonly ProviderRecordSet[],
  body: Pick<PlanBody, 'name' | 'type'> & { readonly zone?: string },
): number {
  const name = fenceName(body);
  const set = records.find((r) => r.type === 'TXT' && sameName(r.name, name));
  const match = /^generation=(\d+)$/.exec(set?.records[0]?.value ?? '');
  return match === null ? 0 : Number(match[1]);
}

/** The endpoint's record set in a zone, as weighted addresses; `undefined` when the name has none. */
export function readAddresses(
  records: readonly ProviderRecordSet[],
  body: Pick<PlanBody, 'name' | 'type'>,
): WeightedAddress[] | undefined {
  const set = records.find((r) => r.type === body.type && sameName(r.name, body.name));
  if (set === undefined) return undefined;
  return set.records.map((r) => ({ address: r.value.toLowerCase(), weight: r.weight ?? 1 }));
}

/** The record set a plan writes. */
export function toRecordSet(body: PlanBody): ProviderRecordSet {
  return {
    name: body.name,
    type: body.type,
    ttl: body.ttl,
    records: body.records.map((r) => ({ value: r.address, weight: r.weight })),
  };
}

/**
 * The batch that writes a plan: its record set and, in the same atomic batch, the fence record that
 * carries its generation ({@link fenceName}, {@link fenceValue}).
 */
export function planChanges(body: PlanBody, generation: number): ProviderChange[] {
  return [
    { action: 'UPSERT', recordSet: toRecordSet(body) },
    {
      action: 'UPSERT',
      recordSet: { name: fenceName(body), type: 'TXT', ttl: body.ttl, records: [{ value: fenceValue(generation) }] },
    },
  ];
}

/** Capacity: the sum of weights. A set with every weight 0 serves nothing in a weighted answer. */
export function capacity(records: readonly WeightedAddress[] | undefined): number {
  let sum = 0;
  for (const r of records ?? []) sum += r.weight;
  return sum;
}

/**
 * The share (0..1) of the current capacity that a step removes: the weight of every address that the
 * next set drops (absent or weight 0), over the current total. Moving weight between addresses that
 * both stay is not removal. 0 when the current set is empty.
 */
export function removedShare(
  current: readonly WeightedAddress[] | undefined,
  next: readonly WeightedAddress[],
): number {
  const total = capacity(current);
  if (total === 0) return 0;
  const kept = new Map(next.map((r) => [r.address, r.weight]));
  let removed = 0;
  for (const r of current ?? []) if ((kept.get(r.address) ?? 0) === 0) removed += r.weight;
  return removed / total;
}

/** The guard's verdict. */
export type GuardVerdict =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: 'guard-empty' | 'guard-velocity'; readonly share: number };

/**
 * The safe-mode guard, a pure function: refuses a step that leaves no capacity (every address gone or
 * weighted 0), or that removes more than `maxRemovedShare` of the current capacity at once (a velocity
 * control, as AWS added to NLB health-check failover after 2025-10-20). A plan marked `force` passes.
 */
export function guard(
  current: readonly WeightedAddress[] | undefined,
  next: PlanBody,
  maxRemovedShare: number,
): GuardVerdict {
  const share = removedShare(current, next.records);
  if (next.force === true) return { ok: true };
  if (capacity(next.records) === 0) return { ok: false, reason: 'guard-empty', share };
  if (share > maxRemovedShare) return { ok: false, reason: 'guard-velocity', share };
  return { ok: true };
}

/** Two address lists hold the same addresses with the same weights (order ignored). */
export function sameAddresses(
  a: readonly WeightedAddress[] | undefined,
  b: readonly WeightedAddress[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  const weights = new Map(a.map((r) => [r.address, r.weight]));
  return b.every((r) => weights.get(r.address) === r.weight);
}
