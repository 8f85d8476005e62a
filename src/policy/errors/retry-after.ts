/**
 * `Retry-After` (RFC 9110 §10.2.3): how long a server asks the client to wait, either as
 * delta-seconds (`120`) or as an HTTP-date (`Wed, 21 Oct 2015 07:28:00 GMT`). The three date
 * formats of RFC 9110 §5.6.7 are parsed strictly and as GMT (including asctime, which `Date.parse`
 * would read as local time).
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY = '(?:mon|tue|wed|thu|fri|sat|sun)';
const LONG_DAY = '(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)';
const MONTH = '(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)';
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** IMF-fixdate: `Sun, 06 Nov 1994 08:49:37 GMT` (the one senders must use). */
const IMF = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`, 'i');
/** Obsolete RFC 850: `Sunday, 06-Nov-94 08:49:37 GMT`. */
const RFC850 = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`, 'i');
/** Obsolete asctime: `Sun Nov  6 08:49:37 1994`. */
const ASCTIME = new RegExp(`^${DAY} ${MONTH} ( \\d|\\d{2}) ${TIME} (\\d{4})$`, 'i');
/** Delta-seconds: 1*DIGIT; a fractional part is tolerated (some servers send `1.5`). */
const DELTA = /^\d+(?:\.\d+)?$/;

function utc(year: number, month: string, day: number, h: number, m: number, s: number): number | undefined {
  const mon = MONTHS.indexOf(month.toLowerCase());
  if (day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const t = Date.UTC(year, mon, day, h, m, s);
  // Reject dates that roll over (31 Feb).
  return new Date(t).getUTCDate() === day ? t : undefined;
}

/**
 * Parses an HTTP-date (IMF-fixdate, RFC 850 or asctime) to epoch milliseconds, or `undefined`.
 * A two-digit RFC 850 year more than 50 years ahead of `now` is read as the past century
 * (RFC 9110 §5.6.7).
 *
 * @param now - the current time, epoch milliseconds.
 * @example
 * parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT', Date.now()); // 784111777000
 */
export function parseHttpDate(value: string, now: number): number | undefined {
  let m = IMF.exec(value);
  if (m !== null) return utc(Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = ASCTIME.exec(value);
  if (m !== null) return utc(Number(m[6]), m[1]!, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  m = RFC850.exec(value);
  if (m !== null) {
    const nowYear = Number.isFinite(now) ? new Date(now).getUTCFullYear() : 2000;
    let year = Math.floor(nowYear / 100) * 100 + Number(m[3]);
    if (year > nowYear + 50) year -= 100;
    return utc(year, m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  }
  return undefined;
}

/**
 * The delay a `Retry-After` value asks for, in milliseconds, or `undefined` when the value is
 * missing or malformed (then the caller's own backoff applies). A date in the past gives 0.
 * Accepts the raw header (string), a number of seconds, or an array of header values (the first
 * one counts).
 *
 * @param value - the header value: `"120"`, `"Wed, 21 Oct 2015 07:28:00 GMT"`, 120 …
 * @param now - the current time in epoch milliseconds (`Date.now()`; an HTTP-date is wall time).
 * @example
 * parseRetryAfter('3', Date.now()); // 3000
 * parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('2015-10-21T07:27:00Z')); // 60000
 * parseRetryAfter('soon', Date.now()); // undefined
 * @see https://www.rfc-editor.org/rfc/rfc9110#field.retry-after
 */
export function parseRetryAfter(value: unknown, now: number): number | undefined {
  if (Array.isArray(value)) value = value[0];
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text.length === 0 || text.length > 64) return undefined;
  if (DELTA.test(text)) {
    const ms = Number(text) * 1000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  const at = parseHttpDate(text, now);
  if (at === undefined || !Number.isFinite(now)) return undefined;
  return Math.max(0, at - now);
}
