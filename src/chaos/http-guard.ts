/**
 * The one guard in front of every control API of chaos/ (the fault DNS server's API, and the fault
 * proxy, drills and status services that reuse it). It stops a web page in a browser on the same
 * machine from driving an API that trusts loopback:
 *
 * - **Token**: when one is set, `Authorization: Bearer <token>` (scheme matched case-insensitively,
 *   RFC 7235 §2.1), compared in constant time; a miss is 401 with `WWW-Authenticate: Bearer`
 *   (RFC 6750 §3).
 * - **Host** (DNS rebinding): the `Host` header must name the bound address: an IP literal (any IP
 *   literal when bound to a wildcard address), `localhost` when bound to loopback, or one of
 *   `allowedHosts`; and the bound port. A rebinding page reaches us under its own domain name, so it
 *   is refused (403).
 * - **Cross-origin**: a request whose `Origin` is not the API's own and not in `allowedOrigins`, or
 *   whose `Sec-Fetch-Site` is `cross-site`/`same-site` without an allowed `Origin`, is refused (403).
 * - **JSON for writes**: POST, PUT and PATCH need `Content-Type: application/json` (415 otherwise), so
 *   a "simple" cross-site request (`text/plain`, sent by a browser without preflight) never reaches a
 *   handler.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';
import { isIP } from 'node:net';
import { FailsmallError } from '../core/errors.js';

/** Options of {@link HttpGuard}. */
export interface HttpGuardOptions {
  /** The address the API is bound to (an IP literal). */
  readonly address: string;
  /** The port the API is bound to. */
  readonly port: number;
  /** When set, every request needs `Authorization: Bearer <token>`. Default none. */
  readonly token?: string;
  /** Origins (`scheme://host[:port]`) allowed to call the API from a browser; default none but its own. */
  readonly allowedOrigins?: readonly string[];
  /** Extra host names accepted in `Host` (e.g. a name that points at this machine); default none. */
  readonly allowedHosts?: readonly string[];
}

/** The HTTP status of each code the guard throws. */
export const guardStatus: Readonly<Record<string, number>> = {
  FS_ERR_CHAOS_UNAUTHORIZED: 401,
  FS_ERR_CHAOS_HOST_NOT_ALLOWED: 403,
  FS_ERR_CHAOS_CROSS_ORIGIN: 403,
  FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE: 415,
};

/** The header a 401 carries (RFC 6750 §3). */
export const bearerChallenge = 'Bearer realm="failsmall"';

const loopbackNames = new Set(['localhost', 'localhost.']);

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

function isWildcard(address: string): boolean {
  return address === '0.0.0.0' || address === '::';
}

function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

/** Splits a `Host` header into a lower-case host (brackets removed) and port; undefined when malformed. */
export function parseHostHeader(value: string): { host: string; port: number | undefined } | undefined {
  const v = value.trim().toLowerCase();
  const m = /^(\[[0-9a-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(v);
  if (m === null) return undefined;
  const host = m[1]!.startsWith('[') ? m[1]!.slice(1, -1) : m[1]!;
  return { host, port: m[2] === undefined ? undefined : Number(m[2]) };
}

/**
 * Checks each request before any handler runs; throws a {@link FailsmallError} whose code maps to a
 * status through {@link guardStatus}.
 *
 * @example
 * const guard = new HttpGuard({ address: '127.0.0.1', port: 38053 });
 * server.on('request', (req, res) => { guard.check(req); handle(req, res); });
 */
export class HttpGuard {
  readonly #address: string;
  readonly #port: number;
  readonly #token: Buffer | undefined;
  readonly #origins: ReadonlySet<string>;
  readonly #hosts: ReadonlySet<string>;

  constructor(options: HttpGuardOptions) {
    this.#address = options.address.toLowerCase();
    this.#port = options.port;
    this.#token = options.token === undefined ? undefined : digest(options.token);
    this.#origins = new Set((options.allowedOrigins ?? []).map((o) => o.toLowerCase().replace(/\/$/, '')));
    this.#hosts = new Set((options.allowedHosts ?? []).map((h) => h.toLowerCase()));
  }

  /**
   * Throws `FS_ERR_CHAOS_UNAUTHORIZED`, `FS_ERR_CHAOS_HOST_NOT_ALLOWED`, `FS_ERR_CHAOS_CROSS_ORIGIN`
   * or `FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE` when the request must not be served.
   */
  check(req: http.IncomingMessage): void {
    const hostHeader = req.headers.host ?? '';
    const host = parseHostHeader(hostHeader);
    if (host === undefined || !this.#hostAllowed(host.host) || (host.port ?? 80) !== this.#port) {
      throw new FailsmallError(
        'FS_ERR_CHAOS_HOST_NOT_ALLOWED',
        `Host ${JSON.stringify(hostHeader)} is not this server (${this.#address}:${this.#port}): refused against DNS rebinding`,
        { details: { host: hostHeader } },
      );
    }
    const origin = req.headers.origin;
    const site = req.headers['sec-fetch-site'];
    const own = `http://${hostHeader.trim().toLowerCase()}`;
    const originAllowed =
      origin !== undefined && (origin.toLowerCase() === own || this.#origins.has(origin.toLowerCase()));
    if (
      (origin !== undefined && !originAllowed) ||
      ((site === 'cross-site' || site === 'same-site') && !originAllowed)
    ) {
      throw new FailsmallError(
        'FS_ERR_CHAOS_CROSS_ORIGIN',
        `Cross-origin request refused (Origin ${JSON.stringify(origin ?? null)}, Sec-Fetch-Site ${JSON.stringify(site ?? null)}): add the origin to allowedOrigins to permit it`,
        { details: { origin, site } },
      );
    }
    if (this.#token !== undefined) {
      const header = req.headers.authorization ?? '';
      const m = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
      if (!timingSafeEqual(digest(m?.[1] ?? ''), this.#token) || m === null) {
        throw new FailsmallError(
          'FS_ERR_CHAOS_UNAUTHORIZED',
          'Missing or wrong token: send Authorization: Bearer <token>',
        );
      }
    }
    const method = req.method ?? 'GET';
    if (method === 'POST' || method === 'PUT' || method === 'PATCH') {
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/json') {
        throw new FailsmallError(
          'FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE',
          `${method} needs Content-Type: application/json, got ${JSON.stringify(req.headers['content-type'] ?? null)}`,
          { details: { contentType: req.headers['content-type'] } },
        );
      }
    }
  }

  #hostAllowed(host: string): boolean {
    if (this.#hosts.has(host)) return true;
    if (isIP(host) !== 0)
      return (
        isWildcard(this.#address) ||
        host === this.#address ||
        (isLoopbackAddress(this.#address) && isLoopbackAddress(host))
      );
    return loopbackNames.has(host) && (isLoopbackAddress(this.#address) || isWildcard(this.#address));
  }
}
