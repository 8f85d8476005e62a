import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FailsmallError, findFailsmallError, isFailsmallError, type ErrorCode } from './errors.js';
import { Emitter } from './events.js';
import * as validate from './validate.js';

describe('FailsmallError', () => {
  it('carries a stable code, cause and details', () => {
    const cause = new Error('root');
    const error = new FailsmallError('FS_ERR_TEST' as ErrorCode, 'boom', { cause, details: { a: 1 } });
    assert.equal(error.code, 'FS_ERR_TEST');
    assert.equal(error.cause, cause);
    assert.deepEqual(error.details, { a: 1 });
    assert.equal(error.name, 'FailsmallError');
    assert.equal(String(error), 'FailsmallError [FS_ERR_TEST]: boom');
    assert.ok(isFailsmallError(error, 'FS_ERR_TEST' as ErrorCode));
    assert.ok(!isFailsmallError(error, 'FS_ERR_OTHER' as ErrorCode));
    assert.ok(!isFailsmallError(new Error('x')));
  });

  it('findFailsmallError finds a failsmall error in a cause chain (fetch failed → failsmall), with a code or any', () => {
    const open = new FailsmallError('FS_ERR_BREAKER_OPEN', 'open');
    const wrapped = new TypeError('fetch failed', { cause: open });
    assert.equal(findFailsmallError(wrapped), open);
    assert.equal(findFailsmallError(wrapped, 'FS_ERR_BREAKER_OPEN'), open);
    assert.equal(findFailsmallError(wrapped, 'FS_ERR_TIMEOUT'), undefined);
    assert.equal(findFailsmallError(open), open);
    const deeper = new FailsmallError('FS_ERR_DNS_NOT_FOUND', 'x');
    const outer = new FailsmallError('FS_ERR_CLIENT_CONNECT_FAILED', 'y', { cause: deeper });
    assert.equal(findFailsmallError(new Error('w', { cause: outer }), 'FS_ERR_DNS_NOT_FOUND'), deeper);
    let deep: unknown = open;
    for (let i = 0; i < 6; i++) deep = new Error('wrap', { cause: deep });
    assert.equal(findFailsmallError(deep), undefined, 'follows at most 5 causes');
    const cycle: { cause?: unknown } = {};
    cycle.cause = cycle;
    for (const v of [cycle, undefined, null, 'FS_ERR_BREAKER_OPEN', 42]) assert.equal(findFailsmallError(v), undefined);
    const hostile = {
      get cause(): never {
        throw new Error('boom');
      },
    };
    assert.equal(findFailsmallError(hostile), undefined);
  });

  it('is recognised across copies of the package (brand, not identity)', () => {
    const foreign = { [Symbol.for('failsmall.error')]: true, code: 'FS_ERR_X' };
    assert.ok(foreign instanceof FailsmallError);
  });
});

describe('validate', () => {
  it('gives exact messages with a stable code', () => {
    assert.throws(() => validate.positiveInteger('maxAttempts', -1), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `maxAttempts` to be a positive integer, got -1',
    });
    assert.throws(() => validate.ratio('share', 1.5), {
      message: 'Expected `share` to be a number between 0 and 1, got 1.5',
    });
    assert.throws(() => validate.oneOf('mode', 'x', ['a', 'b']), {
      message: 'Expected `mode` to be one of "a", "b", got "x"',
    });
    assert.throws(() => validate.func('fn', [1]), { message: 'Expected `fn` to be a function, got an array' });
    assert.equal(validate.duration('d', Infinity, true), Infinity);
    assert.throws(() => validate.duration('d', Infinity), /finite number >= 0/);
    assert.equal(validate.nonNegativeInteger('n', 0), 0);
  });
});

describe('Emitter', () => {
  it('delivers to listeners until disposed, and survives a throwing listener', async () => {
    const emitter = new Emitter<number>();
    const got: number[] = [];
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(w.message);
    process.removeAllListeners('warning');
    process.on('warning', onWarning);
    emitter.on(() => {
      throw new Error('bad listener');
    });
    const sub = emitter.on((n) => got.push(n));
    emitter.once((n) => got.push(n * 10));
    emitter.emit(1);
    emitter.emit(2);
    sub.dispose();
    sub.dispose();
    emitter.emit(3);
    assert.deepEqual(got, [1, 10, 2]);
    assert.ok(emitter.hasListeners);
    await new Promise((resolve) => setImmediate(resolve));
    process.off('warning', onWarning);
    assert.deepEqual(warnings, Array(3).fill('failsmall: an event listener threw: Error: bad listener'));
  });
});
