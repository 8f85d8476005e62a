import assert from 'node:assert/strict';
import { isIPv4, isIPv6 } from 'node:net';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import {
  FaultEngine,
  decideFault,
  faultDelay,
  parseCidr,
  parseFaultRule,
  randomAddress,
  ruleMatches,
  type FaultQuery,
} from './fault-rules.js';

const q = (name: string, type = 'A', transport: 'udp' | 'tcp' = 'udp'): FaultQuery => ({ name, type, transport });

describe('fault rules', () => {
  it('normalises a rule: pattern, types, window, defaults', () => {
    const rule = parseFaultRule(
      { name: 'DynamoDB.*.', type: ['a', 'AAAA', 'A'], action: 'empty', durationMs: 1000 },
      'f1',
      5000,
    );
    assert.equal(rule.name, 'dynamodb.*');
    assert.deepEqual(rule.types, ['A', 'AAAA']);
    assert.equal(rule.probability, 1);
    assert.equal(rule.from, -Infinity);
    assert.equal(rule.until, 6000, 'durationMs counts from when it is added');
    assert.deepEqual(parseFaultRule({ name: 'x', type: 'ANY', action: 'drop' }, 'f2', 0).types, []);
    assert.equal(parseFaultRule({ name: 'x', action: 'drop', from: 100, durationMs: 50 }, 'f3', 0).until, 150);
  });

  it('rejects invalid rules naming the field', () => {
    const cases: [unknown, RegExp][] = [
      [{ action: 'empty' }, /^name: /],
      [{ name: 'x', action: 'lie' }, /^action: expected one of empty, nxdomain/],
      [{ name: 'x', action: 'empty', type: 'MX' }, /^type: expected one of A, AAAA/],
      [{ name: 'x', action: 'empty', type: ['A', 'SRV'] }, /^type\[1\]: /],
      [{ name: 'x', action: 'empty', probability: 2 }, /^probability: expected a probability <= 1/],
      [{ name: 'x', action: 'delay' }, /^delayMs: a delay rule needs delayMs/],
      [{ name: 'x', action: 'delay', delayMs: -1 }, /^delayMs: expected a delay >= 0/],
      [{ name: 'x', action: 'wrong-address' }, /^address: a wrong-address rule needs an address/],
      [{ name: 'x', action: 'wrong-address', address: 'nope' }, /^address: expected an IP address/],
      [{ name: 'x', action: 'empty', address: '1.2.3.4' }, /^address: only a wrong-address rule/],
      [{ name: 'x', action: 'random-address', cidr: '10.0.0.0/33' }, /^cidr: expected a CIDR/],
      [{ name: 'x', action: 'ttl' }, /^ttl: a ttl rule needs ttl/],
      [{ name: 'x', action: 'empty', from: 10, until: 5 }, /^until: expected until >= from/],
      [{ name: 'x', action: 'empty', until: 5, durationMs: 5 }, /^durationMs: give until or durationMs/],
      [{ name: 'x', action: 'empty', transport: 'quic' }, /^transport: /],
      [{ name: 'x', action: 'empty', id: 'has space' }, /^id: /],
      [{ name: 'x', action: 'empty', colour: 'red' }, /colour|Unrecognized/],
      [null, /expected object|Invalid input/],
    ];
    for (const [input, message] of cases) {
      assert.throws(
        () => parseFaultRule(input, 'f1', 0),
        (e) => isFailsmallError(e, 'FS_ERR_CHAOS_INVALID_FAULT') && message.test(e.message),
        `${JSON.stringify(input)} should fail with ${message}`,
      );
    }
  });

  it('matches by name pattern, type, transport and the family an address action can answer', () => {
    const empty = parseFaultRule({ name: 'dynamodb.*', type: 'A', action: 'empty' }, 'f1', 0);
    assert.ok(ruleMatches(empty, q('dynamodb.us-east-1.amazonaws.com'), 0));
    assert.ok(!ruleMatches(empty, q('dynamodb.us-east-1.amazonaws.com', 'AAAA'), 0));
    assert.ok(!ruleMatches(empty, q('sts.amazonaws.com'), 0));
    const tcp = parseFaultRule({ name: '*', action: 'servfail', transport: 'tcp' }, 'f2', 0);
    assert.ok(!ruleMatches(tcp, q('a.b'), 0));
    assert.ok(ruleMatches(tcp, q('a.b', 'A', 'tcp'), 0));
    const wrong6 = parseFaultRule({ name: '*', action: 'wrong-address', address: '::2' }, 'f3', 0);
    assert.ok(ruleMatches(wrong6, q('a.b', 'AAAA'), 0));
    assert.ok(!ruleMatches(wrong6, q('a.b', 'A'), 0));
    const random = parseFaultRule({ name: '*', action: 'random-address' }, 'f4', 0);
    assert.ok(ruleMatches(random, q('a.b', 'A'), 0));
    assert.ok(!ruleMatches(random, q('a.b', 'TXT'), 0));
    const random4 = parseFaultRule({ name: '*', action: 'random-address', cidr: '10.0.0.0/8' }, 'f5', 0);
    assert.ok(!ruleMatches(random4, q('a.b', 'AAAA'), 0));
  });

  it('opens and closes its time window on the server clock', () => {
    const rule = parseFaultRule({ name: '*', action: 'nxdomain', from: 1000, until: 2000 }, 'f1', 0);
    assert.ok(!ruleMatches(rule, q('a.b'), 999));
    assert.ok(ruleMatches(rule, q('a.b'), 1000));
    assert.ok(ruleMatches(rule, q('a.b'), 1999));
    assert.ok(!ruleMatches(rule, q('a.b'), 2000));
  });

  it('lets the first rule that matches and fires decide, drawing only for 0 < p < 1', () => {
    const rules = [
      parseFaultRule({ name: 'x.*', action: 'servfail', probability: 0 }, 'never', 0),
      parseFaultRule({ name: 'x.*', action: 'refused', probability: 0.5 }, 'half', 0),
      parseFaultRule({ name: '*', action: 'nxdomain' }, 'always', 0),
    ];
    let draws = 0;
    const counting = { next: () => (draws++, 0.25) };
    assert.equal(decideFault(rules, q('x.y'), 0, counting)?.id, 'half');
    assert.equal(draws, 1);
    assert.equal(decideFault(rules, q('x.y'), 0, { next: () => 0.75 })?.id, 'always');
    assert.equal(decideFault(rules, q('z.y'), 0, counting)?.id, 'always');
    assert.equal(draws, 1, 'probability 1 and 0 draw nothing');
    assert.equal(decideFault([], q('x.y'), 0, counting), undefined);
  });

  it('fires at the configured rate (property over seeds)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.double({ min: 0.05, max: 0.95, noNaN: true }), (seed, p) => {
        const rules = [parseFaultRule({ name: '*', action: 'drop', probability: p }, 'f1', 0)];
        const random = seededRandom(seed);
        let fired = 0;
        const n = 4000;
        for (let i = 0; i < n; i++) if (decideFault(rules, q('a.b'), 0, random) !== undefined) fired++;
        assert.ok(Math.abs(fired / n - p) < 0.05, `fired ${fired / n}, expected ${p}`);
      }),
      { numRuns: 20 },
    );
  });

  it('adds fixed delay plus uniform jitter', () => {
    const rule = parseFaultRule({ name: '*', action: 'delay', delayMs: 100, jitterMs: 50 }, 'f1', 0);
    assert.equal(faultDelay(rule, { next: () => 0 }), 100);
    assert.equal(faultDelay(rule, { next: () => 0.5 }), 125);
    assert.equal(faultDelay(parseFaultRule({ name: '*', action: 'servfail' }, 'f2', 0), { next: () => 0.5 }), 0);
  });

  it('draws random addresses inside the range (property)', () => {
    fc.assert(
      fc.property(fc.integer(), fc.integer({ min: 0, max: 32 }), (seed, prefix) => {
        const random = seededRandom(seed);
        const v4 = randomAddress(4, random, `10.20.30.40/${prefix}`);
        assert.ok(isIPv4(v4));
        const bits = (a: string): string =>
          a
            .split('.')
            .map((o) => Number(o).toString(2).padStart(8, '0'))
            .join('');
        assert.equal(bits(v4).slice(0, prefix), bits('10.20.30.40').slice(0, prefix));
        const v6 = randomAddress(6, random);
        assert.ok(isIPv6(v6));
        assert.ok(v6.startsWith('100:0:0:0:'), v6);
        assert.ok(randomAddress(4, random).startsWith('127.'));
      }),
    );
    assert.equal(parseCidr('::ffff:1.2.3.4/128')?.bytes[15], 4);
    assert.equal(parseCidr('1.2.3.4/40'), undefined);
  });
});

describe('FaultEngine', () => {
  it('adds, lists, removes and clears rules, logging every change', () => {
    const clock = new VirtualClock(1000);
    const engine = new FaultEngine({ clock, random: seededRandom(1) });
    const changes: string[] = [];
    engine.events.on((e) => changes.push(`${e.at}:${e.change}:${e.rules.map((r) => r.id).join(',')}`));
    const a = engine.add({ name: 'a.*', action: 'empty', durationMs: 500 });
    const b = engine.add({ name: 'b.*', action: 'nxdomain', id: 'mine' });
    assert.equal(a.id, 'f1');
    assert.equal(b.id, 'mine');
    assert.throws(
      () => engine.add({ name: 'c', action: 'drop', id: 'mine' }),
      (e) => isFailsmallError(e, 'FS_ERR_CHAOS_FAULT_EXISTS'),
    );
    assert.equal(engine.decide(q('a.x'), clock.now())?.id, 'f1');
    clock.tick(500);
    assert.equal(engine.decide(q('a.x'), clock.now()), undefined, 'the window closed');
    const listed = engine.list();
    assert.deepEqual(
      listed.map((r) => [r.id, r.active, r.fired]),
      [
        ['f1', false, 1],
        ['mine', true, 0],
      ],
    );
    assert.equal(engine.remove('nope'), undefined);
    assert.equal(engine.remove('f1')?.id, 'f1');
    assert.equal(engine.clear(), 1);
    assert.equal(engine.size, 0);
    assert.deepEqual(changes, ['1000:add:f1', '1000:add:mine', '1500:remove:f1', '1500:clear:mine']);
    assert.deepEqual(engine.snapshot(), { rules: 0, fired: {} });
  });

  it('bounds the number of rules', () => {
    const engine = new FaultEngine({ clock: new VirtualClock(), random: seededRandom(1), maxRules: 2 });
    engine.add({ name: 'a', action: 'drop' });
    engine.add({ name: 'b', action: 'drop' });
    assert.throws(
      () => engine.add({ name: 'c', action: 'drop' }),
      (e) => isFailsmallError(e, 'FS_ERR_CHAOS_TOO_MANY_FAULTS'),
    );
  });
});

describe('FaultEngine index', () => {
  it('decides exactly as decideFault over the list, for any rules and names (property)', () => {
    const labels = ['a', 'b', 'api', 'dynamodb', 'example', 'com'];
    const nameArb = fc.array(fc.constantFrom(...labels), { minLength: 1, maxLength: 4 }).map((l) => l.join('.'));
    const patternArb = fc.oneof(
      nameArb,
      nameArb.map((n) => `*.${n}`),
      nameArb.map((n) => `${n}.*`),
      nameArb.map((n) => `*${n}`),
      nameArb.map((n) => n.replace('a', '?')),
      fc.constant('*'),
    );
    const ruleArb = fc.record({
      name: patternArb,
      action: fc.constantFrom('servfail' as const, 'nxdomain' as const, 'empty' as const),
      probability: fc.constantFrom(1, 0.5, 0),
      type: fc.constantFrom('A', 'AAAA', 'ANY'),
    });
    fc.assert(
      fc.property(
        fc.array(ruleArb, { maxLength: 12 }),
        fc.array(nameArb, { minLength: 1, maxLength: 10 }),
        fc.integer(),
        (rules, names, seed) => {
          const clock = new VirtualClock(0);
          const engine = new FaultEngine({ clock, random: seededRandom(seed) });
          for (const r of rules) engine.add(r);
          const list = engine.list();
          const reference = seededRandom(seed);
          for (const name of names) {
            for (const type of ['A', 'AAAA']) {
              const query = { name, type, transport: 'udp' as const };
              assert.equal(engine.decide(query, 0)?.id, decideFault(list, query, 0, reference)?.id, `${name} ${type}`);
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
