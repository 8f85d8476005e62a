/**
 * The per-attempt policy of a dependency: a circuit breaker, then an attempt timeout. Built in one
 * place for every integration (`dependency()`'s `execute`/fetch and the AWS SDK config), so the
 * defaults cannot drift between them.
 */
import { validate, type Clock } from '../core/index.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { pipeline } from '../policy/core/pipeline.js';
import type { Policy } from '../policy/core/types.js';
import { describeHttpResult } from '../policy/errors/describe-failure.js';
import { timeout } from '../policy/timeout/timeout.js';

/** Options of {@link attemptPolicy}. */
export interface AttemptPolicyOptions {
  /**
   * The breaker each attempt goes through; default a `circuitBreaker()` (5 failures in a row open
   * it for 30 s) named after `dependency`; `false` for none.
   */
  readonly breaker?: Policy | false;
  /**
   * The timeout of one attempt, in milliseconds; default 5 s: far above a healthy DynamoDB call
   * (single-digit ms), short enough that a hung connection does not hold the caller for the SDK's
   * unbounded default. Infinity for none.
   */
  readonly attemptTimeout?: number;
  /**
   * Which results the default breaker counts as failures; default {@link isFailureResponse} (an
   * HTTP 500, 502, 503 or 504 response). Ignored when `breaker` is given (configure your own).
   */
  readonly isFailureResult?: (value: unknown) => boolean;
  /** The clock of the breaker and the timeout; default `systemClock`. */
  readonly clock?: Clock;
  /** The dependency's name, for the breaker's events and errors. */
  readonly dependency?: string;
}

/**
 * True for an HTTP response (fetch `Response`, undici `statusCode`) that shows the dependency
 * failing: a 5xx that another attempt may not see (500, 502, 503 `overload`, 504 `timeout`), as
 * {@link describeHttpResult} describes it. A 4xx, a 501 or a non-response is not a failure.
 *
 * @example
 * circuitBreaker({ isFailureResult: isFailureResponse });
 */
export function isFailureResponse(value: unknown): boolean {
  const description = describeHttpResult(value);
  return description !== undefined && description.kind !== 'fatal' && (description.status ?? 0) >= 500;
}

/**
 * Builds the per-attempt policy (breaker, then timeout), or `undefined` when both are off.
 *
 * @example
 * const perAttempt = attemptPolicy({ dependency: 'dynamodb', attemptTimeout: 2_000 });
 * await perAttempt?.execute(({ signal }) => fetch(url, { signal }));
 */
export function attemptPolicy(options: AttemptPolicyOptions = {}): Policy | undefined {
  if (typeof options !== 'object' || options === null) validate.invalid('options', 'an object', options);
  const attemptTimeout = validate.duration('attemptTimeout', options.attemptTimeout ?? 5_000, true);
  const isFailureResult =
    options.isFailureResult === undefined
      ? isFailureResponse
      : (validate.func('isFailureResult', options.isFailureResult) as (value: unknown) => boolean);
  const clock = options.clock;
  const dependency = options.dependency;
  const pieces: Policy[] = [];
  if (options.breaker !== false) {
    pieces.push(
      options.breaker ??
        circuitBreaker({
          isFailureResult,
          ...(clock === undefined ? {} : { clock }),
          ...(dependency === undefined ? {} : { dependency }),
        }),
    );
  }
  if (Number.isFinite(attemptTimeout)) pieces.push(timeout(attemptTimeout, clock === undefined ? {} : { clock }));
  if (pieces.length === 0) return undefined;
  return dependency === undefined ? pipeline(...pieces) : pipeline(...pieces).named(dependency);
}
