/**
 * Rejections that happen by the thousand (an open breaker, a full bulkhead) are built without a
 * stack trace: capturing one costs a few microseconds, more than the rest of the rejection path,
 * and would make shedding load expensive exactly when the process is overloaded. The code, message
 * and details say everything a handler needs.
 */
import { FailsmallError } from '../../core/errors.js';
import type { ErrorCode } from '../../core/errors.js';

/** A {@link FailsmallError} whose `stack` holds only its first line. */
export function stacklessError(code: ErrorCode, message: string, details: Record<string, unknown>): FailsmallError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new FailsmallError(code, message, { details });
  } finally {
    Error.stackTraceLimit = limit;
  }
}
