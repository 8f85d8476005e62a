/** Codes owned by status/ (the status service). docs/errors.md explains each. */

/**
 * Every code the status service and its store use, with the HTTP status the server answers.
 *
 * @example
 * if (isFailsmallError(error, StatusErrorCodes.NOT_FOUND)) reply.code(404);
 */
export const StatusErrorCodes = {
  /** Input to a write is invalid; `details.errors` lists `{ field, message }` (HTTP 400). */
  INVALID_INPUT: 'FS_ERR_STATUS_INVALID_INPUT',
  /** No component, incident, maintenance or subscriber with that id (HTTP 404). */
  NOT_FOUND: 'FS_ERR_STATUS_NOT_FOUND',
  /** The incident is resolved (or the maintenance completed): no more updates (HTTP 409). */
  CLOSED: 'FS_ERR_STATUS_CLOSED',
  /** Too many writes from this client; `details.retryAfterMs` says when to try again (HTTP 429). */
  RATE_LIMITED: 'FS_ERR_STATUS_RATE_LIMITED',
  /** A session write without the session's CSRF token, or with a wrong one (HTTP 403). */
  CSRF: 'FS_ERR_STATUS_CSRF',
  /** A write without a token or session, or a wrong login token (HTTP 401). */
  UNAUTHORIZED: 'FS_ERR_STATUS_UNAUTHORIZED',
  /** A catalog file (Backstage `catalog-info.yaml`) is not valid; `details.errors` lists `{ field, message, line, col }` (HTTP 400). */
  INVALID_CATALOG: 'FS_ERR_STATUS_INVALID_CATALOG',
  /** A signal names a status component that does not exist; `details.errors` lists `{ field, message }` (HTTP 400). */
  UNKNOWN_COMPONENT: 'FS_ERR_STATUS_UNKNOWN_COMPONENT',
  /** The status store is closed. */
  STORE_CLOSED: 'FS_ERR_STATUS_STORE_CLOSED',
  /** The database failed (cause attached), or holds a document that is not JSON. */
  STORE_BACKEND: 'FS_ERR_STATUS_STORE_BACKEND',
  /** An unexpected error in the status server (HTTP 500; the detail is not sent). */
  INTERNAL: 'FS_ERR_STATUS_INTERNAL',
} as const;

/** The HTTP status of each status-service code. */
export const statusHttpStatus: Readonly<Record<string, number>> = {
  FS_ERR_STATUS_INVALID_INPUT: 400,
  FS_ERR_STATUS_INVALID_CATALOG: 400,
  FS_ERR_STATUS_UNKNOWN_COMPONENT: 400,
  FS_ERR_STATUS_NOT_FOUND: 404,
  FS_ERR_STATUS_CLOSED: 409,
  FS_ERR_STATUS_RATE_LIMITED: 429,
  FS_ERR_STATUS_CSRF: 403,
  FS_ERR_STATUS_UNAUTHORIZED: 401,
};
