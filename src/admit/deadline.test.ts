import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isFailsmallError } from '../core/errors.js';
import { parseGrpcTimeout, parseRequestDeadline, remainingFromHeaders } from './deadline.js';

const bad = (e: unknown): boolean => isFailsmallError(e, 'FS_ERR_ADMIT_BAD_DEADLINE');

describe('deadline headers', () => {
  it('parses grpc-timeout in every unit', () => {
    const ms: [header: string, ms: number][] = [
      ['250m', 250],
      ['2S', 2_000],
      ['1M', 60_000],
      ['1H', 3_600_000],
      ['1500u', 1.5],
      ['2000000n', 2],
    ];
    for (const [header, expected] of ms) assert.equal(parseGrpcTimeout(header), expected, header);
  });

  it('rejects malformed values with FS_ERR_ADMIT_BAD_DEADLINE', () => {
    for (const v of ['', '10', 'm', '123456789m', '-5m', '5 s', '1.5S', '5x'])
      assert.throws(() => parseGrpcTimeout(v), bad);
    for (const v of ['', 'soon', '-1', '1e12', '12345678901234567', '2026-12-01T00:00:00Z']) {
      assert.throws(() => parseRequestDeadline(v), bad);
    }
  });

  it('takes the earlier of both headers; none gives undefined', () => {
    assert.equal(remainingFromHeaders({}, 1_000), undefined);
    assert.equal(remainingFromHeaders({ 'grpc-timeout': '300m' }, 1_000), 300);
    assert.equal(remainingFromHeaders({ 'x-request-deadline': '1200' }, 1_000), 200);
    assert.equal(remainingFromHeaders({ 'x-request-deadline': '1500', 'grpc-timeout': '300m' }, 1_000), 300);
    assert.equal(remainingFromHeaders({ 'x-request-deadline': '900' }, 1_000), -100);
    assert.equal(remainingFromHeaders({ 'x-request-deadline': ['1100'] }, 1_000), 100);
    assert.throws(() => remainingFromHeaders({ 'x-request-deadline': ['1', '2'] }, 0), bad);
  });
});
