/**
 * Parses upstream server addresses: `1.2.3.4`, `1.2.3.4:5353`, `::1`, `[::1]:5353`. The host must
 * be an IP literal: resolving the resolver's own server through DNS would be circular.
 */
import net from 'node:net';
import { invalid } from '../core/validate.js';

/** A DNS server's address and port. */
export interface ServerAddress {
  readonly address: string;
  readonly port: number;
  /** 4 or 6. */
  readonly family: 4 | 6;
}

/**
 * Parses `host[:port]` (port 53 when absent; IPv6 with a port in brackets).
 *
 * @param name - the option name for the error message.
 * @example
 * parseServer('127.0.0.1:5353'); // { address: '127.0.0.1', port: 5353, family: 4 }
 */
export function parseServer(value: unknown, name = 'server'): ServerAddress {
  if (typeof value !== 'string') invalid(name, 'an "ip:port" string', value);
  let host = value;
  let port = 53;
  const bracket = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  if (bracket !== null) {
    host = bracket[1]!;
    if (bracket[2] !== undefined) port = Number(bracket[2]);
  } else if (net.isIPv6(value)) {
    host = value;
  } else {
    const colon = value.lastIndexOf(':');
    if (colon >= 0) {
      host = value.slice(0, colon);
      if (!/^\d+$/.test(value.slice(colon + 1))) invalid(name, 'an "ip:port" string', value);
      port = Number(value.slice(colon + 1));
    }
  }
  const family = net.isIP(host);
  if (family === 0 || !Number.isInteger(port) || port < 1 || port > 65535) {
    invalid(name, 'an "ip:port" string with an IP literal and a port in 1..65535', value);
  }
  return { address: host, port, family: family === 6 ? 6 : 4 };
}

/** `ip:port`, with brackets around an IPv6 address. */
export function formatServer(server: Pick<ServerAddress, 'address' | 'port'>): string {
  return net.isIPv6(server.address) ? `[${server.address}]:${server.port}` : `${server.address}:${server.port}`;
}
