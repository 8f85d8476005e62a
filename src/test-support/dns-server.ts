/**
 * The DNS server of the dns tests and benchmarks: the chaos lab's fault DNS server, with a small
 * loopback relay in front of it (UDP and TCP on one ephemeral port) that records every query it
 * forwards and can spoil replies the way a hostile network does (forged IDs or questions, a reply
 * from another port, garbage, a cut datagram). Answers, negative answers, SERVFAIL, REFUSED,
 * silence, delays and truncation come from the chaos server's own zones and fault rules.
 *
 * Names live in one zone per top-level label (`api.test` in `test`), created on first use. Loaded
 * by tests only (`src/test-support/` is not published).
 *
 * @example
 * const server = await startDnsFixture({ zone: { 'api.test': { A: ['10.0.0.1'], ttl: 60 } } });
 * server.behave('api.test', 'nxdomain');
 * const resolver = new Resolver({ upstreams: [server.server] });
 * await server.close();
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { listenUdpAndTcp } from '../core/listening.js';
import { startFaultDnsServer, type FaultDnsServer } from '../chaos/fault-dns-server.js';
import type { FaultAction, FaultRuleInput } from '../chaos/fault-rules.js';
import type { Change, RecordType } from '../chaos/zone-schema.js';
import { DnsFlag, DnsType } from '../dns/wire/constants.js';

/** The data of one name. */
export interface FixtureRecord {
  A?: string[];
  AAAA?: string[];
  /** A CNAME target; when set, A/AAAA of this name are ignored (as in a real zone). */
  CNAME?: string;
  /** TTL of the records in seconds; default 60. */
  ttl?: number;
}

/**
 * How queries for a name are treated:
 * - from the chaos server: `answer` (the zone), `empty`, `nxdomain`, `servfail`, `refused`, `drop`,
 *   `truncate` (over UDP a TC response; TCP answers);
 * - spoilt by the relay: `formerr` (the reply's rcode set to FORMERR, its records removed),
 *   `formerr-edns` (that, only when the query carries EDNS0: an old server), `mismatch-id`,
 *   `mismatch-question`, `wrong-source` (a forged 6.6.6.6 answer with the wrong ID, for another
 *   question, or from another port), `not-response` (QR cleared), `garbage`, `short` (one byte),
 *   `cut` (the last bytes missing); with `then: 'answer'` the real reply follows the bad one;
 *   `no-chase`: only the first answer record is kept (a server that does not follow a CNAME into
 *   another of its zones, so the client must ask for the target itself).
 */
export type FixtureBehavior =
  | 'answer'
  | 'empty'
  | 'nxdomain'
  | 'servfail'
  | 'refused'
  | 'drop'
  | 'truncate'
  | 'formerr'
  | 'formerr-edns'
  | 'mismatch-id'
  | 'mismatch-question'
  | 'not-response'
  | 'garbage'
  | 'short'
  | 'cut'
  | 'wrong-source'
  | 'no-chase';

/** Options of a behavior. */
export interface FixtureBehaviorOptions {
  /** Answer after this many real milliseconds (a chaos `delay` fault); default 0. */
  delayMs?: number;
  /** After a spoilt reply, also send the real one; default: nothing more. */
  then?: 'answer';
}

/** One query the relay forwarded. */
export interface FixtureQuery {
  name: string;
  /** `A`, `AAAA`, … */
  type: string;
  transport: 'udp' | 'tcp';
  /** Whether it carried an EDNS0 OPT record. */
  edns: boolean;
}

/** Options of {@link startDnsFixture}. */
export interface DnsFixtureOptions {
  /** The records: name → data. A name `*.<suffix>` with one A address answers every name below it. */
  zone?: Record<string, FixtureRecord>;
  /** The negative TTL (SOA minimum) in seconds; default 5. */
  negativeTtl?: number;
}

/** A running fixture. */
export interface DnsFixture {
  readonly address: string;
  readonly port: number;
  /** `address:port`, ready for a resolver's `upstreams`. */
  readonly server: string;
  /** The chaos server behind the relay. */
  readonly chaos: FaultDnsServer;
  /** Sets the records of `name`. */
  set(name: string, record: FixtureRecord): void;
  /** Removes `name` (it answers NXDOMAIN). */
  delete(name: string): void;
  /** Makes queries for `name` (or every name, with `*`) behave as told; `answer` restores. */
  behave(name: string, behavior: FixtureBehavior, options?: FixtureBehaviorOptions): void;
  /**
   * Runs `fn` while each name of `behaviors` behaves as told (with `options`), then restores
   * `answer` for those names, also when `fn` throws.
   */
  behaving<T>(
    behaviors: Readonly<Record<string, FixtureBehavior>>,
    fn: () => Promise<T>,
    options?: FixtureBehaviorOptions,
  ): Promise<T>;
  /** Every query forwarded so far. */
  readonly queries: FixtureQuery[];
  /** How many queries for `name` (any type, any transport; every name when absent) arrived. */
  count(name?: string): number;
  close(): Promise<void>;
}

const chaosActions: ReadonlySet<string> = new Set<FaultAction>([
  'empty',
  'nxdomain',
  'servfail',
  'refused',
  'drop',
  'truncate',
]);

/** Starts a {@link DnsFixture} on an ephemeral loopback port (UDP and TCP). */
export async function startDnsFixture(options: DnsFixtureOptions = {}): Promise<DnsFixture> {
  const negativeTtl = options.negativeTtl ?? 5;
  const chaos = await startFaultDnsServer({ tcpIdleTimeoutMs: 2_000 });
  const queries: FixtureQuery[] = [];
  const spoilt = new Map<string, { behavior: FixtureBehavior; then: boolean }>();
  /** Fault rule ids by the name they were added for. */
  const rules = new Map<string, string[]>();
  const wildcards = new Map<string, string>();

  function zoneOf(name: string): string {
    const tld = name.slice(name.lastIndexOf('.') + 1);
    if (chaos.store.get(tld) === undefined) {
      chaos.store.addZone({
        name: tld,
        records: [
          {
            name: tld,
            type: 'SOA',
            ttl: negativeTtl,
            records: [{ value: `ns.${tld} hostmaster.${tld} 1 3600 600 86400 ${negativeTtl}` }],
          },
        ],
      });
    }
    return tld;
  }

  function set(rawName: string, record: FixtureRecord): void {
    const name = rawName.toLowerCase();
    const ttl = record.ttl ?? 60;
    if (name.startsWith('*.')) {
      // A wildcard: a chaos `wrong-address` rule for every A query below it.
      const address = record.A?.[0];
      if (address === undefined || record.A?.length !== 1) throw new Error('a wildcard takes exactly one A address');
      zoneOf(name.slice(2));
      const old = wildcards.get(name);
      if (old !== undefined) chaos.faults.remove(old);
      const rule = chaos.addFault({ name, type: 'A', action: 'wrong-address', address, ttl });
      wildcards.set(name, rule.id);
      return;
    }
    const zone = zoneOf(name);
    const wanted: [RecordType, string[]][] = record.CNAME
      ? [['CNAME', [record.CNAME]]]
      : [
          ['A', record.A ?? []],
          ['AAAA', record.AAAA ?? []],
        ];
    const existing = chaos.store.get(zone)?.records.filter((r) => r.name === name) ?? [];
    const changes: Change[] = [];
    for (const r of existing) {
      if (!wanted.some(([type, values]) => type === r.type && values.length > 0)) {
        changes.push({ action: 'DELETE', recordSet: r });
      }
    }
    for (const [type, values] of wanted) {
      if (values.length === 0) continue;
      changes.push({
        action: 'UPSERT',
        recordSet: { name, type, ttl, records: values.map((value) => ({ value })) },
      });
    }
    if (changes.length > 0) chaos.applyChanges(zone, { changes });
  }

  function remove(rawName: string): void {
    const name = rawName.toLowerCase();
    const zone = zoneOf(name);
    const existing = chaos.store.get(zone)?.records.filter((r) => r.name === name) ?? [];
    if (existing.length === 0) return;
    chaos.applyChanges(zone, { changes: existing.map((recordSet) => ({ action: 'DELETE' as const, recordSet })) });
  }

  function behave(rawName: string, behavior: FixtureBehavior, behaviorOptions: FixtureBehaviorOptions = {}): void {
    const name = rawName.toLowerCase();
    for (const id of rules.get(name) ?? []) chaos.faults.remove(id);
    rules.delete(name);
    spoilt.delete(name);
    const pattern = name;
    const added: FaultRuleInput[] = [];
    if (chaosActions.has(behavior)) added.push({ name: pattern, action: behavior as FaultAction });
    else if (behavior !== 'answer') spoilt.set(name, { behavior, then: behaviorOptions.then === 'answer' });
    if (behaviorOptions.delayMs !== undefined && behaviorOptions.delayMs > 0 && !chaosActions.has(behavior)) {
      added.push({ name: pattern, action: 'delay', delayMs: behaviorOptions.delayMs });
    } else if (behaviorOptions.delayMs !== undefined && added[0] !== undefined) {
      added[0] = { ...added[0], delayMs: behaviorOptions.delayMs };
    }
    if (added.length > 0) {
      rules.set(
        name,
        added.map((rule) => chaos.addFault(rule).id),
      );
    }
  }

  // ---- the relay ------------------------------------------------------------------------------
  const upstreamPort = chaos.dnsPort;
  const other = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => other.bind(0, '127.0.0.1', resolve));
  const tcp = net.createServer();
  const { udp, port } = await listenUdpAndTcp(() => dgram.createSocket('udp4'), tcp, '127.0.0.1');
  const sockets = new Set<net.Socket>();
  const pending = new Set<dgram.Socket>();

  udp.on('message', (query, rinfo) => {
    const info = describe(query);
    if (info === undefined) return;
    queries.push({ ...info, transport: 'udp' });
    const rule = spoilt.get(info.name) ?? spoilt.get('*');
    const back = dgram.createSocket('udp4');
    pending.add(back);
    const finish = (): void => {
      pending.delete(back);
      back.close();
    };
    back.on('error', finish);
    back.on('message', (reply) => {
      finish();
      const send = (buf: Buffer, via: dgram.Socket = udp): void => {
        via.send(buf, rinfo.port, rinfo.address, () => undefined);
      };
      if (rule === undefined) return send(reply);
      const bad = spoil(rule.behavior, query, reply, info.edns);
      if (bad === 'real') return send(reply);
      send(bad, rule.behavior === 'wrong-source' ? other : udp);
      if (rule.then) send(reply);
    });
    back.send(query, upstreamPort, '127.0.0.1');
  });

  tcp.on('connection', (socket) => {
    sockets.add(socket);
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(upstream);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < 2 + length) break;
        const info = describe(buffered.subarray(2, 2 + length));
        if (info !== undefined) queries.push({ ...info, transport: 'tcp' });
        buffered = buffered.subarray(2 + length);
      }
    });
    socket.pipe(upstream).pipe(socket);
    const end = (): void => {
      socket.destroy();
      upstream.destroy();
      sockets.delete(socket);
      sockets.delete(upstream);
    };
    socket.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });

  for (const [name, record] of Object.entries(options.zone ?? {})) set(name, record);

  return {
    address: '127.0.0.1',
    port,
    server: `127.0.0.1:${port}`,
    chaos,
    set,
    delete: remove,
    behave,
    async behaving<T>(
      behaviors: Readonly<Record<string, FixtureBehavior>>,
      fn: () => Promise<T>,
      options?: FixtureBehaviorOptions,
    ): Promise<T> {
      for (const [name, behavior] of Object.entries(behaviors)) behave(name, behavior, options);
      try {
        return await fn();
      } finally {
        for (const name of Object.keys(behaviors)) behave(name, 'answer');
      }
    },
    queries,
    count(name?: string): number {
      if (name === undefined) return queries.length;
      const lower = name.toLowerCase();
      let n = 0;
      for (const q of queries) if (q.name === lower) n++;
      return n;
    },
    async close(): Promise<void> {
      for (const s of sockets) s.destroy();
      for (const s of pending) s.close();
      pending.clear();
      await Promise.all([
        new Promise<void>((resolve) => udp.close(() => resolve())),
        new Promise<void>((resolve) => other.close(() => resolve())),
        new Promise<void>((resolve) => tcp.close(() => resolve())),
      ]);
      await chaos.close();
    },
  };
}

/** The question of a query (lower-case name, type name) and whether it carries EDNS0. */
function describe(query: Buffer): { name: string; type: string; edns: boolean } | undefined {
  const end = questionEnd(query);
  if (end === undefined) return undefined;
  const labels: string[] = [];
  for (let off = 12; query[off]! !== 0; off += query[off]! + 1) {
    labels.push(query.toString('latin1', off + 1, off + 1 + query[off]!).toLowerCase());
  }
  const type = query.readUInt16BE(end - 4);
  const name = Object.entries(DnsType).find(([, n]) => n === type)?.[0] ?? `TYPE${type}`;
  return { name: labels.join('.'), type: name, edns: query.readUInt16BE(10) > 0 };
}

/** The offset just past the first question (uncompressed names only), or undefined. */
function questionEnd(buf: Buffer): number | undefined {
  if (buf.length < 12 || buf.readUInt16BE(4) < 1) return undefined;
  let off = 12;
  while (off < buf.length && buf[off]! !== 0) {
    if ((buf[off]! & 0xc0) !== 0) return undefined;
    off += buf[off]! + 1;
  }
  return off + 5 <= buf.length ? off + 5 : undefined;
}

/** A forged reply to `query`: one A record 6.6.6.6 for its question (or a question renamed `evil.…`). */
function forged(query: Buffer, id: number, evil: boolean): Buffer {
  const end = questionEnd(query)!;
  const question = evil
    ? Buffer.concat([Buffer.from([4]), Buffer.from('evil'), query.subarray(12, end)])
    : query.subarray(12, end);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(DnsFlag.QR | DnsFlag.AA | (query.readUInt16BE(2) & DnsFlag.RD), 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(1, 6);
  const answer = Buffer.from([0xc0, 0x0c, 0, DnsType.A, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 6, 6, 6, 6]);
  return Buffer.concat([header, question, answer]);
}

/** The spoilt datagram for `behavior`, or `'real'` to send the real reply. */
function spoil(behavior: FixtureBehavior, query: Buffer, reply: Buffer, edns: boolean): Buffer | 'real' {
  const id = query.readUInt16BE(0);
  switch (behavior) {
    case 'formerr-edns':
    case 'formerr': {
      if (behavior === 'formerr-edns' && !edns) return 'real';
      const end = questionEnd(reply) ?? 12;
      const out = Buffer.from(reply.subarray(0, end));
      out[3] = (out[3]! & 0xf0) | 1; // FORMERR
      out.writeUInt16BE(0, 6);
      out.writeUInt32BE(0, 8);
      return out;
    }
    case 'mismatch-id':
      return forged(query, (id + 1) & 0xffff, false);
    case 'mismatch-question':
      return forged(query, id, true);
    case 'wrong-source':
      return forged(query, id, false);
    case 'not-response': {
      const out = Buffer.from(reply);
      out[2] = out[2]! & 0x7f;
      return out;
    }
    case 'garbage': {
      const out = Buffer.alloc(64, 0xff);
      out.writeUInt16BE(id, 0);
      return out;
    }
    case 'short':
      return Buffer.from([0x12]);
    case 'cut':
      return reply.subarray(0, Math.max(13, reply.length - 3));
    case 'no-chase': {
      const end = questionEnd(reply);
      if (end === undefined || reply.readUInt16BE(6) === 0) return 'real';
      let off = end;
      while (reply[off]! !== 0 && (reply[off]! & 0xc0) === 0) off += reply[off]! + 1;
      off += (reply[off]! & 0xc0) === 0xc0 ? 2 : 1;
      const recordEnd = off + 10 + reply.readUInt16BE(off + 8);
      const out = Buffer.from(reply.subarray(0, recordEnd));
      out[3] = out[3]! & 0xf0; // NOERROR
      out.writeUInt16BE(1, 6);
      out.writeUInt32BE(0, 8);
      return out;
    }
    default:
      return 'real';
  }
}
