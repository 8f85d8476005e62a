/**
 * The HTTP control API of the fault DNS server: JSON over HTTP on loopback by default. Its shape is a
 * contract other modules build on (plan/ uses it as its DNS provider, lab/ to drive the outage):
 *
 * | method and path | body | answer |
 * |---|---|---|
 * | `GET /v1/zones` | | `{ zones: [{ name, version }] }` |
 * | `GET /v1/zones/:zone` | | `{ name, version, records: RecordSet[] }` |
 * | `POST /v1/zones/:zone/changes` | `{ expectedVersion?, changes, comment? }` | `{ version }`; 409 `FS_ERR_CHAOS_VERSION_CONFLICT` with `currentVersion` |
 * | `GET /v1/faults` | | `{ faults: FaultRule[] }` |
 * | `POST /v1/faults` | a fault rule | 201, the rule with its `id` |
 * | `DELETE /v1/faults/:id` | | `{ removed: FaultRule }` |
 * | `DELETE /v1/faults` | | `{ removed: n }` |
 * | `GET /v1/metrics?top=N` | | counters, rates per name, series |
 * | `DELETE /v1/metrics` | | resets the counters: `{ reset: true }` |
 * | `GET /v1/log?limit=N&name=X` | | `{ entries: QueryLogEntry[] }` |
 * | `GET /v1/audit?limit=N` | | `{ entries: AuditEntry[] }` |
 * | `GET /v1/health` | | `{ ok: true }` |
 *
 * Errors are `{ "error": { "code": "FS_ERR_…", "message": "…" } }` with a 4xx/5xx status; the message
 * names the offending field. Every request passes the shared {@link HttpGuard} first: `Host` must name
 * the bound address (DNS rebinding), cross-origin requests are refused unless allowed, writes need
 * `Content-Type: application/json`, and when a token is set `Authorization: Bearer <token>`.
 */
import http from 'node:http';
import type { Clock } from '../core/clock.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { listening } from '../core/listening.js';
import type { AuditEntry, AuditLog } from './audit-log.js';
import type { DnsMetrics } from './dns-metrics.js';
import type { FaultEngine } from './fault-rules.js';
import { sendApiReply, type ApiReply as Reply } from './api-reply.js';
import { faultRuleToJson } from './fault-rules.js';
import { guardStatus, HttpGuard, type HttpGuardOptions } from './http-guard.js';
import type { QueryLog } from './query-log.js';
import type { ZoneStore } from './zone-store.js';

/**
 * Options of {@link ControlApi.listen}; `token`, `allowedOrigins` and `allowedHosts` are the
 * {@link HttpGuard}'s (every request needs the bearer token when one is set).
 */
export interface ControlApiOptions extends Omit<HttpGuardOptions, 'address' | 'port'> {
  readonly store: ZoneStore;
  readonly faults: FaultEngine;
  readonly metrics: DnsMetrics;
  readonly log: QueryLog;
  readonly audit: AuditLog;
  readonly clock: Clock;
  /** Extra facts merged into `GET /v1/metrics` under `server`. */
  readonly serverSnapshot?: () => Record<string, unknown>;
  /** The address to bind, default `127.0.0.1`. */
  readonly address?: string;
  /** The port, default 0 (the OS picks). */
  readonly port?: number;
  /** Largest request body, in bytes; default 1 MiB (a batch of 1,000 changes fits). */
  readonly maxBodyBytes?: number;
}

function auditToJson(entry: AuditEntry): unknown {
  if (entry.kind === 'fault-add' || entry.kind === 'fault-remove')
    return { ...entry, rule: faultRuleToJson(entry.rule) };
  return entry;
}

const statusOf: Record<string, number> = {
  FS_ERR_CHAOS_INVALID_REQUEST: 400,
  FS_ERR_CHAOS_INVALID_CHANGE: 400,
  FS_ERR_CHAOS_INVALID_FAULT: 400,
  FS_ERR_INVALID_ARGUMENT: 400,
  ...guardStatus,
  FS_ERR_CHAOS_NOT_FOUND: 404,
  FS_ERR_CHAOS_ZONE_NOT_FOUND: 404,
  FS_ERR_CHAOS_FAULT_NOT_FOUND: 404,
  FS_ERR_CHAOS_METHOD_NOT_ALLOWED: 405,
  FS_ERR_CHAOS_VERSION_CONFLICT: 409,
  FS_ERR_CHAOS_FAULT_EXISTS: 409,
  FS_ERR_CHAOS_TOO_MANY_FAULTS: 409,
  FS_ERR_CHAOS_BODY_TOO_LARGE: 413,
};

/**
 * The control API server.
 *
 * @example
 * const api = await ControlApi.listen({ store, faults, metrics, log, audit, clock });
 * await fetch(`${api.url}/v1/zones`);
 */
export class ControlApi {
  /** `http://address:port`, with IPv6 addresses in brackets. */
  readonly url: string;
  readonly port: number;
  readonly #server: http.Server;

  private constructor(server: http.Server, url: string, port: number) {
    this.#server = server;
    this.url = url;
    this.port = port;
  }

  /** Starts the API. Throws `FS_ERR_CHAOS_LISTEN` when the port cannot be bound. */
  static async listen(options: ControlApiOptions): Promise<ControlApi> {
    const address = options.address ?? '127.0.0.1';
    // The guard needs the bound port, known only once listening: requests wait for nothing before that.
    const bound: { handler?: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> } = {};
    const server = http.createServer((req, res) => void bound.handler!(req, res));
    server.keepAliveTimeout = 5_000;
    try {
      await listening(server, (done) => server.listen({ port: options.port ?? 0, host: address }, done));
    } catch (error) {
      throw new FailsmallError(
        'FS_ERR_CHAOS_LISTEN',
        `Cannot listen for the control API on ${address}:${options.port ?? 0}: ${(error as Error).message}`,
        { cause: error, details: { address, port: options.port ?? 0 } },
      );
    }
    const port = (server.address() as { port: number }).port;
    const guard = new HttpGuard({
      address,
      port,
      ...(options.token === undefined ? {} : { token: options.token }),
      ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
      ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
    });
    bound.handler = createHandler(options, guard);
    const host = address.includes(':') ? `[${address}]` : address;
    return new ControlApi(server, `http://${host}:${port}`, port);
  }

  /** Stops accepting requests and closes idle connections. */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }
}

function createHandler(
  options: ControlApiOptions,
  guard: HttpGuard,
): (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> {
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  return (req, res) =>
    sendApiReply(
      res,
      async () => {
        guard.check(req);
        return route(req, options, maxBody);
      },
      errorReply,
      { contentType: 'application/json; charset=utf-8' },
    );
}

/** A resource without items that GET reads and DELETE empties (the metrics, the query log). */
function readOrClear(
  method: string,
  pathname: string,
  id: string | undefined,
  clear: () => unknown,
  read: () => unknown,
): Reply {
  if (id !== undefined) notFound(pathname);
  if (method === 'DELETE') return { status: 200, body: clear() };
  if (method !== 'GET') methodNotAllowed(method, pathname, 'GET, DELETE');
  return { status: 200, body: read() };
}

function errorReply(error: unknown): Reply {
  if (isFailsmallError(error)) {
    const extra: Record<string, unknown> = {};
    if (error.code === 'FS_ERR_CHAOS_VERSION_CONFLICT') extra['currentVersion'] = error.details?.['currentVersion'];
    if (error.details?.['issues'] !== undefined) extra['issues'] = error.details['issues'];
    return {
      status: statusOf[error.code] ?? 500,
      body: { error: { code: error.code, message: error.message, ...extra } },
    };
  }
  return {
    status: 500,
    body: { error: { code: 'FS_ERR_CHAOS_INTERNAL', message: `Internal error: ${String(error)}` } },
  };
}

function notFound(path: string): never {
  throw new FailsmallError('FS_ERR_CHAOS_NOT_FOUND', `No such endpoint: ${path}`);
}

function methodNotAllowed(method: string, path: string, allowed: string): never {
  throw new FailsmallError(
    'FS_ERR_CHAOS_METHOD_NOT_ALLOWED',
    `${method} is not allowed on ${path} (allowed: ${allowed})`,
  );
}

/**
 * Reads a JSON request body of at most `maxBody` bytes; throws `FS_ERR_CHAOS_BODY_TOO_LARGE` or
 * `FS_ERR_CHAOS_INVALID_REQUEST` (empty or not JSON). Shared with the fault proxy's API.
 */
export async function readJson(req: http.IncomingMessage, maxBody: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBody) {
      throw new FailsmallError('FS_ERR_CHAOS_BODY_TOO_LARGE', `The request body exceeds ${maxBody} bytes`);
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new FailsmallError('FS_ERR_CHAOS_INVALID_REQUEST', 'Expected a JSON body, got nothing');
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new FailsmallError('FS_ERR_CHAOS_INVALID_REQUEST', `The body is not valid JSON: ${(error as Error).message}`);
  }
}

function intParam(url: URL, name: string, fallback: number, max: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > max) {
    throw new FailsmallError(
      'FS_ERR_CHAOS_INVALID_REQUEST',
      `${name}: expected an integer 1..${max}, got ${JSON.stringify(raw)}`,
    );
  }
  return n;
}

async function route(req: http.IncomingMessage, o: ControlApiOptions, maxBody: number): Promise<Reply> {
  const url = new URL(req.url ?? '/', 'http://control');
  const method = req.method ?? 'GET';
  const parts = url.pathname.split('/').filter((p) => p !== '');
  if (parts[0] !== 'v1') notFound(url.pathname);
  const [, resource, id, sub, ...rest] = parts.map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  if (rest.length > 0) notFound(url.pathname);
  switch (resource) {
    case 'health':
      if (id !== undefined) notFound(url.pathname);
      return { status: 200, body: { ok: true } };
    case 'zones': {
      if (id === undefined) {
        if (method !== 'GET') methodNotAllowed(method, url.pathname, 'GET');
        return { status: 200, body: { zones: o.store.list() } };
      }
      if (sub === undefined) {
        if (method !== 'GET') methodNotAllowed(method, url.pathname, 'GET');
        const zone = o.store.get(id);
        if (zone === undefined) zoneNotFound(id);
        return { status: 200, body: zone };
      }
      if (sub !== 'changes') notFound(url.pathname);
      if (method !== 'POST') methodNotAllowed(method, url.pathname, 'POST');
      // Before the body is read: an unknown zone is 404 whatever the body holds.
      if (o.store.version(id) === undefined) zoneNotFound(id);
      const body = await readJson(req, maxBody);
      return { status: 200, body: o.store.apply(id, body) };
    }
    case 'faults': {
      if (sub !== undefined) notFound(url.pathname);
      if (id === undefined) {
        if (method === 'GET') return { status: 200, body: { faults: o.faults.list().map(faultRuleToJson) } };
        if (method === 'POST') {
          const body = await readJson(req, maxBody);
          return { status: 201, body: faultRuleToJson(o.faults.add(body)) };
        }
        if (method === 'DELETE') return { status: 200, body: { removed: o.faults.clear() } };
        methodNotAllowed(method, url.pathname, 'GET, POST, DELETE');
      }
      if (method === 'GET') {
        const rule = o.faults.list().find((r) => r.id === id);
        if (rule === undefined) faultNotFound(id);
        return { status: 200, body: faultRuleToJson(rule) };
      }
      if (method !== 'DELETE') methodNotAllowed(method, url.pathname, 'GET, DELETE');
      const removed = o.faults.remove(id);
      if (removed === undefined) faultNotFound(id);
      return { status: 200, body: { removed: faultRuleToJson(removed) } };
    }
    case 'metrics':
      return readOrClear(
        method,
        url.pathname,
        id,
        () => (o.metrics.reset(), { reset: true }),
        () => ({
          ...o.metrics.snapshot(o.clock.now(), intParam(url, 'top', 100, 100_000)),
          faults: o.faults.snapshot(),
          zones: o.store.snapshot(),
          server: o.serverSnapshot?.() ?? {},
        }),
      );
    case 'log':
      return readOrClear(
        method,
        url.pathname,
        id,
        () => (o.log.clear(), { cleared: true }),
        () => ({
          total: o.log.total,
          entries: o.log.entries(
            intParam(url, 'limit', 100, o.log.capacity),
            url.searchParams.get('name') ?? undefined,
          ),
        }),
      );
    case 'audit': {
      if (id !== undefined) notFound(url.pathname);
      if (method !== 'GET') methodNotAllowed(method, url.pathname, 'GET');
      const limit = intParam(url, 'limit', 100, o.audit.capacity);
      return { status: 200, body: { entries: o.audit.entries(limit).map(auditToJson) } };
    }
    default:
      notFound(url.pathname);
  }
}

function zoneNotFound(zone: string): never {
  throw new FailsmallError('FS_ERR_CHAOS_ZONE_NOT_FOUND', `No zone named ${JSON.stringify(zone)}`, {
    details: { zone },
  });
}

function faultNotFound(id: string): never {
  throw new FailsmallError('FS_ERR_CHAOS_FAULT_NOT_FOUND', `No fault rule with id ${JSON.stringify(id)}`, {
    details: { id },
  });
}
