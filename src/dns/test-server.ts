/**
 * A small authoritative DNS server for tests and benchmarks, on loopback, UDP and TCP on the same
 * ephemeral port. It answers from an in-memory zone and can be told to misbehave per name: answer
 * empty, NXDOMAIN, SERVFAIL, REFUSED, truncate, stay silent, answer late, or send forged,
 * mismatched or garbage datagrams (optionally followed by the real answer), so the resolver's
 * defences can be tested against real sockets. Not for production: the chaos lab's fault DNS server
 * is the full-featured one.
 *
 * @example
 * const server = await startTestDnsServer({ zone: { 'api.test': { A: ['10.0.0.1'], ttl: 60 } } });
 * server.behave('api.test', 'nxdomain');
 * // … query 127.0.0.1:server.port …
 * await server.close();
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, DecodedPacket, Packet } from 'dns-packet';

/** The data of one name in the test zone. */
export interface TestRecord {
  A?: string[];
  AAAA?: string[];
  /** A CNAME target; when set, A/AAAA of this name are ignored (as in a real zone). */
  CNAME?: string;
  /** TTL of the records in seconds; default 60. */
  ttl?: number;
}

/**
 * How the server treats a query:
 * - `answer`: from the zone (NXDOMAIN for a name not in it, NOERROR/empty for a missing type);
 * - `empty`: NOERROR with no answer (and an SOA); `nxdomain`; `servfail`; `refused`; `formerr`;
 * - `formerr-edns`: FORMERR when the query carries EDNS0, else answer (an old server);
 * - `truncate`: over UDP a TC response with no answer; over TCP the full answer;
 * - `drop`: never answer;
 * - `mismatch-id`, `mismatch-question`, `not-response`, `garbage`, `short`, `cut` (a valid header,
 *   the rest cut mid-record), `wrong-source` (the right answer, from another port): a datagram the
 *   client must reject; with `then: 'answer'` the real answer follows it.
 */
export type TestBehavior =
  | 'answer'
  | 'empty'
  | 'nxdomain'
  | 'servfail'
  | 'refused'
  | 'formerr'
  | 'formerr-edns'
  | 'truncate'
  | 'drop'
  | 'mismatch-id'
  | 'mismatch-question'
  | 'not-response'
  | 'garbage'
  | 'short'
  | 'cut'
  | 'wrong-source';

/** Options of a behavior. */
export interface TestBehaviorOptions {
  /** Answer after this many real milliseconds; default 0. */
  delayMs?: number;
  /** After a bad datagram, also send the real answer; default: nothing more. */
  then?: 'answer';
}

/** One query the server received. */
export interface TestQuery {
  name: string;
  type: string;
  transport: 'udp' | 'tcp';
  edns: boolean;
}

/** Options of {@link startTestDnsServer}. */
export interface TestDnsServerOptions {
  /** The zone: name → records. A name starting with `*.` matches any name below it. */
  zone?: Record<string, TestRecord>;
  /** The loopback address to listen on; default 127.0.0.1. */
  address?: string;
  /** The negative TTL (SOA minimum) in seconds; default 5. */
  negativeTtl?: number;
}

/** A running test server. */
export interface TestDnsServer {
  readonly address: string;
  readonly port: number;
  /** `address:port`, ready for a resolver's `upstreams`. */
  readonly server: string;
  /** Sets the records of `name`. */
  set(name: string, record: TestRecord): void;
  /** Removes `name` from the zone (it answers NXDOMAIN). */
  delete(name: string): void;
  /** Makes queries for `name` (or every name, with `*`) behave as told; `answer` restores. */
  behave(name: string, behavior: TestBehavior, options?: TestBehaviorOptions): void;
  /** Every query received so far. */
  readonly queries: TestQuery[];
  /** How many queries for `name` (any type, any transport) arrived. */
  count(name?: string): number;
  close(): Promise<void>;
}

const SOA_NAME = 'test';

/** Starts a {@link TestDnsServer} on an ephemeral loopback port (UDP and TCP). */
export async function startTestDnsServer(options: TestDnsServerOptions = {}): Promise<TestDnsServer> {
  const address = options.address ?? '127.0.0.1';
  const negativeTtl = options.negativeTtl ?? 5;
  const zone = new Map<string, TestRecord>();
  for (const [name, record] of Object.entries(options.zone ?? {})) zone.set(name.toLowerCase(), record);
  const behaviors = new Map<string, { behavior: TestBehavior; options: TestBehaviorOptions }>();
  const queries: TestQuery[] = [];
  const family = net.isIPv6(address) ? 'udp6' : 'udp4';

  // UDP and TCP on the same port: take a UDP port from the OS, then try the same TCP port.
  let udp: dgram.Socket | undefined;
  let tcp: net.Server | undefined;
  for (let attempt = 0; attempt < 20 && tcp === undefined; attempt++) {
    udp = dgram.createSocket(family);
    await new Promise<void>((resolve, reject) => {
      udp!.once('error', reject);
      udp!.bind(0, address, () => resolve());
    });
    const port = udp.address().port;
    const candidate = net.createServer();
    const ok = await new Promise<boolean>((resolve) => {
      candidate.once('error', () => resolve(false));
      candidate.listen(port, address, () => resolve(true));
    });
    if (ok) tcp = candidate;
    else await new Promise<void>((resolve) => udp!.close(() => resolve()));
  }
  if (udp === undefined || tcp === undefined) throw new Error('could not bind UDP and TCP on one port');
  const udpSocket = udp;
  const tcpServer = tcp;
  const port = udpSocket.address().port;
  const other = dgram.createSocket(family);
  await new Promise<void>((resolve) => other.bind(0, address, () => resolve()));
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();

  function lookupRecord(name: string): TestRecord | undefined {
    const exact = zone.get(name);
    if (exact !== undefined) return exact;
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const wild = zone.get(`*${name.slice(dot)}`);
      if (wild !== undefined) return wild;
    }
    return undefined;
  }

  function behaviorOf(name: string): { behavior: TestBehavior; options: TestBehaviorOptions } {
    return behaviors.get(name) ?? behaviors.get('*') ?? { behavior: 'answer', options: {} };
  }

  function soa(): Answer {
    return {
      type: 'SOA',
      name: SOA_NAME,
      ttl: negativeTtl,
      class: 'IN',
      data: {
        mname: 'ns.test',
        rname: 'hostmaster.test',
        serial: 1,
        refresh: 60,
        retry: 60,
        expire: 60,
        minimum: negativeTtl,
      },
    } as Answer;
  }

  /** The zone's answer to `query` (following CNAMEs inside the zone), ignoring misbehaviour. */
  function zoneAnswer(query: DecodedPacket, rcode?: string): Packet & { rcode?: string } {
    const q = query.questions![0]!;
    const response: Packet & { rcode?: string } = {
      type: 'response',
      id: query.id ?? 0,
      flags: dnsPacket.AUTHORITATIVE_ANSWER | ((query.flags ?? 0) & dnsPacket.RECURSION_DESIRED),
      questions: [q],
      answers: [],
      authorities: [],
    };
    if (rcode !== undefined) {
      response.rcode = rcode;
      return response;
    }
    let name = q.name.toLowerCase();
    const seen = new Set<string>();
    for (;;) {
      const record = lookupRecord(name);
      if (record === undefined) {
        response.rcode = 'NXDOMAIN';
        response.authorities = [soa()];
        return response;
      }
      const ttl = record.ttl ?? 60;
      if (record.CNAME !== undefined && !seen.has(name)) {
        seen.add(name);
        response.answers!.push({ type: 'CNAME', name, ttl, class: 'IN', data: record.CNAME } as Answer);
        if (q.type === 'CNAME') break;
        name = record.CNAME.toLowerCase();
        // Only follow targets inside the zone (`.test`), as an authoritative server would.
        if (!name.endsWith('.test')) break;
        continue;
      }
      const data = q.type === 'A' ? record.A : q.type === 'AAAA' ? record.AAAA : undefined;
      for (const value of data ?? [])
        response.answers!.push({ type: q.type, name, ttl, class: 'IN', data: value } as Answer);
      break;
    }
    if (response.answers!.length === 0) response.authorities = [soa()];
    return response;
  }

  function encode(packet: Packet & { rcode?: string }): Buffer {
    const buf = dnsPacket.encode(packet);
    const rcodes: Record<string, number> = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 };
    const code = rcodes[packet.rcode ?? 'NOERROR'] ?? 0;
    buf.writeUInt16BE((buf.readUInt16BE(2) & 0xfff0) | code, 2);
    return buf;
  }

  /** The datagrams to send for `query`, in order; `viaOther` sends from another port. */
  function respond(query: DecodedPacket, transport: 'udp' | 'tcp'): { buf: Buffer; viaOther?: boolean }[] {
    const q = query.questions![0]!;
    const { behavior, options } = behaviorOf(q.name.toLowerCase());
    const edns = (query.additionals ?? []).some((r) => r.type === 'OPT');
    const real = (): Buffer => encode(zoneAnswer(query));
    const then = options.then === 'answer' ? [{ buf: real() }] : [];
    switch (behavior) {
      case 'answer':
        return [{ buf: real() }];
      case 'empty': {
        const response = zoneAnswer(query);
        response.rcode = 'NOERROR';
        response.answers = [];
        response.authorities = [soa()];
        return [{ buf: encode(response) }];
      }
      case 'nxdomain': {
        const response = zoneAnswer(query, 'NXDOMAIN');
        response.authorities = [soa()];
        return [{ buf: encode(response) }];
      }
      case 'servfail':
        return [{ buf: encode(zoneAnswer(query, 'SERVFAIL')) }];
      case 'refused':
        return [{ buf: encode(zoneAnswer(query, 'REFUSED')) }];
      case 'formerr':
        return [{ buf: encode(zoneAnswer(query, 'FORMERR')) }];
      case 'formerr-edns':
        return [{ buf: edns ? encode(zoneAnswer(query, 'FORMERR')) : real() }];
      case 'truncate': {
        if (transport === 'tcp') return [{ buf: real() }];
        const response = zoneAnswer(query);
        response.answers = [];
        response.flags = (response.flags ?? 0) | dnsPacket.TRUNCATED_RESPONSE;
        return [{ buf: encode(response) }];
      }
      case 'drop':
        return [];
      case 'mismatch-id': {
        const response = zoneAnswer(query);
        response.id = ((query.id ?? 0) + 1) & 0xffff;
        response.answers = [{ type: 'A', name: q.name, ttl: 3600, class: 'IN', data: '6.6.6.6' } as Answer];
        return [{ buf: encode(response) }, ...then];
      }
      case 'mismatch-question': {
        const response = zoneAnswer(query);
        response.questions = [{ ...q, name: `evil.${q.name}` }];
        response.answers = [{ type: 'A', name: `evil.${q.name}`, ttl: 3600, class: 'IN', data: '6.6.6.6' } as Answer];
        return [{ buf: encode(response) }, ...then];
      }
      case 'not-response': {
        const response = zoneAnswer(query);
        response.type = 'query';
        return [{ buf: encode(response) }, ...then];
      }
      case 'garbage': {
        const buf = Buffer.alloc(64, 0xff);
        buf.writeUInt16BE(query.id ?? 0, 0);
        return [{ buf }, ...then];
      }
      case 'short':
        return [{ buf: Buffer.from([0x12]) }, ...then];
      case 'cut': {
        const full = real();
        return [{ buf: full.subarray(0, Math.max(13, full.length - 3)) }, ...then];
      }
      case 'wrong-source': {
        const forged = zoneAnswer(query);
        forged.answers = [{ type: 'A', name: q.name, ttl: 3600, class: 'IN', data: '6.6.6.6' } as Answer];
        return [{ buf: encode(forged), viaOther: true }, ...then];
      }
    }
  }

  function later(fn: () => void, delayMs: number): void {
    if (delayMs <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      fn();
    }, delayMs);
    timers.add(timer);
  }

  function parse(msg: Buffer, transport: 'udp' | 'tcp'): DecodedPacket | undefined {
    let query: DecodedPacket;
    try {
      query = dnsPacket.decode(msg);
    } catch {
      return undefined;
    }
    const q = query.questions?.[0];
    if (q === undefined) return undefined;
    queries.push({
      name: q.name.toLowerCase(),
      type: q.type,
      transport,
      edns: (query.additionals ?? []).some((r) => r.type === 'OPT'),
    });
    return query;
  }

  udpSocket.on('message', (msg, rinfo) => {
    const query = parse(msg, 'udp');
    if (query === undefined) return;
    const q = query.questions![0]!;
    const { options } = behaviorOf(q.name.toLowerCase());
    const out = respond(query, 'udp');
    later(() => {
      for (const { buf, viaOther } of out) {
        (viaOther === true ? other : udpSocket).send(buf, rinfo.port, rinfo.address, () => undefined);
      }
    }, options.delayMs ?? 0);
  });

  tcpServer.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buffered = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (buffered.length < length + 2) return;
        const msg = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        const query = parse(msg, 'tcp');
        if (query === undefined) continue;
        const { options } = behaviorOf(query.questions![0]!.name.toLowerCase());
        const out = respond(query, 'tcp');
        later(() => {
          for (const { buf } of out) {
            const framed = Buffer.alloc(buf.length + 2);
            framed.writeUInt16BE(buf.length, 0);
            buf.copy(framed, 2);
            if (!socket.destroyed) socket.write(framed);
          }
        }, options.delayMs ?? 0);
      }
    });
  });

  return {
    address,
    port,
    server: net.isIPv6(address) ? `[${address}]:${port}` : `${address}:${port}`,
    set(name, record) {
      zone.set(name.toLowerCase(), record);
    },
    delete(name) {
      zone.delete(name.toLowerCase());
    },
    behave(name, behavior, behaviorOptions = {}) {
      if (behavior === 'answer' && behaviorOptions.delayMs === undefined) behaviors.delete(name.toLowerCase());
      else behaviors.set(name.toLowerCase(), { behavior, options: behaviorOptions });
    },
    queries,
    count(name) {
      if (name === undefined) return queries.length;
      const lower = name.toLowerCase();
      return queries.filter((q) => q.name === lower).length;
    },
    async close() {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const socket of sockets) socket.destroy();
      await Promise.all([
        new Promise<void>((resolve) => udpSocket.close(() => resolve())),
        new Promise<void>((resolve) => other.close(() => resolve())),
        new Promise<void>((resolve) => tcpServer.close(() => resolve())),
      ]);
    },
  };
}
