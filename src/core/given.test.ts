import assert from 'node:assert/strict';
import { test } from 'node:test';
import { given } from './given.js';

test('given() drops undefined values only, so defaults spread under it apply', () => {
  const options = given({ a: 1, b: undefined, c: null, d: 0, e: '' });
  assert.deepEqual(options, { a: 1, c: null, d: 0, e: '' });
  const defaults: { a: number; b: number } = { a: 9, b: 2 };
  assert.deepEqual({ ...defaults, ...options }, { a: 1, b: 2, c: null, d: 0, e: '' });
});
