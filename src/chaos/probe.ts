/**
 * A tiny DNS probe: sends one raw query over UDP or TCP and returns the decoded reply (or the raw
 * bytes). For drills, checks and tests that need to see exactly what the server put on the wire
 * (flags, TC, the authority section), which a stub resolver hides.
 */
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import { FailsmallError } from '../core/errors.js';

/** A decoded reply, as dns-packet decodes it (typed loosely: only the fields probes look at). */
export interface DecodedReply {
  readonly id: number;
  readonly type: 'query' | 'response';
  readonly rcode: string;
  readonly flag_aa: boolean;
  readonly flag_tc: boolean;
  readonly flag_rd: boolean;
  readonly flag_ra: boolean;
  readonly questions: { name: string; type: string; class: string }[];
  readonly answers: { name: string; type: string; ttl: number; data: unknown }[];
  readonly authorities: { name: string; type: string; ttl: number; data: unknown }[];
  readonly additionals: { name: string; type: string; [field: string]: unknown }[];
  /** The reply's size in bytes. */
  readonly size: number;
}

/** Decodes a reply with dns-packet into a {@link DecodedReply}; throws on malformed bytes. */
export function decodeReply(raw: Buffer): DecodedReply {
  const packet = dnsPacket.decode(raw) as unknown as Omit<DecodedReply, 'size'>;
  return {
    ...packet,
    questions: packet.questions ?? [],
    answers: packet.answers ?? [],
    authorities: packet.authorities ?? [],
    additionals: packet.additionals ?? [],
    size: raw.length,
  };
}

/** Options of {@link probe}. */
export interface ProbeOptions {
  /** The query type, default `A`. */
  readonly type?: string;
  /** `udp` (default) or `tcp`. */
  readonly transport?: 'udp' | 'tcp';
  /** Add an EDNS OPT record advertising this UDP size; default none (plain 512-byte DNS). */
  readonly edns?: number;
  /** The query id, default random. */
  readonly id?: number;
  /** Set RD (recursion desired), default true, as stub resolvers do. */
  readonly recursionDesired?: boolean;
  /** Give up after this long, in ms of real time; default 2 s. Rejects with `FS_ERR_CHAOS_PROBE_TIMEOUT`. */
  readonly timeoutMs?: number;
}

/** The encoded query {@link probe} sends. */
export function probeQuery(name: string, options: ProbeOptions = {}): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: options.id ?? Math.floor(Math.random() * 65_536),
    flags: options.recursionDesired === false ? 0 : dnsPacket.RECURSION_DESIRED,
    questions: [{ type: (options.type ?? 'A') as dnsPacket.RecordType, name }],
    ...(options.edns === undefined
      ? {}
      : { additionals: [{ type: 'OPT', name: '.', udpPayloadSize: options.edns } as dnsPacket.Answer] }),
  });
}

/**
 * Sends raw bytes to a DNS server and resolves with the raw reply. Over TCP the 2-byte length prefix is
 * added and removed here.
 */
export async function probeRaw(
  host: string,
  port: number,
  message: Buffer,
  transport: 'udp' | 'tcp' = 'udp',
  timeoutMs = 2_000,
): Promise<Buffer> {
  const timeout = (): FailsmallError =>
    new FailsmallError(
      'FS_ERR_CHAOS_PROBE_TIMEOUT',
      `No DNS reply from ${host}:${port} over ${transport} within ${timeoutMs} ms`,
    );
  if (transport === 'udp') {
    const socket = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4');
    try {
      return await new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => reject(timeout()), timeoutMs);
        socket.once('message', (msg) => {
          clearTimeout(timer);
          resolve(msg);
        });
        socket.once('error', (error) => {
          clearTimeout(timer);
          reject(error);
        });
        socket.send(message, port, host);
      });
    } finally {
      socket.close();
    }
  }
  const socket = net.connect({ host, port });
  try {
    return await new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(timeout()), timeoutMs);
      let buffered = Buffer.alloc(0);
      socket.on('data', (chunk: Buffer) => {
        buffered = Buffer.concat([buffered, chunk]);
        if (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
          clearTimeout(timer);
          resolve(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
        }
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      socket.once('close', () => {
        clearTimeout(timer);
        reject(
          new FailsmallError('FS_ERR_CHAOS_PROBE_TIMEOUT', `${host}:${port} closed the TCP connection without a reply`),
        );
      });
      const frame = Buffer.alloc(2 + message.length);
      frame.writeUInt16BE(message.length, 0);
      message.copy(frame, 2);
      socket.write(frame);
    });
  } finally {
    socket.destroy();
  }
}

/**
 * Sends one query and decodes the reply with dns-packet.
 *
 * @example
 * const reply = await probe('127.0.0.1', server.dnsPort, 'dynamodb.us-east-1.amazonaws.com', { type: 'A' });
 * reply.rcode; // 'NOERROR'
 * reply.answers.length; // 0 during the lie
 */
export async function probe(
  host: string,
  port: number,
  name: string,
  options: ProbeOptions = {},
): Promise<DecodedReply> {
  const raw = await probeRaw(host, port, probeQuery(name, options), options.transport ?? 'udp', options.timeoutMs);
  return decodeReply(raw);
}
