/**
 * The status server (fastify, an optional peer loaded on first use): the public page, the
 * Statuspage-compatible JSON under `/api/v2/`, the Atom feed, the responder view and the write API
 * under `/api/admin/`.
 *
 * Writes follow the control-plane rules of chaos/http-guard.ts (the one guard of every control API):
 * `Authorization: Bearer <token>`, a `Host` that names this server (DNS rebinding), no cross-origin
 * request, JSON bodies only. The responder view signs in with the same token and then writes with a
 * session cookie (`HttpOnly; SameSite=Strict`) plus its CSRF token in `X-CSRF-Token`, under the same
 * Host, Origin and JSON rules. Every write counts against a per-client rate limit (429 with
 * `Retry-After`). Public reads are served from the service's cache.
 */
import type http from 'node:http';
import type { fastify as createFastify, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bearerChallenge, guardStatus, HttpGuard } from '../chaos/http-guard.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { importPeer } from '../core/optional-peer.js';
import { positiveNumber } from '../core/validate.js';
import { StatusErrorCodes, statusHttpStatus } from './error-codes.js';
import { renderLogin, responderJs, statusCss } from './html.js';
import { parseInput } from './input.js';
import { WriteRateLimit, type WriteRateLimitOptions } from './rate-limit.js';
import type { CachedDocument, StatusService } from './service.js';
import { Sessions, type Session } from './sessions.js';
import { statuspageDocuments, type StatuspagePath } from './statuspage-json.js';

/** Options of {@link startStatusServer}. */
export interface StatusServerOptions {
  readonly service: StatusService;
  /** The token writes need (at least 16 characters). */
  readonly token: string;
  /** Address to bind; default `127.0.0.1`. */
  readonly host?: string;
  /** Port; default 0 (any free port). */
  readonly port?: number;
  /** Extra host names accepted in `Host` for writes (the name of a reverse proxy); default none. */
  readonly allowedHosts?: readonly string[];
  /** Origins allowed to write from a browser besides the page's own; default none. */
  readonly allowedOrigins?: readonly string[];
  /** Writes per client; default 60 per minute. */
  readonly writeRateLimit?: WriteRateLimitOptions;
  /** Reports (`POST /api/admin/reports`) per client, counted apart from other writes; default 600 per minute. */
  readonly reportRateLimit?: WriteRateLimitOptions;
  /** How long a responder session lasts, in milliseconds; default 12 h. */
  readonly sessionTtlMs?: number;
}

/** A running status server. */
export interface StatusServer {
  /** `http://host:port` */
  readonly url: string;
  readonly port: number;
  readonly service: StatusService;
  /** Stops accepting, closes connections, and stops the service's reminders (not its store). */
  close(): Promise<void>;
}

const securityHeaders = {
  'content-security-policy':
    "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
};

const KNOWN = new Set([
  'service',
  'token',
  'host',
  'port',
  'allowedHosts',
  'allowedOrigins',
  'writeRateLimit',
  'reportRateLimit',
  'sessionTtlMs',
]);

function problem(error: unknown): { status: number; body: Record<string, unknown> } {
  if (isFailsmallError(error)) {
    const status = statusHttpStatus[error.code] ?? guardStatus[error.code] ?? 500;
    const body: Record<string, unknown> = { code: error.code, message: error.message };
    const errors = error.details?.['errors'];
    if (errors !== undefined) body['errors'] = errors;
    return { status, body };
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // fastify's own refusals: a body that is not JSON, too large, an unsupported type.
    const code = e.statusCode === 415 ? 'FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE' : StatusErrorCodes.INVALID_INPUT;
    return {
      status: e.statusCode,
      body: { code, message: e.message ?? 'Bad request', errors: [{ field: '', message: e.message ?? 'bad request' }] },
    };
  }
  return { status: 500, body: { code: StatusErrorCodes.INTERNAL, message: 'Internal error' } };
}

/**
 * Starts the status server.
 *
 * @example
 * const server = await startStatusServer({ service, token: process.env.STATUS_TOKEN!, port: 8080 });
 * console.log(`status page on ${server.url}`);
 */
export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key))
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Unknown option \`${key}\``, { details: { option: key } });
  }
  if (typeof options.token !== 'string' || options.token.length < 16) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`token\` to be a string of at least 16 characters, got ${typeof options.token === 'string' ? `${options.token.length} characters` : String(options.token)}`,
      { details: { option: 'token' } },
    );
  }
  const { service } = options;
  const host = options.host ?? '127.0.0.1';
  const sessions = new Sessions(service.clock, positiveNumber('sessionTtlMs', options.sessionTtlMs ?? 12 * 3_600_000));
  const limiter = new WriteRateLimit(service.clock, options.writeRateLimit);
  const reportLimiter = new WriteRateLimit(service.clock, options.reportRateLimit ?? { limit: 600, windowMs: 60_000 });
  const { default: Fastify } = await importPeer<{ default: typeof createFastify }>('fastify', 'the status server');
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024, return503OnClosing: true });
  // Built once the port is known (after listen).
  const guards: { token?: HttpGuard; session?: HttpGuard } = {};

  const send = (reply: FastifyReply, status: number, body: unknown): FastifyReply => {
    if (status === 401) reply.header('www-authenticate', bearerChallenge);
    return reply.code(status).header('cache-control', 'no-store').send(body);
  };

  app.setErrorHandler((error, _request, reply) => {
    const { status, body } = problem(error);
    if (isFailsmallError(error, StatusErrorCodes.RATE_LIMITED)) {
      reply.header('retry-after', String(Math.max(1, Math.ceil(Number(error.details?.['retryAfterMs']) / 1000))));
    }
    void send(reply, status, body);
  });
  app.setNotFoundHandler((request, reply) => {
    void send(reply, 404, {
      code: StatusErrorCodes.NOT_FOUND,
      message: `No route ${request.method} ${request.url.split('?')[0]}`,
    });
  });
  // A callback hook, not an async one: no promise per response on the public read path.
  app.addHook('onSend', (_request, reply, payload, done) => {
    reply.headers(securityHeaders);
    done(null, payload);
  });

  const rate = (key: string, which = limiter): void => {
    const verdict = which.take(key);
    if (!verdict.allowed) {
      throw new FailsmallError(
        StatusErrorCodes.RATE_LIMITED,
        `Too many writes: try again in ${Math.ceil(verdict.retryAfterMs / 1000)} s`,
        {
          details: { retryAfterMs: verdict.retryAfterMs },
        },
      );
    }
  };

  /** Who may write: a bearer token, or a session with its CSRF token. Throws otherwise. */
  const authorize = (request: FastifyRequest): Session | undefined => {
    if (request.headers.authorization !== undefined) {
      guards.token!.check(request.raw);
      return undefined;
    }
    guards.session!.check(request.raw);
    const session = sessions.fromCookie(request.headers.cookie);
    if (session === undefined) {
      throw new FailsmallError(
        StatusErrorCodes.UNAUTHORIZED,
        'Send Authorization: Bearer <token>, or sign in at /responder',
      );
    }
    if (!sessions.checkCsrf(session, request.headers['x-csrf-token'])) {
      throw new FailsmallError(StatusErrorCodes.CSRF, 'Missing or wrong X-CSRF-Token for this session');
    }
    return session;
  };

  // ---- public reads, from the cache ----
  const serve = (path: string, name: StatuspagePath | 'page' | 'atom' | 'dependencies', maxAge: number): void => {
    const cacheControl = `public, max-age=${maxAge}`;
    app.get(path, (request, reply) => {
      const reply304 = (etag: string): boolean => request.headers['if-none-match'] === etag;
      const hit = service.cached(name);
      const respond = (doc: CachedDocument) => {
        reply.header('cache-control', cacheControl).header('etag', doc.etag);
        if (name !== 'page' && name !== 'atom') reply.header('access-control-allow-origin', '*');
        if (reply304(doc.etag)) return reply.code(304).send();
        return reply.type(doc.contentType).send(doc.body); // bytes encoded once per render
      };
      if (hit !== undefined) return respond(hit);
      return service.document(name).then(respond);
    });
  };
  serve('/', 'page', 10);
  serve('/history.atom', 'atom', 30);
  serve('/api/dependencies.json', 'dependencies', 10);
  for (const path of Object.keys(statuspageDocuments) as StatuspagePath[]) serve(`/api/v2/${path}`, path, 10);
  app.get('/assets/status.css', (_request, reply) =>
    reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(statusCss),
  );
  app.get('/assets/responder.js', (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'public, max-age=3600').send(responderJs),
  );

  // ---- responder view ----
  app.get('/responder', async (request, reply) => {
    reply.header('cache-control', 'no-store').type('text/html; charset=utf-8');
    const session = sessions.fromCookie(request.headers.cookie);
    if (session === undefined) return reply.send(renderLogin(service.page.name));
    return reply.send(await service.responderPage(session.csrf));
  });
  app.post('/responder/login', async (request, reply) => {
    guards.session!.check(request.raw);
    rate(`login:${request.ip}`);
    const { token } = parseInput('login', request.body);
    try {
      // The token guard compares in constant time; the request's Host and Origin are checked again.
      guards.token!.check({
        headers: { ...request.headers, authorization: `Bearer ${token}` },
        method: 'GET',
      } as unknown as http.IncomingMessage);
    } catch (error) {
      if (isFailsmallError(error, 'FS_ERR_CHAOS_UNAUTHORIZED')) {
        throw new FailsmallError(StatusErrorCodes.UNAUTHORIZED, 'Wrong token', {
          details: { errors: [{ field: 'token', message: 'wrong token' }] },
        });
      }
      throw error;
    }
    const session = sessions.create();
    return send(reply.header('set-cookie', sessions.cookie(session)), 200, { ok: true, csrf: session.csrf });
  });
  app.post('/responder/logout', async (request, reply) => {
    const session = authorize(request);
    if (session !== undefined) sessions.end(session);
    return send(reply.header('set-cookie', sessions.cookie(undefined)), 200, { ok: true });
  });

  // ---- write API ----
  app.register(
    async (admin) => {
      admin.addHook('preHandler', async (request) => {
        const session = authorize(request);
        const who = session === undefined ? `token:${request.ip}` : `session:${session.id}`;
        if (request.routeOptions.url === '/api/admin/reports') rate(who, reportLimiter);
        else if (request.method !== 'GET') rate(who);
      });
      const params = (request: FastifyRequest): { id: string } => request.params as { id: string };
      const created = (reply: FastifyReply, body: unknown) => send(reply, 201, body);
      admin.get('/cadence', async () => ({ now: service.clock.now(), incidents: await service.cadenceNow() }));
      admin.get('/components', async () => ({ components: await service.store.listComponents() }));
      admin.post('/components', async (request, reply) =>
        created(reply, await service.putComponent(parseInput('component', request.body))),
      );
      admin.patch('/components/:id', async (request) =>
        service.setComponentStatus(params(request).id, parseInput('componentStatus', request.body).status),
      );
      admin.delete('/components/:id', async (request, reply) => {
        if (!(await service.store.deleteComponent(params(request).id))) {
          throw new FailsmallError(
            StatusErrorCodes.NOT_FOUND,
            `No component with id ${JSON.stringify(params(request).id)}`,
          );
        }
        return reply.code(204).send();
      });
      admin.get('/incidents/:id', async (request) => {
        const incident = await service.store.getIncident(params(request).id);
        if (incident === undefined)
          throw new FailsmallError(
            StatusErrorCodes.NOT_FOUND,
            `No incident with id ${JSON.stringify(params(request).id)}`,
          );
        return incident;
      });
      admin.post('/incidents', async (request, reply) =>
        created(reply, await service.openIncident(parseInput('incident', request.body))),
      );
      admin.post('/incidents/:id/updates', async (request, reply) =>
        created(reply, await service.updateIncident(params(request).id, parseInput('update', request.body))),
      );
      admin.post('/maintenances', async (request, reply) =>
        created(reply, await service.scheduleMaintenance(parseInput('maintenance', request.body))),
      );
      admin.patch('/maintenances/:id', async (request) =>
        service.setMaintenanceStatus(params(request).id, parseInput('maintenanceStatus', request.body).status),
      );
      admin.post('/reports', async (request, reply) => {
        const result = await service.report(parseInput('report', request.body));
        return send(reply, 202, {
          signals: result.signals,
          calls: result.calls,
          suggestions: result.suggestions.map((x) => ({ id: x.id, kind: x.kind, status: x.status, count: x.count })),
        });
      });
      admin.get('/suggestions', async (request) => {
        const status = (request.query as { status?: unknown }).status;
        const wanted = status === 'suggested' || status === 'published' || status === 'dismissed' ? status : undefined;
        return { suggestions: await service.store.listSuggestions(wanted === undefined ? {} : { status: wanted }) };
      });
      admin.post('/suggestions/:id/publish', async (request, reply) =>
        created(reply, await service.publishSuggestion(params(request).id, parseInput('publish', request.body ?? {}))),
      );
      admin.post('/suggestions/:id/dismiss', async (request) => {
        parseInput('dismiss', request.body ?? {});
        return service.dismissSuggestion(params(request).id);
      });
      admin.put('/catalog', async (request) => {
        const input = parseInput('catalog', request.body);
        return service.loadCatalog(input.yaml, input.source ?? 'file');
      });
      admin.get('/catalog', async () => ({ catalogs: await service.store.listCatalogs() }));
      admin.get('/subscribers', async () => ({ subscribers: await service.store.listSubscribers() }));
      admin.post('/subscribers', async (request, reply) =>
        created(reply, await service.addSubscriber(parseInput('subscriber', request.body).url)),
      );
      admin.delete('/subscribers/:id', async (request, reply) => {
        if (!(await service.removeSubscriber(params(request).id))) {
          throw new FailsmallError(
            StatusErrorCodes.NOT_FOUND,
            `No subscriber with id ${JSON.stringify(params(request).id)}`,
          );
        }
        return reply.code(204).send();
      });
    },
    { prefix: '/api/admin' },
  );

  await app.listen({ host, port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (options.port ?? 0);
  const guardOptions = {
    address: host,
    port,
    ...(options.allowedHosts === undefined ? {} : { allowedHosts: options.allowedHosts }),
    ...(options.allowedOrigins === undefined ? {} : { allowedOrigins: options.allowedOrigins }),
  };
  guards.token = new HttpGuard({ ...guardOptions, token: options.token });
  guards.session = new HttpGuard(guardOptions);
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}`,
    port,
    service,
    close: async () => {
      await app.close();
      await service.close();
    },
  };
}
