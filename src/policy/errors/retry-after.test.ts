import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { parseHttpDate, parseRetryAfter } from './retry-after.js';

const now = Date.parse('2025-10-20T09:36:00Z');

describe('parseRetryAfter (RFC 9110 §10.2.3)', () => {
  it('parses delta-seconds to milliseconds', () => {
    assert.equal(parseRetryAfter('120', now), 120_000);
    assert.equal(parseRetryAfter(' 0 ', now), 0);
    assert.equal(parseRetryAfter('1.5', now), 1_500);
    assert.equal(parseRetryAfter(3, now), 3_000);
    assert.equal(parseRetryAfter(['2', '9'], now), 2_000);
  });

  it('parses the three HTTP-date formats as GMT', () => {
    const at = Date.parse('2025-10-20T09:37:00Z');
    assert.equal(parseRetryAfter('Mon, 20 Oct 2025 09:37:00 GMT', now), at - now);
    assert.equal(parseRetryAfter('Monday, 20-Oct-25 09:37:00 GMT', now), at - now);
    assert.equal(parseRetryAfter('Mon Oct 20 09:37:00 2025', now), at - now);
    assert.equal(parseRetryAfter('Mon Oct  6 09:37:00 2025', now), 0); // in the past
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', now), Date.UTC(1994, 10, 6, 8, 49, 37));
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT', now), Date.UTC(1994, 10, 6, 8, 49, 37));
  });

  it('gives 0 for a date in the past', () => {
    assert.equal(parseRetryAfter('Sun, 06 Nov 1994 08:49:37 GMT', now), 0);
  });

  it('returns undefined for anything malformed', () => {
    for (const bad of [
      '',
      'soon',
      '-1',
      '1e3',
      'Mon, 32 Oct 2025 09:37:00 GMT',
      'Mon, 31 Feb 2025 09:37:00 GMT',
      'Mon, 20 Oct 2025 25:00:00 GMT',
      'Mon, 20 Oct 2025 09:37:00 PST',
      '9'.repeat(400),
      undefined,
      null,
      {},
      -5,
      NaN,
      Infinity,
    ]) {
      assert.equal(parseRetryAfter(bad, now), undefined, String(bad));
    }
    assert.equal(parseRetryAfter('Mon, 20 Oct 2025 09:37:00 GMT', NaN), undefined);
  });

  it('property: never throws, and returns undefined or a finite delay >= 0', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.integer().map(String),
          fc.date({ noInvalidDate: true }).map((d) => d.toUTCString()),
        ),
        (value) => {
          const ms = parseRetryAfter(value, now);
          assert.ok(ms === undefined || (Number.isFinite(ms) && ms >= 0));
        },
      ),
    );
  });

  it('property: round-trips Date#toUTCString() within the second', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 86_400_000 * 365 }), (ahead) => {
        const at = now + ahead;
        const ms = parseRetryAfter(new Date(at).toUTCString(), now)!;
        assert.ok(Math.abs(ms - ahead) < 1_000);
      }),
    );
  });
});
