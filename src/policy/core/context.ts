/**
 * Root contexts for {@link Policy.execute}. A root context costs no AbortController: without a caller
 * signal it hands out one shared signal that never aborts.
 */
import type { PolicyContext } from './types.js';

/** A signal that never aborts, shared by every root context without a caller signal. */
export const neverAborted: AbortSignal = new AbortController().signal;

/** The hidden (non-enumerable) mark of a root context without a caller signal. */
const kQuiet: unique symbol = Symbol('failsmall.policy.quietRoot');

/** Builds the context of a call that enters a policy from outside. */
export function rootContext(signal: AbortSignal | undefined, dependency?: string): PolicyContext {
  const ctx = { attempt: 1, deadline: Infinity, signal: signal ?? neverAborted, dependency };
  if (signal === undefined) Object.defineProperty(ctx, kQuiet, { value: true });
  return ctx;
}

/**
 * @internal Whether `ctx` is a root context built without a caller signal: its fields are plain
 * data, its signal never aborts and its deadline is Infinity (a copy made by spreading is not).
 */
export function isQuietRoot(ctx: PolicyContext): boolean {
  return (ctx as { [kQuiet]?: boolean })[kQuiet] === true;
}
