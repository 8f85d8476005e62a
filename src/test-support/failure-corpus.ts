/**
 * The corpus of real error shapes for the failure classifier's agreement test
 * (policy/errors/describe-failure.test.ts): AWS SDK v3 service exceptions, undici's error classes,
 * axios-style objects, Node system errors and every failsmall rejection kind produced by the
 * policies themselves, each with the description it must get; and the check that every view
 * derived from a description agrees (retry verdict, retry(), neverSent, the throttle and limiter
 * signals, the AWS classifier and the AWS retry strategy). Here because it spans layers.
 */
import assert from 'node:assert/strict';
import {
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { errors as undiciErrors } from 'undici';
import { FailsmallError, VirtualClock } from '../core/index.js';
import { awsRetryStrategy, defaultAwsRetryClassifier } from '../client/aws-retry-strategy.js';
import type { ErrorCode } from '../core/errors.js';
import { dnsError } from '../dns/errors.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { rootContext } from '../policy/core/context.js';
import { hedge } from '../policy/hedge/hedge.js';
import { bulkhead } from '../policy/limit/bulkhead.js';
import { fixedLimit } from '../policy/limit/limit.js';
import { concurrencyLimiter } from '../policy/limit/limiter.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { retry } from '../policy/retry/retry.js';
import { adaptiveThrottle } from '../policy/throttle/adaptive.js';
import { cubicRateLimiter } from '../policy/throttle/cubic.js';
import { timeout } from '../policy/timeout/timeout.js';
import { classifyError, neverSent, verdictOf } from '../policy/errors/classify.js';
import { describeFailure } from '../policy/errors/describe-failure.js';
import type { FailureDescription, FailureKind } from '../policy/errors/failure.js';
import { isOverloadError, isThrottlingError, isTimeoutError } from '../policy/errors/overload.js';
import { drive } from './policy.js';

/** The epoch ms the corpus is described at (for HTTP-date Retry-After). */
export const corpusNow = Date.parse('2025-10-20T06:48:00Z');
const now = corpusNow;

/** The description a corpus entry must get (omitted: false / undefined). */
export interface Expected {
  readonly kind: FailureKind;
  readonly neverSent?: boolean;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly doNotRetry?: boolean;
}

/** One corpus entry. */
export type Case = readonly [label: string, error: unknown, expected: Expected];

/** A Node system error. */
export const sys = (code: string, syscall?: string): Error =>
  Object.assign(new Error(`${syscall ?? 'read'} ${code}`), { code, errno: -1, ...(syscall ? { syscall } : {}) });
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'r', attempts: 1, totalRetryDelay: 0 });
const axios = (status: number, headers: Record<string, string> = {}, data?: unknown): Error =>
  Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    code: status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST',
    response: { status, statusText: '', headers, data },
  });

/** The rejection of `promise`. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Rejections produced by failsmall's own policies, for real. */
export async function failsmallRejections(): Promise<Case[]> {
  const clock = new VirtualClock();
  const never = (): Promise<never> => new Promise<never>(() => undefined);

  const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 1 }, halfOpenAfter: 1_000 });
  await rejection(breaker.execute(() => Promise.reject(new Error('down'))));
  const open = await rejection(breaker.execute(() => 'x'));
  const isolated = circuitBreaker({ clock });
  isolated.isolate();
  const isolatedError = await rejection(isolated.execute(() => 'x'));

  const full = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
  void full.execute(never);
  const fullError = await rejection(full.execute(() => 'x'));

  const limiter = concurrencyLimiter({ limit: fixedLimit(1), clock });
  void limiter.execute(never);
  const limitError = await rejection(limiter.execute(() => 'x'));

  const throttled = (): never => {
    throw Object.assign(new Error('slow down'), { name: 'ThrottlingException', $metadata: meta(400) });
  };
  const adaptive = adaptiveThrottle({ clock, random: { next: () => 0 } });
  await rejection(adaptive.execute(throttled));
  const locallyThrottled = await rejection(adaptive.execute(() => 'x'));

  const cubic = cubicRateLimiter({ clock });
  await rejection(cubic.execute(throttled));
  const rateLimited = await rejection(cubic.run(() => 'x', { ...rootContext(undefined), deadline: clock.now() + 1 }));

  const timed = timeout(10, { clock });
  const timedOut = drive(
    clock,
    timed.execute(
      (ctx) =>
        new Promise<never>((_resolve, reject) =>
          ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason as Error)),
        ),
    ),
  );
  const timeoutError = ((await timedOut) as { error: unknown }).error;

  let lost: unknown;
  const hedged = hedge({ delay: 10, clock });
  await drive(
    clock,
    hedged.execute((ctx) =>
      ctx.attempt === 1
        ? new Promise((_resolve, reject) =>
            ctx.signal.addEventListener('abort', () => {
              lost = ctx.signal.reason;
              reject(ctx.signal.reason as Error);
            }),
          )
        : Promise.resolve('second'),
    ),
  );

  const dnsTimeout = dnsError('FS_ERR_DNS_TIMEOUT', 'no answer within 2000 ms');
  const dnsServfail = dnsError('FS_ERR_DNS_SERVFAIL', 'SERVFAIL');
  const local = { neverSent: true } as const;
  return [
    ['breaker open', open, { kind: 'overload', ...local, retryAfter: 1_000, doNotRetry: true }],
    ['breaker isolated', isolatedError, { kind: 'overload', ...local, doNotRetry: true }],
    ['bulkhead full', fullError, { kind: 'overload', ...local, doNotRetry: true }],
    ['concurrency limit', limitError, { kind: 'overload', ...local, doNotRetry: true }],
    ['adaptive throttle', locallyThrottled, { kind: 'throttle', ...local }],
    ['cubic rate limit', rateLimited, { kind: 'throttle', ...local, retryAfter: 2_000 }],
    ['timeout policy', timeoutError, { kind: 'timeout' }],
    ['hedge lost', lost, { kind: 'aborted' }],
    ['dns timeout', dnsTimeout, { kind: 'timeout', ...local }],
    ['dns servfail', dnsServfail, { kind: 'transient', ...local }],
    [
      'fetch failed around a dns error',
      new TypeError('fetch failed', { cause: dnsServfail }),
      {
        kind: 'transient',
        ...local,
      },
    ],
    ['invalid argument', new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'bad'), { kind: 'fatal' }],
    [
      'a code without details is never parsed',
      new FailsmallError(('FS_ERR_BREAKER_' + 'HYDRATION_TIMEOUT') as ErrorCode, 'x'), // not a registered code, on purpose
      {
        kind: 'fatal',
      },
    ],
    [
      'connect failed: its cause decides',
      new FailsmallError('FS_ERR_CLIENT_CONNECT_FAILED', 'x', {
        cause: sys('ECONNREFUSED', 'connect'),
      }),
      { kind: 'transient', neverSent: true },
    ],
  ];
}

/** AWS SDK v3 service errors. */
export const awsCases: Case[] = [
  [
    'DynamoDB ProvisionedThroughputExceededException',
    new ProvisionedThroughputExceededException({ message: 'slow', $metadata: meta(400) }),
    { kind: 'throttle', status: 400 },
  ],
  [
    'DynamoDB ThrottlingException with Retry-After',
    Object.assign(new ThrottlingException({ message: 'slow', $metadata: meta(400) }), {
      $response: { statusCode: 400, headers: { 'retry-after': '3' } },
    }),
    { kind: 'throttle', status: 400, retryAfter: 3_000 },
  ],
  [
    'DynamoDB InternalServerError',
    new InternalServerError({ message: 'oops', $metadata: meta(500) }),
    { kind: 'transient', status: 500 },
  ],
  [
    'DynamoDB ResourceNotFoundException',
    new ResourceNotFoundException({ message: 'no table', $metadata: meta(400) }),
    { kind: 'fatal', status: 400 },
  ],
  [
    'AWS $retryable.throttling',
    Object.assign(new Error('x'), { name: 'Whatever', $retryable: { throttling: true }, $metadata: meta(400) }),
    { kind: 'throttle', status: 400 },
  ],
  [
    'AWS 503 with x-amzn-errortype ThrottlingException',
    Object.assign(new Error('x'), {
      name: 'UnknownError',
      $metadata: meta(503),
      $response: { statusCode: 503, headers: { 'x-amzn-errortype': 'ThrottlingException:http://internal' } },
    }),
    { kind: 'throttle', status: 503 },
  ],
  ['AWS 503 ServiceUnavailable', Object.assign(new Error('x'), { name: 'ServiceUnavailable' }), { kind: 'overload' }],
  [
    'AWS code ThrottlingException',
    Object.assign(new Error('x'), { code: 'ThrottlingException' }),
    { kind: 'throttle' },
  ],
  [
    'AWS client fault without a status',
    Object.assign(new Error('x'), { name: 'ValidationException', $fault: 'client' }),
    { kind: 'fatal' },
  ],
];

/** undici errors and `fetch failed`. */
export const undiciCases: Case[] = [
  ['undici ConnectTimeoutError', new undiciErrors.ConnectTimeoutError(), { kind: 'timeout', neverSent: true }],
  ['undici HeadersTimeoutError', new undiciErrors.HeadersTimeoutError(), { kind: 'timeout' }],
  ['undici BodyTimeoutError', new undiciErrors.BodyTimeoutError(), { kind: 'timeout' }],
  ['undici SocketError', new undiciErrors.SocketError('other side closed'), { kind: 'transient' }],
  ['undici RequestAbortedError', new undiciErrors.RequestAbortedError(), { kind: 'aborted' }],
  [
    'fetch failed around ECONNRESET',
    new TypeError('fetch failed', { cause: sys('ECONNRESET', 'read') }),
    { kind: 'transient' },
  ],
  [
    'fetch failed around a connect timeout',
    new TypeError('fetch failed', { cause: new undiciErrors.ConnectTimeoutError() }),
    { kind: 'timeout', neverSent: true },
  ],
];

/** axios-style errors. */
export const axiosCases: Case[] = [
  ['axios 429 Retry-After', axios(429, { 'retry-after': '2' }), { kind: 'throttle', status: 429, retryAfter: 2_000 }],
  ['axios 503', axios(503), { kind: 'overload', status: 503 }],
  ['axios 503 SlowDown body', axios(503, {}, { code: 'SlowDown' }), { kind: 'throttle', status: 503 }],
  ['axios 504', axios(504), { kind: 'timeout', status: 504 }],
  ['axios 500', axios(500), { kind: 'transient', status: 500 }],
  ['axios 502', axios(502), { kind: 'transient', status: 502 }],
  ['axios 408', axios(408), { kind: 'timeout', status: 408 }],
  ['axios 404', axios(404), { kind: 'fatal', status: 404 }],
  ['axios 501', axios(501), { kind: 'fatal', status: 501 }],
  [
    'axios ECONNABORTED (its timeout)',
    Object.assign(new Error('timeout'), { code: 'ECONNABORTED' }),
    {
      kind: 'transient',
    },
  ],
];

/** Node system errors and the platform's. */
export const nodeCases: Case[] = [
  ['ECONNRESET', sys('ECONNRESET', 'read'), { kind: 'transient' }],
  ['EPIPE', sys('EPIPE', 'write'), { kind: 'transient' }],
  ['ETIMEDOUT on a read', sys('ETIMEDOUT', 'read'), { kind: 'timeout' }],
  ['ETIMEDOUT on connect', sys('ETIMEDOUT', 'connect'), { kind: 'timeout', neverSent: true }],
  ['ENOTFOUND', sys('ENOTFOUND', 'getaddrinfo'), { kind: 'transient', neverSent: true }],
  ['EAI_AGAIN', sys('EAI_AGAIN', 'getaddrinfo'), { kind: 'transient', neverSent: true }],
  ['EHOSTUNREACH', sys('EHOSTUNREACH', 'connect'), { kind: 'transient', neverSent: true }],
  ['an unknown code on connect', sys('EWHATEVER', 'connect'), { kind: 'transient', neverSent: true }],
  ['AbortSignal.timeout()', new DOMException('t', 'TimeoutError'), { kind: 'timeout' }],
  ['AbortError', new DOMException('a', 'AbortError'), { kind: 'aborted' }],
  ['a plain TypeError', new TypeError('x is not a function'), { kind: 'fatal' }],
  ['an unknown error', new Error('who knows'), { kind: 'transient' }],
  ['a string', 'boom', { kind: 'transient' }],
  ['undefined', undefined, { kind: 'transient' }],
];

/** Every view of `error`, derived independently, must agree with its description. */
export async function assertViewsAgree(label: string, error: unknown, d: FailureDescription): Promise<void> {
  const verdict = verdictOf(d);
  const retried = d.kind !== 'fatal' && d.kind !== 'aborted' && d.doNotRetry !== true;
  assert.equal(verdict.retry, retried, `${label}: verdict`);
  if (retried) {
    const cause = d.kind === 'throttle' ? 'throttle' : d.kind === 'timeout' ? 'timeout' : 'error';
    assert.equal(verdict.cause, cause, `${label}: cause`);
  }
  assert.deepEqual(classifyError(error, now), verdictOf(describeFailure(error, now)), `${label}: classifyError`);
  assert.equal(neverSent(error), d.neverSent, `${label}: neverSent`);
  assert.equal(isThrottlingError(error), d.kind === 'throttle' && !d.neverSent, `${label}: isThrottlingError`);
  assert.equal(
    isOverloadError(error),
    (d.kind === 'throttle' || d.kind === 'overload') && !d.neverSent,
    `${label}: isOverloadError`,
  );
  assert.equal(isTimeoutError(error), d.kind === 'timeout', `${label}: isTimeoutError`);
  // The SDK's errorType decides only when it hands no error at all.
  const errorTypes =
    error === undefined
      ? (['TRANSIENT'] as const)
      : (['TRANSIENT', 'THROTTLING', 'CLIENT_ERROR', 'SERVER_ERROR'] as const);
  for (const errorType of errorTypes) {
    assert.equal(
      defaultAwsRetryClassifier({ errorType, error }),
      retried ? verdict.cause : undefined,
      `${label}: AWS classifier (${errorType})`,
    );
  }

  // The shells: retry() retries exactly when the verdict says so, and so does the AWS strategy.
  const clock = new VirtualClock(now);
  let calls = 0;
  const policy = retry({ clock, maxAttempts: 2, backoff: constantBackoff(0), maxRetryAfter: 0 });
  const r = await drive(
    clock,
    policy.execute(() => (++calls === 1 ? Promise.reject(error) : Promise.resolve('ok'))),
  );
  assert.equal(r.ok, retried, `${label}: retry()`);
  const strategy = awsRetryStrategy({ clock, backoff: constantBackoff(0), respectRetryAfter: false });
  const token = await strategy.acquireInitialRetryToken('');
  const granted = await drive(clock, strategy.refreshRetryTokenForRetry(token, { errorType: 'TRANSIENT', error }));
  assert.equal(granted.ok, retried, `${label}: AWS retry strategy`);
}

/** Asserts `d` is what `expected` says. */
export function assertDescription(label: string, d: FailureDescription, expected: Expected): void {
  assert.deepEqual(
    {
      kind: d.kind,
      neverSent: d.neverSent,
      status: d.status,
      retryAfter: d.retryAfter === undefined ? undefined : Math.round(d.retryAfter),
      doNotRetry: d.doNotRetry ?? false,
    },
    {
      kind: expected.kind,
      neverSent: expected.neverSent ?? false,
      status: expected.status,
      retryAfter: expected.retryAfter,
      doNotRetry: expected.doNotRetry ?? false,
    },
    label,
  );
}
