/**
 * Counters of the fault DNS server: queries per second per name over a sliding window, answers by
 * rcode, by fault rule and by fault action, and a per-second series of all queries. The outage replay
 * reads them to measure how hard clients hammer DNS during a retry storm. Recording a query costs a
 * few array increments and one map lookup: no allocation once a name has been seen.
 */
import { BucketRing } from '../core/bucket-ring.js';
import { positiveInteger } from '../core/validate.js';
import { droppedRcode } from './query-log.js';
import { rcodeNames } from './wire.js';

/** Options of {@link DnsMetrics}. */
export interface DnsMetricsOptions {
  /** The sliding window of the per-name rates, in seconds; default 10 s (long enough to smooth, short enough to see a storm start). */
  readonly windowSeconds?: number;
  /** How many seconds of the all-queries series are kept; default 120. */
  readonly historySeconds?: number;
  /** Most names counted one by one; later names count under `(other)`. Default 10,000 (bounds memory under random-name floods). */
  readonly maxNames?: number;
}

/** Queries of one name (or of all): the total since the start, and per-second buckets over a ring. */
class SecondCounter {
  total = 0;
  readonly ring: BucketRing;

  constructor(seconds: number) {
    this.ring = new BucketRing({ buckets: seconds, width: 1000 });
  }

  /** Counts one query in `second` (`floor(ms / 1000)`); time that goes backwards counts into the newest second. */
  add(second: number): void {
    this.total++;
    this.ring.addTo(second);
  }
}

/** The rate of one name, as the metrics endpoint reports it. */
export interface NameRate {
  readonly name: string;
  /** Queries since the server started (or the metrics were reset). */
  readonly total: number;
  /** Mean queries per second over the window (the current second included). */
  readonly qps: number;
  /** Queries in the last complete second. */
  readonly lastSecond: number;
}

/** What `GET /v1/metrics` returns. */
export interface DnsMetricsSnapshot {
  /** The server's clock when read, in ms. */
  readonly at: number;
  readonly windowSeconds: number;
  readonly queries: number;
  readonly answered: number;
  readonly dropped: number;
  readonly truncated: number;
  readonly udp: number;
  readonly tcp: number;
  /** All queries per second over the window. */
  readonly qps: number;
  readonly byRcode: Record<string, number>;
  /** Queries decided by each fault rule, by id. */
  readonly byFault: Record<string, number>;
  /** Queries decided by each fault action. */
  readonly byAction: Record<string, number>;
  /** The busiest names, by rate over the window, then by total. */
  readonly names: NameRate[];
  /** Queries per second for the last `historySeconds` seconds, oldest first (`t` = second start, ms). */
  readonly series: { t: number; queries: number }[];
}

/**
 * Counters for the fault DNS server.
 *
 * @example
 * const metrics = new DnsMetrics({ windowSeconds: 10 });
 * metrics.record(clock.now(), 'api.example.com', 0, 'udp', false, undefined, undefined);
 * metrics.snapshot(clock.now()).names[0]; // { name: 'api.example.com', total: 1, qps: 0.1, … }
 */
export class DnsMetrics {
  readonly windowSeconds: number;
  readonly historySeconds: number;
  readonly maxNames: number;
  #names = new Map<string, SecondCounter>();
  #all: SecondCounter;
  #rcodes = new Float64Array(256);
  #udp = 0;
  #tcp = 0;
  #truncated = 0;
  #byFault = new Map<string, number>();
  #byAction = new Map<string, number>();

  constructor(options: DnsMetricsOptions = {}) {
    this.windowSeconds = positiveInteger('windowSeconds', options.windowSeconds ?? 10);
    this.historySeconds = positiveInteger('historySeconds', options.historySeconds ?? 120);
    this.maxNames = positiveInteger('maxNames', options.maxNames ?? 10_000);
    this.#all = new SecondCounter(Math.max(this.historySeconds, this.windowSeconds) + 1);
  }

  /**
   * Counts one query. `rcode` is the rcode answered, or 255 when no reply was sent.
   */
  record(
    now: number,
    name: string,
    rcode: number,
    transport: 'udp' | 'tcp',
    truncated: boolean,
    fault: string | undefined,
    action: string | undefined,
  ): void {
    const second = Math.floor(now / 1000);
    this.#all.add(second);
    let counter = this.#names.get(name);
    if (counter === undefined) {
      const key = this.#names.size < this.maxNames ? name : '(other)';
      counter = this.#names.get(key);
      if (counter === undefined) this.#names.set(key, (counter = new SecondCounter(this.windowSeconds + 1)));
    }
    counter.add(second);
    this.#rcodes[rcode & 0xff]!++;
    if (transport === 'udp') this.#udp++;
    else this.#tcp++;
    if (truncated) this.#truncated++;
    if (fault !== undefined) {
      this.#byFault.set(fault, (this.#byFault.get(fault) ?? 0) + 1);
      this.#byAction.set(action!, (this.#byAction.get(action!) ?? 0) + 1);
    }
  }

  /** Total queries counted. */
  get queries(): number {
    return this.#all.total;
  }

  /**
   * The counters at `now`: rates over the window, the `top` busiest names (default 100), the series.
   */
  snapshot(now: number, top = 100): DnsMetricsSnapshot {
    const second = Math.floor(now / 1000);
    const w = this.windowSeconds;
    const names: NameRate[] = [];
    for (const [name, c] of this.#names) {
      names.push({ name, total: c.total, qps: c.ring.sumRange(second, w) / w, lastSecond: c.ring.count(second - 1) });
    }
    names.sort((a, b) => b.qps - a.qps || b.total - a.total || (a.name < b.name ? -1 : 1));
    const byRcode: Record<string, number> = {};
    let dropped = 0;
    this.#rcodes.forEach((n, code) => {
      if (n === 0) return;
      if (code === droppedRcode) dropped = n;
      else byRcode[rcodeNames[code] ?? `RCODE${code}`] = n;
    });
    const series: { t: number; queries: number }[] = [];
    for (let s = second - this.historySeconds + 1; s <= second; s++) {
      series.push({ t: s * 1000, queries: this.#all.ring.count(s) });
    }
    return {
      at: now,
      windowSeconds: w,
      queries: this.#all.total,
      answered: this.#all.total - dropped,
      dropped,
      truncated: this.#truncated,
      udp: this.#udp,
      tcp: this.#tcp,
      qps: this.#all.ring.sumRange(second, w) / w,
      byRcode,
      byFault: Object.fromEntries(this.#byFault),
      byAction: Object.fromEntries(this.#byAction),
      names: names.slice(0, top),
      series,
    };
  }

  /** Starts every counter from zero. */
  reset(): void {
    this.#names = new Map();
    this.#all = new SecondCounter(Math.max(this.historySeconds, this.windowSeconds) + 1);
    this.#rcodes = new Float64Array(256);
    this.#udp = 0;
    this.#tcp = 0;
    this.#truncated = 0;
    this.#byFault = new Map();
    this.#byAction = new Map();
  }
}
