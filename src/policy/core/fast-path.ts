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

/**
 * A pair of handlers that many calls share (a breaker's, per generation): what an outer step would
 * attach to the inner step's promise. An inner step that already attaches one reaction with shared
 * handlers (the timeout's fast path) may run the observer in it instead, which saves the outer step
 * a reaction per call. The handshake is synchronous: the outer step offers its observer to the
 * step it is about to call ({@link offerObserver}); that step takes the offer on entry
 * ({@link takeObserver}) and, if it will run it, says so just before it returns
 * ({@link markObserved}); the outer step checks right after the call returns ({@link wasObserved})
 * and otherwise attaches its own reaction. An offer addressed to another policy is never taken.
 */
export interface Observer {
  /** Called with the inner step's value; returns what the outer step returns. */
  readonly ok: (value: unknown) => unknown;
  /** Called with the inner step's error; throws (or returns) what the outer step would. */
  readonly fail: (error: unknown) => unknown;
}

let offeredTo: object | undefined;
let offered: Observer | undefined;
let observed = false;

/** The outer step: offers `observer` to `to`, the step it calls next. */
export function offerObserver(to: object, observer: Observer): void {
  offeredTo = to;
  offered = observer;
  observed = false;
}

/** The inner step, on entry: the observer offered to it (then no longer offered), or undefined. */
export function takeObserver(self: object): Observer | undefined {
  if (offeredTo !== self) return undefined;
  const observer = offered;
  offeredTo = offered = undefined;
  return observer;
}

/** The inner step, just before it returns: its reaction runs the observer it took. */
export function markObserved(): void {
  observed = true;
}

/** The outer step, right after the call returned: whether the inner step runs its observer (clears the offer). */
export function wasObserved(): boolean {
  const yes = observed;
  observed = false;
  offeredTo = offered = undefined;
  return yes;
}
