/**
 * The responder: turns one query datagram into one response (or none), with no sockets involved. It
 * parses, asks the fault engine, resolves against the zone store, encodes, truncates to what the
 * transport allows, and counts. The socket shell (dns-server.ts) only moves bytes.
 *
 * The hot path is a cache of encoded responses per (name, type, EDNS) built on the first query and
 * dropped as a whole when any zone changes (`ZoneStore.generation`). A cached response is copied, and
 * the copy gets the new query's id, RD bit and question bytes (so the client's case is echoed): no
 * DNS encoding per query. Answers that change per query (weighted sets, faults) are assembled from
 * records encoded once per record set.
 *
 * Safety: authoritative only. A name outside our zones gets REFUSED without the AA bit, RA is never
 * set, a response over UDP never exceeds 512 bytes (no EDNS) or the smaller of the client's EDNS size
 * and `maxUdpSize` (default 1232), and larger answers are truncated (TC) so the client retries over
 * TCP. Responses are built only from bounded record sets, so an answer is never large for a small
 * query beyond those caps.
 */
import type { Clock } from '../core/clock.js';
import { channel } from '../core/events.js';
import type { Random } from '../core/random.js';
import type { DnsMetrics } from './dns-metrics.js';
import { faultDelay, randomAddress, type FaultEngine, type FaultRule } from './fault-rules.js';
import { droppedRcode, type QueryLog } from './query-log.js';
import { isWeighted, weightedOrder } from './weighted.js';
import type { Resolution, ZoneStore } from './zone-store.js';
import type { RecordSet } from './zone-schema.js';
import {
  ParseStatus,
  QueryParser,
  Rcode,
  assembleResponse,
  answerInOrder,
  answerRecords,
  encodeRecord,
  encodedRecords,
  keyToName,
  optRecord,
  patchCached,
  truncatedResponse,
  typeName,
  withTtl,
  type ResponseParts,
} from './wire.js';

/** Options of {@link DnsResponder}. */
export interface DnsResponderOptions {
  readonly store: ZoneStore;
  readonly faults: FaultEngine;
  readonly metrics: DnsMetrics;
  readonly log: QueryLog;
  readonly clock: Clock;
  readonly random: Random;
  /**
   * Largest UDP response to an EDNS query, in bytes; default 1232 (the DNS Flag Day 2020 size that
   * avoids IP fragmentation). Without EDNS the limit is 512 (RFC 1035).
   */
  readonly maxUdpSize?: number;
  /** Most cached responses before the cache is emptied; default 50,000 (bounds memory under random names). */
  readonly cacheSize?: number;
}

/** One cached (name, type, EDNS) entry. */
interface CacheEntry {
  readonly name: string;
  readonly type: string;
  readonly resolution: Resolution;
  readonly rcode: number;
  /** The encoded response, when the answer is the same for every query (not weighted). */
  readonly response: Buffer | undefined;
  /** Its truncated form, built on first need. */
  truncated: Buffer | undefined;
}

/** node:diagnostics_channel `failsmall:chaos:fault`: one message per query a fault rule decided. */
const faultChannel = channel('chaos', 'fault');

const rcodeOf = { NOERROR: Rcode.NOERROR, NXDOMAIN: Rcode.NXDOMAIN, REFUSED: Rcode.REFUSED } as const;
const noRecords: readonly Buffer[] = [];
/** Each zone SOA as served in negative answers (TTL = the negative TTL), so its encodings are cached. */
const negativeSoa = new WeakMap<RecordSet, RecordSet>();

/** The entry of a resolution, before its response is encoded. */
function entryOf(name: string, type: string, resolution: Resolution): CacheEntry {
  return { name, type, resolution, rcode: rcodeOf[resolution.rcode], response: undefined, truncated: undefined };
}

/** The synthetic name metrics and the log use for queries without a usable question. */
export const malformedName = '(malformed)';
/** The synthetic name for questions whose name no zone can hold (odd bytes in a label). */
export const invalidName = '(invalid)';

/**
 * Answers DNS queries from a {@link ZoneStore}, through a {@link FaultEngine}.
 *
 * @example
 * const responder = new DnsResponder({ store, faults, metrics, log, clock, random });
 * const reply = responder.respond(query, 'udp', '127.0.0.1'); // undefined: send nothing
 * const delay = responder.delayMs; // wait this long first (a delay fault)
 */
export class DnsResponder {
  /** The delay, in ms, to apply before sending the reply of the last {@link respond} call. */
  delayMs = 0;
  readonly #store: ZoneStore;
  readonly #faults: FaultEngine;
  readonly #metrics: DnsMetrics;
  readonly #log: QueryLog;
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #maxUdp: number;
  readonly #cacheSize: number;
  readonly #parser = new QueryParser();
  readonly #opt: Buffer;
  /** The OPT with the DO bit, for queries that set it (RFC 3225 §3). */
  readonly #optDo: Buffer;
  /** Wire name key → (qtype | EDNS << 16) → entry: two lookups, no key string built per query. */
  #cache = new Map<string, Map<number, CacheEntry>>();
  #cached = 0;
  #generation = -1;

  constructor(options: DnsResponderOptions) {
    this.#store = options.store;
    this.#faults = options.faults;
    this.#metrics = options.metrics;
    this.#log = options.log;
    this.#clock = options.clock;
    this.#random = options.random;
    this.#maxUdp = Math.max(512, Math.min(65_535, options.maxUdpSize ?? 1232));
    this.#cacheSize = options.cacheSize ?? 50_000;
    this.#opt = optRecord(this.#maxUdp);
    this.#optDo = optRecord(this.#maxUdp, 0, true);
  }

  /**
   * The reply to one query, or undefined when none must be sent (a drop fault, or a datagram not worth
   * answering). Sets {@link delayMs}. Never throws on any input.
   */
  respond(query: Buffer, transport: 'udp' | 'tcp', client: string): Buffer | undefined {
    this.delayMs = 0;
    const p = this.#parser;
    const status = p.parse(query);
    const now = this.#clock.now();
    if (status !== ParseStatus.OK) return this.#malformed(query, status, transport, client, now);
    const opt = p.edns ? (p.dnssecOk ? this.#optDo : this.#opt) : undefined;
    const limit = transport === 'tcp' ? 65_535 : p.edns ? Math.min(p.udpSize, this.#maxUdp) : 512;
    // IN, and ANY answered as IN without the AA bit (as NSD does); other classes are not ours.
    const anyClass = p.qclass === 255;
    if ((p.qclass !== 1 && !anyClass) || p.qtype === 252 || p.qtype === 251) {
      // Zone transfers (AXFR 252, IXFR 251) are not served: REFUSED, as NSD without provide-xfr.
      const name = p.hostName ? keyToName(p.key) : invalidName;
      const out = assembleResponse(
        query,
        p.questionEnd,
        { rcode: Rcode.REFUSED, authoritative: false, answers: noRecords, authority: noRecords },
        opt,
      );
      return this.#done(out, limit, opt, now, name, Rcode.REFUSED, transport, client, undefined);
    }
    if (!p.hostName) {
      const entry = this.#unholdable();
      const out = this.#answer(entry, query, opt, anyClass);
      return this.#done(out, limit, opt, now, invalidName, entry.rcode, transport, client, undefined);
    }
    if (this.#generation !== this.#store.generation || this.#cached >= this.#cacheSize) {
      this.#cache.clear();
      this.#cached = 0;
      this.#generation = this.#store.generation;
    }
    let byType = this.#cache.get(p.key);
    if (byType === undefined) this.#cache.set(p.key, (byType = new Map()));
    const typeKey = p.qtype | (p.edns ? 0x10000 : 0) | (p.dnssecOk ? 0x20000 : 0) | (anyClass ? 0x40000 : 0);
    let entry = byType.get(typeKey);
    if (entry === undefined) {
      entry = this.#build(query, opt, anyClass);
      byType.set(typeKey, entry);
      this.#cached++;
    }
    if (this.#faults.size > 0 && entry.resolution.zone !== undefined) {
      const rule = this.#faults.decide({ name: entry.name, type: entry.type, transport }, now);
      if (rule !== undefined) return this.#faulted(rule, entry, query, opt, limit, now, transport, client);
    }
    let out: Buffer;
    if (entry.response !== undefined) {
      let cached = entry.response;
      // Over UDP a large answer goes out truncated (cached too); over TCP #done turns one over 64 KiB into SERVFAIL.
      if (cached.length > limit && transport === 'udp') {
        cached = entry.truncated ??= truncatedResponse(cached, p.questionEnd, opt);
      }
      out = patchCached(cached, query, p.questionEnd);
    } else {
      out = this.#answer(entry, query, opt, anyClass);
    }
    return this.#done(out, limit, opt, now, entry.name, entry.rcode, transport, client, undefined);
  }

  /** Empties the response cache (it also empties itself on every zone change). */
  clearCache(): void {
    this.#cache.clear();
    this.#cached = 0;
  }

  /** Plain JSON for metrics. */
  snapshot(): { cachedResponses: number; maxUdpSize: number } {
    return { cachedResponses: this.#cached, maxUdpSize: this.#maxUdp };
  }

  #build(query: Buffer, opt: Buffer | undefined, anyClass: boolean): CacheEntry {
    const p = this.#parser;
    const name = keyToName(p.key);
    const type = typeName(p.qtype);
    const entry = entryOf(name, type, this.#store.resolve(name, type));
    let weighted = false;
    for (const set of entry.resolution.answers) if (isWeighted(set.records)) weighted = true;
    if (weighted) return entry;
    return { ...entry, response: this.#answer(entry, query, opt, anyClass) };
  }

  /**
   * The entry of a name with a label our zones cannot hold: authoritative NXDOMAIN inside our zones
   * (RFC 2181 §11), a referral below a cut, REFUSED outside. Not cached (such names are rare and all
   * different).
   */
  #unholdable(): CacheEntry {
    const p = this.#parser;
    const suffix = keyToName(p.hostSuffixKey);
    return entryOf(suffix, typeName(p.qtype), this.#store.resolveUnholdable(suffix));
  }

  /** The true answer of `entry` to `query`, without the AA bit for a question of class ANY. */
  #answer(entry: CacheEntry, query: Buffer, opt: Buffer | undefined, anyClass: boolean): Buffer {
    const out = assembleResponse(query, this.#parser.questionEnd, this.#parts(entry, undefined), opt);
    if (anyClass) out[2] = out[2]! & ~0x04;
    return out;
  }

  /** The records of a true answer; with `ttl`, every TTL replaced. */
  #parts(entry: CacheEntry, ttl: number | undefined): ResponseParts {
    const r = entry.resolution;
    if (r.rcode === 'REFUSED') {
      return { rcode: Rcode.REFUSED, authoritative: false, answers: noRecords, authority: noRecords };
    }
    if (r.delegation !== undefined) {
      // A referral (RFC 1034 §4.3.2): not authoritative, the child's NS in authority, glue in additional.
      const authority = answerRecords(r.delegation, entry.name);
      const additional: Buffer[] = [];
      for (const set of r.glue ?? []) for (const rr of encodedRecords(set)) additional.push(rr);
      return { rcode: Rcode.NOERROR, authoritative: false, answers: noRecords, authority, additional };
    }
    let answers: Buffer[] = [];
    for (const set of r.answers) {
      const records = answerInOrder(set, entry.name, weightedOrder(set.records, this.#random));
      if (ttl === undefined) answers = answers.concat(records);
      else for (const rr of records) answers.push(withTtl(rr, ttl));
    }
    const authority = r.negative ? [this.#soa(entry, ttl)] : noRecords;
    return { rcode: entry.rcode, authoritative: true, answers, authority };
  }

  /**
   * The SOA of a negative answer, with the negative TTL (RFC 2308) or the overriding `ttl`; its owner
   * (the apex) points into the question when the question lies in the same zone.
   */
  #soa(entry: CacheEntry, ttl: number | undefined): Buffer {
    const r = entry.resolution;
    const soa = r.soa!;
    const negative: RecordSet = negativeSoa.get(soa) ?? { ...soa, ttl: r.negativeTtl, records: [soa.records[0]!] };
    negativeSoa.set(soa, negative);
    const rr = answerRecords(negative, entry.name)[0]!;
    return ttl === undefined ? rr : withTtl(rr, ttl);
  }

  #faulted(
    rule: FaultRule,
    entry: CacheEntry,
    query: Buffer,
    opt: Buffer | undefined,
    limit: number,
    now: number,
    transport: 'udp' | 'tcp',
    client: string,
  ): Buffer | undefined {
    const p = this.#parser;
    this.delayMs = faultDelay(rule, this.#random);
    if (faultChannel.hasSubscribers) {
      faultChannel.publish({
        at: now,
        name: entry.name,
        type: entry.type,
        transport,
        client,
        rule: rule.id,
        action: rule.action,
      });
    }
    let parts: ResponseParts;
    switch (rule.action) {
      case 'drop':
        this.delayMs = 0;
        this.#metrics.record(now, entry.name, droppedRcode, transport, false, rule.id, rule.action);
        this.#log.add(
          now,
          entry.name,
          p.qtype,
          droppedRcode,
          client,
          transport === 'tcp' ? 1 : 0,
          rule.id,
          rule.action,
          false,
          0,
        );
        return undefined;
      case 'empty':
      case 'nxdomain': // an authoritative "no data" or "no such name", with the zone's SOA for negative caching
        parts = {
          rcode: rule.action === 'empty' ? Rcode.NOERROR : Rcode.NXDOMAIN,
          authoritative: true,
          answers: noRecords,
          authority: [this.#soa(entry, rule.ttl)],
        };
        break;
      case 'servfail':
      case 'refused':
        parts = {
          rcode: rule.action === 'servfail' ? Rcode.SERVFAIL : Rcode.REFUSED,
          authoritative: false,
          answers: noRecords,
          authority: noRecords,
        };
        break;
      case 'truncate':
        parts = this.#parts(entry, undefined);
        if (transport === 'udp') {
          const out = truncatedResponse(assembleResponse(query, p.questionEnd, parts, opt), p.questionEnd, opt);
          return this.#done(out, limit, opt, now, entry.name, parts.rcode, transport, client, rule);
        }
        break;
      case 'random-address':
      case 'wrong-address': {
        const family = entry.type === 'A' ? 4 : 6;
        const address =
          rule.action === 'wrong-address' ? rule.address! : randomAddress(family, this.#random, rule.cidr);
        const rr = encodeRecord(entry.name, family === 4 ? 'A' : 'AAAA', rule.ttl ?? 60, address);
        parts = { rcode: Rcode.NOERROR, authoritative: true, answers: [rr], authority: noRecords };
        break;
      }
      case 'ttl':
        parts = this.#parts(entry, rule.ttl);
        break;
      case 'delay':
        parts = this.#parts(entry, undefined);
        break;
    }
    const out = assembleResponse(query, p.questionEnd, parts, opt);
    return this.#done(out, limit, opt, now, entry.name, parts.rcode, transport, client, rule);
  }

  /** Answers a datagram that did not parse as a query we serve. */
  #malformed(query: Buffer, status: number, transport: 'udp' | 'tcp', client: string, now: number): Buffer | undefined {
    const t = transport === 'tcp' ? 1 : 0;
    if (status === ParseStatus.DROP) {
      this.#metrics.record(now, malformedName, droppedRcode, transport, false, undefined, undefined);
      this.#log.add(now, malformedName, 0, droppedRcode, client, t, undefined, undefined, false, 0);
      return undefined;
    }
    const p = this.#parser;
    let out: Buffer;
    let rcode: number;
    if (status === ParseStatus.BADVERS) {
      // Extended rcode 16 = upper 8 bits 1 in the OPT, lower 4 bits 0 in the header (RFC 6891 §6.1.3).
      rcode = Rcode.BADVERS;
      out = assembleResponse(
        query,
        p.questionEnd,
        { rcode: 0, authoritative: false, answers: noRecords, authority: noRecords },
        optRecord(this.#maxUdp, 1, p.dnssecOk),
      );
    } else {
      rcode = status === ParseStatus.NOTIMP ? Rcode.NOTIMP : Rcode.FORMERR;
      // A query whose OPT was read (one without a question, RFC 7873 §5.4) gets an OPT back (RFC 6891 §7).
      out = assembleResponse(
        query,
        12,
        { rcode, authoritative: false, answers: noRecords, authority: noRecords },
        p.edns ? (p.dnssecOk ? this.#optDo : this.#opt) : undefined,
      );
    }
    this.#metrics.record(now, malformedName, rcode, transport, false, undefined, undefined);
    this.#log.add(now, malformedName, 0, rcode, client, t, undefined, undefined, false, out.length);
    return out;
  }

  /** Truncates to the transport's limit, counts, logs. */
  #done(
    response: Buffer,
    limit: number,
    opt: Buffer | undefined,
    now: number,
    name: string,
    rcode: number,
    transport: 'udp' | 'tcp',
    client: string,
    rule: FaultRule | undefined,
  ): Buffer {
    let out = response;
    const p = this.#parser;
    if (out.length > limit) {
      out =
        transport === 'udp'
          ? truncatedResponse(out, p.questionEnd, opt)
          : assembleResponse(
              out,
              p.questionEnd,
              { rcode: Rcode.SERVFAIL, authoritative: false, answers: noRecords, authority: noRecords },
              opt,
            ); // over 64 KiB even on TCP: cannot be sent at all
      if (transport === 'tcp') rcode = Rcode.SERVFAIL;
    }
    const truncated = (out[2]! & 0x02) !== 0;
    this.#metrics.record(now, name, rcode, transport, truncated, rule?.id, rule?.action);
    this.#log.add(
      now,
      name,
      p.qtype,
      rcode,
      client,
      transport === 'tcp' ? 1 : 0,
      rule?.id,
      rule?.action,
      truncated,
      out.length,
    );
    return out;
  }
}
