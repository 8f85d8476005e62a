/**
 * The AWS SDK v3 "standard mode" retry quota, as a {@link RetryBudget}: a pool of tokens (500),
 * each retry costs 5 (a timeout 10), a successful retry gives its cost back and a call that
 * succeeds on its first attempt adds 1, never beyond the initial pool. When the pool runs dry,
 * retries stop until successes refill it, which is what ends a retry storm against a dead endpoint.
 * Use it to make failsmall spend exactly what the SDK would, or share one across call sites.
 *
 * @see https://github.com/smithy-lang/smithy-typescript/blob/main/packages/util-retry/src/constants.ts
 */
import { nonNegativeNumber, positiveNumber } from '../../core/validate.js';
import { policyOptions } from '../core/options.js';
import type { RetryBudget, RetryBudgetSnapshot, RetryCause } from './budget.js';

/** Options of {@link tokenBucketBudget}. Costs and tokens are plain counts. */
export interface TokenBucketBudgetOptions {
  /** Tokens at start, and the most the bucket holds; default 500 (`INITIAL_RETRY_TOKENS`). */
  readonly initialTokens?: number;
  /** Cost of a retry after an error; default 5 (`RETRY_COST`). */
  readonly retryCost?: number;
  /** Cost of a retry after a timeout; default 10 (`TIMEOUT_RETRY_COST`). */
  readonly timeoutCost?: number;
  /** Cost of a retry after a throttling error; default `retryCost` (the classic SDK makes no difference). */
  readonly throttleCost?: number;
  /** Tokens added when a call succeeds on its first attempt; default 1 (`NO_RETRY_INCREMENT`). */
  readonly successIncrement?: number;
}

/**
 * The costs of the AWS SDK's "retries 2026" behaviour (`@smithy/core` ≥ 3.2x, shipped with recent
 * `@aws-sdk/*` v3 clients): any transient error or timeout costs 14, a throttling error 5. Spread
 * it into {@link tokenBucketBudget} to match those clients instead of the classic constants.
 *
 * @example
 * const budget = tokenBucketBudget({ ...sdkRetries2026Costs });
 */
export const sdkRetries2026Costs: TokenBucketBudgetOptions = Object.freeze({
  retryCost: 14,
  timeoutCost: 14,
  throttleCost: 5,
});

/** Plain numbers for metrics: see {@link TokenBucketBudget.snapshot}. */
export interface TokenBucketBudgetSnapshot extends RetryBudgetSnapshot {
  readonly kind: 'token-bucket';
  /** Tokens left now. */
  readonly tokens: number;
  readonly maxTokens: number;
  readonly retryCost: number;
  readonly timeoutCost: number;
  readonly throttleCost: number;
}

/**
 * A {@link RetryBudget} with the AWS SDK's token-bucket semantics; see {@link tokenBucketBudget}.
 *
 * @example
 * const budget = new TokenBucketBudget({ initialTokens: 500 });
 * budget.tryAcquire(Date.now(), 'timeout'); // true, 490 tokens left
 */
export class TokenBucketBudget implements RetryBudget {
  readonly kind = 'token-bucket';
  readonly maxTokens: number;
  readonly retryCost: number;
  readonly timeoutCost: number;
  readonly throttleCost: number;
  readonly successIncrement: number;
  #tokens: number;
  #granted = 0;
  #denied = 0;

  constructor(given?: TokenBucketBudgetOptions) {
    const options = policyOptions(given, [
      'initialTokens',
      'retryCost',
      'timeoutCost',
      'throttleCost',
      'successIncrement',
    ]);
    this.maxTokens = positiveNumber('initialTokens', options.initialTokens ?? 500); // INITIAL_RETRY_TOKENS
    this.retryCost = positiveNumber('retryCost', options.retryCost ?? 5); // RETRY_COST
    this.timeoutCost = positiveNumber('timeoutCost', options.timeoutCost ?? 10); // TIMEOUT_RETRY_COST
    this.throttleCost = positiveNumber('throttleCost', options.throttleCost ?? this.retryCost);
    this.successIncrement = nonNegativeNumber('successIncrement', options.successIncrement ?? 1); // NO_RETRY_INCREMENT
    this.#tokens = this.maxTokens;
  }

  /** The tokens left now. */
  get tokens(): number {
    return this.#tokens;
  }

  /** The cost of a retry for `cause`. */
  costOf(cause: RetryCause | undefined): number {
    return cause === 'timeout' ? this.timeoutCost : cause === 'throttle' ? this.throttleCost : this.retryCost;
  }

  recordRequest(): void {
    // The SDK's quota counts nothing per request: first attempts only refill on success.
  }

  tryAcquire(_now: number, cause?: RetryCause): boolean {
    const cost = this.costOf(cause);
    if (this.#tokens < cost) {
      this.#denied++;
      return false;
    }
    this.#tokens -= cost;
    this.#granted++;
    return true;
  }

  recordSuccess(_now: number, wasRetry: boolean, cause?: RetryCause): void {
    const refund = wasRetry ? this.costOf(cause) : this.successIncrement;
    this.#tokens = Math.min(this.maxTokens, this.#tokens + refund);
  }

  snapshot(): TokenBucketBudgetSnapshot {
    return {
      kind: this.kind,
      tokens: this.#tokens,
      maxTokens: this.maxTokens,
      retryCost: this.retryCost,
      timeoutCost: this.timeoutCost,
      throttleCost: this.throttleCost,
      granted: this.#granted,
      denied: this.#denied,
    };
  }
}

/**
 * A token-bucket retry budget with AWS SDK v3 standard-mode semantics: 500 tokens at start and at
 * most, a retry costs 5 (after a timeout 10), a successful retry refunds its cost and a successful
 * first attempt refunds 1. With the defaults, a dead dependency gets at most 100 retries before
 * the bucket is dry, across every call site sharing the budget.
 *
 * @example
 * const budget = tokenBucketBudget(); // share it between every retry() for one dependency
 * const policy = retry({ maxAttempts: 3, budget });
 * @see https://github.com/smithy-lang/smithy-typescript/blob/main/packages/util-retry/src/StandardRetryStrategy.ts
 */
export function tokenBucketBudget(options?: TokenBucketBudgetOptions): TokenBucketBudget {
  return new TokenBucketBudget(options);
}
