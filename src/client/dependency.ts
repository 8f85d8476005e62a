/**
 * Everything one dependency needs, built once and shared: a connector (resolution through failsmall,
 * the whole address set tried, dead addresses remembered), a breaker and an attempt timeout, a retry
 * budget, and from them the fetch dispatcher, the http(s) agents, the AWS SDK config and `execute`.
 * Sharing matters: a breaker opened by `fetch` calls also protects AWS calls to the same dependency,
 * and a retry budget caps the retries of every call site together. Thin on purpose: each piece is
 * usable alone.
 */
import type https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import type { Agent } from 'undici';
import { findFailsmallError, systemClock, validate, type Clock, type Random } from '../core/index.js';
import type { RetryBudget } from '../policy/budget/budget.js';
import { pipeline } from '../policy/core/pipeline.js';
import { ratioBudget } from '../policy/budget/ratio.js';
import { describeFailure } from '../policy/errors/describe-failure.js';
import { verdictOf, type RetryVerdict } from '../policy/errors/classify.js';
import { observe, type ObservePolicy } from '../policy/observe.js';
import { retry } from '../policy/retry/retry.js';
import type { Policy, PolicyFn } from '../policy/core/types.js';
import { attemptPolicy, isFailureResponse } from './attempt-policy.js';
import { defaultAwsRetryClassifier, type AwsRetryErrorInfo } from './aws-retry-strategy.js';
import { awsClientConfig, type AwsClientConfig } from './aws-client-config.js';
import type { AwsRequestHandlerOptions } from './aws-request-handler.js';
import { Connector, type ConnectorOptions } from './connector.js';
import { FailsmallHttpAgent, FailsmallHttpsAgent } from './http-agent.js';
import { FailsmallUndiciAgent } from './undici-agent.js';

/** Options of {@link dependency}. */
export interface DependencyOptions extends Omit<ConnectorOptions, 'dependency' | 'clock'> {
  /** The clock of the policies (breaker, timeout, retry, budget windows); default `systemClock`. */
  readonly clock?: Clock;
  /** The clock of the connector (attempt delay, connect timeout, address penalties); default `systemClock`, also in a scaled replay (sockets connect in real time). */
  readonly connectClock?: Clock;
  /**
   * The retry budget shared by `execute` and the AWS retry strategy; default
   * `ratioBudget({ ratio: 0.1, minRetriesPerSecond: 1 })`: retries add at most 10 % to the traffic.
   */
  readonly budget?: RetryBudget;
  /**
   * The breaker shared by every integration; default `circuitBreaker()` (5 failures in a row, open
   * 30 s) counting HTTP 500/502/503/504 responses as failures (see `isFailureResult`); `false` for none.
   */
  readonly breaker?: Policy | false;
  /**
   * Which results the default breaker counts as failures; default `isFailureResponse` (an HTTP
   * 500, 502, 503 or 504 response seen through `execute`, e.g. a fetch `Response`). Ignored when
   * `breaker` is given.
   */
  readonly isFailureResult?: (value: unknown) => boolean;
  /**
   * Retry a call that an open breaker rejected, after the breaker's `retryAfter` (at most 20 s, and
   * never past the caller's deadline), through `execute` and the AWS client alike. Default false:
   * an open breaker fails fast on every path (the dependency was judged down; a wait of up to the
   * breaker's 30 s would hold the caller).
   */
  readonly waitForBreaker?: boolean;
  /** The timeout of one attempt, in milliseconds; default 5 s (see `awsClientConfig`). Infinity for none. */
  readonly attemptTimeout?: number;
  /** Attempts per logical call, first included, for `execute` and the AWS strategy; default 3 (the AWS SDK's). */
  readonly maxAttempts?: number;
  /** The source of jitter; default `Math.random`. */
  readonly random?: Random;
  /** TLS options for the fetch dispatcher (`ca`, `rejectUnauthorized`, …). */
  readonly tls?: ConnectionOptions;
  /** Options of the http(s) agents (and the AWS handler's): `keepAlive`, `maxSockets`, `ca`, … */
  readonly agent?: https.AgentOptions;
  /** undici `Agent` options of the fetch dispatcher. */
  readonly undici?: Omit<Agent.Options, 'connect'>;
  /** `NodeHttpHandler` options of the AWS handler (`requestTimeout`, …). */
  readonly http?: AwsRequestHandlerOptions['http'];
}

/** A dependency's integrations; see {@link dependency}. Integrations are built on first use. */
export class Dependency {
  /** The dependency's name, e.g. `dynamodb`. */
  readonly name: string;
  /** The connector every integration connects through. */
  readonly connector: Connector;
  /** The retry budget shared by every call site. */
  readonly budget: RetryBudget;
  /**
   * Measures every attempt of every integration (outcome and latency), published as `call` on
   * `failsmall:policy:observe` and `observer.onCall`: what the status service's dependency map and
   * metrics read. Outermost in {@link attemptPolicy}.
   */
  readonly observer: ObservePolicy;
  /** The per-attempt policy (observer, breaker, then timeout), shared by every integration. */
  readonly attemptPolicy: Policy;
  /** The policy of {@link execute}: retry (drawing from the budget) around the per-attempt policy. */
  readonly policy: Policy;
  readonly #options: DependencyOptions;
  readonly #clock: Clock;
  readonly #waitForBreaker: boolean;
  #dispatcher: FailsmallUndiciAgent | undefined;
  #httpAgent: FailsmallHttpAgent | undefined;
  #httpsAgent: FailsmallHttpsAgent | undefined;
  #aws: AwsClientConfig | undefined;

  constructor(name: string, options: DependencyOptions = {}) {
    if (typeof name !== 'string' || name === '') validate.invalid('name', 'a non-empty string', name);
    this.name = name;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.connector = new Connector({ ...options, clock: options.connectClock ?? systemClock, dependency: name });
    this.budget = options.budget ?? ratioBudget({ ratio: 0.1, minRetriesPerSecond: 1 });
    const perAttempt = attemptPolicy({
      clock: this.#clock,
      dependency: name,
      ...(options.breaker === undefined ? {} : { breaker: options.breaker }),
      ...(options.attemptTimeout === undefined ? {} : { attemptTimeout: options.attemptTimeout }),
      ...(options.isFailureResult === undefined ? {} : { isFailureResult: options.isFailureResult }),
    });
    this.observer = observe({
      clock: this.#clock,
      dependency: name,
      isFailureResult: options.isFailureResult ?? isFailureResponse,
    });
    this.attemptPolicy = (
      perAttempt === undefined ? pipeline(this.observer) : pipeline(this.observer, perAttempt)
    ).named(name);
    const waitForBreaker = options.waitForBreaker ?? false;
    if (typeof waitForBreaker !== 'boolean') validate.invalid('waitForBreaker', 'a boolean', waitForBreaker);
    this.#waitForBreaker = waitForBreaker;
    const retryPolicy = retry({
      ...(waitForBreaker ? { classify: classifyWaitingForBreaker } : {}),
      budget: this.budget,
      clock: this.#clock,
      dependency: name,
      maxAttempts: options.maxAttempts ?? 3,
      ...(options.random === undefined ? {} : { random: options.random }),
    });
    this.policy = pipeline(retryPolicy, this.attemptPolicy).named(name);
  }

  /** The undici dispatcher for `fetch(url, { dispatcher })` or `setGlobalDispatcher`. */
  get dispatcher(): FailsmallUndiciAgent {
    this.#dispatcher ??= new FailsmallUndiciAgent({
      connector: this.connector,
      ...(this.#options.tls === undefined ? {} : { tls: this.#options.tls }),
      ...(this.#options.undici === undefined ? {} : { agent: this.#options.undici }),
    });
    return this.#dispatcher;
  }

  /** An `http.Agent` for `http.get`, got, axios. */
  get httpAgent(): FailsmallHttpAgent {
    this.#httpAgent ??= new FailsmallHttpAgent({ connector: this.connector, ...this.#agentOptions() });
    return this.#httpAgent;
  }

  /** An `https.Agent` for `https.get`, got, axios. */
  get httpsAgent(): FailsmallHttpsAgent {
    this.#httpsAgent ??= new FailsmallHttpsAgent({ connector: this.connector, ...this.#agentOptions() });
    return this.#httpsAgent;
  }

  /** `{ requestHandler, retryStrategy }` for an AWS SDK v3 client, sharing this dependency's connector, policy and budget. */
  get aws(): AwsClientConfig {
    this.#aws ??= awsClientConfig({
      connector: this.connector,
      budget: this.budget,
      dependency: this.name,
      clock: this.#clock,
      maxAttempts: this.#options.maxAttempts ?? 3,
      ...(this.#waitForBreaker ? { classify: awsClassifyWaitingForBreaker } : {}),
      policy: this.attemptPolicy,
      ...(this.#options.random === undefined ? {} : { random: this.#options.random }),
      ...this.#agentOptions(),
      ...(this.#options.http === undefined ? {} : { http: this.#options.http }),
    });
    return this.#aws;
  }

  /**
   * Runs `fn` under the dependency's policy: retries drawn from the budget, each attempt under the
   * breaker and the timeout. Pass `ctx.signal` on to the call so a timeout can abort it.
   *
   * @example
   * const res = await db.execute(({ signal }) => fetch(url, { dispatcher: db.dispatcher, signal }));
   */
  execute<T>(fn: PolicyFn<T>, signal?: AbortSignal): Promise<T> {
    return this.policy.execute(fn, signal);
  }

  /** Plain JSON for metrics: connector, policies, budget, and each integration built so far. */
  snapshot(): Record<string, unknown> {
    const policy = this.policy as Policy & { snapshot?: () => unknown };
    return {
      dependency: this.name,
      connector: this.connector.snapshot(),
      budget: this.budget.snapshot(),
      policy: typeof policy.snapshot === 'function' ? policy.snapshot() : { kind: policy.kind },
      ...(this.#aws === undefined
        ? {}
        : { aws: { handler: this.#aws.requestHandler.snapshot(), retry: this.#aws.retryStrategy.snapshot() } }),
    };
  }

  /** Closes the dispatcher, the agents and the AWS handler (their sockets). */
  async close(): Promise<void> {
    this.#httpAgent?.destroy();
    this.#httpsAgent?.destroy();
    this.#aws?.requestHandler.destroy();
    await this.#dispatcher?.close();
  }

  #agentOptions(): { agent?: https.AgentOptions } {
    return this.#options.agent === undefined ? {} : { agent: this.#options.agent };
  }
}

/** The rejection of an open breaker, retried after its `retryAfter` (`waitForBreaker: true`). */
function breakerVerdict(error: unknown): RetryVerdict | undefined {
  const open = findFailsmallError(error, 'FS_ERR_BREAKER_OPEN');
  if (open === undefined) return undefined;
  const retryAfter = describeFailure(open).retryAfter;
  return retryAfter === undefined ? { retry: true, cause: 'error' } : { retry: true, cause: 'error', retryAfter };
}

function classifyWaitingForBreaker(error: unknown, now: number): RetryVerdict {
  return breakerVerdict(error) ?? verdictOf(describeFailure(error, now));
}

function awsClassifyWaitingForBreaker(info: AwsRetryErrorInfo): 'error' | 'timeout' | 'throttle' | undefined {
  return breakerVerdict(info.error) === undefined ? defaultAwsRetryClassifier(info) : 'error';
}

/**
 * Composes resolution and policies for one dependency and exposes its integrations.
 *
 * @example
 * const db = dependency('dynamodb', { resolver, budget: ratioBudget({ ratio: 0.1 }) });
 * const client = new DynamoDBClient({ region: 'us-east-1', ...db.aws });
 * const res = await fetch('http://dynamodb.lab.test:8000/', { dispatcher: db.dispatcher });
 * console.log(db.snapshot());
 */
export function dependency(name: string, options: DependencyOptions = {}): Dependency {
  return new Dependency(name, options);
}
