/**
 * An AWS SDK v3 request handler built on the SDK's own `NodeHttpHandler` (from
 * `@smithy/node-http-handler`, an optional peer dependency), so that `new DynamoDBClient({ requestHandler })`
 * resolves the endpoint through a failsmall resolver (last-known-good: the client keeps working while
 * the record is empty) with every address of the set tried, and runs each HTTP attempt through failsmall
 * policies (a breaker, a timeout, …). Retries stay with the SDK's retry middleware: pair this handler
 * with {@link awsRetryStrategy} so that they draw from a retry budget.
 */
import { createRequire } from 'node:module';
import type https from 'node:https';
import type { NodeHttpHandler } from '@smithy/node-http-handler';
import { FailsmallError, isFailsmallError } from '../core/index.js';
import type { Policy } from '../policy/core/types.js';
import { Connector, type ConnectorOptions } from './connector.js';
import { FailsmallHttpAgent, FailsmallHttpsAgent } from './http-agent.js';

/*
 * The SDK's types, declared structurally here (as `@smithy/types` declares them), so that the shipped
 * `.d.ts` compile without `@smithy/*` installed; the SDK's own objects fit them.
 */

/** The request `NodeHttpHandler.handle` takes (`HttpRequest` of `@smithy/types`). */
export interface AwsHttpRequest {
  method: string;
  protocol: string;
  hostname: string;
  port?: number;
  path: string;
  query?: Record<string, string | string[] | null>;
  username?: string;
  password?: string;
  fragment?: string;
  headers: Record<string, string>;
  body?: unknown;
}
/** The options `NodeHttpHandler.handle` takes (`abortSignal`, `requestTimeout`). */
export interface AwsHandlerOptions {
  abortSignal?: AbortSignal | { readonly aborted: boolean; onabort: unknown };
  requestTimeout?: number;
}
/** What `NodeHttpHandler.handle` resolves with (`{ response: HttpResponse }`). */
export interface AwsHandlerOutput {
  response: { statusCode: number; reason?: string; headers: Record<string, string>; body?: unknown };
}
/** The `NodeHttpHandler` options failsmall passes through (`NodeHttpHandlerOptions` without the agents). */
export interface AwsHttpOptions {
  connectionTimeout?: number;
  requestTimeout?: number;
  throwOnRequestTimeout?: boolean;
  socketTimeout?: number;
  socketAcquisitionWarningTimeout?: number;
  logger?: {
    debug(...content: unknown[]): void;
    info(...content: unknown[]): void;
    warn(...content: unknown[]): void;
    error(...content: unknown[]): void;
  };
}
/** What failsmall calls on the SDK's `NodeHttpHandler` (its `inner` handler). */
export interface AwsHttpHandlerLike {
  handle(request: AwsHttpRequest, options?: AwsHandlerOptions): Promise<AwsHandlerOutput>;
  destroy(): void;
  updateHttpClientConfig(key: keyof AwsHttpOptions, value: AwsHttpOptions[keyof AwsHttpOptions]): void;
  httpHandlerConfigs(): AwsHttpOptions;
}

/** Options of {@link awsRequestHandler}. */
export interface AwsRequestHandlerOptions extends ConnectorOptions {
  /** A connector to share with other integrations of the same dependency; built from the other options when absent. */
  readonly connector?: Connector;
  /**
   * The policy each HTTP attempt runs in, e.g. `pipeline(breaker, timeout(2_000))`. Do not put a retry
   * in it: the SDK retries (see {@link awsRetryStrategy}), and a request body may be a one-shot stream.
   * Default: none, the attempt runs as is.
   */
  readonly policy?: Policy;
  /**
   * Which responses count as failures for the policy (a breaker opens on them); the response still
   * reaches the SDK untouched. Default: status ≥ 500 or 429.
   */
  readonly isFailure?: (statusCode: number, headers: Record<string, string>) => boolean;
  /** `NodeHttpHandler` options (`connectionTimeout`, `requestTimeout`, `socketTimeout`, …); the agents are failsmall's. */
  readonly http?: AwsHttpOptions;
  /** Options of the http(s) agents: `keepAlive` (default true), `maxSockets` (default 50, the SDK's), TLS `ca` … */
  readonly agent?: https.AgentOptions;
}

/** Thrown inside the policy for a response that counts as a failure, so a breaker sees it; unwrapped before the SDK does. */
class FailedResponse {
  constructor(readonly output: AwsHandlerOutput) {}
}

const requireFromHere = createRequire(import.meta.url);

function loadNodeHttpHandler(): typeof NodeHttpHandler {
  try {
    return (requireFromHere('@smithy/node-http-handler') as { NodeHttpHandler: typeof NodeHttpHandler })
      .NodeHttpHandler;
  } catch (error) {
    throw new FailsmallError(
      'FS_ERR_CLIENT_PEER_MISSING',
      'The AWS request handler needs @smithy/node-http-handler (installed with any AWS SDK v3 client); run `npm install @smithy/node-http-handler`',
      { cause: error, details: { package: '@smithy/node-http-handler' } },
    );
  }
}

/** Reads the attempt number from the SDK's `amz-sdk-request: attempt=2; max=3` header. */
function attemptOf(request: AwsHttpRequest): number | undefined {
  const header = request.headers['amz-sdk-request'];
  const match = header === undefined ? null : /attempt=(\d+)/.exec(header);
  return match ? Number(match[1]) : undefined;
}

const defaultIsFailure = (statusCode: number): boolean => statusCode >= 500 || statusCode === 429;

/**
 * An AWS SDK v3 `requestHandler`: `NodeHttpHandler` with failsmall's agents underneath and a policy
 * around each attempt. Exposes `connector` and `snapshot()`; counts logical requests (attempt 1 by
 * the SDK's `amz-sdk-request` header) and attempts, so `attempts / requests` is the amplification.
 */
export class FailsmallRequestHandler {
  /** Read by the SDK to pick the protocol. */
  readonly metadata = { handlerProtocol: 'http/1.1' };
  /** The connector every connection goes through. */
  readonly connector: Connector;
  /** The SDK's own handler doing the HTTP exchange. */
  readonly inner: AwsHttpHandlerLike;
  readonly #policy: Policy | undefined;
  readonly #isFailure: (statusCode: number, headers: Record<string, string>) => boolean;
  readonly #counters = { requests: 0, attempts: 0, responses: 0, failedResponses: 0, errors: 0 };
  readonly #errors: Record<string, number> = {};

  constructor(options: AwsRequestHandlerOptions = {}) {
    const Handler = loadNodeHttpHandler();
    this.connector = options.connector ?? new Connector(options);
    const agentOptions = { keepAlive: true, maxSockets: 50, ...options.agent };
    // The SDK's handler, seen through the structural types above (its own are the same shapes).
    this.inner = new Handler({
      ...(options.http as ConstructorParameters<typeof NodeHttpHandler>[0] & object),
      httpAgent: new FailsmallHttpAgent({ connector: this.connector, agent: agentOptions }),
      httpsAgent: new FailsmallHttpsAgent({ connector: this.connector, agent: agentOptions }),
    }) as unknown as AwsHttpHandlerLike;
    this.#policy = options.policy;
    this.#isFailure = options.isFailure ?? defaultIsFailure;
  }

  /** Sends one HTTP attempt (the SDK calls this once per attempt). */
  async handle(request: AwsHttpRequest, options: AwsHandlerOptions = {}): Promise<AwsHandlerOutput> {
    const attempt = attemptOf(request);
    if (attempt === undefined || attempt === 1) this.#counters.requests++;
    this.#counters.attempts++;
    try {
      const output =
        this.#policy === undefined
          ? await this.inner.handle(request, options)
          : await this.#runInPolicy(this.#policy, request, options);
      this.#counters.responses++;
      if (this.#policy === undefined && this.#isFailure(output.response.statusCode, output.response.headers)) {
        this.#counters.failedResponses++;
      }
      return output;
    } catch (error) {
      if (error instanceof FailedResponse) {
        this.#counters.responses++;
        this.#counters.failedResponses++;
        return error.output;
      }
      this.#counters.errors++;
      const code = (error as { code?: unknown }).code;
      const key = typeof code === 'string' ? code : ((error as { name?: string }).name ?? 'Error');
      this.#errors[key] = (this.#errors[key] ?? 0) + 1;
      if (isFailsmallError(error, 'FS_ERR_TIMEOUT') && !('$retryable' in error)) {
        // The SDK's classifier does not know failsmall's codes; its own trait marks a timeout retryable.
        Object.defineProperty(error, '$retryable', { value: {}, enumerable: false });
      }
      throw error;
    }
  }

  async #runInPolicy(policy: Policy, request: AwsHttpRequest, options: AwsHandlerOptions): Promise<AwsHandlerOutput> {
    const callerSignal = options.abortSignal instanceof AbortSignal ? options.abortSignal : undefined;
    return policy.execute(async (ctx) => {
      // Read ctx.signal lazily (a policy may build it on demand) and only when a policy can abort.
      const signal = ctx.signal;
      const abortSignal = callerSignal === undefined ? signal : AbortSignal.any([callerSignal, signal]);
      const output = await this.inner.handle(request, { ...options, abortSignal });
      if (this.#isFailure(output.response.statusCode, output.response.headers)) throw new FailedResponse(output);
      return output;
    }, callerSignal);
  }

  /** Closes the agents' sockets. */
  destroy(): void {
    this.inner.destroy();
  }

  /** Part of the SDK's handler contract: changes one `NodeHttpHandler` option. */
  updateHttpClientConfig(key: keyof AwsHttpOptions | 'httpAgent' | 'httpsAgent', value: unknown): void {
    if (key === 'httpAgent' || key === 'httpsAgent') return; // the agents are failsmall's
    this.inner.updateHttpClientConfig(key, value as AwsHttpOptions[keyof AwsHttpOptions]);
  }

  /** Part of the SDK's handler contract: the `NodeHttpHandler` options in force. */
  httpHandlerConfigs(): AwsHttpOptions {
    return this.inner.httpHandlerConfigs();
  }

  /** Plain JSON for metrics: requests, attempts, amplification, errors by code, and the connector's counters. */
  snapshot(): Record<string, unknown> {
    const { requests, attempts } = this.#counters;
    return {
      ...this.#counters,
      amplification: requests === 0 ? 0 : attempts / requests,
      errorsByCode: { ...this.#errors },
      connector: this.connector.snapshot(),
    };
  }
}

/**
 * Builds the AWS SDK v3 request handler: resolution through failsmall (pass a failsmall `Resolver`
 * for last-known-good), the whole address set tried, and each attempt run in `policy`.
 *
 * @example
 * const requestHandler = awsRequestHandler({ resolver, policy: pipeline(breaker, timeout(2_000)) });
 * const client = new DynamoDBClient({ region: 'us-east-1', requestHandler });
 */
export function awsRequestHandler(options: AwsRequestHandlerOptions = {}): FailsmallRequestHandler {
  return new FailsmallRequestHandler(options);
}
