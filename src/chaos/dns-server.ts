/**
 * The socket shell of the fault DNS server: one UDP socket and one TCP listener on the same address
 * and port, handing every message to a {@link DnsResponder} and sending what it returns (after its
 * delay, on the injected clock). TCP follows RFC 7766: 2-byte length framing, several queries per
 * connection (answered as they are ready, possibly out of order), an idle timeout and a cap on open
 * connections.
 *
 * @see RFC 1035 §4.2 (transport), RFC 7766 (DNS over TCP)
 */
import dgram from 'node:dgram';
import net from 'node:net';
import type { Cancel, Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { nonNegativeInteger, positiveInteger } from '../core/validate.js';
import type { DnsResponder } from './responder.js';

/** Options of {@link DnsServer.listen}. */
export interface DnsServerOptions {
  readonly responder: DnsResponder;
  /** Runs reply delays (delay faults). */
  readonly clock: Clock;
  /** An IP address to bind, default `127.0.0.1`. */
  readonly address?: string;
  /** The port for UDP and TCP, default 0 (the OS picks one free for both). */
  readonly port?: number;
  /** Serve TCP as well, default true. */
  readonly tcp?: boolean;
  /** Close a TCP connection idle this long, in ms of real time; default 10 s (RFC 7766 §6.2.3 suggests seconds). */
  readonly tcpIdleTimeoutMs?: number;
  /** Most TCP connections open at once, default 100; more are closed at once by the OS listener. */
  readonly maxTcpConnections?: number;
  /** The UDP socket's receive buffer, in bytes; default 4 MiB (absorbs bursts at tens of thousands of qps). */
  readonly udpReceiveBufferSize?: number;
}

/**
 * The UDP socket's `lookup`: replies always go to `rinfo.address`, an IP literal, so it is handed back
 * synchronously (the default `dns.lookup` defers every send by a tick).
 */
function literal(
  address: string,
  _family: unknown,
  callback: (error: null, address: string, family: number) => void,
): void {
  callback(null, address, address.includes(':') ? 6 : 4); // cheaper than net.isIPv6's regular expression
}

/** Largest bytes waiting to be written to one TCP client before it is cut off (a client that never reads). */
const maxTcpBacklog = 1 << 20;

/**
 * A running DNS listener (UDP + TCP).
 *
 * @example
 * const server = await DnsServer.listen({ responder, clock: systemClock });
 * console.log(server.address, server.port);
 * await server.close();
 */
export class DnsServer {
  readonly address: string;
  readonly port: number;
  readonly #udp: dgram.Socket;
  readonly #tcp: net.Server | undefined;
  readonly #responder: DnsResponder;
  readonly #clock: Clock;
  readonly #sockets = new Set<net.Socket>();
  readonly #timers = new Set<Cancel>();
  /** Delayed replies still owed per TCP connection. */
  readonly #owed = new WeakMap<net.Socket, number>();
  #closed = false;
  #udpQueries = 0;
  #tcpQueries = 0;
  #tcpConnections = 0;
  #internalErrors = 0;
  #socketErrors = 0;

  private constructor(
    udp: dgram.Socket,
    tcp: net.Server | undefined,
    address: string,
    port: number,
    responder: DnsResponder,
    clock: Clock,
  ) {
    this.#udp = udp;
    this.#tcp = tcp;
    this.address = address;
    this.port = port;
    this.#responder = responder;
    this.#clock = clock;
  }

  /**
   * Binds UDP and TCP and starts answering. Throws `FS_ERR_INVALID_ARGUMENT` for a bad address or port
   * and `FS_ERR_CHAOS_LISTEN` when the port cannot be bound.
   */
  static async listen(options: DnsServerOptions): Promise<DnsServer> {
    const address = options.address ?? '127.0.0.1';
    if (net.isIP(address) === 0) {
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`address\` to be an IP address, got ${JSON.stringify(address)}`,
        { details: { option: 'address' } },
      );
    }
    const wanted = nonNegativeInteger('port', options.port ?? 0);
    if (wanted > 65_535) nonNegativeInteger('port', -1);
    const idle = positiveInteger('tcpIdleTimeoutMs', options.tcpIdleTimeoutMs ?? 10_000);
    const maxConnections = positiveInteger('maxTcpConnections', options.maxTcpConnections ?? 100);
    const recvBufferSize = positiveInteger('udpReceiveBufferSize', options.udpReceiveBufferSize ?? 4 << 20);
    const withTcp = options.tcp ?? true;
    // With port 0, the OS picks a UDP port; TCP then binds the same number, retried if it is taken.
    let lastError: unknown;
    for (let attempt = 0; attempt < (wanted === 0 ? 20 : 1); attempt++) {
      const udp = dgram.createSocket({ type: net.isIPv6(address) ? 'udp6' : 'udp4', recvBufferSize, lookup: literal });
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject);
          udp.bind(wanted, address, () => {
            udp.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        udp.close();
        throw listenError(address, wanted, 'udp', error);
      }
      const port = udp.address().port;
      let tcp: net.Server | undefined;
      if (withTcp) {
        tcp = net.createServer({ noDelay: true });
        tcp.maxConnections = maxConnections;
        try {
          await new Promise<void>((resolve, reject) => {
            tcp!.once('error', reject);
            tcp!.listen({ port, host: address, exclusive: true }, () => {
              tcp!.off('error', reject);
              resolve();
            });
          });
        } catch (error) {
          lastError = error;
          udp.close();
          continue;
        }
      }
      const server = new DnsServer(udp, tcp, address, port, options.responder, options.clock);
      server.#start(idle);
      return server;
    }
    throw listenError(address, wanted, 'tcp', lastError);
  }

  #start(idleMs: number): void {
    this.#udp.on('message', (msg, rinfo) => this.#onDatagram(msg, rinfo));
    this.#udp.on('error', () => void this.#socketErrors++);
    this.#tcp?.on('connection', (socket) => this.#onConnection(socket, idleMs));
    this.#tcp?.on('error', () => void this.#socketErrors++);
  }

  #onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    this.#udpQueries++;
    let reply: Buffer | undefined;
    try {
      reply = this.#responder.respond(msg, 'udp', rinfo.address);
    } catch {
      this.#internalErrors++; // the responder never throws by design; counted so tests can assert it
      return;
    }
    if (reply === undefined) return;
    const delay = this.#responder.delayMs;
    if (delay <= 0) {
      this.#udp.send(reply, rinfo.port, rinfo.address);
      return;
    }
    const cancel = this.#clock.setTimer(() => {
      this.#timers.delete(cancel);
      if (!this.#closed) this.#udp.send(reply, rinfo.port, rinfo.address);
    }, delay);
    this.#timers.add(cancel);
  }

  #onConnection(socket: net.Socket, idleMs: number): void {
    this.#tcpConnections++;
    this.#sockets.add(socket);
    socket.setTimeout(idleMs);
    // Idle means no traffic and no reply owed (RFC 7766 §6.2.3): a delay fault longer than the idle
    // timeout must not cost the client its answer.
    socket.on('timeout', () => {
      if ((this.#owed.get(socket) ?? 0) === 0) socket.destroy();
    });
    socket.on('error', () => void this.#socketErrors++);
    socket.on('close', () => this.#sockets.delete(socket));
    const client = socket.remoteAddress ?? '';
    let buffered: Buffer | undefined;
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk]);
      while (buffered.length >= 2) {
        const length = buffered.readUInt16BE(0);
        if (length === 0) {
          socket.destroy(); // an empty message is not DNS
          return;
        }
        if (buffered.length < 2 + length) break;
        const msg = buffered.subarray(2, 2 + length);
        buffered = buffered.subarray(2 + length);
        this.#onStreamMessage(socket, msg, client);
      }
      if (buffered.length === 0) buffered = undefined;
    });
  }

  #onStreamMessage(socket: net.Socket, msg: Buffer, client: string): void {
    this.#tcpQueries++;
    let reply: Buffer | undefined;
    try {
      reply = this.#responder.respond(msg, 'tcp', client);
    } catch {
      this.#internalErrors++;
      return;
    }
    if (reply === undefined) return;
    const frame = Buffer.allocUnsafe(reply.length + 2);
    frame.writeUInt16BE(reply.length, 0);
    reply.copy(frame, 2);
    const write = (): void => {
      if (socket.destroyed || !socket.writable) return;
      socket.write(frame);
      if (socket.writableLength > maxTcpBacklog) socket.destroy();
    };
    const delay = this.#responder.delayMs;
    if (delay <= 0) {
      write();
      return;
    }
    this.#owed.set(socket, (this.#owed.get(socket) ?? 0) + 1);
    const cancel = this.#clock.setTimer(() => {
      this.#timers.delete(cancel);
      const owed = (this.#owed.get(socket) ?? 1) - 1;
      if (owed === 0) this.#owed.delete(socket);
      else this.#owed.set(socket, owed);
      if (!this.#closed) write();
    }, delay);
    this.#timers.add(cancel);
  }

  /** Stops listening, cancels delayed replies and closes every TCP connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
    for (const socket of this.#sockets) socket.destroy();
    await Promise.all([
      new Promise<void>((resolve) => this.#udp.close(() => resolve())),
      this.#tcp === undefined ? undefined : new Promise<void>((resolve) => this.#tcp!.close(() => resolve())),
    ]);
  }

  /**
   * Plain JSON for metrics: messages received, connections, pending delayed replies, socket errors
   * (resets by clients and the like) and internal errors (a message the responder failed on: always 0
   * unless there is a bug).
   */
  snapshot(): Record<string, number> {
    return {
      udpMessages: this.#udpQueries,
      tcpMessages: this.#tcpQueries,
      tcpConnectionsAccepted: this.#tcpConnections,
      tcpConnectionsOpen: this.#sockets.size,
      delayedReplies: this.#timers.size,
      socketErrors: this.#socketErrors,
      internalErrors: this.#internalErrors,
    };
  }
}

function listenError(address: string, port: number, transport: string, cause: unknown): FailsmallError {
  return new FailsmallError(
    'FS_ERR_CHAOS_LISTEN',
    `Cannot listen for DNS over ${transport} on ${address}:${port}: ${cause instanceof Error ? cause.message : String(cause)}`,
    { cause, details: { address, port, transport } },
  );
}
