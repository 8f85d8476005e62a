/**
 * Root contexts for {@link Policy.execute}. A root context costs no AbortController: without a caller
 * signal it hands out one shared signal that never aborts.
 */
import type { PolicyContext } from './types.js';

/** A signal that never aborts, shared by every root context without a caller signal. */
export const neverAborted: AbortSignal = new AbortController().signal;

/** Builds the context of a call that enters a policy from outside. */
export function rootContext(signal: AbortSignal | undefined, dependency?: string): PolicyContext {
  return { attempt: 1, deadline: Infinity, signal: signal ?? neverAborted, dependency };
}
