/**
 * Observe: measures every call that passes through it (outcome and latency) and says so on its
 * channel `failsmall:policy:observe` and `onCall`, changing nothing. `dependency()` puts one
 * outermost in each dependency's per-attempt policy, so every attempt of every integration (fetch
 * through `execute`, the AWS SDK, the region probes) is seen once, whoever consumes it: the status
 * service's reporter (the dependency map), a metrics exporter, a log.
 *
 * The outcome uses THE failure classifier ({@link describeFailure}): a call turned away on the
 * client before it was sent (an open breaker, a full bulkhead: `kind: 'overload'` with
 * `neverSent`) is `rejected`; any other error, or a result that `isFailureResult` calls a failure
 * (an HTTP 5xx by the dependency's default), is `error`; the rest is `ok`.
 */
import type { Clock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { Emitter } from '../core/events.js';
import { func } from '../core/validate.js';
import { callNext, kRunChain } from './core/fast-path.js';
import { policyOptions } from './core/options.js';
import { PolicyBase } from './core/policy-base.js';
import type { PolicySnapshot } from './core/policy-base.js';
import type { Policy, PolicyContext, PolicyFn } from './core/types.js';
import { describeFailure } from './errors/describe-failure.js';

/** How a call ended, as {@link ObservePolicy} sees it. */
export type CallOutcome = 'ok' | 'error' | 'rejected';

/** One call, measured: the payload of `onCall` and of the `call` message on `failsmall:policy:observe`. */
export interface CallEvent {
  readonly dependency: string | undefined;
  readonly outcome: CallOutcome;
  /** How long the call took, in milliseconds of the policy's clock. */
  readonly ms: number;
  /** The failsmall code or the `code` of the error, for `error` and `rejected`. */
  readonly code?: string;
}

/** Options of {@link observe}. */
export interface ObserveOptions {
  /** The dependency name, when the context carries none. */
  readonly dependency?: string;
  /** Where latency is measured; default {@link systemClock}. */
  readonly clock?: Clock;
  /** Results that count as `error` (an HTTP 5xx response); default none. */
  readonly isFailureResult?: (value: unknown) => boolean;
}

const KNOWN_OPTIONS: readonly (keyof ObserveOptions)[] = ['dependency', 'clock', 'isFailureResult'];

/** Counters of {@link ObservePolicy}. */
export interface ObserveSnapshot extends PolicySnapshot {
  readonly kind: 'observe';
  readonly calls: number;
  readonly errors: number;
  readonly rejected: number;
}

function codeOf(error: unknown): string | undefined {
  if (isFailsmallError(error)) return error.code;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A {@link Policy} that measures calls; build it with {@link observe}.
 *
 * @example
 * const policy = new ObservePolicy({ dependency: 'dynamodb' });
 * policy.onCall.on((c) => console.log(c.outcome, c.ms));
 */
export class ObservePolicy extends PolicyBase<ObserveSnapshot> {
  /** One event per call, after it settled. */
  readonly onCall = new Emitter<CallEvent>();
  readonly #isFailureResult: ((value: unknown) => boolean) | undefined;
  #calls = 0;
  #errors = 0;
  #rejected = 0;

  constructor(input?: ObserveOptions) {
    const options = policyOptions(input, KNOWN_OPTIONS);
    super('observe', options);
    this.#isFailureResult =
      options.isFailureResult === undefined
        ? undefined
        : (func('isFailureResult', options.isFailureResult) as (value: unknown) => boolean);
  }

  /** @internal The policy's step (see policy-base.ts). */
  async [kRunChain]<T>(chain: readonly Policy[], next: number, fn: PolicyFn<T>, ctx: PolicyContext): Promise<T> {
    this.#calls++;
    const started = this.clock.now();
    try {
      const value = await callNext(chain, next, fn, ctx);
      const failed = this.#isFailureResult?.(value) === true;
      if (failed) this.#errors++;
      this.#report(ctx, failed ? 'error' : 'ok', started, undefined);
      return value;
    } catch (error) {
      const d = describeFailure(error);
      const outcome: CallOutcome = d.neverSent && d.kind === 'overload' ? 'rejected' : 'error';
      if (outcome === 'rejected') this.#rejected++;
      else this.#errors++;
      this.#report(ctx, outcome, started, codeOf(error));
      throw error;
    }
  }

  #report(ctx: PolicyContext, outcome: CallOutcome, started: number, code: string | undefined): void {
    if (!this.onCall.hasListeners && !this.channel.hasSubscribers) return;
    const dependency = ctx.dependency ?? this.dependency;
    const event: CallEvent = {
      dependency,
      outcome,
      ms: Math.max(0, this.clock.now() - started),
      ...(code === undefined ? {} : { code }),
    };
    this.announce(this.onCall, 'call', event);
  }

  protected snapshotFields(): Omit<ObserveSnapshot, keyof PolicySnapshot> {
    return {
      calls: this.#calls,
      errors: this.#errors,
      rejected: this.#rejected,
    };
  }
}

/**
 * Builds an observing policy: every call is measured and published, nothing is changed.
 *
 * @example
 * import diagnostics from 'node:diagnostics_channel';
 * diagnostics.subscribe('failsmall:policy:observe', (m) => console.log(m));
 * const db = pipeline(observe({ dependency: 'db' }), circuitBreaker());
 */
export function observe(options?: ObserveOptions): ObservePolicy {
  return new ObservePolicy(options);
}
