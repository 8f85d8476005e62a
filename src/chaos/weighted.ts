/**
 * Weighted record sets, as Route 53 serves a plan: a set of addresses with weights.
 *
 * Semantics (one rule, pure, driven by the injected {@link Random}): a query is answered with every
 * value of positive weight, ordered by weighted random sampling without replacement
 * (Efraimidis–Spirakis: each value draws `u^(1/w)` and the largest key goes first). So the first
 * address, the one most clients connect to, is value `i` with probability `wᵢ / Σw`, and every healthy
 * value still reaches clients that try the next address. Weight 0 takes a value out of rotation; when
 * every weight is 0 all values are served in a uniformly random order (Route 53 does the same). A set
 * without any weight is not weighted: it is served in its stored order, and its encoded answer can be
 * cached.
 *
 * @see https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-weighted.html
 * @see Efraimidis & Spirakis, "Weighted random sampling with a reservoir", IPL 97(5), 2006.
 */
import type { Random } from '../core/random.js';
import type { RecordValue } from './zone-schema.js';

/** True when any value carries a weight, so that each answer is drawn anew. */
export function isWeighted(records: readonly RecordValue[]): boolean {
  for (const r of records) if (r.weight !== undefined) return true;
  return false;
}

/**
 * The values of a weighted set in the order of one answer (see the module comment). A value without a
 * weight counts as weight 1. Returns `records` itself when the set is not weighted.
 *
 * @example
 * weightedOrder([{ value: '10.0.0.1', weight: 3 }, { value: '10.0.0.2', weight: 1 }], seededRandom(1));
 * // 10.0.0.1 first three times out of four
 */
export function weightedOrder(records: readonly RecordValue[], random: Random): readonly RecordValue[] {
  if (!isWeighted(records)) return records;
  let positive = 0;
  for (const r of records) if ((r.weight ?? 1) > 0) positive++;
  const pool = positive === 0 ? records : records.filter((r) => (r.weight ?? 1) > 0);
  const keyed = pool.map((r) => {
    const w = positive === 0 ? 1 : (r.weight ?? 1);
    // 1 - next() is in (0, 1], so the key is in (0, 1] and log-free; larger weight, larger key.
    return { r, key: Math.pow(1 - random.next(), 1 / w) };
  });
  keyed.sort((a, b) => b.key - a.key);
  return keyed.map((k) => k.r);
}
