/**
 * The query log of the fault DNS server: a bounded ring buffer, stored column-wise in preallocated
 * typed arrays so that logging a query allocates nothing (the name string is the one the server
 * already holds). Read it through `GET /v1/log?limit=N`.
 */
import { positiveInteger } from '../core/validate.js';
import { rcodeNames, typeName } from './wire.js';

/** One logged query, as the API returns it. */
export interface QueryLogEntry {
  /** When it arrived, on the server's clock, in ms. */
  readonly at: number;
  readonly name: string;
  readonly type: string;
  readonly transport: 'udp' | 'tcp';
  /** The client's address. */
  readonly client: string;
  /** The rcode answered, or `DROPPED` when no reply was sent. */
  readonly rcode: string;
  /** The id of the fault rule that decided the answer, if any. */
  readonly fault: string | undefined;
  /** The fault's action, if any. */
  readonly action: string | undefined;
  /** The reply was truncated (TC set). */
  readonly truncated: boolean;
  /** The reply's size in bytes (0 when dropped). */
  readonly size: number;
}

/** The rcode number the log uses for "no reply". */
export const droppedRcode = 255;

/**
 * A ring of the last `capacity` queries.
 *
 * @example
 * const log = new QueryLog(1000);
 * log.add(Date.now(), 'api.example.com', 1, 0, '127.0.0.1', 0, undefined, undefined, false, 64);
 * log.entries(10);
 */
export class QueryLog {
  readonly capacity: number;
  readonly #at: Float64Array;
  readonly #type: Uint16Array;
  readonly #rcode: Uint8Array;
  readonly #flags: Uint8Array;
  readonly #size: Uint16Array;
  readonly #name: (string | undefined)[];
  readonly #client: (string | undefined)[];
  readonly #fault: (string | undefined)[];
  readonly #action: (string | undefined)[];
  #next = 0;
  #count = 0;
  #total = 0;

  /** @param capacity - how many queries are kept, default 10,000. */
  constructor(capacity = 10_000) {
    this.capacity = positiveInteger('capacity', capacity);
    this.#at = new Float64Array(capacity);
    this.#type = new Uint16Array(capacity);
    this.#rcode = new Uint8Array(capacity);
    this.#flags = new Uint8Array(capacity);
    this.#size = new Uint16Array(capacity);
    this.#name = new Array<string | undefined>(capacity).fill(undefined);
    this.#client = new Array<string | undefined>(capacity).fill(undefined);
    this.#fault = new Array<string | undefined>(capacity).fill(undefined);
    this.#action = new Array<string | undefined>(capacity).fill(undefined);
  }

  /** Logs one query; overwrites the oldest when full. `rcode` {@link droppedRcode} means no reply. */
  add(
    at: number,
    name: string,
    type: number,
    rcode: number,
    client: string,
    transport: 0 | 1,
    fault: string | undefined,
    action: string | undefined,
    truncated: boolean,
    size: number,
  ): void {
    const i = this.#next;
    this.#at[i] = at;
    this.#name[i] = name;
    this.#type[i] = type;
    this.#rcode[i] = rcode;
    this.#client[i] = client;
    this.#flags[i] = transport | (truncated ? 2 : 0);
    this.#fault[i] = fault;
    this.#action[i] = action;
    this.#size[i] = size > 0xffff ? 0xffff : size;
    this.#next = i + 1 === this.capacity ? 0 : i + 1;
    if (this.#count < this.capacity) this.#count++;
    this.#total++;
  }

  /** How many queries were logged since creation or the last {@link clear} (including those overwritten). */
  get total(): number {
    return this.#total;
  }

  /** The last `limit` entries (default all kept), oldest first; optionally only those for `name`. */
  entries(limit = this.capacity, name?: string): QueryLogEntry[] {
    const out: QueryLogEntry[] = [];
    const wanted = name?.toLowerCase().replace(/\.$/, '');
    for (let k = 0; k < this.#count && out.length < limit; k++) {
      const i = (this.#next - 1 - k + this.capacity * 2) % this.capacity;
      if (wanted !== undefined && this.#name[i] !== wanted) continue;
      const rcode = this.#rcode[i]!;
      out.push({
        at: this.#at[i]!,
        name: this.#name[i]!,
        type: typeName(this.#type[i]!),
        transport: (this.#flags[i]! & 1) === 1 ? 'tcp' : 'udp',
        client: this.#client[i]!,
        rcode: rcode === droppedRcode ? 'DROPPED' : (rcodeNames[rcode] ?? `RCODE${rcode}`),
        fault: this.#fault[i],
        action: this.#action[i],
        truncated: (this.#flags[i]! & 2) === 2,
        size: this.#size[i]!,
      });
    }
    return out.reverse();
  }

  /** Forgets every entry. */
  clear(): void {
    this.#next = 0;
    this.#count = 0;
    this.#total = 0;
    this.#name.fill(undefined);
    this.#client.fill(undefined);
    this.#fault.fill(undefined);
    this.#action.fill(undefined);
  }

  /** Plain JSON for metrics. */
  snapshot(): { capacity: number; kept: number; total: number } {
    return { capacity: this.capacity, kept: this.#count, total: this.#total };
  }
}
