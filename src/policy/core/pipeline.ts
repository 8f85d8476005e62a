/**
 * Composition: `pipeline(a, b, c)` is one policy in which `a` wraps `b` wraps `c` wraps the call,
 * as undici's `Dispatcher.compose` and cockatiel's `wrap`. Order matters; the usual one is
 *
 * ```
 * fallback → timeout (overall) → retry → breaker → bulkhead → timeout (per attempt) → fn
 * ```
 * so that a retry sees the breaker's fast rejections, the breaker counts per-attempt timeouts as
 * failures, and the overall deadline bounds every attempt (an inner timeout never outlives it).
 *
 * Every piece is checked when the pipeline is built, not on the first call. The dependency's name is
 * given with `.named('dynamodb')`, `pipeline(a, b).named('dynamodb')`; every layer then sees it in
 * `ctx.dependency` (events, errors, metrics).
 */
import { systemClock } from '../../core/clock.js';
import { invalid } from '../../core/validate.js';
import { kRunChain, runChain } from './fast-path.js';
import { PolicyBase } from './policy-base.js';
import type { PolicySnapshot } from './policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from './types.js';

/** Each piece's snapshot, outermost first: see {@link Pipeline.snapshot}. */
export interface PipelineSnapshot extends PolicySnapshot {
  readonly kind: 'pipeline';
  /** The pieces' snapshots (a piece without `snapshot()` is listed by kind and dependency). */
  readonly policies: readonly PolicySnapshot[];
}

/** A context that renames the dependency and forwards everything else (the signal lazily). */
class NamedContext implements PolicyContext {
  readonly attempt: number;
  readonly deadline: number;
  constructor(
    readonly parent: PolicyContext,
    readonly dependency: string,
  ) {
    this.attempt = parent.attempt;
    this.deadline = parent.deadline;
  }
  get signal(): AbortSignal {
    return this.parent.signal;
  }
}

async function invoke<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
  return fn(ctx);
}

function isPolicy(value: unknown): value is Policy {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Policy).run === 'function' &&
    typeof (value as Policy).execute === 'function'
  );
}

/**
 * Policies run as one, outermost first. Build it with {@link pipeline}.
 */
export class Pipeline extends PolicyBase<PipelineSnapshot> {
  /** The pieces, outermost first (nested unnamed pipelines are flattened). */
  readonly policies: readonly Policy[];

  constructor(policies: readonly unknown[], dependency?: string) {
    super('pipeline', { dependency }, systemClock);
    const flat: Policy[] = [];
    policies.forEach((piece, i) => {
      if (!isPolicy(piece)) invalid(`policies[${i}]`, 'a policy (an object with run() and execute())', piece);
      if (piece instanceof Pipeline && piece.dependency === undefined) flat.push(...piece.policies);
      else flat.push(piece);
    });
    this.policies = flat;
  }

  /** The same pipeline, guarding the dependency `name` (a non-empty string). */
  named(name: string): Pipeline {
    if (typeof name !== 'string' || name === '') invalid('name', 'a non-empty string', name);
    return new Pipeline(this.policies, name);
  }

  /** @internal Runs the pieces, then the rest of the outer chain (one closure only when nested). */
  [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const dependency = this.dependency;
    if (dependency !== undefined && ctx.dependency !== dependency) ctx = new NamedContext(ctx, dependency);
    const own = this.policies;
    if (next === chain.length) return own.length === 0 ? invoke(fn, ctx) : runChain(own, 0, fn, ctx);
    if (own.length === 0) return runChain(chain, next, fn, ctx);
    return runChain(own, 0, (inner) => runChain(chain, next, fn, inner), ctx);
  }

  protected snapshotFields(): Omit<PipelineSnapshot, keyof PolicySnapshot> {
    return {
      policies: this.policies.map((p): PolicySnapshot => {
        const piece = p as Policy & { snapshot?: () => PolicySnapshot; dependency?: unknown };
        if (typeof piece.snapshot === 'function') return piece.snapshot();
        return { kind: p.kind, dependency: typeof piece.dependency === 'string' ? piece.dependency : undefined };
      }),
    };
  }
}

/**
 * Composes policies: the first wraps the second, which wraps the third, …, which wraps the call.
 * Name the dependency for every layer with `.named(name)`. Throws `FS_ERR_INVALID_ARGUMENT` at once
 * if a piece is not a policy.
 *
 * @example
 * const dynamodb = pipeline(
 *   retry({ maxAttempts: 3 }),
 *   circuitBreaker({ halfOpenAfter: 10_000 }),
 *   timeout(1_000),
 * ).named('dynamodb');
 * const item = await dynamodb.execute(({ signal }) => client.send(new GetItemCommand(input), { abortSignal: signal }));
 */
export function pipeline(...policies: Policy[]): Pipeline {
  return new Pipeline(policies);
}
