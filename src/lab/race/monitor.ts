/**
 * The race model's invariant monitor: after every scheduler step that changed the zone, it reads what
 * the provider serves and records the first time the record set was emptied, the first time the
 * served generation went backwards, and any record set that differs from the plan its fence names.
 */
import { MemoryDnsProvider } from '../../plan/memory-provider.js';
import { capacity, readAddresses, readFence, sameAddresses } from '../../plan/plan-body.js';
import type { DnsProvider, WeightedAddress } from '../../plan/types.js';
import { describeAddresses, type RaceTrace } from './trace.js';

/** A broken invariant, with the moment it was seen. */
export interface Violation {
  readonly kind: 'emptied' | 'older-generation' | 'inconsistent' | 'stuck' | 'actor-error';
  /** Clock milliseconds. */
  readonly at: number;
  /** The scheduler step after which it was seen (0: at the end). */
  readonly step: number;
  readonly detail: string;
}

/** What the monitor watches: one endpoint of one zone. */
export interface MonitoredEndpoint {
  readonly zone: string;
  readonly name: string;
  readonly type: 'A' | 'AAAA';
}

/** Watches one endpoint of a provider (see the file comment). */
export class InvariantMonitor {
  readonly violations: Violation[] = [];
  /** The record set was empty or gone at some point. */
  emptied = false;
  /** The served generation went backwards at some point. */
  olderGeneration = false;
  readonly #provider: DnsProvider;
  readonly #memory: MemoryDnsProvider | undefined;
  readonly #endpoint: MonitoredEndpoint;
  /** What each published generation holds, to tell an inconsistent record set. */
  readonly #published: ReadonlyMap<number, readonly WeightedAddress[]>;
  readonly #trace: RaceTrace;
  #maxFence = 0;
  #lastVersion = -1;

  constructor(
    provider: DnsProvider,
    endpoint: MonitoredEndpoint,
    published: ReadonlyMap<number, readonly WeightedAddress[]>,
    trace: RaceTrace,
  ) {
    this.#provider = provider;
    this.#memory = provider instanceof MemoryDnsProvider ? provider : undefined;
    this.#endpoint = endpoint;
    this.#published = published;
    this.#trace = trace;
  }

  /** Reads the zone if it changed (the in-memory provider is asked its version first, for free). */
  async observe(at: number, step: number): Promise<void> {
    const { zone, name } = this.#endpoint;
    if (this.#memory !== undefined && this.#memory.versionOf(zone) === this.#lastVersion) return;
    const snapshot = await this.#provider.readZone(zone);
    if (snapshot.version === this.#lastVersion) return;
    this.#lastVersion = snapshot.version;
    const addresses = readAddresses(snapshot.records, this.#endpoint);
    const fence = readFence(snapshot.records, this.#endpoint);
    const served = describeAddresses(addresses);
    this.#trace.line(at, 'dns', `zone version ${snapshot.version}: ${name} = ${served} (generation ${fence})`);
    if (addresses === undefined || capacity(addresses) === 0) {
      if (!this.emptied)
        this.violations.push({ kind: 'emptied', at, step, detail: `${name} has no address (${served})` });
      this.emptied = true;
    } else if (this.#published.has(fence) && !sameAddresses(addresses, this.#published.get(fence))) {
      this.violations.push({ kind: 'inconsistent', at, step, detail: `records differ from generation ${fence}` });
    }
    if (fence < this.#maxFence) {
      if (!this.olderGeneration) {
        this.violations.push({ kind: 'older-generation', at, step, detail: `generation ${this.#maxFence} → ${fence}` });
      }
      this.olderGeneration = true;
    }
    this.#maxFence = Math.max(this.#maxFence, fence);
  }
}
