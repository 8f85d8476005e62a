import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { knownOptions, withMethods } from './validate.js';

const code = 'FS_ERR_INVALID_ARGUMENT';

describe('withMethods', () => {
  it('returns an object whose named members are all functions, the same object', () => {
    const clock = { now: () => 0, sleep: () => Promise.resolve(), setTimer: () => () => {} };
    assert.equal(withMethods<typeof clock>('clock', clock, ['now', 'sleep', 'setTimer'], 'a Clock'), clock);
  });

  it('rejects null, a non-object and a missing or non-function member with one exact message', () => {
    for (const [value, got] of [
      [null, 'null'],
      [undefined, 'undefined'],
      [() => 0, 'a function'],
      [{ now: () => 0 }, 'object'],
      [{ now: () => 0, sleep: 1 }, 'object'],
    ] as const) {
      assert.throws(() => withMethods<{ now(): number; sleep(): void }>('clock', value, ['now', 'sleep'], 'a Clock'), {
        code,
        message: `Expected \`clock\` to be a Clock, got ${got}`,
      });
    }
  });
});

describe('knownOptions', () => {
  const keys = new Set(['a', 'b']);

  it('accepts an object with known keys only (or none)', () => {
    knownOptions({}, keys);
    knownOptions({ a: 1, b: undefined }, keys);
  });

  it('rejects a non-object and names the first stray key', () => {
    assert.throws(() => knownOptions(null, keys), { code, message: 'Expected `options` to be an object, got null' });
    assert.throws(() => knownOptions(3, keys), { code, message: 'Expected `options` to be an object, got 3' });
    assert.throws(() => knownOptions({ a: 1, c: 2 }, keys), {
      code,
      message: 'Expected `c` to be a known option, got "c"',
    });
  });
});
