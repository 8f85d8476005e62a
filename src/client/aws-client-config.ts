/**
 * One call that hardens an AWS SDK v3 client: `{ requestHandler, retryStrategy }` to spread into the
 * client's config. Resolution through failsmall (last-known-good), the whole address set tried, each
 * attempt under a breaker and a timeout, and SDK retries drawn from a retry budget.
 */
import { systemClock, validate, type Clock } from '../core/index.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { pipeline } from '../policy/core/pipeline.js';
import { timeout } from '../policy/timeout/timeout.js';
import type { Policy } from '../policy/core/types.js';
import {
  awsRequestHandler,
  type AwsRequestHandlerOptions,
  type FailsmallRequestHandler,
} from './aws-request-handler.js';
import { awsRetryStrategy, type AwsRetryStrategyOptions, type FailsmallRetryStrategy } from './aws-retry-strategy.js';

/** Options of {@link awsClientConfig}: those of the request handler and of the retry strategy, plus the per-attempt policy pieces. */
export interface AwsClientConfigOptions
  extends Omit<AwsRequestHandlerOptions, 'policy' | 'clock'>, Omit<AwsRetryStrategyOptions, 'clock'> {
  /**
   * The breaker each attempt goes through; default a `circuitBreaker()` (5 failures in a row open it
   * for 30 s) named after `dependency`; `false` for none.
   */
  readonly breaker?: Policy | false;
  /**
   * The timeout of one attempt, in milliseconds; default 5 s: far above a healthy DynamoDB call
   * (single-digit ms), short enough that a hung connection does not hold the caller for the SDK's
   * unbounded default. Infinity for none.
   */
  readonly attemptTimeout?: number;
  /** Replaces the breaker and timeout: the whole per-attempt policy (no retry inside: the SDK retries). */
  readonly policy?: Policy;
  /**
   * The clock of the breaker, the attempt timeout and the retry strategy (backoff sleeps, budget
   * windows); default `systemClock`. A scaled replay passes its scenario clock here.
   */
  readonly clock?: Clock;
  /**
   * The clock of the connector (attempt delay, connect timeout, address penalties); default
   * `systemClock`, also in a scaled replay: sockets connect in real time, and a connect timeout of
   * 10 scenario seconds would be a few real milliseconds at high speed.
   */
  readonly connectClock?: Clock;
}

/** What {@link awsClientConfig} returns: spread it into an SDK client's configuration. */
export interface AwsClientConfig {
  readonly requestHandler: FailsmallRequestHandler;
  readonly retryStrategy: FailsmallRetryStrategy;
}

/**
 * Builds the request handler and the retry strategy of a hardened AWS SDK v3 client.
 *
 * @example
 * import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
 * const client = new DynamoDBClient({
 *   region: 'us-east-1',
 *   ...awsClientConfig({ resolver, budget: ratioBudget({ ratio: 0.1 }), dependency: 'dynamodb' }),
 * });
 */
export function awsClientConfig(options: AwsClientConfigOptions = {}): AwsClientConfig {
  const clock = options.clock ?? systemClock;
  const attemptTimeout = validate.duration('attemptTimeout', options.attemptTimeout ?? 5_000, true);
  let policy = options.policy;
  if (policy === undefined) {
    const pieces: Policy[] = [];
    if (options.breaker !== false) {
      pieces.push(
        options.breaker ??
          circuitBreaker({ clock, ...(options.dependency === undefined ? {} : { dependency: options.dependency }) }),
      );
    }
    if (Number.isFinite(attemptTimeout)) pieces.push(timeout(attemptTimeout, { clock }));
    if (pieces.length > 0) {
      policy = options.dependency === undefined ? pipeline(...pieces) : pipeline(...pieces).named(options.dependency);
    }
  }
  const requestHandler = awsRequestHandler({
    ...options,
    clock: options.connectClock ?? systemClock,
    ...(policy === undefined ? {} : { policy }),
  });
  const retryStrategy = awsRetryStrategy({ ...options, clock });
  return { requestHandler, retryStrategy };
}
