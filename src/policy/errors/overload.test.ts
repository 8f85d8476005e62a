import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { FailsmallError, type ErrorCode } from '../../core/errors.js';
import { isOverloadError, isThrottlingError, isTimeoutError } from './overload.js';

const named = (name: string): Error => Object.assign(new Error(name), { name });

describe('isThrottlingError', () => {
  it('recognises the AWS SDK throttling names, HTTP 429 and $retryable.throttling', () => {
    for (const name of ['ThrottlingException', 'ProvisionedThroughputExceededException', 'SlowDown', 'Throttling']) {
      assert.ok(isThrottlingError(named(name)), name);
    }
    assert.ok(isThrottlingError({ $metadata: { httpStatusCode: 429 } }));
    assert.ok(isThrottlingError({ statusCode: 429 }));
    assert.ok(isThrottlingError({ status: 429 }));
    assert.ok(isThrottlingError({ $retryable: { throttling: true } }));
    assert.ok(isThrottlingError({ code: 'RequestLimitExceeded' }));
  });

  it('rejects application errors, 503 and non-objects', () => {
    assert.ok(!isThrottlingError(named('ValidationException')));
    assert.ok(!isThrottlingError({ $metadata: { httpStatusCode: 503 } }));
    assert.ok(!isThrottlingError({ $retryable: {} }));
    for (const v of [undefined, null, 429, 'ThrottlingException', true]) assert.ok(!isThrottlingError(v));
  });

  it('follows the cause chain, but not forever', () => {
    const wrapped = new FailsmallError('FS_ERR_RETRY_EXHAUSTED' as ErrorCode, 'gave up', {
      cause: named('ThrottlingException'),
    });
    assert.ok(isThrottlingError(wrapped));
    let deep: unknown = named('ThrottlingException');
    for (let i = 0; i < 10; i++) deep = new Error('wrap', { cause: deep });
    assert.ok(!isThrottlingError(deep));
    const cycle: { cause?: unknown } = {};
    cycle.cause = cycle;
    assert.ok(!isThrottlingError(cycle));
  });
});

describe('isOverloadError', () => {
  it('adds 503 and ServiceUnavailable to throttling', () => {
    assert.ok(isOverloadError(named('ThrottlingException')));
    assert.ok(isOverloadError({ $metadata: { httpStatusCode: 503 } }));
    assert.ok(isOverloadError({ statusCode: 503 }));
    assert.ok(isOverloadError(named('ServiceUnavailableException')));
    assert.ok(!isOverloadError({ statusCode: 500 }));
    assert.ok(!isOverloadError(named('ResourceNotFoundException')));
  });
});

describe('isTimeoutError', () => {
  it('recognises timeout names, codes and statuses', () => {
    assert.ok(isTimeoutError(named('TimeoutError')));
    assert.ok(isTimeoutError({ code: 'ETIMEDOUT' }));
    assert.ok(isTimeoutError({ code: 'UND_ERR_HEADERS_TIMEOUT' }));
    assert.ok(isTimeoutError({ statusCode: 504 }));
    const timedOut = { details: { kind: 'timeout', neverSent: false } };
    assert.ok(isTimeoutError(new FailsmallError('FS_ERR_TIMEOUT', 'late', timedOut)));
    assert.ok(isTimeoutError(new FailsmallError('FS_ERR_DNS_TIMEOUT', 'late', timedOut)));
    assert.ok(!isTimeoutError(new FailsmallError('FS_ERR_TIMEOUT', 'late'))); // the code alone is never parsed
    assert.ok(!isTimeoutError(new FailsmallError('FS_ERR_BREAKER_OPEN', 'open')));
    assert.ok(!isTimeoutError({ code: 'ECONNREFUSED' }));
  });
});
