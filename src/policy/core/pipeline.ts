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
 * given as a leading options object, `pipeline({ dependency: 'dynamodb' }, a, b)`, or afterwards
 * with `.named('dynamodb')`; every layer then sees it in `ctx.dependency` (events, errors, metrics).
 */
import { abortReason } from '../../core/clock.js';
import { invalid } from '../../core/validate.js';
import { runChain } from './fast-path.js';
import { rootContext } from './context.js';
import type { Policy, PolicyContext, PolicyFn } from './types.js';

/** The leading options object of {@link pipeline}. */
export interface PipelineOptions {
  /** The name of the dependency the pipeline guards (e.g. `dynamodb`), handed down in `ctx.dependency`. */
  readonly dependency: string;
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
export class Pipeline implements Policy {
  readonly kind = 'pipeline';
  /** The pieces, outermost first (nested unnamed pipelines are flattened). */
  readonly policies: readonly Policy[];
  /** The dependency's name, or undefined. */
  readonly dependency: string | undefined;
  readonly #root: PolicyContext;

  constructor(policies: readonly unknown[], dependency?: string) {
    if (dependency !== undefined && (typeof dependency !== 'string' || dependency === '')) {
      invalid('dependency', 'a non-empty string', dependency);
    }
    const flat: Policy[] = [];
    policies.forEach((piece, i) => {
      if (!isPolicy(piece)) invalid(`policies[${i}]`, 'a policy (an object with run() and execute())', piece);
      if (piece instanceof Pipeline && piece.dependency === undefined) flat.push(...piece.policies);
      else flat.push(piece);
    });
    this.policies = flat;
    this.dependency = dependency;
    this.#root = rootContext(undefined, dependency);
  }

  /** The same pipeline, guarding the dependency `name`. */
  named(name: string): Pipeline {
    return new Pipeline(this.policies, name);
  }

  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T> {
    if (signal === undefined) return this.#start(fn, this.#root);
    if (signal.aborted) return Promise.reject(abortReason(signal));
    return this.#start(fn, rootContext(signal, this.dependency));
  }

  run<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    const dependency = this.dependency;
    if (dependency !== undefined && ctx.dependency !== dependency) ctx = new NamedContext(ctx, dependency);
    return this.#start(fn, ctx);
  }

  #start<T>(fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    return this.policies.length === 0 ? invoke(fn, ctx) : runChain(this.policies, 0, fn, ctx);
  }

  /** Each piece's snapshot, outermost first (pieces without one are listed by kind). */
  snapshot(): { kind: 'pipeline'; dependency: string | undefined; policies: unknown[] } {
    return {
      kind: 'pipeline',
      dependency: this.dependency,
      policies: this.policies.map((p) => {
        const withSnapshot = p as Policy & { snapshot?: () => unknown };
        return typeof withSnapshot.snapshot === 'function' ? withSnapshot.snapshot() : { kind: p.kind };
      }),
    };
  }
}

/**
 * Composes policies: the first wraps the second, which wraps the third, …, which wraps the call.
 * A leading `{ dependency }` object names the dependency for every layer. Throws
 * `FS_ERR_INVALID_ARGUMENT` at once if a piece is not a policy.
 *
 * @example
 * const dynamodb = pipeline(
 *   { dependency: 'dynamodb' },
 *   retry({ maxAttempts: 3 }),
 *   circuitBreaker({ halfOpenAfter: 10_000 }),
 *   timeout(1_000),
 * );
 * const item = await dynamodb.execute(({ signal }) => client.send(new GetItemCommand(input), { abortSignal: signal }));
 */
export function pipeline(options: PipelineOptions, ...policies: Policy[]): Pipeline;
export function pipeline(...policies: Policy[]): Pipeline;
export function pipeline(...args: unknown[]): Pipeline {
  const first = args[0];
  if (
    typeof first === 'object' &&
    first !== null &&
    !isPolicy(first) &&
    'dependency' in first &&
    !('kind' in first) &&
    !('run' in first) &&
    !('execute' in first)
  ) {
    return new Pipeline(args.slice(1), (first as PipelineOptions).dependency);
  }
  return new Pipeline(args);
}
