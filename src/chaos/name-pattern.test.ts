import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { isExactPattern, matchName, matchSteps, normalizePattern } from './name-pattern.js';

/** An oracle: the same glob as a regular expression. */
function oracle(pattern: string, name: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`, 's').test(name);
}

describe('name patterns', () => {
  it('matches exact names, * runs and ? single characters, case-insensitively', () => {
    const m = (p: string, n: string): boolean => matchName(normalizePattern(p), normalizePattern(n));
    assert.ok(m('api.example.com', 'API.Example.com.'));
    assert.ok(!m('api.example.com', 'xapi.example.com'));
    assert.ok(m('dynamodb.*', 'dynamodb.us-east-1.amazonaws.com'));
    assert.ok(m('*.amazonaws.com', 'dynamodb.us-east-1.amazonaws.com'));
    assert.ok(!m('*.amazonaws.com', 'amazonaws.com'));
    assert.ok(m('*', 'anything.at.all'));
    assert.ok(m('s?.example.com', 's3.example.com'));
    assert.ok(!m('s?.example.com', 's30.example.com'));
    assert.ok(!m('s?.example.com', 's.example.com'));
    assert.ok(m('a*b*c', 'axxbyyc'));
    assert.ok(!m('a*b*c', 'axxbyy'));
    assert.ok(isExactPattern('a.b'));
    assert.ok(!isExactPattern('a.*'));
  });

  it('agrees with a regular-expression oracle (property)', () => {
    const chars = fc.constantFrom('a', 'b', '.', '-');
    const patternChars = fc.constantFrom('a', 'b', '.', '-', '*', '?');
    fc.assert(
      fc.property(
        fc.array(patternChars, { maxLength: 8 }).map((a) => a.join('')),
        fc.array(chars, { maxLength: 12 }).map((a) => a.join('')),
        (pattern, name) => matchName(pattern, name) === oracle(pattern, name),
      ),
      { numRuns: 2000 },
    );
  });

  it('does at most (|pattern| + 1) · (|name| + 1) + 1 steps, adversarial patterns included', () => {
    const bound = (p: string, n: string) => (p.length + 1) * (n.length + 1) + 1;
    const adversarial = '*a*a*a*a*a*a*a*a*b';
    const long = 'a'.repeat(253);
    const steps = matchSteps(adversarial, long);
    assert.ok(steps < 0, 'no match');
    assert.ok(-steps <= bound(adversarial, long), `${-steps} steps`);
    fc.assert(
      fc.property(fc.stringMatching(/^[a*?.]{0,20}$/), fc.stringMatching(/^[a.]{0,80}$/), (p, n) => {
        const s = matchSteps(p, n);
        assert.equal(s > 0, matchName(p, n));
        assert.ok(Math.abs(s) <= bound(p, n));
      }),
      { numRuns: 2000 },
    );
  });
});
