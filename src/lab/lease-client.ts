/**
 * How a host of the lease link asks the manager for its lease over HTTP: one `POST /lease/<host>`
 * per attempt on a plain `node:http` agent, and the retries between attempts decided by an AWS SDK v3
 * retry strategy (the `RetryStrategyV2` interface: `acquireInitialRetryToken`,
 * `refreshRetryTokenForRetry`, `recordSuccess`), driven the way the SDK's retry middleware drives it:
 * a failed attempt is classified (429 throttling; 500, 502, 503, 504 and socket errors transient;
 * the rest client errors), the strategy grants a retry or refuses, and the token's delay is slept.
 *
 * The baseline hands it the SDK's own standard strategy (one per host, as each host has its own
 * client); failsmall hands it failsmall's strategy (a retry budget; `x-failsmall-no-retry` honoured).
 * The full SDK client is not used for the hosts on purpose: its per-request cost (middleware stack,
 * SigV4) is about ten times a plain request's, and thousands of hosts would measure the machine's CPU
 * instead of the manager.
 */
import http from 'node:http';
import { systemClock } from '../core/index.js';
import type { Clock } from '../core/index.js';
import type { AwsRetryErrorInfo, AwsRetryToken } from '../client/index.js';
import type { AskOutcome } from './lease-hosts.js';

/** A retry strategy as the AWS SDK v3 calls it (`RetryStrategyV2` of `@smithy/types`). */
export interface RetryStrategyLike {
  acquireInitialRetryToken(scope: string): Promise<AwsRetryToken>;
  refreshRetryTokenForRetry(token: AwsRetryToken, errorInfo: AwsRetryErrorInfo): Promise<AwsRetryToken>;
  recordSuccess(token: AwsRetryToken): void;
}

/** Options of {@link leaseAsk}. */
export interface LeaseAskOptions {
  /** The manager's address and port. */
  readonly address: string;
  readonly port: number;
  readonly agent: http.Agent;
  /** The retry strategy of `host` (called once per host: keep one per host to give each its own quota). */
  readonly strategy: (host: string) => RetryStrategyLike;
  /** Extra request headers of one attempt (a deadline, a criticality). */
  readonly headers?: () => Record<string, string>;
  /** Abort an attempt after this many ms; default none (the SDK's default: no request timeout). */
  readonly attemptTimeoutMs?: number;
  readonly clock?: Clock;
  /** Called once per attempt sent. */
  readonly onAttempt?: () => void;
}

/** A failed attempt, shaped like an AWS SDK service error so that the strategies' classifiers read it. */
interface AttemptError extends Error {
  readonly $metadata: { readonly httpStatusCode?: number };
  readonly $response?: { readonly statusCode: number; readonly headers: http.IncomingHttpHeaders };
  readonly retryAfterMs?: number;
}

function attemptError(
  name: string,
  status: number | undefined,
  headers?: http.IncomingHttpHeaders,
  retryAfterMs?: number,
): AttemptError {
  return Object.assign(new Error(status === undefined ? name : `${name} (HTTP ${status})`), {
    name,
    $metadata: status === undefined ? {} : { httpStatusCode: status },
    ...(status === undefined || headers === undefined ? {} : { $response: { statusCode: status, headers } }),
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/** The SDK's classification of a failed attempt (its `getRetryErrorInfo`, for the answers the manager gives). */
export function errorInfoOf(error: AttemptError): AwsRetryErrorInfo {
  const status = error.$metadata.httpStatusCode;
  const errorType =
    status === 429 || error.name.endsWith('ThrottlingException')
      ? 'THROTTLING'
      : status === undefined || status === 500 || status === 502 || status === 503 || status === 504
        ? 'TRANSIENT'
        : 'CLIENT_ERROR';
  const header = error.$response?.headers['retry-after'];
  const seconds = typeof header === 'string' ? Number(header) : NaN;
  return Number.isFinite(seconds)
    ? { error, errorType, retryAfterHint: new Date(Date.now() + seconds * 1000) }
    : { error, errorType };
}

function attempt(options: LeaseAskOptions, host: string, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: options.address,
        port: options.port,
        method: 'POST',
        path: `/lease/${encodeURIComponent(host)}`,
        agent: options.agent,
        signal,
        headers: { 'content-length': 0, ...options.headers?.() },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', () => reject(attemptError('ECONNRESET', undefined)));
        res.on('end', () => {
          if (timer !== undefined) clearTimeout(timer);
          const status = res.statusCode ?? 0;
          if (status === 200) return resolve();
          let body: Record<string, unknown> = {};
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
          } catch {
            // not JSON: the status says enough
          }
          const name = typeof body['__type'] === 'string' ? body['__type'] : String(body['code'] ?? `HTTP${status}`);
          const hint = typeof body['retryAfterMs'] === 'number' ? body['retryAfterMs'] : undefined;
          reject(attemptError(name, status, res.headers, hint));
        });
      },
    );
    // A plain timer, not AbortSignal.timeout/any: thousands of hosts would pay for those signals.
    const timeout = options.attemptTimeoutMs;
    const timer =
      timeout === undefined || !Number.isFinite(timeout)
        ? undefined
        : setTimeout(() => req.destroy(attemptError('TimeoutError', undefined)), Math.max(1, timeout));
    req.on('error', (error: NodeJS.ErrnoException) => {
      if (timer !== undefined) clearTimeout(timer);
      reject(error.name === 'TimeoutError' ? error : attemptError(error.code ?? 'Error', undefined));
    });
    req.end();
  });
}

/**
 * The ask of one host (see the file comment): resolves `{ held: true }` when an attempt succeeded,
 * else `{ held: false }` with the server's retry-after hint (ms) once the strategy refuses a retry.
 *
 * @example
 * const ask = leaseAsk({ address: '127.0.72.1', port, agent, strategy: () => sdkStrategy });
 * await ask('host-1', signal); // { held: true }
 */
export function leaseAsk(options: LeaseAskOptions): (host: string, signal: AbortSignal) => Promise<AskOutcome> {
  const clock = options.clock ?? systemClock;
  return async (host, signal) => {
    const strategy = options.strategy(host);
    let token = await strategy.acquireInitialRetryToken('lease-manager');
    for (;;) {
      options.onAttempt?.();
      try {
        await attempt(options, host, signal);
        strategy.recordSuccess(token);
        return { held: true };
      } catch (error) {
        const failed = error as AttemptError;
        if (signal.aborted) return { held: false };
        try {
          token = await strategy.refreshRetryTokenForRetry(token, errorInfoOf(failed));
        } catch {
          return failed.retryAfterMs === undefined
            ? { held: false }
            : { held: false, retryAfterMs: failed.retryAfterMs };
        }
        const delay = token.getRetryDelay();
        if (delay > 0) await clock.sleep(delay, signal).catch(() => undefined);
        if (signal.aborted) return { held: false };
      }
    }
  };
}
