/**
 * A DNS client that speaks the wire protocol to one server: UDP with EDNS0, TCP when the answer is
 * truncated, A and AAAA with CNAME chains followed. It trusts nothing it receives: a response is
 * accepted only when it comes from the server's address and port, carries the query's ID and
 * repeats its question (name compared case-insensitively, type and class); anything else is dropped
 * and the client keeps waiting for the right answer until its timeout, so a forged or stray packet
 * can neither answer the query nor end it.
 *
 * Source ports: queries go out through a small pool of UDP sockets, each bound by the kernel to a
 * random ephemeral port and each retired after `maxQueriesPerSocket` queries (then replaced by a
 * socket on a new random port). A fresh socket per query would cost a bind, a connect and a close
 * (three system calls and a libuv handle) on every uncached lookup, which alone makes it slower than
 * c-ares; the pool keeps lookups as fast as c-ares while an off-path attacker still has to guess a
 * crypto-random 16-bit ID and which of several random, regularly changing ports is in use
 * (RFC 5452 §9.2 asks for exactly these two sources of entropy). Each socket is `connect()`ed to the
 * server, so the kernel itself discards datagrams from any other source, and an ICMP "port
 * unreachable" fails the query at once instead of after the timeout.
 *
 * @see https://www.rfc-editor.org/rfc/rfc1035 (message format)
 * @see https://www.rfc-editor.org/rfc/rfc5452 (measures against forged answers)
 * @see https://www.rfc-editor.org/rfc/rfc6891 (EDNS0; 1232 bytes per the DNS Flag Day 2020)
 * @see https://www.rfc-editor.org/rfc/rfc7766 (DNS over TCP)
 */
import { randomFillSync } from 'node:crypto';
import dgram from 'node:dgram';
import net from 'node:net';
import { systemClock, abortReason, type Cancel, type Clock } from '../core/clock.js';
import type { FailsmallError } from '../core/errors.js';
import { duration, positiveInteger } from '../core/validate.js';
import { dnsError } from './errors.js';
import { encodeQuery, parseResponse, type ParsedResponse } from './message.js';
import { DnsClass, DnsType } from './wire/constants.js';
import { formatServer, parseServer, type ServerAddress } from './server-address.js';
import type { DnsAddress, UpstreamResult } from './types.js';

/** Options of {@link WireClient}. */
export interface WireClientOptions {
  /** The server, `ip[:port]` (port 53 by default; IPv6 as `[::1]:53`). */
  readonly server: string;
  /**
   * How long one query may take, UDP and any TCP fallback together, in milliseconds; default
   * 2,000 ms: long enough for a distant recursive resolver, short enough that a hedged or stale
   * answer (RFC 8767's 1.8 s client response timer) can take over.
   */
  readonly timeout?: number;
  /**
   * After how many milliseconds without an answer the UDP query is sent once more (same ID and
   * port); default half the timeout. Infinity: never.
   */
  readonly retransmit?: number;
  /**
   * The UDP payload size advertised with EDNS0, in bytes; default 1232, the size the DNS Flag Day
   * 2020 recommends (fits an IPv6 packet without fragmentation). 0 disables EDNS0.
   */
  readonly udpPayloadSize?: number;
  /** How many UDP sockets (source ports) to keep; default 4. */
  readonly poolSize?: number;
  /** After how many queries a socket is replaced by one on a new random port; default 128. */
  readonly maxQueriesPerSocket?: number;
  /** The longest CNAME chain followed, in hops; default 8. */
  readonly maxCnameDepth?: number;
  /** Whether to retry over TCP when a UDP answer is truncated (TC bit); default true. */
  readonly tcpFallback?: boolean;
  /** The clock for timeouts; default `systemClock`. */
  readonly clock?: Clock;
}

/** Counters of a {@link WireClient}. */
export interface WireClientStats {
  queries: number;
  /** Queries retried over TCP after a truncated UDP answer. */
  tcpFallbacks: number;
  /** Datagrams dropped: unknown ID, wrong question, unparseable, wrong source. */
  dropped: number;
  timeouts: number;
  retransmits: number;
  socketsOpened: number;
}

/** The negative-caching TTL used when a negative answer carries no SOA, in seconds. */
const NEGATIVE_TTL_WITHOUT_SOA = 5;

/** Crypto-random 16-bit query IDs, drawn from a refilled buffer (one `randomFillSync` per 2,048 IDs). */
const idPool = Buffer.alloc(4096);
let idOffset = idPool.length;
function randomId(): number {
  if (idOffset >= idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.readUInt16BE(idOffset);
  idOffset += 2;
  return id;
}

/** The reason a datagram is not the answer to a query, or undefined when it is. */
function problemWith(packet: ParsedResponse, name: string, type: number): string | undefined {
  if (!packet.isResponse) return 'QR bit is not set';
  if (packet.opcode !== 0) return 'opcode is not QUERY';
  const q = packet.question;
  if (q === undefined) return 'question section does not hold exactly one question';
  if (q.name !== name) return 'question name differs';
  if (q.type !== type) return 'question type differs';
  if (q.class !== DnsClass.IN) return 'question class differs';
  return undefined;
}

interface Pending {
  readonly id: number;
  readonly name: string;
  readonly type: number;
  readonly packet: Buffer;
  readonly resolve: (packet: ParsedResponse) => void;
  readonly reject: (error: unknown) => void;
  slot: UdpSlot | undefined;
  cancelTimer: Cancel | undefined;
  /** The last reason a matching-ID datagram was dropped, reported on timeout. */
  problem: string | undefined;
  tcp: net.Socket | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
  settled: boolean;
}

/** One UDP socket of the pool, connected to the server. */
class UdpSlot {
  readonly socket: dgram.Socket;
  readonly pending = new Map<number, Pending>();
  used = 0;
  retired = false;
  connected = false;
  closed = false;
  remotePort: number;
  remoteAddress: string;
  /** Sends issued before `connect` completed. */
  queue: Buffer[] = [];

  constructor(
    readonly client: WireClient,
    server: ServerAddress,
  ) {
    this.socket = dgram.createSocket(server.family === 6 ? 'udp6' : 'udp4');
    this.socket.on('message', (msg, rinfo) => client.onMessage(this, msg, rinfo));
    this.socket.on('error', (error) => client.onSocketError(this, error));
    this.remotePort = server.port;
    this.remoteAddress = server.address;
    this.socket.connect(server.port, server.address, () => {
      this.connected = true;
      // The kernel's spelling of the peer address, to compare with each datagram's source.
      try {
        this.remoteAddress = this.socket.remoteAddress().address;
      } catch {
        // closed meanwhile
      }
      for (const buf of this.queue) this.send(buf);
      this.queue = [];
    });
    this.socket.unref();
  }

  send(buf: Buffer): void {
    if (this.closed) return;
    if (!this.connected) {
      this.queue.push(buf);
      return;
    }
    this.socket.send(buf, (error) => {
      if (error) this.client.onSocketError(this, error);
    });
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.socket.close();
    } catch {
      // already closed by an error
    }
  }
}

/**
 * A wire-protocol DNS client for one server.
 *
 * @example
 * const client = new WireClient({ server: '127.0.0.1:5353' });
 * const result = await client.resolve('api.example.com', 4);
 * if (result.kind === 'addresses') console.log(result.addresses, result.ttl);
 * client.close();
 */
export class WireClient {
  /** The server, parsed. */
  readonly server: ServerAddress;
  /** `ip:port` of the server. */
  readonly name: string;
  readonly #timeout: number;
  readonly #retransmit: number;
  readonly #udpPayloadSize: number;
  readonly #poolSize: number;
  readonly #maxQueriesPerSocket: number;
  readonly #maxCnameDepth: number;
  readonly #tcpFallback: boolean;
  readonly #clock: Clock;
  readonly #pool: (UdpSlot | undefined)[];
  readonly #retiring = new Set<UdpSlot>();
  #next = 0;
  #closed = false;
  readonly #stats: WireClientStats = {
    queries: 0,
    tcpFallbacks: 0,
    dropped: 0,
    timeouts: 0,
    retransmits: 0,
    socketsOpened: 0,
  };

  constructor(options: WireClientOptions) {
    this.server = parseServer(options.server, 'server');
    this.name = formatServer(this.server);
    this.#timeout = duration('timeout', options.timeout ?? 2_000);
    this.#retransmit = duration('retransmit', options.retransmit ?? this.#timeout / 2, true);
    const payload = options.udpPayloadSize ?? 1232;
    if (payload !== 0 && (!Number.isInteger(payload) || payload < 512 || payload > 65535)) {
      positiveInteger('udpPayloadSize (0, or 512..65535)', -1);
    }
    this.#udpPayloadSize = payload;
    this.#poolSize = positiveInteger('poolSize', options.poolSize ?? 4);
    this.#maxQueriesPerSocket = positiveInteger('maxQueriesPerSocket', options.maxQueriesPerSocket ?? 128);
    this.#maxCnameDepth = positiveInteger('maxCnameDepth', options.maxCnameDepth ?? 8);
    this.#tcpFallback = options.tcpFallback ?? true;
    this.#clock = options.clock ?? systemClock;
    this.#pool = new Array<UdpSlot | undefined>(this.#poolSize).fill(undefined);
  }

  /** Counters for metrics. */
  snapshot(): WireClientStats & { server: string; openSockets: number } {
    return {
      ...this.#stats,
      server: this.name,
      openSockets: this.#pool.filter((s) => s !== undefined).length + this.#retiring.size,
    };
  }

  /**
   * Resolves `name` (canonical form) to its A (family 4) or AAAA (family 6) records, following
   * CNAME chains up to `maxCnameDepth` hops; the TTL is the smallest along the chain. NXDOMAIN and
   * an empty answer are results; SERVFAIL, REFUSED, other rcodes, timeouts, malformed answers and
   * socket errors reject with `FS_ERR_DNS_*` codes.
   */
  async resolve(name: string, family: 4 | 6, signal?: AbortSignal): Promise<UpstreamResult> {
    const type = family === 4 ? DnsType.A : DnsType.AAAA;
    const rrType = family === 4 ? 'A' : 'AAAA';
    let current = name;
    let ttl = Infinity;
    const seen = new Set<string>([name]);
    for (let hop = 0; ; hop++) {
      const asked = current;
      const packet = await this.query(asked, type, signal);
      const rcode = packet.rcode;
      if (rcode !== 'NOERROR' && rcode !== 'NXDOMAIN') throw this.#rcodeError(rcode, current, rrType);
      const answers = packet.answers;
      // Walk the chain inside this response: CNAMEs from `current` on, then the addresses at its end.
      // Records for any other name are ignored (they cannot be trusted: RFC 5452 §6).
      const addresses: DnsAddress[] = [];
      let moved = true;
      while (moved) {
        moved = false;
        for (const record of answers) {
          if (record.name !== current || record.class !== DnsClass.IN || record.data === undefined) continue;
          if (record.type === DnsType.CNAME && addresses.length === 0) {
            const target = record.data;
            if (seen.has(target)) throw this.#chainError(name, 'loops', [...seen, target]);
            seen.add(target);
            if (seen.size > this.#maxCnameDepth + 1) throw this.#chainError(name, 'is too long', [...seen]);
            ttl = Math.min(ttl, record.ttl);
            current = target;
            moved = true;
            break;
          }
          if (record.type === type) {
            const address = record.data;
            ttl = Math.min(ttl, record.ttl);
            if (!addresses.some((a) => a.address === address)) addresses.push({ address, family });
          }
        }
      }
      if (addresses.length > 0) {
        return {
          kind: 'addresses',
          addresses,
          ttl: Number.isFinite(ttl) ? ttl : 0,
          source: 'fresh',
          upstream: this.name,
        };
      }
      const negativeTtl = Math.min(ttl, packet.negativeTtl ?? NEGATIVE_TTL_WITHOUT_SOA);
      if (rcode === 'NXDOMAIN') return { kind: 'nxdomain', ttl: negativeTtl, upstream: this.name };
      // The chain moved, inside this response, to a target it did not cover (no records for it and no
      // SOA saying it has none): ask for the target. Otherwise this is the chain's first negative
      // answer, and the answer: asking again for a name just answered is what made one AAAA lookup of
      // a CNAME to an IPv4-only name send 9 queries.
      const uncovered =
        current !== asked && packet.negativeTtl === undefined && !answers.some((r) => r.name === current);
      if (uncovered && hop < this.#maxCnameDepth) continue;
      return { kind: 'empty', ttl: negativeTtl, upstream: this.name };
    }
  }

  /**
   * Sends one query and resolves with the first valid response (matching source, ID and question).
   * Retries over TCP on truncation and without EDNS0 on FORMERR. Rejects with `FS_ERR_DNS_TIMEOUT`,
   * `FS_ERR_DNS_MALFORMED` (only invalid datagrams arrived before the timeout) or `FS_ERR_DNS_NETWORK`.
   */
  async query(name: string, type: number, signal?: AbortSignal): Promise<ParsedResponse> {
    const packet = await this.#exchange(name, type, this.#udpPayloadSize, signal);
    if (packet.rcode === 'FORMERR' && this.#udpPayloadSize > 0) {
      // RFC 6891 §7: a server that does not understand EDNS0 answers FORMERR; ask again without it.
      return this.#exchange(name, type, 0, signal);
    }
    return packet;
  }

  #exchange(name: string, type: number, udpPayloadSize: number, signal?: AbortSignal): Promise<ParsedResponse> {
    if (this.#closed) return Promise.reject(dnsError('FS_ERR_DNS_CLOSED', 'The DNS client is closed'));
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    this.#stats.queries++;
    return new Promise<ParsedResponse>((resolve, reject) => {
      const slot = this.#slot();
      let id = randomId();
      while (slot.pending.has(id)) id = randomId();
      const pending: Pending = {
        id,
        name,
        type,
        packet: encodeQuery(id, name, type, udpPayloadSize),
        resolve,
        reject,
        slot,
        cancelTimer: undefined,
        problem: undefined,
        tcp: undefined,
        signal,
        onAbort: undefined,
        settled: false,
      };
      slot.pending.set(id, pending);
      slot.used++;
      if (slot.used >= this.#maxQueriesPerSocket) this.#retire(slot);
      const retransmitAt = this.#retransmit < this.#timeout ? this.#retransmit : Infinity;
      if (retransmitAt < Infinity) {
        pending.cancelTimer = this.#clock.setTimer(() => {
          if (pending.settled) return;
          if (pending.slot !== undefined) {
            this.#stats.retransmits++;
            pending.slot.send(pending.packet);
          }
          pending.cancelTimer = this.#clock.setTimer(() => this.#onTimeout(pending), this.#timeout - retransmitAt);
        }, retransmitAt);
      } else {
        pending.cancelTimer = this.#clock.setTimer(() => this.#onTimeout(pending), this.#timeout);
      }
      if (signal !== undefined) {
        pending.onAbort = () => this.#settle(pending, abortReason(signal), undefined);
        signal.addEventListener('abort', pending.onAbort, { once: true });
      }
      slot.send(pending.packet);
    });
  }

  #slot(): UdpSlot {
    const index = this.#next;
    this.#next = (this.#next + 1) % this.#poolSize;
    let slot = this.#pool[index];
    if (slot === undefined || slot.retired || slot.closed) {
      slot = new UdpSlot(this, this.server);
      this.#stats.socketsOpened++;
      this.#pool[index] = slot;
    }
    return slot;
  }

  #retire(slot: UdpSlot): void {
    if (slot.retired) return;
    slot.retired = true;
    const index = this.#pool.indexOf(slot);
    if (index >= 0) this.#pool[index] = undefined;
    if (slot.pending.size === 0) slot.close();
    else this.#retiring.add(slot);
  }

  /** @internal Called by a pooled socket for every datagram. */
  onMessage(slot: UdpSlot, msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (msg.length < 12 || rinfo.port !== slot.remotePort || rinfo.address !== slot.remoteAddress) {
      this.#stats.dropped++;
      return;
    }
    const pending = slot.pending.get(msg.readUInt16BE(0));
    if (pending === undefined) {
      this.#stats.dropped++;
      return;
    }
    let packet: ParsedResponse;
    try {
      packet = parseResponse(msg);
    } catch (error) {
      this.#stats.dropped++;
      pending.problem = `an unparseable response (${(error as Error).message})`;
      return;
    }
    const problem = problemWith(packet, pending.name, pending.type);
    if (problem !== undefined) {
      this.#stats.dropped++;
      pending.problem = `a response whose ${problem}`;
      return;
    }
    if (packet.truncated && this.#tcpFallback) {
      this.#stats.tcpFallbacks++;
      slot.pending.delete(pending.id);
      pending.slot = undefined;
      this.#afterRemoval(slot);
      this.#overTcp(pending);
      return;
    }
    this.#settle(pending, undefined, packet);
  }

  /** @internal Called on a socket error: the queries on that socket fail, the socket is replaced. */
  onSocketError(slot: UdpSlot, error: Error): void {
    const code = (error as NodeJS.ErrnoException).code;
    for (const pending of [...slot.pending.values()]) {
      this.#settle(
        pending,
        dnsError(
          'FS_ERR_DNS_NETWORK',
          `DNS server ${this.name} is unreachable (${code ?? error.message})`,
          { server: this.name, errno: code },
          error,
        ),
        undefined,
      );
    }
    this.#retire(slot);
    slot.close();
    this.#retiring.delete(slot);
  }

  #overTcp(pending: Pending): void {
    // RFC 7766 §8: a two-byte length, then the message. The overall timeout keeps running.
    const query = pending.packet;
    const framed = Buffer.allocUnsafe(query.length + 2);
    framed.writeUInt16BE(query.length, 0);
    query.copy(framed, 2);
    const socket = net.connect({ host: this.server.address, port: this.server.port });
    pending.tcp = socket;
    socket.setNoDelay(true);
    let chunks: Buffer[] = [];
    let received = 0;
    socket.on('connect', () => socket.write(framed));
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received < 2) return;
      const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      chunks = [all];
      const length = all.readUInt16BE(0);
      if (received < length + 2) return;
      let packet: ParsedResponse;
      try {
        packet = parseResponse(all.subarray(2, 2 + length));
      } catch (error) {
        this.#settle(
          pending,
          this.#malformed(pending, `an unparseable TCP response (${(error as Error).message})`, error),
          undefined,
        );
        return;
      }
      const problem = packet.id === pending.id ? problemWith(packet, pending.name, pending.type) : 'ID differs';
      if (problem !== undefined) {
        this.#settle(pending, this.#malformed(pending, `a TCP response whose ${problem}`), undefined);
        return;
      }
      this.#settle(pending, undefined, packet);
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#settle(
        pending,
        dnsError(
          'FS_ERR_DNS_NETWORK',
          `TCP to DNS server ${this.name} failed (${error.code ?? error.message})`,
          { server: this.name, errno: error.code, transport: 'tcp' },
          error,
        ),
        undefined,
      );
    });
    socket.on('close', () => {
      this.#settle(
        pending,
        dnsError('FS_ERR_DNS_NETWORK', `DNS server ${this.name} closed the TCP connection before answering`, {
          server: this.name,
          transport: 'tcp',
        }),
        undefined,
      );
    });
  }

  #malformed(pending: Pending, problem: string, cause?: unknown): FailsmallError {
    return dnsError(
      'FS_ERR_DNS_MALFORMED',
      `DNS server ${this.name} sent ${problem} for ${pending.name}`,
      { server: this.name, hostname: pending.name, problem },
      cause,
    );
  }

  #onTimeout(pending: Pending): void {
    if (pending.settled) return;
    this.#stats.timeouts++;
    const error =
      pending.problem === undefined
        ? dnsError(
            'FS_ERR_DNS_TIMEOUT',
            `DNS server ${this.name} did not answer for ${pending.name} within ${this.#timeout} ms`,
            {
              server: this.name,
              hostname: pending.name,
              timeout: this.#timeout,
            },
          )
        : this.#malformed(pending, `only ${pending.problem} within ${this.#timeout} ms`);
    this.#settle(pending, error, undefined);
  }

  #settle(pending: Pending, error: unknown, packet: ParsedResponse | undefined): void {
    if (pending.settled) return;
    pending.settled = true;
    pending.cancelTimer?.();
    if (pending.onAbort !== undefined) pending.signal?.removeEventListener('abort', pending.onAbort);
    const slot = pending.slot;
    if (slot !== undefined) {
      slot.pending.delete(pending.id);
      this.#afterRemoval(slot);
    }
    pending.tcp?.destroy();
    if (packet !== undefined) pending.resolve(packet);
    else pending.reject(error);
  }

  #afterRemoval(slot: UdpSlot): void {
    if (slot.retired && slot.pending.size === 0) {
      slot.close();
      this.#retiring.delete(slot);
    }
  }

  #rcodeError(rcode: string | undefined, name: string, type: string): FailsmallError {
    const details = { server: this.name, hostname: name, type, rcode };
    if (rcode === 'SERVFAIL')
      return dnsError('FS_ERR_DNS_SERVFAIL', `DNS server ${this.name} answered SERVFAIL for ${name} ${type}`, details);
    if (rcode === 'REFUSED')
      return dnsError('FS_ERR_DNS_REFUSED', `DNS server ${this.name} refused the query for ${name} ${type}`, details);
    return dnsError(
      'FS_ERR_DNS_RCODE',
      `DNS server ${this.name} answered ${String(rcode)} for ${name} ${type}`,
      details,
    );
  }

  #chainError(name: string, what: string, chain: string[]): FailsmallError {
    return dnsError('FS_ERR_DNS_CNAME_CHAIN', `The CNAME chain of ${name} ${what}: ${chain.join(' -> ')}`, {
      server: this.name,
      hostname: name,
      chain,
    });
  }

  /** Closes every socket; queries in flight reject with `FS_ERR_DNS_CLOSED`. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const slots = [...this.#pool, ...this.#retiring];
    for (const slot of slots) {
      if (slot === undefined) continue;
      for (const pending of [...slot.pending.values()]) {
        this.#settle(pending, dnsError('FS_ERR_DNS_CLOSED', 'The DNS client is closed'), undefined);
      }
      slot.close();
    }
    this.#pool.fill(undefined);
    this.#retiring.clear();
  }
}
