/**
 * The control API of the fault proxy: Toxiproxy's HTTP API, so that Toxiproxy clients drive it
 * unchanged (same paths, JSON field names, status codes and error bodies):
 *
 * | method and path | answer |
 * |---|---|
 * | `GET /proxies` | 200 `{ name: proxy }` |
 * | `POST /proxies` | 201 the proxy; 400 missing field, 409 exists, 500 listen failed |
 * | `POST /populate` | 201 `{ proxies: [...] }`; on a failure its status with `error` and the proxies done |
 * | `GET /proxies/{proxy}` | 200 the proxy with its toxics; 404 |
 * | `POST`/`PATCH /proxies/{proxy}` | 200 the updated proxy (listen, upstream, enabled) |
 * | `DELETE /proxies/{proxy}` | 204 |
 * | `GET /proxies/{proxy}/toxics` | 200 `[toxic]` |
 * | `POST /proxies/{proxy}/toxics` | 200 the toxic; 400 stream or type, 409 exists |
 * | `GET /proxies/{proxy}/toxics/{toxic}` | 200 the toxic; 404 |
 * | `POST`/`PATCH /proxies/{proxy}/toxics/{toxic}` | 200 the updated toxic |
 * | `DELETE /proxies/{proxy}/toxics/{toxic}` | 204 |
 * | `POST /reset` | 204: every proxy enabled, every toxic removed |
 * | `GET /version` | 200 `{"version": "…"}` |
 *
 * failsmall's extension for HTTP-mode proxies (`"mode": "http"`): `GET`, `POST` (201), `DELETE` (204)
 * `/proxies/{proxy}/http_faults` and `DELETE /proxies/{proxy}/http_faults/{id}` (204).
 *
 * Errors are Toxiproxy's `{ "error": message, "status": code }` plus failsmall's `code`. Every
 * request passes the shared {@link HttpGuard} first (Host, cross-origin, token, JSON for writes), as
 * the DNS server's API does. One exception, for toxiproxy-node-client: its `reset()` posts no body and
 * no `Content-Type`; a `POST /reset` with an empty body passes without one (there is nothing to parse,
 * and a browser still sends `Origin`, so the cross-origin check holds).
 */
import type http from 'node:http';
import { isFailsmallError } from '../../core/errors.js';
import { readJson } from '../control-api.js';
import { sendApiReply, type ApiReply as Reply } from '../api-reply.js';
import { faultRuleToJson } from '../fault-rules.js';
import { guardStatus, type HttpGuard } from '../http-guard.js';
import { ProxyErrorCodes, proxyError, proxyErrorStatus } from './error-codes.js';
import { parseHttpFault } from './http-faults.js';
import type { Proxy, ProxyEnv } from './proxy.js';
import { parseProxySpec, type ProxyCollection } from './proxy-collection.js';
import { parseToxic, updateToxic } from './toxic.js';

/** The Toxiproxy API version this server speaks. */
export const toxiproxyVersion = '2.12.0';

const statusOf: Record<string, number> = {
  ...proxyErrorStatus,
  ...guardStatus,
  FS_ERR_CHAOS_BODY_TOO_LARGE: 413,
};

/** Options of {@link createProxyApiHandler}. */
export interface ProxyApiOptions {
  readonly proxies: ProxyCollection;
  readonly guard: HttpGuard;
  readonly env: ProxyEnv;
  /** Largest request body, in bytes; default 1 MiB. */
  readonly maxBodyBytes?: number;
}

function proxyJson(proxy: Proxy): unknown {
  const json = proxy.toJSON();
  return json.mode === 'http' ? { ...json, http_faults: proxy.httpFaults.map(faultRuleToJson) } : json;
}

function emptyBody(req: http.IncomingMessage): boolean {
  return req.headers['transfer-encoding'] === undefined && (req.headers['content-length'] ?? '0') === '0';
}

/** The request handler of the API. */
export function createProxyApiHandler(
  options: ProxyApiOptions,
): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const maxBody = options.maxBodyBytes ?? 1 << 20;
  let nextFault = 1;

  async function body(req: http.IncomingMessage): Promise<unknown> {
    try {
      return await readJson(req, maxBody);
    } catch (error) {
      if (isFailsmallError(error, 'FS_ERR_CHAOS_INVALID_REQUEST'))
        proxyError(ProxyErrorCodes.BAD_REQUEST, `bad request body: ${error.message}`);
      throw error;
    }
  }

  async function route(req: http.IncomingMessage, method: string, parts: string[]): Promise<Reply> {
    const { proxies, env } = options;
    const [a, name, b, item, ...rest] = parts;
    const allow = (...methods: string[]): void => {
      if (!methods.includes(method))
        proxyError(ProxyErrorCodes.METHOD_NOT_ALLOWED, `method ${method} not allowed (allowed: ${methods.join(', ')})`);
    };
    if (rest.length > 0) proxyError(ProxyErrorCodes.ROUTE_NOT_FOUND, '404 page not found');
    if (a === 'version' && name === undefined) {
      allow('GET');
      return { status: 200, body: { version: toxiproxyVersion } };
    }
    if (a === 'reset' && name === undefined) {
      allow('POST');
      await proxies.reset();
      return { status: 204 };
    }
    if (a === 'populate' && name === undefined) {
      allow('POST');
      const input = await body(req);
      if (!Array.isArray(input))
        proxyError(ProxyErrorCodes.BAD_REQUEST, 'bad request body: expected an array of proxies');
      const specs = input.map((p, i) => parseProxySpec(p, i + 1));
      const { proxies: done, error } = await proxies.populate(specs);
      if (error === undefined) return { status: 201, body: { proxies: done.map(proxyJson) } };
      const e = errorReply(error);
      return { status: e.status, body: { ...(e.body as object), proxies: done.map(proxyJson) } };
    }
    if (a !== 'proxies') proxyError(ProxyErrorCodes.ROUTE_NOT_FOUND, '404 page not found');
    if (name === undefined) {
      allow('GET', 'POST');
      if (method === 'GET')
        return { status: 200, body: Object.fromEntries(proxies.list().map((p) => [p.name, proxyJson(p)])) };
      const proxy = await proxies.create(parseProxySpec(await body(req)));
      return { status: 201, body: proxyJson(proxy) };
    }
    const proxy = proxies.get(decodeURIComponent(name));
    if (b === undefined) {
      allow('GET', 'POST', 'PATCH', 'DELETE');
      if (method === 'GET') return { status: 200, body: proxyJson(proxy) };
      if (method === 'DELETE') {
        await proxies.remove(proxy.name);
        return { status: 204 };
      }
      const input = await body(req);
      if (typeof input !== 'object' || input === null || Array.isArray(input))
        proxyError(ProxyErrorCodes.BAD_REQUEST, 'bad request body: expected a proxy object');
      const merged = parseProxySpec({
        name: proxy.name,
        listen: proxy.listen,
        upstream: proxy.upstream,
        enabled: proxy.enabled,
        ...input,
      });
      await proxy.update({ listen: merged.listen, upstream: merged.upstream, enabled: merged.enabled ?? true });
      return { status: 200, body: proxyJson(proxy) };
    }
    if (b === 'toxics') {
      if (proxy.mode !== 'tcp')
        proxyError(ProxyErrorCodes.WRONG_MODE, 'toxics apply to tcp proxies; an http proxy takes http_faults');
      if (item === undefined) {
        allow('GET', 'POST');
        if (method === 'GET') return { status: 200, body: proxy.toxics };
        const toxic = parseToxic(await body(req));
        proxy.addToxic(toxic);
        return { status: 200, body: toxic };
      }
      allow('GET', 'POST', 'PATCH', 'DELETE');
      const toxicName = decodeURIComponent(item);
      if (method === 'DELETE') {
        proxy.removeToxic(toxicName);
        return { status: 204 };
      }
      const toxic = proxy.toxics.find((t) => t.name === toxicName);
      if (toxic === undefined) proxyError(ProxyErrorCodes.TOXIC_NOT_FOUND, 'toxic not found');
      if (method === 'GET') return { status: 200, body: toxic };
      const updated = updateToxic(toxic, await body(req));
      proxy.replaceToxic(updated);
      return { status: 200, body: updated };
    }
    if (b === 'http_faults') {
      if (proxy.mode !== 'http')
        proxyError(ProxyErrorCodes.WRONG_MODE, 'http_faults apply to proxies created with "mode": "http"');
      if (item === undefined) {
        allow('GET', 'POST', 'DELETE');
        if (method === 'GET') return { status: 200, body: proxy.httpFaults.map(faultRuleToJson) };
        if (method === 'DELETE') {
          proxy.setHttpFaults([]);
          return { status: 204 };
        }
        const rule = parseHttpFault(await body(req), `h${nextFault++}`, env.clock.now());
        if (proxy.httpFaults.some((r) => r.id === rule.id))
          proxyError(ProxyErrorCodes.INVALID_HTTP_FAULT, `id: a rule with id ${JSON.stringify(rule.id)} exists`);
        proxy.setHttpFaults([...proxy.httpFaults, rule]);
        return { status: 201, body: faultRuleToJson(rule) };
      }
      allow('DELETE');
      const id = decodeURIComponent(item);
      if (!proxy.httpFaults.some((r) => r.id === id))
        proxyError(ProxyErrorCodes.HTTP_FAULT_NOT_FOUND, 'http fault not found');
      proxy.setHttpFaults(proxy.httpFaults.filter((r) => r.id !== id));
      return { status: 204 };
    }
    proxyError(ProxyErrorCodes.ROUTE_NOT_FOUND, '404 page not found');
  }

  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const parts = url.pathname.split('/').filter((p) => p !== '');
    const method = (req.method ?? 'GET').toUpperCase();
    void sendApiReply(
      res,
      async () => {
        const bodyless = method === 'POST' && parts.length === 1 && parts[0] === 'reset' && emptyBody(req);
        const checked =
          bodyless && req.headers['content-type'] === undefined
            ? Object.assign(Object.create(req) as http.IncomingMessage, {
                headers: { ...req.headers, 'content-type': 'application/json' },
              })
            : req;
        options.guard.check(checked);
        return route(req, method, parts);
      },
      errorReply,
      { contentType: 'application/json', newline: true },
    );
  };
}

function errorReply(error: unknown): Reply {
  if (isFailsmallError(error)) {
    const status = statusOf[error.code] ?? 500;
    const issues = error.details?.['issues'];
    return {
      status,
      body: { error: error.message, status, code: error.code, ...(issues === undefined ? {} : { issues }) },
    };
  }
  return { status: 500, body: { error: String(error), status: 500, code: 'FS_ERR_CHAOS_INTERNAL' } };
}
