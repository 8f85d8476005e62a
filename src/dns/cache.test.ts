import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { dnsError } from './errors.js';
import { AddressSet, DnsCache, negativeTtl, positiveTtl, refreshTime, ttlPolicy } from './cache.js';
import { Resolver } from './resolver/resolver.js';
import type { DnsFamily, Upstream, UpstreamResult } from './types.js';

describe('DnsCache', () => {
  it('evicts the least recently used entry, across families', () => {
    const cache = new DnsCache({ maxEntries: 3 });
    const evicted: string[] = [];
    cache.onEvict = (e) => evicted.push(`${e.family}:${e.name}`);
    cache.getOrCreate(4, 'a');
    cache.getOrCreate(6, 'a');
    cache.getOrCreate(0, 'b');
    cache.get(4, 'a');
    cache.getOrCreate(4, 'c');
    assert.deepEqual(evicted, ['6:a']);
    assert.deepEqual(
      [...cache.entries()].map((e) => `${e.family}:${e.name}`),
      ['4:c', '4:a', '0:b'],
    );
    assert.equal(cache.peek(6, 'a'), undefined);
    assert.equal(cache.evictions, 1);
  });

  it('keeps its size bound and its LRU order under any sequence of operations (model-based)', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('create' as const),
        family: fc.constantFrom<DnsFamily>(0, 4, 6),
        name: fc.integer({ min: 0, max: 9 }),
      }),
      fc.record({
        kind: fc.constant('get' as const),
        family: fc.constantFrom<DnsFamily>(0, 4, 6),
        name: fc.integer({ min: 0, max: 9 }),
      }),
      fc.record({
        kind: fc.constant('delete' as const),
        family: fc.constantFrom<DnsFamily>(0, 4, 6),
        name: fc.integer({ min: 0, max: 9 }),
      }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(op, { maxLength: 200 }), (max, ops) => {
        const cache = new DnsCache({ maxEntries: max });
        let model: string[] = []; // most recent first
        for (const o of ops) {
          const key = `${o.family}:n${o.name}`;
          if (o.kind === 'create') {
            cache.getOrCreate(o.family, `n${o.name}`);
            model = [key, ...model.filter((k) => k !== key)].slice(0, max);
          } else if (o.kind === 'get') {
            const found = cache.get(o.family, `n${o.name}`) !== undefined;
            if (found !== model.includes(key)) return false;
            if (found) model = [key, ...model.filter((k) => k !== key)];
          } else {
            const entry = cache.peek(o.family, `n${o.name}`);
            if (entry !== undefined) cache.delete(entry);
            model = model.filter((k) => k !== key);
          }
          if (cache.size > max || cache.size !== model.length) return false;
        }
        const order = [...cache.entries()].map((e) => `${e.family}:${e.name}`);
        return JSON.stringify(order) === JSON.stringify(model);
      }),
      { numRuns: 300 },
    );
  });
});

describe('TTL policy', () => {
  const policy = ttlPolicy({ minTtl: 5, maxTtl: 600, maxNegativeTtl: 10 });

  it('floors and caps TTLs', () => {
    assert.equal(positiveTtl(0, policy), 5);
    assert.equal(positiveTtl(-3, policy), 5);
    assert.equal(positiveTtl(NaN, policy), 5);
    assert.equal(positiveTtl(60, policy), 60);
    assert.equal(positiveTtl(2 ** 31, policy), 600);
    assert.equal(negativeTtl(900, policy), 10);
    assert.equal(negativeTtl(3, policy), 3);
  });

  it('puts the refresh point in the last 10-20 % of the TTL, jittered', () => {
    const random = seededRandom(3);
    const points = new Set<number>();
    for (let i = 0; i < 1_000; i++) {
      const at = refreshTime(1_000, 100, random, policy);
      assert.ok(at >= 1_000 + 80_000 && at <= 1_000 + 90_000, String(at));
      points.add(Math.round(at / 1_000));
    }
    assert.ok(points.size >= 10, 'spread, not in lock-step');
  });

  it('validates', () => {
    assert.throws(() => ttlPolicy({ minTtl: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => ttlPolicy({ minTtl: 10, maxTtl: 5 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => ttlPolicy({ refreshAheadFrom: 0.1, refreshAheadTo: 0.2 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });
});

describe('AddressSet', () => {
  it('builds each order once, frozen', () => {
    const set = new AddressSet(
      [
        { address: '10.0.0.1', family: 4 },
        { address: 'fd00::1', family: 6 },
      ],
      60,
      0,
      'fresh',
      'u',
    );
    assert.equal(set.view('ipv6first'), set.view('ipv6first'));
    assert.deepEqual(
      set.view('ipv6first').map((a) => a.family),
      [6, 4],
    );
    assert.equal(set.view('verbatim'), set.addresses);
    assert.ok(Object.isFrozen(set.view('ipv4first')));
    assert.ok(
      set.sameAddresses([
        { address: 'fd00::1', family: 6 },
        { address: '10.0.0.1', family: 4 },
      ]),
    );
  });
});

/** An upstream whose answer per name the property test sets; it answers at once. */
class ScriptUpstream implements Upstream {
  readonly name = 'script';
  readonly independent = false;
  readonly answers = new Map<string, UpstreamResult | 'fail'>();
  query(hostname: string): Promise<UpstreamResult> {
    const answer = this.answers.get(hostname) ?? { kind: 'nxdomain', ttl: 5, upstream: this.name };
    if (answer === 'fail') return Promise.reject(dnsError('FS_ERR_DNS_SERVFAIL', 'scripted failure'));
    return Promise.resolve(answer);
  }
}

describe('Resolver cache properties', () => {
  const TTL = 10;
  const MAX_STALE = 100_000;
  const MAX_ENTRIES = 3;
  const names = ['a.test', 'b.test', 'c.test', 'd.test', 'e.test'];
  const pool = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4'];
  const command = fc.oneof(
    fc.record({
      kind: fc.constant('answer' as const),
      name: fc.nat(names.length - 1),
      addresses: fc.subarray(pool, { minLength: 1 }),
    }),
    fc.record({
      kind: fc.constantFrom('empty' as const, 'nxdomain' as const, 'fail' as const),
      name: fc.nat(names.length - 1),
    }),
    fc.record({
      kind: fc.constant('advance' as const),
      ms: fc.constantFrom(0, 500, 5_000, 20_000, 60_000, 400_000, 200_000_000),
    }),
    fc.record({ kind: fc.constant('resolve' as const), name: fc.nat(names.length - 1) }),
    fc.record({ kind: fc.constant('lookup' as const), name: fc.nat(names.length - 1) }),
  );

  it('never exceeds maxEntries, never serves past max-stale, never gives addresses a name never had', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(command, { minLength: 1, maxLength: 60 }), fc.integer(), async (commands, seed) => {
        const clock = new VirtualClock(0);
        const upstream = new ScriptUpstream();
        const resolver = new Resolver({
          upstreams: [upstream],
          clock,
          random: seededRandom(seed),
          maxEntries: MAX_ENTRIES,
          minTtl: 1,
          serveStale: { maxStale: MAX_STALE },
          guard: { holdDown: 60_000, confirmations: 0 },
        });
        const everGiven = new Map<string, Set<string>>();
        try {
          for (const c of commands) {
            if (c.kind === 'advance') await clock.advance(c.ms);
            else if (c.kind === 'answer') {
              const name = names[c.name]!;
              upstream.answers.set(name, {
                kind: 'addresses',
                addresses: c.addresses.map((address) => ({ address, family: 4 as const })),
                ttl: TTL,
                source: 'fresh',
                upstream: 'script',
              });
              const given = everGiven.get(name) ?? new Set();
              for (const a of c.addresses) given.add(a);
              everGiven.set(name, given);
            } else if (c.kind === 'fail') upstream.answers.set(names[c.name]!, 'fail');
            else if (c.kind === 'empty' || c.kind === 'nxdomain') {
              upstream.answers.set(names[c.name]!, { kind: c.kind, ttl: 5, upstream: 'script' });
            } else {
              const name = names[c.name]!;
              let addresses: string[] | undefined;
              let source: string | undefined;
              let age = 0;
              if (c.kind === 'resolve') {
                const answer = await resolver.resolve(name, { family: 4 }).catch(() => undefined);
                addresses = answer?.addresses.map((a) => a.address);
                source = answer?.source;
                age = answer?.age ?? 0;
              } else {
                addresses = await new Promise<string[] | undefined>((resolve) =>
                  resolver.lookup(name, { family: 4, all: true }, (error, list) =>
                    resolve(error ? undefined : (list as { address: string }[]).map((a) => a.address)),
                  ),
                );
              }
              if (addresses !== undefined) {
                const given = everGiven.get(name);
                if (given === undefined || addresses.length === 0) return false; // invented
                if (!addresses.every((a) => given.has(a))) return false;
                if (source === 'stale' && age > TTL * 1000 + MAX_STALE) return false;
              }
            }
            if ((resolver.snapshot().entries as number) > MAX_ENTRIES) return false;
          }
          return true;
        } finally {
          await resolver.close();
        }
      }),
      { numRuns: 150 },
    );
  });

  it('drops invalid addresses from a custom upstream, and treats an answer without any as empty', async () => {
    const upstream = new ScriptUpstream();
    upstream.answers.set('odd.test', {
      kind: 'addresses',
      addresses: [
        { address: 'not-an-ip', family: 4 },
        { address: 'fd00::1', family: 4 },
        { address: '10.0.0.1', family: 4 },
      ],
      ttl: 60,
      source: 'fresh',
      upstream: 'script',
    });
    upstream.answers.set('none.test', {
      kind: 'addresses',
      addresses: [],
      ttl: 60,
      source: 'fresh',
      upstream: 'script',
    });
    const resolver = new Resolver({ upstreams: [upstream], clock: new VirtualClock() });
    assert.deepEqual((await resolver.resolve('odd.test', { family: 4 })).addresses, [
      { address: '10.0.0.1', family: 4 },
    ]);
    await assert.rejects(resolver.resolve('none.test', { family: 4 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'),
    );
    await resolver.close();
  });

  it('errors for a name that only ever failed', async () => {
    const upstream = new ScriptUpstream();
    upstream.answers.set('x.test', 'fail');
    const resolver = new Resolver({ upstreams: [upstream], clock: new VirtualClock() });
    await assert.rejects(resolver.resolve('x.test'), (e) => isFailsmallError(e, 'FS_ERR_DNS_SERVFAIL'));
    assert.equal(resolver.snapshot().entries, 0, 'nothing is kept for it');
    await resolver.close();
  });
});
