/**
 * Codes owned by the fault proxy (chaos/proxy). docs/errors.md explains each. The control API answers
 * every error with Toxiproxy's body `{ "error": message, "status": http }`, plus `code` (one of these,
 * or a `FS_ERR_CHAOS_…` code of the shared {@link HttpGuard}); Toxiproxy clients read `status` only.
 */
import type { ErrorCode } from '../../core/errors.js';
import { FailsmallError } from '../../core/errors.js';

/**
 * Every code the fault proxy uses, with its HTTP status in {@link proxyErrorStatus}.
 *
 * @example
 * if (isFailsmallError(error, ProxyErrorCodes.NOT_FOUND)) await api.createProxy(spec);
 */
export const ProxyErrorCodes = {
  /** The request body is not valid JSON, has a field of the wrong type, or lacks a required field (400). */
  BAD_REQUEST: 'FS_ERR_PROXY_BAD_REQUEST',
  /** No proxy of that name (404, Toxiproxy's "proxy not found"). */
  NOT_FOUND: 'FS_ERR_PROXY_NOT_FOUND',
  /** A proxy of that name exists (409, "proxy already exists"). */
  EXISTS: 'FS_ERR_PROXY_EXISTS',
  /** `stream` is neither `upstream` nor `downstream` (400). */
  INVALID_STREAM: 'FS_ERR_PROXY_INVALID_STREAM',
  /** `type` names no toxic (400, "invalid toxic type"). */
  INVALID_TOXIC_TYPE: 'FS_ERR_PROXY_INVALID_TOXIC_TYPE',
  /** A toxic of that name exists on the proxy (409). */
  TOXIC_EXISTS: 'FS_ERR_PROXY_TOXIC_EXISTS',
  /** No toxic of that name on the proxy (404). */
  TOXIC_NOT_FOUND: 'FS_ERR_PROXY_TOXIC_NOT_FOUND',
  /** An HTTP fault rule is invalid; the message names the field (400). */
  INVALID_HTTP_FAULT: 'FS_ERR_PROXY_INVALID_HTTP_FAULT',
  /** No HTTP fault rule with that id on the proxy (404). */
  HTTP_FAULT_NOT_FOUND: 'FS_ERR_PROXY_HTTP_FAULT_NOT_FOUND',
  /** The request needs an HTTP-mode proxy (`"mode": "http"`), or a TCP one for toxics (400). */
  WRONG_MODE: 'FS_ERR_PROXY_WRONG_MODE',
  /** A proxy's listen address cannot be bound (500, as Toxiproxy answers a failed listen). */
  LISTEN: 'FS_ERR_PROXY_LISTEN',
  /** No such endpoint (404). */
  ROUTE_NOT_FOUND: 'FS_ERR_PROXY_ROUTE_NOT_FOUND',
  /** The endpoint exists but not with this method (405). */
  METHOD_NOT_ALLOWED: 'FS_ERR_PROXY_METHOD_NOT_ALLOWED',
  /** A config file (`--config`) cannot be read or is not a JSON array of proxies. */
  CONFIG: 'FS_ERR_PROXY_CONFIG',
} as const satisfies Record<string, ErrorCode>;

/** The HTTP status of each proxy code. */
export const proxyErrorStatus: Readonly<Record<string, number>> = {
  FS_ERR_PROXY_BAD_REQUEST: 400,
  FS_ERR_PROXY_INVALID_STREAM: 400,
  FS_ERR_PROXY_INVALID_TOXIC_TYPE: 400,
  FS_ERR_PROXY_INVALID_HTTP_FAULT: 400,
  FS_ERR_PROXY_WRONG_MODE: 400,
  FS_ERR_PROXY_NOT_FOUND: 404,
  FS_ERR_PROXY_TOXIC_NOT_FOUND: 404,
  FS_ERR_PROXY_HTTP_FAULT_NOT_FOUND: 404,
  FS_ERR_PROXY_ROUTE_NOT_FOUND: 404,
  FS_ERR_PROXY_METHOD_NOT_ALLOWED: 405,
  FS_ERR_PROXY_EXISTS: 409,
  FS_ERR_PROXY_TOXIC_EXISTS: 409,
  FS_ERR_PROXY_LISTEN: 500,
};

/** Throws a proxy error with Toxiproxy's message (e.g. `proxy not found`). */
export function proxyError(code: ErrorCode, message: string, details?: Record<string, unknown>): never {
  throw new FailsmallError(code, message, details === undefined ? undefined : { details });
}
