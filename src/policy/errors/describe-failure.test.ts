/**
 * The agreement table: one corpus of real error shapes (AWS SDK v3 service exceptions, a real SDK
 * error from a loopback server, undici's error classes, a real `fetch failed` from a refused
 * loopback port, axios-style objects, Node system errors, every failsmall rejection kind), the
 * description each one must get, and a check that EVERY view derived from it agrees: the retry
 * verdict, `retry()` itself, `neverSent`, the throttle and limiter signals, the AWS classifier and
 * the AWS retry strategy.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  DynamoDBClient,
  GetItemCommand,
  InternalServerError,
  ProvisionedThroughputExceededException,
  ResourceNotFoundException,
  ThrottlingException,
} from '@aws-sdk/client-dynamodb';
import { errors as undiciErrors } from 'undici';
import { FailsmallError, VirtualClock } from '../../core/index.js';
import { awsRetryStrategy, defaultAwsRetryClassifier } from '../../client/aws-retry-strategy.js';
import { dnsError } from '../../dns/errors.js';
import { circuitBreaker } from '../breaker/breaker.js';
import { rootContext } from '../core/context.js';
import { hedge } from '../hedge/hedge.js';
import { bulkhead } from '../limit/bulkhead.js';
import { fixedLimit } from '../limit/limit.js';
import { concurrencyLimit } from '../limit/limiter.js';
import { constantBackoff } from '../retry/backoff.js';
import { retry } from '../retry/retry.js';
import { adaptiveThrottle } from '../throttle/adaptive.js';
import { cubicRateLimiter } from '../throttle/cubic.js';
import { timeout } from '../timeout/timeout.js';
import { drive } from '../../test-support/policy.js';
import { startTableServer } from '../../test-support/client.js';
import { classifyError, classifyHttpResult, neverSent, verdictOf } from './classify.js';
import { describeFailure, describeHttpResult, MAX_CAUSE_DEPTH } from './describe-failure.js';
import type { FailureDescription, FailureKind } from './failure.js';
import { isOverloadError, isThrottlingError, isTimeoutError } from './overload.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const now = Date.parse('2025-10-20T06:48:00Z');

interface Expected {
  readonly kind: FailureKind;
  readonly neverSent?: boolean;
  readonly status?: number;
  readonly retryAfter?: number;
  readonly doNotRetry?: boolean;
}

type Case = readonly [label: string, error: unknown, expected: Expected];

const sys = (code: string, syscall?: string): Error =>
  Object.assign(new Error(`${syscall ?? 'read'} ${code}`), { code, errno: -1, ...(syscall ? { syscall } : {}) });
const meta = (httpStatusCode: number) => ({ httpStatusCode, requestId: 'r', attempts: 1, totalRetryDelay: 0 });
const axios = (status: number, headers: Record<string, string> = {}, data?: unknown): Error =>
  Object.assign(new Error(`Request failed with status code ${status}`), {
    isAxiosError: true,
    code: status >= 500 ? 'ERR_BAD_RESPONSE' : 'ERR_BAD_REQUEST',
    response: { status, statusText: '', headers, data },
  });

/** Rejects `fn`'s promise's error, or fails. */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}

/** Rejections produced by failsmall's own policies, for real. */
async function failsmallRejections(): Promise<Case[]> {
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

  const limiter = concurrencyLimit({ limit: fixedLimit(1), clock });
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
      new FailsmallError('FS_ERR_BREAKER_HYDRATION_TIMEOUT', 'x'),
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

const awsCases: Case[] = [
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

const undiciCases: Case[] = [
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

const axiosCases: Case[] = [
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

const nodeCases: Case[] = [
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
async function assertViewsAgree(label: string, error: unknown, d: FailureDescription): Promise<void> {
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

function assertDescription(label: string, d: FailureDescription, expected: Expected): void {
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

describe('describeFailure: one description, every view agrees', () => {
  let refused: unknown;
  let refusedSocket: unknown;
  let sdkThrottle: unknown;
  let sdkServerError: unknown;
  let rejections: Case[] = [];
  let closeTable: () => Promise<void> = () => Promise.resolve();

  before(async () => {
    // A port that refuses: listen, note the port, close.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    refused = await rejection(fetch(`http://127.0.0.1:${port}/`));
    refusedSocket = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', resolve);
    });
    // Real SDK errors from a loopback DynamoDB speaking its JSON protocol.
    const table = await startTableServer();
    closeTable = () => table.close();
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${table.port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const get = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });
    table.mode = 'throttle';
    sdkThrottle = await rejection(client.send(get));
    table.mode = 'error';
    sdkServerError = await rejection(client.send(get));
    client.destroy();
    rejections = await failsmallRejections();
  });
  after(async () => {
    await closeTable();
  });

  it('describes real errors from the wire: fetch failed (refused port), a refused socket, SDK errors', async () => {
    assert.ok(refused instanceof TypeError && refused.message === 'fetch failed');
    const real: Case[] = [
      ['fetch failed from a refused loopback port', refused, { kind: 'transient', neverSent: true }],
      ['net.connect to a refused loopback port', refusedSocket, { kind: 'transient', neverSent: true }],
      ['SDK ProvisionedThroughputExceeded from the wire', sdkThrottle, { kind: 'throttle', status: 400 }],
      ['SDK InternalServerError from the wire', sdkServerError, { kind: 'transient', status: 500 }],
    ];
    for (const [label, error, expected] of real) {
      const d = describeFailure(error, now);
      assertDescription(label, d, expected);
      await assertViewsAgree(label, error, d);
    }
  });

  it('describes the corpus: AWS, undici, axios, Node, failsmall rejections', async () => {
    for (const [label, error, expected] of [...awsCases, ...undiciCases, ...axiosCases, ...nodeCases, ...rejections]) {
      const d = describeFailure(error, now);
      assertDescription(label, d, expected);
      await assertViewsAgree(label, error, d);
    }
  });

  it('walks the cause chain to MAX_CAUSE_DEPTH causes, not further, and survives cycles and hostile getters', () => {
    let chain: unknown = sys('ETIMEDOUT', 'read');
    for (let i = 0; i < MAX_CAUSE_DEPTH; i++) chain = new Error('wrap', { cause: chain });
    assert.equal(describeFailure(chain).kind, 'timeout', 'the error and 5 causes are read');
    assert.equal(describeFailure(new Error('wrap', { cause: chain })).kind, 'transient', 'the 6th cause is not');
    const cycle: Record<string, unknown> = { name: 'Error' };
    cycle.cause = cycle;
    assert.equal(describeFailure(cycle).kind, 'transient');
    const hostile = {
      get code(): never {
        throw new Error('boom');
      },
    };
    assert.equal(describeFailure(hostile).kind, 'fatal');
  });
});

describe('describeHttpResult', () => {
  it('describes responses: 504 timeout, 429 throttle, 503 overload or throttle, 500/502 transient, 4xx fatal', () => {
    const cases: [unknown, Expected | undefined][] = [
      [new Response(null, { status: 200 }), undefined],
      [new Response(null, { status: 304 }), undefined],
      [new Response(null, { status: 504 }), { kind: 'timeout', status: 504 }],
      [new Response(null, { status: 408 }), { kind: 'timeout', status: 408 }],
      [
        new Response(null, { status: 429, headers: { 'retry-after': '1' } }),
        {
          kind: 'throttle',
          status: 429,
          retryAfter: 1_000,
        },
      ],
      [new Response(null, { status: 503 }), { kind: 'overload', status: 503 }],
      [
        new Response(null, { status: 503, headers: { 'x-amzn-errortype': 'ThrottlingException' } }),
        {
          kind: 'throttle',
          status: 503,
        },
      ],
      [
        { statusCode: 500, headers: {} },
        { kind: 'transient', status: 500 },
      ],
      [{ statusCode: 502 }, { kind: 'transient', status: 502 }],
      [{ status: 400 }, { kind: 'fatal', status: 400 }],
      [{ status: 404 }, { kind: 'fatal', status: 404 }],
      ['text', undefined],
      [null, undefined],
    ];
    for (const [value, expected] of cases) {
      const d = describeHttpResult(value, now);
      if (expected === undefined) {
        assert.equal(d, undefined);
        assert.equal(classifyHttpResult(value, now), undefined);
        continue;
      }
      assertDescription(String(expected.status), d!, expected);
      // The retry view of a result: fatal statuses are a success for retry.
      const verdict = classifyHttpResult(value, now);
      assert.deepEqual(verdict, d!.kind === 'fatal' ? undefined : verdictOf(d!));
    }
  });

  it('serves the same description as an error carrying the status', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 400, 404]) {
      const asResult = describeHttpResult({ status }, now)!;
      const asError = describeFailure(Object.assign(new Error(String(status)), { status }), now);
      assert.deepEqual(asError, asResult, String(status));
    }
  });
});

describe('describeFailure: a server answer in the loopback', () => {
  it('reads Retry-After from a real fetch Response', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'retry-after': '4' });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      assertDescription('503', describeHttpResult(res, now)!, { kind: 'overload', status: 503, retryAfter: 4_000 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
