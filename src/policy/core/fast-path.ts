/**
 * How {@link pipeline} runs its pieces without a closure per layer per call. Composing through the
 * public contract, `a.run((ctx) => b.run((ctx) => c.run(fn, ctx), ctx), ctx)`, allocates one
 * closure per layer per call. A policy that also implements `[kRunChain](chain, next, fn, ctx)`
 * gets the pipeline's array of pieces and the index of the next one instead, and calls
 * {@link callNext} where it would have called `fn`. Policies without it are run through `run()`
 * with a closure, so any {@link Policy} still composes; this is only a fast path.
 *
 * Every built-in policy takes part: it extends `PolicyBase` (policy-base.ts), whose `execute` and
 * `run` call `this[kRunChain](NO_CHAIN, 0, fn, ctx)`, and writes only `[kRunChain]`, calling
 * `callNext(chain, next, fn, innerCtx)` where it would call `fn(innerCtx)`.
 */
import type { Policy, PolicyContext, PolicyFn } from './types.js';

/** The fast-path method a policy may implement (see the module comment). */
export const kRunChain: unique symbol = Symbol('failsmall.policy.runChain');

/** A policy that takes part in the fast path. */
export interface ChainRunner {
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T>;
}

/** The chain of a policy run on its own: `callNext` then calls `fn` directly. */
export const NO_CHAIN: readonly Policy[] = Object.freeze([]);

/** Runs `fn` through `chain[i..]` (i < chain.length). */
export function runChain<T>(chain: readonly Policy[], i: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
  const policy = chain[i]!;
  const next = i + 1;
  if (kRunChain in policy) return (policy as Policy & ChainRunner)[kRunChain](chain, next, fn, ctx);
  if (next === chain.length) return policy.run(fn, ctx);
  return policy.run((inner) => runChain(chain, next, fn, inner), ctx);
}

/** What a chain-aware policy calls instead of `fn(ctx)`: the rest of the chain, then `fn`. */
export function callNext<T>(
  chain: readonly Policy[],
  next: number,
  fn: PolicyFn<T>,
  ctx: PolicyContext,
): T | PromiseLike<T> {
  return next === chain.length ? fn(ctx) : runChain(chain, next, fn, ctx);
}
