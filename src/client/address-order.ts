/**
 * The order in which a client tries the addresses of a name: families interleaved as RFC 8305 asks,
 * and addresses that failed to connect recently moved to the back, so that one dead address of a set
 * costs a failed attempt once per penalty window rather than once per connection.
 */
import { validate } from '../core/index.js';

/** One address of a name, as a resolver returns it. */
export interface Address {
  /** The IP address, e.g. `127.0.0.1` or `::1`. */
  readonly address: string;
  /** 4 or 6. */
  readonly family: 4 | 6;
}

/**
 * Interleaves the address families, starting with the family of the first address (RFC 8305 §4:
 * "the first address family is the one the resolver preferred; then alternate"), and drops duplicates.
 * Within a family the resolver's order is kept.
 *
 * @see https://www.rfc-editor.org/rfc/rfc8305#section-4
 * @example
 * interleave([{ address: '::1', family: 6 }, { address: '::2', family: 6 }, { address: '10.0.0.1', family: 4 }]);
 * // ::1, 10.0.0.1, ::2
 */
export function interleave(addresses: readonly Address[]): Address[] {
  const first = addresses[0]?.family;
  const preferred: Address[] = [];
  const other: Address[] = [];
  const seen = new Set<string>();
  for (const a of addresses) {
    if (seen.has(a.address)) continue;
    seen.add(a.address);
    (a.family === first ? preferred : other).push(a);
  }
  const out: Address[] = [];
  for (let i = 0; i < Math.max(preferred.length, other.length); i++) {
    if (i < preferred.length) out.push(preferred[i]!);
    if (i < other.length) out.push(other[i]!);
  }
  return out;
}

/** Options of {@link AddressHealth}. */
export interface AddressHealthOptions {
  /**
   * How long an address that failed to connect stays at the back of the order, in milliseconds;
   * default 30 s: long enough that a dead address of a busy name costs one failed attempt per half
   * minute, short enough that a restarted server is back in rotation quickly.
   */
  readonly penalty?: number;
  /** How many failed addresses are remembered at most (oldest forgotten first); default 1,024. */
  readonly maxEntries?: number;
}

interface Failure {
  at: number;
  count: number;
}

/**
 * Remembers which `address:port` pairs failed to connect recently, and orders an address set so that
 * healthy ones come first (interleaved by family), then the penalised ones, oldest failure first (the
 * likeliest to have recovered). No address is ever dropped: when every address failed, all are still
 * tried. A pure state machine: every method takes `now`.
 *
 * @example
 * const health = new AddressHealth({ penalty: 30_000 });
 * health.recordFailure('127.0.0.201', 80, clock.now());
 * health.order(addresses, 80, clock.now()); // 127.0.0.201 last for 30 s
 */
export class AddressHealth {
  readonly #penalty: number;
  readonly #maxEntries: number;
  // Insertion order doubles as age order: a re-failed key is deleted and re-inserted.
  readonly #failures = new Map<string, Failure>();

  constructor(options: AddressHealthOptions = {}) {
    this.#penalty = validate.duration('penalty', options.penalty ?? 30_000);
    this.#maxEntries = validate.positiveInteger('maxEntries', options.maxEntries ?? 1_024);
  }

  /** Records a failed connect to `address:port` at `now` (ms). */
  recordFailure(address: string, port: number, now: number): void {
    const key = `${address}:${port}`;
    const previous = this.#failures.get(key);
    this.#failures.delete(key);
    this.#failures.set(key, { at: now, count: (previous?.count ?? 0) + 1 });
    if (this.#failures.size > this.#maxEntries) {
      const oldest = this.#failures.keys().next().value;
      if (oldest !== undefined) this.#failures.delete(oldest);
    }
  }

  /** Records a successful connect: the address is healthy again at once. */
  recordSuccess(address: string, port: number): void {
    this.#failures.delete(`${address}:${port}`);
  }

  /** Whether `address:port` is inside its penalty window at `now`. */
  isPenalised(address: string, port: number, now: number): boolean {
    const failure = this.#failures.get(`${address}:${port}`);
    return failure !== undefined && now - failure.at < this.#penalty;
  }

  /**
   * The order to try `addresses` in: healthy ones first (interleaved by family, RFC 8305), then the
   * penalised ones, oldest failure first. Duplicates are dropped; nothing else is.
   */
  order(addresses: readonly Address[], port: number, now: number): Address[] {
    const all = interleave(addresses);
    const healthy: Address[] = [];
    const penalised: { a: Address; at: number }[] = [];
    for (const a of all) {
      const failure = this.#failures.get(`${a.address}:${port}`);
      if (failure !== undefined && now - failure.at < this.#penalty) penalised.push({ a, at: failure.at });
      else healthy.push(a);
    }
    if (penalised.length === 0) return healthy;
    penalised.sort((x, y) => x.at - y.at);
    return [...healthy, ...penalised.map((p) => p.a)];
  }

  /** Plain JSON for metrics: the addresses currently remembered as failed. */
  snapshot(now?: number): { penalised: { key: string; failedAt: number; failures: number }[] } {
    const penalised = [];
    for (const [key, f] of this.#failures) {
      if (now !== undefined && now - f.at >= this.#penalty) continue;
      penalised.push({ key, failedAt: f.at, failures: f.count });
    }
    return { penalised };
  }
}
