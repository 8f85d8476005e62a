import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isFailsmallError } from '../core/errors.js';
import { hostnameOrUndefined, hostnameProblem, normalizeHostname } from './hostname.js';

describe('normalizeHostname', () => {
  it('lower-cases and drops the trailing dot', () => {
    assert.equal(normalizeHostname('API.Example.COM.'), 'api.example.com');
    assert.equal(normalizeHostname('_acme-challenge.x1.test'), '_acme-challenge.x1.test');
    assert.equal(normalizeHostname('3com.test'), '3com.test');
  });

  it('rejects names that break RFC 1035/1123 lengths and labels', () => {
    const bad = [
      '',
      '.',
      'a..b',
      '.a',
      '-a.test',
      'a-.test',
      `${'a'.repeat(64)}.test`,
      `${'a.'.repeat(126)}ab`, // 254 characters
      'ü.test',
      'a b.test',
      'a/b',
      'a\u0000b',
      'a:b',
    ];
    for (const name of bad) {
      assert.throws(
        () => normalizeHostname(name),
        (e) => isFailsmallError(e, 'FS_ERR_DNS_INVALID_HOSTNAME'),
        JSON.stringify(name),
      );
    }
    assert.throws(
      () => normalizeHostname(42 as unknown as string),
      (e) => isFailsmallError(e, 'FS_ERR_DNS_INVALID_HOSTNAME'),
    );
    assert.equal(hostnameProblem(`${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`), undefined); // 253
  });

  it('accepts every RFC 1123 name fast-check generates, and never throws anything but its code', () => {
    fc.assert(
      fc.property(fc.domain(), (name) => normalizeHostname(name) === name.toLowerCase()),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (name) => {
        try {
          normalizeHostname(name);
          return true;
        } catch (error) {
          return isFailsmallError(error, 'FS_ERR_DNS_INVALID_HOSTNAME');
        }
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('hostnameOrUndefined', () => {
  it('agrees with normalizeHostname on any input (property)', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 80 }), (name) => {
        let thrown: string | undefined;
        try {
          thrown = normalizeHostname(name);
        } catch {
          thrown = undefined;
        }
        return hostnameOrUndefined(name) === thrown;
      }),
      { numRuns: 1_000 },
    );
  });
});
