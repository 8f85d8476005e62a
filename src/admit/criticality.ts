/**
 * The four criticality levels of the Google SRE book ("Handling Overload"), highest first, and the
 * partitioning of an admission limit among them: each level is guaranteed a share of the limit, any
 * level may borrow capacity the others leave idle, and under contention the lowest levels are shed
 * first.
 *
 * @see https://sre.google/sre-book/handling-overload/ ("Criticality")
 */
import { FailsmallError } from '../core/errors.js';
import { invalid } from '../core/validate.js';

/**
 * How much a request matters, highest first:
 * - `critical-plus`: the most critical; a failure is user-visible and severe.
 * - `critical`: the default of production requests; a failure is user-visible.
 * - `sheddable-plus`: may be partly unavailable (batch jobs that retry later).
 * - `sheddable`: may be fully unavailable from time to time (prefetch, cache refill).
 */
export type Criticality = 'critical-plus' | 'critical' | 'sheddable-plus' | 'sheddable';

/** Every {@link Criticality}, highest first; the index is the rank (0 = most critical). */
export const CRITICALITIES: readonly Criticality[] = Object.freeze([
  'critical-plus',
  'critical',
  'sheddable-plus',
  'sheddable',
]);

/** A share of the limit per criticality, each in [0, 1], summing to at most 1. */
export type CriticalityShares = Readonly<Record<Criticality, number>>;

/**
 * The default shares: 40 % / 30 % / 20 % / 10 %. Under full contention every level keeps at least its
 * share, so sheddable work is throttled rather than starved; alone, any level may use the whole limit.
 */
export const DEFAULT_SHARES: CriticalityShares = Object.freeze({
  'critical-plus': 0.4,
  critical: 0.3,
  'sheddable-plus': 0.2,
  sheddable: 0.1,
});

/** The rank of a criticality: 0 for `critical-plus` … 3 for `sheddable`. */
export function rankOf(criticality: Criticality): number {
  return CRITICALITIES.indexOf(criticality);
}

/**
 * Reads a criticality from untrusted input (a header, a work item). Accepts the four names in any
 * case, with `_` for `-` (`CRITICAL_PLUS` as gRPC spells it). Throws
 * `FS_ERR_ADMIT_UNKNOWN_CRITICALITY` for anything else.
 *
 * @example
 * parseCriticality('SHEDDABLE_PLUS'); // 'sheddable-plus'
 */
export function parseCriticality(value: unknown): Criticality {
  if (typeof value === 'string') {
    const name = value.trim().toLowerCase().replace(/_/g, '-');
    if ((CRITICALITIES as readonly string[]).includes(name)) return name as Criticality;
  }
  throw new FailsmallError(
    'FS_ERR_ADMIT_UNKNOWN_CRITICALITY',
    `Unknown criticality ${typeof value === 'string' ? JSON.stringify(value.slice(0, 64)) : typeof value}; expected one of ${CRITICALITIES.join(', ')}`,
    { details: { value: typeof value === 'string' ? value.slice(0, 64) : typeof value, allowed: CRITICALITIES } },
  );
}

/** Validates shares: an object with a number in [0, 1] for each level (missing ones are 0), sum ≤ 1. */
export function resolveShares(value: unknown): CriticalityShares {
  if (value === undefined) return DEFAULT_SHARES;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) invalid('shares', 'an object', value);
  const given = value as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!(CRITICALITIES as readonly string[]).includes(key)) {
      invalid(`shares.${key}`, `a criticality (${CRITICALITIES.join(', ')})`, key);
    }
  }
  const out: Record<string, number> = {};
  let sum = 0;
  for (const level of CRITICALITIES) {
    const share = given[level] ?? 0;
    if (typeof share !== 'number' || !(share >= 0 && share <= 1))
      invalid(`shares.${level}`, 'a number in [0, 1]', share);
    out[level] = share;
    sum += share;
  }
  if (sum > 1 + 1e-9) invalid('shares', 'shares summing to at most 1', `a sum of ${sum}`);
  return Object.freeze(out as Record<Criticality, number>);
}

/**
 * Which level gets the next free slot when several wait: first the most critical level that holds
 * fewer slots than its guaranteed share (`⌊share × limit⌋`), then the most critical level with work
 * waiting. A level alone takes every slot (it borrows the idle shares of the others). Returns the
 * rank, or -1 when nothing waits.
 *
 * @param limit - the current admission limit (slots).
 * @param inflight - slots held per rank.
 * @param waiting - work waiting per rank.
 */
export function nextPartition(
  limit: number,
  shares: CriticalityShares,
  inflight: readonly number[],
  waiting: readonly number[],
): number {
  let first = -1;
  for (let rank = 0; rank < CRITICALITIES.length; rank++) {
    if ((waiting[rank] ?? 0) === 0) continue;
    if ((inflight[rank] ?? 0) < Math.floor(shares[CRITICALITIES[rank]!] * limit)) return rank;
    if (first < 0) first = rank;
  }
  return first;
}
