/**
 * gRPC retry throttling (gRFC A6) as a {@link RetryBudget} (a retry budget, not a policy: it is
 * handed to `retry({ budget })` or `hedge({ budget })`). A token count starts at `maxTokens`;
 * each failed attempt takes 1 away (never below 0), each success adds `tokenRatio` (never above
 * `maxTokens`), and retries or hedges may go out only while the count stays above `maxTokens / 2`.
 * Tokens are kept in thousandths, as gRPC does, so repeated additions of 0.1 never drift.
 *
 * Mapping onto {@link RetryBudget}: `tryAcquire` records the failure that asks for a retry, then
 * answers. A failure for which no retry is asked (a non-retryable error, the last attempt) is not
 * seen by the budget, so this throttles a little later than gRPC, which counts every failure.
 *
 * @see https://github.com/grpc/proposal/blob/master/A6-client-retries.md#throttling-retry-attempts-and-hedged-rpcs
 */
import { invalid, positiveNumber } from '../../core/validate.js';
import { policyOptions } from '../core/options.js';
import type { RetryBudget, RetryBudgetSnapshot } from './budget.js';

/** Options of {@link grpcRetryBudget}. */
export interface GrpcRetryBudgetOptions {
  /** The token pool, in (0, 1000] as in gRPC's service config; default 10 (the gRFC example). */
  readonly maxTokens?: number;
  /** Tokens a success adds back, > 0 (gRPC keeps 3 decimals); default 0.1 (the gRFC example). */
  readonly tokenRatio?: number;
}

/** Plain numbers for metrics: see {@link GrpcRetryBudget.snapshot}. */
export interface GrpcRetryBudgetSnapshot extends RetryBudgetSnapshot {
  readonly kind: 'grpc';
  /** The current token count. */
  readonly tokens: number;
  readonly maxTokens: number;
  readonly tokenRatio: number;
}

/**
 * A {@link RetryBudget} with gRPC's retry throttling; see {@link grpcRetryBudget}.
 *
 * @example
 * const throttle = new GrpcRetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
 * throttle.tryAcquire(); // true: 9 tokens > 5
 */
export class GrpcRetryBudget implements RetryBudget {
  readonly kind = 'grpc';
  readonly maxTokens: number;
  readonly tokenRatio: number;
  readonly #max: number; // in thousandths
  readonly #ratio: number; // in thousandths
  #tokens: number; // in thousandths
  #granted = 0;
  #denied = 0;

  constructor(given?: GrpcRetryBudgetOptions) {
    const options = policyOptions(given, ['maxTokens', 'tokenRatio']);
    this.maxTokens = positiveNumber('maxTokens', options.maxTokens ?? 10);
    if (this.maxTokens > 1000) invalid('maxTokens', 'a number in (0, 1000]', this.maxTokens);
    this.tokenRatio = positiveNumber('tokenRatio', options.tokenRatio ?? 0.1);
    this.#max = Math.round(this.maxTokens * 1000);
    this.#ratio = Math.max(1, Math.round(this.tokenRatio * 1000));
    this.#tokens = this.#max;
  }

  /** The current token count. */
  get tokens(): number {
    return this.#tokens / 1000;
  }

  recordRequest(): void {
    // gRPC throttling counts outcomes only.
  }

  tryAcquire(): boolean {
    this.#tokens = Math.max(0, this.#tokens - 1000);
    if (this.#tokens * 2 > this.#max) {
      this.#granted++;
      return true;
    }
    this.#denied++;
    return false;
  }

  recordSuccess(): void {
    this.#tokens = Math.min(this.#max, this.#tokens + this.#ratio);
  }

  snapshot(): GrpcRetryBudgetSnapshot {
    return {
      kind: this.kind,
      tokens: this.#tokens / 1000,
      maxTokens: this.maxTokens,
      tokenRatio: this.tokenRatio,
      granted: this.#granted,
      denied: this.#denied,
    };
  }
}

/**
 * gRPC-style retry throttling (gRFC A6): retries stop while more than half of `maxTokens` has been
 * lost to failures, and resume as successes (each worth `tokenRatio`) refill the pool.
 *
 * @example
 * const budget = grpcRetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
 * const policy = retry({ maxAttempts: 3, budget });
 * @see https://github.com/grpc/proposal/blob/master/A6-client-retries.md
 */
export function grpcRetryBudget(options?: GrpcRetryBudgetOptions): GrpcRetryBudget {
  return new GrpcRetryBudget(options);
}
