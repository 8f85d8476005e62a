/**
 * The DNS-provider adapter for the fault DNS server's control API (`failsmall/chaos`): JSON over HTTP,
 * atomic change batches conditional on the zone's version. Uses only the global `fetch`.
 */
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { positiveNumber } from '../core/validate.js';
import type { DnsProvider, ProviderChangeBatch, ZoneSnapshot } from './types.js';

/** Options of {@link HttpDnsProvider}. */
export interface HttpDnsProviderOptions {
  /** The control API's base URL, e.g. `http://127.0.0.1:8053` (a trailing slash is fine). */
  readonly apiUrl: string;
  /** Timeout of each request in milliseconds, default 5 s: a provider call must never hang an enactor. */
  readonly timeoutMs?: number;
  /** The fetch to use, default the global one. */
  readonly fetch?: typeof fetch;
}

/**
 * Talks to the fault DNS server's control API:
 * `GET /v1/zones/:zone` and `POST /v1/zones/:zone/changes` with `{ expectedVersion, changes }`.
 * A 409 `FS_ERR_CHAOS_VERSION_CONFLICT` becomes `FS_ERR_PLAN_VERSION_CONFLICT` (with
 * `details.currentVersion`); every other failure becomes `FS_ERR_PLAN_PROVIDER` with the server's code
 * and status in `details`.
 *
 * @example
 * const provider = new HttpDnsProvider({ apiUrl: server.apiUrl });
 * const zone = await provider.readZone('example.com');
 */
export class HttpDnsProvider implements DnsProvider {
  readonly kind = 'http';
  readonly #base: string;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;

  constructor(options: HttpDnsProviderOptions) {
    let url: URL;
    try {
      url = new URL(options.apiUrl);
    } catch (cause) {
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`apiUrl\` to be a URL, got ${JSON.stringify(options.apiUrl)}`,
        {
          cause,
          details: { option: 'apiUrl' },
        },
      );
    }
    this.#base = url.href.replace(/\/+$/, '');
    this.#timeoutMs = positiveNumber('timeoutMs', options.timeoutMs ?? 5_000);
    this.#fetch = options.fetch ?? fetch;
  }

  async #call(method: string, path: string, body: unknown, signal?: AbortSignal): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    let response: Response;
    try {
      response = await this.#fetch(`${this.#base}${path}`, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: combined,
      });
    } catch (cause) {
      throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `${method} ${path} failed: ${String(cause)}`, {
        cause,
        details: { method, path },
      });
    }
    const text = await response.text().catch(() => '');
    let json: unknown;
    try {
      json = text === '' ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (response.ok) return json;
    const error = (
      json as {
        error?: { code?: string; message?: string; currentVersion?: number; details?: { currentVersion?: number } };
      }
    )?.error;
    const currentVersion = error?.currentVersion ?? error?.details?.currentVersion;
    if (response.status === 409 && error?.code === 'FS_ERR_CHAOS_VERSION_CONFLICT') {
      throw new FailsmallError('FS_ERR_PLAN_VERSION_CONFLICT', error.message ?? 'version conflict', {
        details: { status: 409, currentVersion: currentVersion ?? null },
      });
    }
    throw new FailsmallError(
      'FS_ERR_PLAN_PROVIDER',
      `${method} ${path} answered ${response.status}: ${error?.message ?? text.slice(0, 200)}`,
      { details: { method, path, status: response.status, code: error?.code ?? null } },
    );
  }

  async readZone(zone: string, signal?: AbortSignal): Promise<ZoneSnapshot> {
    const json = (await this.#call('GET', `/v1/zones/${encodeURIComponent(zone)}`, undefined, signal)) as ZoneSnapshot;
    if (typeof json !== 'object' || json === null || typeof json.version !== 'number' || !Array.isArray(json.records)) {
      throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `GET /v1/zones/${zone} answered an unexpected body`);
    }
    return json;
  }

  async change(zone: string, batch: ProviderChangeBatch, signal?: AbortSignal): Promise<{ version: number }> {
    const json = (await this.#call('POST', `/v1/zones/${encodeURIComponent(zone)}/changes`, batch, signal)) as {
      version?: unknown;
    };
    if (typeof json?.version !== 'number') {
      throw new FailsmallError('FS_ERR_PLAN_PROVIDER', `POST /v1/zones/${zone}/changes answered an unexpected body`);
    }
    return { version: json.version };
  }
}

/** True for the provider error that means "someone else wrote first": re-read and decide again. */
export function isVersionConflict(error: unknown): boolean {
  return isFailsmallError(error, 'FS_ERR_PLAN_VERSION_CONFLICT');
}
