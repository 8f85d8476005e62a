import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FailsmallError, type ErrorCode } from '../../core/errors.js';
import {
  classifyError,
  classifyHttpResult,
  headerOf,
  neverSent,
  retryAfterOf,
  toVerdict,
  Verdict,
} from './classify.js';
import {
  isThrottlingError,
  isTimeoutError,
  THROTTLING_ERROR_NAMES,
  TIMEOUT_ERROR_CODES,
  TIMEOUT_ERROR_NAMES,
} from './overload.js';

const now = Date.parse('2025-10-20T06:48:00Z');
const sys = (code: string, syscall?: string): Error =>
  Object.assign(new Error(code), { code, ...(syscall === undefined ? {} : { syscall }) });

describe('classifyError', () => {
  it('retries network and DNS failures as errors, timeouts as timeouts', () => {
    for (const code of ['ECONNRESET', 'ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_SOCKET']) {
      assert.equal(classifyError(sys(code), now), Verdict.error, code);
    }
    for (const code of ['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT']) {
      assert.equal(classifyError(sys(code), now), Verdict.timeout, code);
    }
    assert.equal(classifyError(new DOMException('t', 'TimeoutError'), now), Verdict.timeout);
  });

  it('follows the cause chain (fetch failed → ECONNREFUSED)', () => {
    assert.equal(classifyError(new TypeError('fetch failed', { cause: sys('ECONNREFUSED') }), now), Verdict.error);
    assert.equal(classifyError(new TypeError('fetch failed', { cause: sys('ETIMEDOUT') }), now), Verdict.timeout);
  });

  it('does not retry programming errors, aborts or invalid arguments', () => {
    assert.equal(classifyError(new TypeError('undefined is not a function'), now), Verdict.fail);
    assert.equal(classifyError(new RangeError('x'), now), Verdict.fail);
    assert.equal(classifyError(new DOMException('a', 'AbortError'), now), Verdict.fail);
    assert.equal(classifyError(new FailsmallError('FS_ERR_ABORTED', 'a'), now), Verdict.fail);
    assert.equal(classifyError(new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'a'), now), Verdict.fail);
  });

  it('classifies AWS SDK v3 errors: $retryable, throttling names, status, client faults', () => {
    const aws = (name: string, extra: object): Error => Object.assign(new Error(name), { name, ...extra });
    assert.equal(
      classifyError(aws('ThrottlingException', { $metadata: { httpStatusCode: 400 } }), now),
      Verdict.throttle,
    );
    assert.equal(classifyError(aws('ProvisionedThroughputExceededException', {}), now), Verdict.throttle);
    assert.equal(classifyError(aws('X', { $retryable: { throttling: true } }), now), Verdict.throttle);
    assert.equal(classifyError(aws('X', { $retryable: {} }), now), Verdict.error);
    assert.equal(classifyError(aws('InternalServerError', { $metadata: { httpStatusCode: 500 } }), now), Verdict.error);
    assert.equal(
      classifyError(aws('ValidationException', { $fault: 'client', $metadata: { httpStatusCode: 400 } }), now),
      Verdict.fail,
    );
    assert.equal(classifyError(aws('ResourceNotFoundException', { $fault: 'client' }), now), Verdict.fail);
    assert.equal(classifyError(aws('TimeoutError', {}), now), Verdict.timeout);
  });

  it('agrees with isThrottlingError on every AWS throttling name (one shared list)', () => {
    assert.equal(THROTTLING_ERROR_NAMES.size, 14);
    for (const name of THROTTLING_ERROR_NAMES) {
      const error = Object.assign(new Error(name), { name });
      assert.equal(classifyError(error, now), Verdict.throttle, name);
      assert.ok(isThrottlingError(error), name);
    }
  });

  it('agrees with isTimeoutError on every timeout name and code (shared lists)', () => {
    for (const name of TIMEOUT_ERROR_NAMES) {
      const error = Object.assign(new Error(name), { name });
      assert.equal(classifyError(error, now), Verdict.timeout, name);
      assert.ok(isTimeoutError(error), name);
    }
    for (const code of TIMEOUT_ERROR_CODES) {
      assert.equal(classifyError(sys(code), now), Verdict.timeout, code);
      assert.ok(isTimeoutError(sys(code)), code);
    }
  });

  it('classifies HTTP statuses and reads Retry-After', () => {
    const http = (status: number, headers?: object): Error =>
      Object.assign(new Error(String(status)), { status, headers });
    assert.equal(classifyError(http(429), now), Verdict.throttle);
    assert.equal(classifyError(http(408), now), Verdict.timeout);
    assert.equal(classifyError(http(503), now), Verdict.error);
    assert.equal(classifyError(http(504), now), Verdict.timeout);
    assert.equal(classifyError({ response: { status: 503 } }, now), Verdict.error);
    assert.equal(classifyError({ response: { status: 429 } }, now), Verdict.throttle);
    assert.equal(classifyError(http(404), now), Verdict.fail);
    assert.equal(classifyError(http(501), now), Verdict.fail);
    assert.deepEqual(classifyError(http(503, { 'Retry-After': '7' }), now), {
      retry: true,
      cause: 'error',
      retryAfter: 7_000,
    });
    assert.deepEqual(classifyError(http(429, new Headers({ 'retry-after': '2' })), now), {
      retry: true,
      cause: 'throttle',
      retryAfter: 2_000,
    });
    const sdk = Object.assign(new Error('slow'), {
      name: 'ThrottlingException',
      $response: { headers: { 'retry-after': '4' } },
    });
    assert.equal(classifyError(sdk, now).retryAfter, 4_000);
  });

  it('reads failsmall rejections from details.kind only, never from the code; retries unknown errors', () => {
    const fs = (code: `FS_ERR_${string}`, details?: Record<string, unknown>): FailsmallError =>
      new FailsmallError(code as ErrorCode, 'x', details === undefined ? undefined : { details });
    // Local overload rejections (open breaker, full bulkhead, concurrency limit) fail fast.
    assert.equal(classifyError(fs('FS_ERR_BREAKER_OPEN', { kind: 'overload', neverSent: true }), now), Verdict.fail);
    assert.deepEqual(
      classifyError(fs('FS_ERR_RATE_LIMITED', { kind: 'throttle', neverSent: true, retryAfter: 900 }), now),
      { retry: true, cause: 'throttle', retryAfter: 900 },
    );
    assert.equal(classifyError(fs('FS_ERR_TIMEOUT', { kind: 'timeout', neverSent: false }), now), Verdict.timeout);
    // A code alone says nothing: a failsmall error without details.kind is fatal unless its cause says more.
    assert.equal(classifyError(fs('FS_ERR_TIMEOUT'), now), Verdict.fail);
    assert.equal(classifyError(fs('FS_ERR_BREAKER_HYDRATION_TIMEOUT'), now), Verdict.fail);
    assert.equal(
      classifyError(new FailsmallError('FS_ERR_CLIENT_CONNECT_FAILED', 'x', { cause: sys('ECONNRESET') }), now),
      Verdict.error,
    );
    assert.equal(classifyError(new Error('who knows'), now), Verdict.error);
    assert.equal(classifyError('a string', now), Verdict.error);
    assert.equal(classifyError(undefined, now), Verdict.error);
  });

  it('never throws on hostile input', () => {
    const hostile = {
      get code(): never {
        throw new Error('boom');
      },
    };
    assert.equal(classifyError(hostile, now), Verdict.fail); // unreadable: not retried
    assert.equal(neverSent(hostile), false);
    const cyclic: Record<string, unknown> = { name: 'Error' };
    cyclic.cause = cyclic;
    assert.equal(classifyError(cyclic, now), Verdict.error); // ...but a cycle terminates
    const badHeaders = {
      status: 503,
      headers: {
        get() {
          throw new Error('x');
        },
      },
    };
    assert.equal(classifyError(badHeaders, now), Verdict.error);
  });
});

describe('classifyHttpResult', () => {
  it('retries 429/408/5xx responses and passes everything else', () => {
    assert.equal(classifyHttpResult({ status: 200 }, now), undefined);
    assert.equal(classifyHttpResult({ statusCode: 404 }, now), undefined);
    assert.equal(classifyHttpResult({ statusCode: 503 }, now), Verdict.error);
    assert.equal(classifyHttpResult({ status: 429 }, now), Verdict.throttle);
    assert.equal(classifyHttpResult('text', now), undefined);
    assert.equal(classifyHttpResult(null, now), undefined);
    assert.equal(
      classifyHttpResult(new Response('', { status: 503, headers: { 'retry-after': '1' } }), now)?.retryAfter,
      1_000,
    );
  });
});

describe('neverSent', () => {
  it('is true only when the request provably never left', () => {
    assert.equal(neverSent(sys('ECONNREFUSED')), true);
    assert.equal(neverSent(sys('ENOTFOUND')), true);
    assert.equal(neverSent(sys('EAI_AGAIN')), true);
    assert.equal(neverSent(sys('ETIMEDOUT', 'connect')), true);
    assert.equal(neverSent(sys('ESERVFAIL', 'queryA')), true);
    assert.equal(neverSent(new TypeError('fetch failed', { cause: sys('ECONNREFUSED') })), true);
    const rejected = { details: { kind: 'overload', neverSent: true } };
    assert.equal(neverSent(new FailsmallError('FS_ERR_BREAKER_OPEN', 'open', rejected)), true);
    assert.equal(neverSent(new FailsmallError('FS_ERR_BULKHEAD_FULL', 'full', rejected)), true);
    assert.equal(neverSent(new FailsmallError('FS_ERR_BREAKER_OPEN', 'open')), false); // no details: no claim
    assert.equal(
      neverSent(
        new FailsmallError('FS_ERR_SOMETHING' as ErrorCode, 'x', { details: { kind: 'transient', neverSent: true } }),
      ),
      true,
    );
    assert.equal(neverSent(sys('ECONNRESET', 'read')), false);
    assert.equal(neverSent(sys('ETIMEDOUT')), false);
    assert.equal(neverSent(new FailsmallError('FS_ERR_TIMEOUT', 't')), false);
    assert.equal(neverSent(Object.assign(new Error('503'), { status: 503 })), false);
    assert.equal(neverSent('ECONNREFUSED'), false);
    assert.equal(neverSent(null), false);
  });
});

describe('header helpers', () => {
  it('reads headers from Headers, objects in any case, and nested responses', () => {
    assert.equal(headerOf(new Headers({ 'Retry-After': '1' }), 'retry-after'), '1');
    assert.equal(headerOf({ 'RETRY-AFTER': '2' }, 'retry-after'), '2');
    assert.equal(headerOf(undefined, 'retry-after'), undefined);
    assert.equal(retryAfterOf({ response: { headers: { 'retry-after': '3' } } }, now), 3_000);
    assert.equal(retryAfterOf({ headers: { 'retry-after-ms': '250' } }, now), 250);
    assert.equal(retryAfterOf({ headers: { 'retry-after': 'later' } }, now), undefined);
  });
});

describe('toVerdict', () => {
  it('normalises booleans, verdicts and junk', () => {
    assert.equal(toVerdict(true), Verdict.error);
    assert.equal(toVerdict(false), Verdict.fail);
    assert.equal(toVerdict(undefined), Verdict.fail);
    assert.equal(toVerdict(Verdict.throttle), Verdict.throttle);
    assert.deepEqual(toVerdict({ retry: true, cause: 'nonsense' }), { retry: true, cause: 'error' });
    assert.equal(toVerdict({ retry: 'yes' }), Verdict.fail);
    assert.equal(toVerdict(1), Verdict.fail);
  });
});
