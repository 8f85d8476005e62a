/**
 * One error class with a stable code. Match on `error.code`, never on the message: messages may be
 * reworded, codes never change. Every code is registered in core/error-codes.ts and documented in
 * docs/errors.md.
 */

import type { ErrorCode } from './error-codes.js';

/** Every failsmall error code: the union of the registry's codes (core/error-codes.ts, docs/errors.md). */
export type { ErrorCode };

const brand = Symbol.for('failsmall.error');

/**
 * The base of every error failsmall throws. `instanceof FailsmallError` works even across two copies
 * of the package in one process (the check looks for a shared symbol, not the class identity).
 *
 * @example
 * try { await policy.execute(call); }
 * catch (error) { if (isFailsmallError(error, 'FS_ERR_BREAKER_OPEN')) serveFromCache(); }
 */
export class FailsmallError extends Error {
  /** The stable code, e.g. `FS_ERR_INVALID_ARGUMENT`. */
  readonly code: ErrorCode;
  /** Extra facts for logs and handlers (the option name, the state, the retry delay …). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown; details?: Record<string, unknown> }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.details = options?.details;
  }

  override get name(): string {
    return 'FailsmallError';
  }

  get [brand](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
  }

  /** The code and message, for logs. */
  override toString(): string {
    return `${this.name} [${this.code}]: ${this.message}`;
  }
}

/** True when `error` is a failsmall error, and, if `code` is given, carries that code. */
export function isFailsmallError(error: unknown, code?: ErrorCode): error is FailsmallError {
  return error instanceof FailsmallError && (code === undefined || error.code === code);
}

/** How deep {@link findFailsmallError} follows `cause`: the error itself and at most 5 causes. */
const MAX_CAUSE_DEPTH = 5;

/**
 * The first failsmall error (with `code`, when given) in `error`'s `cause` chain, the error itself
 * included, or `undefined`. Errors that cross a library boundary arrive wrapped: `fetch` rejects
 * with `TypeError: fetch failed` and the failsmall error (an open breaker, a DNS failure) in
 * `cause`. Follows at most 5 causes, so a cyclic chain ends.
 *
 * @example
 * try { await fetch(url, { dispatcher: db.dispatcher }); }
 * catch (error) { if (findFailsmallError(error, 'FS_ERR_BREAKER_OPEN')) return cached(); throw error; }
 */
export function findFailsmallError(error: unknown, code?: ErrorCode): FailsmallError | undefined {
  let current = error;
  for (let depth = 0; depth <= MAX_CAUSE_DEPTH; depth++) {
    if (isFailsmallError(current, code)) return current;
    if (typeof current !== 'object' || current === null) return undefined;
    try {
      current = (current as { cause?: unknown }).cause;
    } catch {
      return undefined; // a throwing getter: nothing more to read
    }
  }
  return undefined;
}

/** Codes owned by core/. Each module documents its own in docs/errors.md. */
export const CoreErrorCodes = {
  /** An option or argument has the wrong type or range. */
  INVALID_ARGUMENT: 'FS_ERR_INVALID_ARGUMENT',
  /** An operation was cancelled through its AbortSignal, which carried no reason of its own. */
  ABORTED: 'FS_ERR_ABORTED',
  /** `VirtualClock.runAll()` fired more timers than its limit allows. */
  CLOCK_RUNAWAY: 'FS_ERR_CLOCK_RUNAWAY',
} as const satisfies Record<string, ErrorCode>;
