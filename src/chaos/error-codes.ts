/** Codes owned by chaos/ (the fault DNS server). docs/errors.md explains each. */
import type { ErrorCode } from '../core/errors.js';

/**
 * Every code the fault DNS server and its control API use.
 *
 * @example
 * if (isFailsmallError(error, ChaosErrorCodes.VERSION_CONFLICT)) retryWithVersion(error.details?.currentVersion);
 */
export const ChaosErrorCodes = {
  /** A zone definition given to the server or the store is invalid (the message names the field). */
  INVALID_ZONE: 'FS_ERR_CHAOS_INVALID_ZONE',
  /** A zone file cannot be read or is invalid (the message names file:line:col and the field). */
  ZONE_FILE: 'FS_ERR_CHAOS_ZONE_FILE',
  /** No zone of that name (HTTP 404). */
  ZONE_NOT_FOUND: 'FS_ERR_CHAOS_ZONE_NOT_FOUND',
  /** A change batch is invalid; nothing was applied (HTTP 400). */
  INVALID_CHANGE: 'FS_ERR_CHAOS_INVALID_CHANGE',
  /** `expectedVersion` differs from the zone's version; nothing was applied (HTTP 409, `currentVersion`). */
  VERSION_CONFLICT: 'FS_ERR_CHAOS_VERSION_CONFLICT',
  /** A fault rule is invalid (HTTP 400). */
  INVALID_FAULT: 'FS_ERR_CHAOS_INVALID_FAULT',
  /** A fault rule with that id exists (HTTP 409). */
  FAULT_EXISTS: 'FS_ERR_CHAOS_FAULT_EXISTS',
  /** No fault rule with that id (HTTP 404). */
  FAULT_NOT_FOUND: 'FS_ERR_CHAOS_FAULT_NOT_FOUND',
  /** The server holds its maximum number of fault rules (HTTP 409). */
  TOO_MANY_FAULTS: 'FS_ERR_CHAOS_TOO_MANY_FAULTS',
  /** The request body is not JSON, or a query parameter is invalid (HTTP 400). */
  INVALID_REQUEST: 'FS_ERR_CHAOS_INVALID_REQUEST',
  /** The control API wants `Authorization: Bearer <token>` (HTTP 401). */
  UNAUTHORIZED: 'FS_ERR_CHAOS_UNAUTHORIZED',
  /** The `Host` header does not name the server's bound address (DNS rebinding guard; HTTP 403). */
  HOST_NOT_ALLOWED: 'FS_ERR_CHAOS_HOST_NOT_ALLOWED',
  /** A cross-origin browser request (`Origin`, `Sec-Fetch-Site`) not in `allowedOrigins` (HTTP 403). */
  CROSS_ORIGIN: 'FS_ERR_CHAOS_CROSS_ORIGIN',
  /** A write (POST, PUT, PATCH) without `Content-Type: application/json` (HTTP 415). */
  UNSUPPORTED_MEDIA_TYPE: 'FS_ERR_CHAOS_UNSUPPORTED_MEDIA_TYPE',
  /** No such endpoint (HTTP 404). */
  NOT_FOUND: 'FS_ERR_CHAOS_NOT_FOUND',
  /** The endpoint exists but not with this method (HTTP 405). */
  METHOD_NOT_ALLOWED: 'FS_ERR_CHAOS_METHOD_NOT_ALLOWED',
  /** The request body exceeds the limit, 1 MiB by default (HTTP 413). */
  BODY_TOO_LARGE: 'FS_ERR_CHAOS_BODY_TOO_LARGE',
  /** An unexpected error inside the control API (HTTP 500). */
  INTERNAL: 'FS_ERR_CHAOS_INTERNAL',
  /** The control API would listen off loopback without a token. */
  TOKEN_REQUIRED: 'FS_ERR_CHAOS_TOKEN_REQUIRED',
  /** A DNS or API port cannot be bound. */
  LISTEN: 'FS_ERR_CHAOS_LISTEN',
  /** `probe()` got no reply in time. */
  PROBE_TIMEOUT: 'FS_ERR_CHAOS_PROBE_TIMEOUT',
} as const satisfies Record<string, ErrorCode>;
