/**
 * The proxies of one server, by name, with Toxiproxy's collection semantics: create fails on a taken
 * name (409); `populate` validates the whole list first, then per entry keeps an existing proxy whose
 * listen and upstream are the same, or replaces it (dropping its connections and toxics); `reset`
 * enables every proxy and removes every toxic.
 */
import { ProxyErrorCodes, proxyError } from './error-codes.js';
import { joinHostPort, Proxy, type ProxyEnv, type ProxyMode, splitHostPort } from './proxy.js';

/** A proxy to create: Toxiproxy's fields plus failsmall's `mode`. */
export interface ProxySpec {
  readonly name: string;
  readonly listen: string;
  readonly upstream: string;
  /** Default true. */
  readonly enabled?: boolean;
  /** Default `tcp`. */
  readonly mode?: ProxyMode;
}

function badBody(message: string): never {
  proxyError(ProxyErrorCodes.BAD_REQUEST, `bad request body: ${message}`);
}

/** Validates one proxy of a request body (`at` names its place in a populate list). */
export function parseProxySpec(input: unknown, at?: number): ProxySpec {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) badBody('expected a proxy object');
  const body = input as Record<string, unknown>;
  for (const key of ['name', 'listen', 'upstream'] as const) {
    const v = body[key];
    if (v !== undefined && v !== null && typeof v !== 'string')
      badBody(`expected ${key} to be a string, got ${JSON.stringify(v)}`);
  }
  const where = at === undefined ? '' : ` at proxy ${at}`;
  const name = (body['name'] as string | undefined) ?? '';
  const upstream = (body['upstream'] as string | undefined) ?? '';
  if (name.length < 1) proxyError(ProxyErrorCodes.BAD_REQUEST, `missing required field: name${where}`);
  if (upstream.length < 1) proxyError(ProxyErrorCodes.BAD_REQUEST, `missing required field: upstream${where}`);
  const enabled = body['enabled'];
  if (enabled !== undefined && enabled !== null && typeof enabled !== 'boolean')
    badBody(`expected enabled to be a boolean, got ${JSON.stringify(enabled)}`);
  const mode = body['mode'];
  if (mode !== undefined && mode !== null && mode !== 'tcp' && mode !== 'http')
    badBody(`expected mode to be "tcp" or "http", got ${JSON.stringify(mode)}`);
  return {
    name,
    listen: (body['listen'] as string | undefined) ?? '',
    upstream,
    enabled: (enabled as boolean | undefined | null) ?? true,
    mode: (mode as ProxyMode | undefined | null) ?? 'tcp',
  };
}

function sameListen(bound: string, wanted: string): boolean {
  const at = splitHostPort(wanted);
  if (at === undefined) return false;
  const host = at.host === 'localhost' ? '127.0.0.1' : at.host === '' ? '::' : at.host;
  return bound === joinHostPort(host, at.port);
}

/** The proxies of a server. */
export class ProxyCollection {
  readonly #proxies = new Map<string, Proxy>();
  readonly #env: ProxyEnv;

  constructor(env: ProxyEnv) {
    this.#env = env;
  }

  /** Every proxy, in creation order. */
  list(): Proxy[] {
    return [...this.#proxies.values()];
  }

  /** The proxy of that name; throws `FS_ERR_PROXY_NOT_FOUND` (404). */
  get(name: string): Proxy {
    const proxy = this.#proxies.get(name);
    if (proxy === undefined) proxyError(ProxyErrorCodes.NOT_FOUND, 'proxy not found');
    return proxy;
  }

  /** Creates and (when enabled) starts a proxy; throws `FS_ERR_PROXY_EXISTS` (409) on a taken name. */
  async create(spec: ProxySpec): Promise<Proxy> {
    if (this.#proxies.has(spec.name)) proxyError(ProxyErrorCodes.EXISTS, 'proxy already exists');
    const proxy = new Proxy(spec.name, spec.listen, spec.upstream, spec.mode ?? 'tcp', this.#env);
    if (spec.enabled !== false) await proxy.start();
    if (this.#proxies.has(spec.name)) {
      await proxy.stop();
      proxyError(ProxyErrorCodes.EXISTS, 'proxy already exists');
    }
    this.#proxies.set(spec.name, proxy);
    return proxy;
  }

  /**
   * Creates or replaces each proxy in order; stops at the first failure and returns the proxies done
   * so far with the error (the answer of `POST /populate` carries both).
   */
  async populate(specs: readonly ProxySpec[]): Promise<{ proxies: Proxy[]; error?: unknown }> {
    const done: Proxy[] = [];
    for (const spec of specs) {
      try {
        const existing = this.#proxies.get(spec.name);
        if (existing !== undefined && existing.upstream === spec.upstream && sameListen(existing.listen, spec.listen)) {
          done.push(existing);
          continue;
        }
        if (existing !== undefined) {
          await existing.stop();
          this.#proxies.delete(spec.name);
        }
        done.push(await this.create(spec));
      } catch (error) {
        return { proxies: done, error };
      }
    }
    return { proxies: done };
  }

  /** Stops and removes a proxy; throws `FS_ERR_PROXY_NOT_FOUND` (404). */
  async remove(name: string): Promise<void> {
    const proxy = this.get(name);
    this.#proxies.delete(name);
    await proxy.stop();
  }

  /** Enables every proxy and removes every toxic and HTTP fault. */
  async reset(): Promise<void> {
    for (const proxy of this.#proxies.values()) {
      proxy.clearToxics();
      await proxy.start();
    }
  }

  /** Stops every proxy. */
  async close(): Promise<void> {
    await Promise.all([...this.#proxies.values()].map((p) => p.stop()));
  }
}
