import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import dns from 'node:dns';
import { after, afterEach, before, describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { isFailsmallError } from '../../core/errors.js';
import { seededRandom } from '../../core/random.js';
import type { LookupError } from '../errors.js';
import type { DnsEvent } from './events.js';
import type { ResolverOptions } from './options.js';
import { Resolver } from './resolver.js';
import { startDnsFixture, type DnsFixture } from '../../test-support/dns-server.js';
import { waitFor } from '../../test-support/wait.js';

/** Lets real socket I/O happen (polling on real time, bounded). */
/** How many answers `upstream` gave `resolver` (its per-upstream counter). */
function answers(resolver: Resolver, upstream: string): number {
  return resolver.snapshot().upstreams[upstream]?.answers ?? 0;
}

function lookupAsync(
  resolver: Resolver,
  hostname: string,
  options: dns.LookupOptions = {},
): Promise<{ address: string; family: number }> {
  return new Promise((resolve, reject) =>
    resolver.lookup(hostname, options, (error, address, family) =>
      error ? reject(error) : resolve({ address: address as string, family: family! }),
    ),
  );
}

describe('Resolver', () => {
  let server: DnsFixture;
  let independent: DnsFixture;
  const resolvers: Resolver[] = [];
  let clock: VirtualClock;
  const make = (options: ResolverOptions = {}): Resolver => {
    const resolver = new Resolver({ upstreams: [server.server], clock, random: seededRandom(1), ...options });
    resolvers.push(resolver);
    return resolver;
  };

  before(async () => {
    server = await startDnsFixture();
    independent = await startDnsFixture();
  });
  afterEach(async () => {
    for (const r of resolvers.splice(0)) await r.close();
    server.behave('*', 'answer');
  });
  after(async () => {
    await server.close();
    await independent.close();
  });
  const fresh = (): void => {
    clock = new VirtualClock(1_000_000);
  };

  it('resolves, then answers from the cache until the TTL ends', async () => {
    fresh();
    server.set('api.test', { A: ['10.0.0.1', '10.0.0.2'], AAAA: ['fd00::1'], ttl: 60 });
    const resolver = make();
    const first = await resolver.resolve('api.test');
    assert.equal(first.source, 'fresh');
    assert.equal(first.ttl, 60);
    assert.deepEqual(
      first.addresses.map((a) => a.address),
      ['10.0.0.1', '10.0.0.2', 'fd00::1'],
    );
    const queries = server.count('api.test');
    await clock.advance(20_000);
    const second = await resolver.resolve('API.test.');
    assert.equal(second.source, 'cache');
    assert.equal(second.ttl, 40);
    assert.equal(second.age, 20_000);
    assert.equal(server.count('api.test'), queries);
    await clock.advance(40_000);
    assert.equal((await resolver.resolve('api.test')).source, 'fresh');
    assert.equal(server.count('api.test'), queries + 2, 'A and AAAA asked again after expiry');
  });

  it('answers a cache hit as a copy, counted as a hit, and reports bad arguments as rejections', async () => {
    fresh();
    server.set('hit.test', { A: ['10.0.0.7'], ttl: 60 });
    const resolver = make();
    await resolver.resolve('hit.test', { family: 4 });
    const before = resolver.snapshot();
    const hit = await resolver.resolve('hit.test', { family: 4 });
    assert.equal(hit.source, 'cache');
    hit.addresses.length = 0; // the caller's copy: the cache keeps its own
    assert.deepEqual(
      (await resolver.resolve('hit.test', { family: 4 })).addresses.map((a) => a.address),
      ['10.0.0.7'],
    );
    const after = resolver.snapshot();
    assert.equal(after.hits - before.hits, 2);
    assert.equal(after.queries - before.queries, 2);
    // Not a synchronous throw: every failure reaches the caller through the promise.
    const badFamily = resolver.resolve('hit.test', { family: 5 as 4 });
    await assert.rejects(badFamily, { code: 'FS_ERR_INVALID_ARGUMENT' });
    await assert.rejects(resolver.resolve('bad..name'), { code: 'FS_ERR_DNS_INVALID_HOSTNAME' });
    await assert.rejects(resolver.resolve(42 as unknown as string), { code: 'FS_ERR_DNS_INVALID_HOSTNAME' });
  });

  it('agrees with c-ares on every answer', async () => {
    fresh();
    server.set('a.cross.test', { A: ['10.1.0.1', '10.1.0.2', '10.1.0.3'], ttl: 30 });
    server.set('b.cross.test', { CNAME: 'a.cross.test', ttl: 10 });
    server.set('c.cross.test', { AAAA: ['fd00::c', 'fd00::d'], ttl: 30 });
    const resolver = make();
    const cares = new dns.promises.Resolver();
    cares.setServers([server.server]);
    for (const name of ['a.cross.test', 'b.cross.test']) {
      const ours = await resolver.resolve(name, { family: 4 });
      const theirs = await cares.resolve4(name, { ttl: true });
      assert.deepEqual(
        ours.addresses.map((a) => a.address),
        theirs.map((t) => t.address),
      );
      assert.equal(ours.ttl, Math.min(...theirs.map((t) => t.ttl)));
    }
    const v6 = await resolver.resolve('c.cross.test', { family: 6 });
    assert.deepEqual(
      v6.addresses.map((a) => a.address),
      await cares.resolve6('c.cross.test'),
    );
    await assert.rejects(cares.resolve4('nx.cross.test'), { code: 'ENOTFOUND' });
    await assert.rejects(resolver.resolve('nx.cross.test', { family: 4 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_NOT_FOUND'),
    );
    await assert.rejects(cares.resolve6('a.cross.test'), { code: 'ENODATA' });
    await assert.rejects(resolver.resolve('a.cross.test', { family: 6 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'),
    );
  });

  it('applies the TTL floor and cap', async () => {
    fresh();
    server.set('zero.test', { A: ['10.0.0.1'], ttl: 0 });
    server.set('long.test', { A: ['10.0.0.1'], ttl: 86_400 });
    const resolver = make({ minTtl: 5, maxTtl: 600 });
    assert.equal((await resolver.resolve('zero.test', { family: 4 })).ttl, 5);
    assert.equal((await resolver.resolve('long.test', { family: 4 })).ttl, 600);
    await clock.advance(4_999);
    assert.equal((await resolver.resolve('zero.test', { family: 4 })).source, 'cache');
  });

  it('sends one query however many callers wait (in-flight de-duplication)', async () => {
    fresh();
    server.set('busy.test', { A: ['10.0.0.9'], ttl: 60 });
    const resolver = make();
    const before = server.count('busy.test');
    const answers = await Promise.all([
      ...Array.from({ length: 50 }, () => resolver.resolve('busy.test', { family: 4 })),
      ...Array.from({ length: 50 }, () => lookupAsync(resolver, 'busy.test', { family: 4 })),
    ]);
    assert.equal(answers.length, 100);
    assert.equal(server.count('busy.test'), before + 1);
    const snap = resolver.snapshot();
    assert.equal(snap.upstreamQueries, 1);
    assert.ok(snap.coalesced >= 98);
  });

  it('refreshes ahead, in the background, when a hit arrives in the last 10-20 % of the TTL', async () => {
    fresh();
    server.set('ahead.test', { A: ['10.0.0.1'], ttl: 100 });
    const resolver = make();
    await resolver.resolve('ahead.test', { family: 4 });
    const before = server.count('ahead.test');
    await clock.advance(79_000);
    assert.equal((await resolver.resolve('ahead.test', { family: 4 })).source, 'cache');
    assert.equal(server.count('ahead.test'), before, 'not before 80 % of the TTL');
    server.set('ahead.test', { A: ['10.0.0.2'], ttl: 100 });
    await clock.advance(11_000);
    const hit = await resolver.resolve('ahead.test', { family: 4 });
    assert.equal(hit.source, 'cache', 'the hit itself is served at once');
    assert.deepEqual(
      hit.addresses.map((a) => a.address),
      ['10.0.0.1'],
    );
    await waitFor(() => server.count('ahead.test') === before + 1);
    await waitFor(() => resolver.snapshot().refreshAhead === 1);
    await waitFor(() => answers(resolver, server.server) === 2);
    await new Promise((resolve) => setImmediate(resolve)); // the answer is applied after the counter
    const after = await resolver.resolve('ahead.test', { family: 4 });
    assert.deepEqual(
      after.addresses.map((a) => a.address),
      ['10.0.0.2'],
    );
    assert.ok(after.age < 11_000);
  });

  it('serves stale when the upstream fails, then waits the failure recheck timer before asking again', async () => {
    fresh();
    server.set('stale.test', { A: ['10.0.0.5'], ttl: 10 });
    const resolver = make();
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    await resolver.resolve('stale.test', { family: 4 });
    await clock.advance(10_000);
    server.behave('stale.test', 'servfail');
    const before = server.count('stale.test');
    const stale = await resolver.resolve('stale.test', { family: 4 });
    assert.equal(stale.source, 'stale');
    assert.equal(stale.ttl, 30);
    assert.deepEqual(
      stale.addresses.map((a) => a.address),
      ['10.0.0.5'],
    );
    assert.equal(server.count('stale.test'), before + 1);
    assert.ok(events.some((e) => e.type === 'stale-served' && e.hostname === 'stale.test'));
    assert.ok(events.some((e) => e.type === 'upstream-error' && e.code === 'FS_ERR_DNS_SERVFAIL'));
    // Within 30 s of the failure: stale at once, no query.
    await clock.advance(29_000);
    assert.equal((await resolver.resolve('stale.test', { family: 4 })).source, 'stale');
    assert.equal(server.count('stale.test'), before + 1);
    await clock.advance(1_000);
    server.behave('stale.test', 'answer');
    assert.equal((await resolver.resolve('stale.test', { family: 4 })).source, 'fresh');
    assert.equal(server.count('stale.test'), before + 2);
    assert.equal(resolver.snapshot().staleServed, 2);
  });

  it('answers stale after the 1.8 s client response timer while the query goes on', async () => {
    fresh();
    server.set('slow.test', { A: ['10.0.0.6'], ttl: 10 });
    const resolver = make({ timeout: 5_000 });
    await resolver.resolve('slow.test', { family: 4 });
    await clock.advance(10_000);
    server.behave('slow.test', 'drop');
    const before = server.count('slow.test');
    const got: { answer?: Awaited<ReturnType<Resolver['resolve']>> } = {};
    const pending = resolver.resolve('slow.test', { family: 4 }).then((a) => (got.answer = a));
    await waitFor(() => server.count('slow.test') === before + 1);
    await clock.advance(1_799);
    assert.equal('answer' in got, false);
    await clock.advance(1);
    await pending;
    assert.equal(got.answer?.source, 'stale');
    // The server recovers before the query's own timeout; its retransmission gets the fresh answer.
    server.behave('slow.test', 'answer');
    server.set('slow.test', { A: ['10.0.0.7'], ttl: 10 });
    await clock.advance(700); // retransmit at 2.5 s
    await waitFor(() => answers(resolver, server.server) === 2);
    await new Promise((resolve) => setImmediate(resolve));
    const next = await resolver.resolve('slow.test', { family: 4 });
    assert.equal(next.source, 'cache');
    assert.deepEqual(
      next.addresses.map((a) => a.address),
      ['10.0.0.7'],
    );
  });

  it('does not serve data expired longer than maxStale, nor stale for a name that never resolved', async () => {
    fresh();
    server.set('old.test', { A: ['10.0.0.8'], ttl: 10 });
    const resolver = make({ serveStale: { maxStale: 60_000 } });
    await resolver.resolve('old.test', { family: 4 });
    server.behave('old.test', 'servfail');
    await clock.advance(70_001);
    await assert.rejects(resolver.resolve('old.test', { family: 4 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_SERVFAIL'),
    );
    server.behave('never.test', 'servfail');
    await assert.rejects(resolver.resolve('never.test', { family: 4 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_SERVFAIL'),
    );
    await assert.rejects(lookupAsync(resolver, 'never.test', { family: 4 }), (e: LookupError) => {
      assert.equal(e.code, 'EAI_AGAIN');
      assert.equal(e.syscall, 'getaddrinfo');
      assert.equal(e.hostname, 'never.test');
      assert.equal(e.details.code, 'FS_ERR_DNS_SERVFAIL');
      return true;
    });
  });

  it('does not serve stale when serve-stale is off', async () => {
    fresh();
    server.set('nostale.test', { A: ['10.0.0.8'], ttl: 10 });
    const resolver = make({ serveStale: false });
    await resolver.resolve('nostale.test', { family: 4 });
    server.behave('nostale.test', 'refused');
    await clock.advance(10_000);
    await assert.rejects(resolver.resolve('nostale.test', { family: 4 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_REFUSED'),
    );
  });

  for (const change of ['empty', 'nxdomain'] as const) {
    it(`keeps the last-known-good set when the name answers ${change}, until the hold-down ends`, async () => {
      fresh();
      const name = `lkg-${change}.test`;
      server.set(name, { A: ['10.0.1.1', '10.0.1.2'], ttl: 20 });
      const resolver = make({ guard: { confirmations: 0 } });
      const events: DnsEvent[] = [];
      resolver.events.on((e) => events.push(e));
      await resolver.resolve(name, { family: 4 });
      await clock.advance(20_000);
      server.behave(name, change);
      const held = await resolver.resolve(name, { family: 4 });
      assert.equal(held.source, 'last-known-good');
      assert.deepEqual(
        held.addresses.map((a) => a.address),
        ['10.0.1.1', '10.0.1.2'],
      );
      const engaged = events.find((e) => e.type === 'guard-engaged');
      assert.ok(engaged !== undefined && engaged.type === 'guard-engaged');
      assert.equal(engaged.reason, change);
      assert.equal(engaged.hostname, name);
      assert.deepEqual(resolver.guarded(), [
        { hostname: name, family: 4, reason: change, since: clock.now(), reachableAt: null },
      ]);
      // lookup serves it too, from the cache, as a plain address.
      assert.deepEqual(await lookupAsync(resolver, name, { family: 4 }), { address: '10.0.1.1', family: 4 });
      // Every recheck during the hold-down still serves the last-known-good set.
      for (let t = 0; t < 14; t++) {
        await clock.advance(20_000);
        assert.equal((await resolver.resolve(name, { family: 4 })).source, 'last-known-good');
      }
      await clock.advance(20_000); // 300 s since the change
      await assert.rejects(resolver.resolve(name, { family: 4 }), (e) =>
        isFailsmallError(e, change === 'empty' ? 'FS_ERR_DNS_NO_DATA' : 'FS_ERR_DNS_NOT_FOUND'),
      );
      const released = events.find((e) => e.type === 'guard-released');
      assert.ok(released !== undefined && released.type === 'guard-released');
      assert.equal(released.reason, 'hold-down');
      assert.equal(released.heldFor, 300_000);
      assert.ok(resolver.snapshot().lastKnownGoodServed >= 15);
    });
  }

  it('keeps the set past the hold-down while connects report it reachable; believes the change once they fail', async () => {
    fresh();
    const name = 'evidence.test';
    server.set(name, { A: ['10.0.5.1', '10.0.5.2'], ttl: 20 });
    const resolver = make({ guard: { confirmations: 0 } });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    await resolver.resolve(name, { family: 4 });
    resolver.reportReachable(name, '10.0.5.1'); // not engaged: a no-op
    assert.equal(resolver.guarded().length, 0);
    await clock.advance(20_000);
    server.behave(name, 'empty');
    assert.equal((await resolver.resolve(name, { family: 4 })).source, 'last-known-good');
    // An hour of scenario time, a connect every 20 s, each a success: the set is kept past the 5 min.
    for (let t = 0; t < 180; t++) {
      resolver.reportReachable(name.toUpperCase() + '.', '10.0.5.2'); // any spelling of the name
      resolver.reportReachable(name, '192.0.2.77'); // not one of the set: ignored
      await clock.advance(20_000);
      assert.equal((await resolver.resolve(name, { family: 4 })).source, 'last-known-good', `at ${t}`);
    }
    assert.deepEqual(
      events.filter((e) => e.type === 'guard-evidence').map((e) => e.type === 'guard-evidence' && e.reachable),
      [true],
      'one event when the evidence appears, not one per report',
    );
    assert.equal(resolver.guarded()[0]?.reachableAt, clock.now() - 20_000);
    assert.equal(resolver.snapshot().guardsHeldByEvidence, 1);
    // The servers go away: both addresses fail. The hold-down has long passed: the next resolution asks
    // the name again at once and believes it.
    resolver.reportUnreachable(name, '10.0.5.1');
    assert.equal(resolver.snapshot().guardsHeldByEvidence, 1, 'one of two failed: still evidence');
    resolver.reportUnreachable(name, '10.0.5.2');
    assert.equal(resolver.snapshot().guardsHeldByEvidence, 0);
    await assert.rejects(resolver.resolve(name, { family: 4 }), (e) => isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'));
    const released = events.find((e) => e.type === 'guard-released');
    assert.equal(released?.type === 'guard-released' && released.reason, 'hold-down');
    assert.equal(events.filter((e) => e.type === 'guard-evidence').length, 2);
    const counters = resolver.snapshot();
    assert.equal(counters.reachableReports, 361);
    assert.equal(counters.unreachableReports, 2);
  });

  it('believes the change after maxHold even while the set answers', async () => {
    fresh();
    const name = 'maxhold.test';
    server.set(name, { A: ['10.0.6.1'], ttl: 30 });
    const resolver = make({ guard: { confirmations: 0, maxHold: 600_000 } });
    await resolver.resolve(name, { family: 4 });
    await clock.advance(30_000);
    server.behave(name, 'nxdomain');
    assert.equal((await resolver.resolve(name, { family: 4 })).source, 'last-known-good');
    for (let t = 0; t < 19; t++) {
      resolver.reportReachable(name, '10.0.6.1');
      await clock.advance(30_000);
      assert.equal((await resolver.resolve(name, { family: 4 })).source, 'last-known-good');
    }
    resolver.reportReachable(name, '10.0.6.1');
    await clock.advance(30_000); // 600 s
    await assert.rejects(resolver.resolve(name, { family: 4 }), (e) => isFailsmallError(e, 'FS_ERR_DNS_NOT_FOUND'));
  });

  it('takes reports for unknown names, bad input and with the guard off without complaint', () => {
    const resolver = make();
    resolver.reportReachable('never-seen.test', '10.0.0.1');
    resolver.reportUnreachable('Bad Name!', '10.0.0.1');
    resolver.reportReachable(42 as unknown as string, undefined as unknown as string);
    const off = make({ guard: false });
    off.reportReachable('never-seen.test', '10.0.0.1');
    assert.equal(resolver.snapshot().reachableReports, 2);
    assert.throws(() => make({ guard: { reachableWithin: -5 } }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => make({ guard: { holdDown: 60_000, maxHold: 1 } }), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });

  it('holds when an answer drops more than half the addresses, accepts a smaller drop', async () => {
    fresh();
    server.set('fleet.test', { A: ['10.2.0.1', '10.2.0.2', '10.2.0.3', '10.2.0.4'], ttl: 10 });
    const resolver = make({ guard: { confirmations: 0, maxDropShare: 0.5 } });
    await resolver.resolve('fleet.test', { family: 4 });
    server.set('fleet.test', { A: ['10.2.0.1', '10.2.0.2', '10.2.0.3'], ttl: 10 });
    await clock.advance(10_000);
    const smaller = await resolver.resolve('fleet.test', { family: 4 });
    assert.equal(smaller.source, 'fresh');
    assert.equal(smaller.addresses.length, 3);
    server.set('fleet.test', { A: ['10.2.0.9'], ttl: 10 });
    await clock.advance(10_000);
    const held = await resolver.resolve('fleet.test', { family: 4 });
    assert.equal(held.source, 'last-known-good');
    assert.equal(held.addresses.length, 3);
  });

  it('publishes every answer with its source, and failures with their code, on failsmall:dns:answer', async () => {
    fresh();
    server.set('answers.test', { A: ['10.4.0.1'], ttl: 5 });
    const resolver = make();
    const published: Record<string, unknown>[] = [];
    const onAnswer = (message: unknown): void => void published.push(message as Record<string, unknown>);
    diagnostics.subscribe('failsmall:dns:answer', onAnswer);
    try {
      await resolver.resolve('answers.test', { family: 4 });
      await resolver.resolve('answers.test', { family: 4 });
      await lookupAsync(resolver, 'answers.test', { family: 4 }); // the synchronous cache path
      server.behave('gone.test', 'nxdomain');
      await assert.rejects(resolver.resolve('gone.test', { family: 4 }), { code: 'FS_ERR_DNS_NOT_FOUND' });
      await resolver.resolve('127.0.0.1'); // literals are not resolutions
    } finally {
      diagnostics.unsubscribe('failsmall:dns:answer', onAnswer);
    }
    assert.deepEqual(
      published.map((m) => [m['type'], m['hostname'], m['source'] ?? m['code'], m['family']]),
      [
        ['answer', 'answers.test', 'fresh', 4],
        ['answer', 'answers.test', 'cache', 4],
        ['answer', 'answers.test', 'cache', 4],
        ['error', 'gone.test', 'FS_ERR_DNS_NOT_FOUND', 4],
      ],
    );
    assert.ok(published.every((m) => typeof m['duration'] === 'number' && typeof m['at'] === 'number'));
  });

  it('releases at once when the name recovers', async () => {
    fresh();
    server.set('flap.test', { A: ['10.3.0.1'], ttl: 5 });
    const resolver = make({ guard: { confirmations: 0 } });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    const published: unknown[] = [];
    const onGuard = (message: unknown): void => void published.push(message);
    diagnostics.subscribe('failsmall:dns:guard', onGuard);
    await resolver.resolve('flap.test', { family: 4 });
    await clock.advance(5_000);
    server.behave('flap.test', 'empty');
    assert.equal((await resolver.resolve('flap.test', { family: 4 })).source, 'last-known-good');
    server.behave('flap.test', 'answer');
    server.set('flap.test', { A: ['10.3.0.1', '10.3.0.2'], ttl: 5 });
    await clock.advance(5_000);
    const back = await resolver.resolve('flap.test', { family: 4 });
    assert.equal(back.source, 'fresh');
    assert.equal(back.addresses.length, 2);
    assert.deepEqual(
      events.filter((e) => e.type.startsWith('guard')).map((e) => [e.type, 'reason' in e ? e.reason : '']),
      [
        ['guard-engaged', 'empty'],
        ['guard-released', 'recovered'],
      ],
    );
    diagnostics.unsubscribe('failsmall:dns:guard', onGuard);
    assert.equal(published.length, 2, 'also published on the failsmall:dns:guard diagnostics channel');
  });

  it('releases when an independent upstream confirms the change, and holds past the hold-down when one vetoes it', async () => {
    fresh();
    server.set('conf.test', { A: ['10.4.0.1'], ttl: 5 });
    independent.set('conf.test', { A: ['10.4.0.1'], ttl: 5 });
    const resolver = make({
      upstreams: [server.server, { server: independent.server, independent: true }],
      guard: { confirmations: 1, holdDown: 60_000 },
    });
    const events: DnsEvent[] = [];
    resolver.events.on((e) => events.push(e));
    await resolver.resolve('conf.test', { family: 4 });
    assert.equal(independent.count('conf.test'), 0, 'the second opinion is not asked for normal lookups');
    await clock.advance(5_000);
    server.behave('conf.test', 'empty');
    assert.equal((await resolver.resolve('conf.test', { family: 4 })).source, 'last-known-good');
    await waitFor(() => answers(resolver, independent.server) === 1);
    await new Promise((resolve) => setImmediate(resolve));
    // The independent upstream still sees the address: a veto, even after the hold-down.
    await clock.advance(65_000);
    assert.equal((await resolver.resolve('conf.test', { family: 4 })).source, 'last-known-good');
    assert.ok(!events.some((e) => e.type === 'guard-released'));
    // Now it agrees: the change is confirmed.
    independent.behave('conf.test', 'empty');
    await clock.advance(5_000);
    await resolver.resolve('conf.test', { family: 4 }).catch(() => undefined);
    await waitFor(() => events.some((e) => e.type === 'guard-released'));
    const released = events.find((e) => e.type === 'guard-released');
    assert.equal(released?.type === 'guard-released' && released.reason, 'confirmed');
    await assert.rejects(resolver.resolve('conf.test', { family: 4 }), (e) =>
      isFailsmallError(e, 'FS_ERR_DNS_NO_DATA'),
    );
    independent.behave('conf.test', 'answer');
  });

  it('never invents addresses: a name that never resolved gets ENOTFOUND', async () => {
    fresh();
    const resolver = make();
    server.behave('ghost.test', 'nxdomain');
    await assert.rejects(resolver.resolve('ghost.test'), (e) => isFailsmallError(e, 'FS_ERR_DNS_NOT_FOUND'));
    await assert.rejects(lookupAsync(resolver, 'ghost.test'), (e: LookupError) => {
      assert.equal(e.code, 'ENOTFOUND');
      assert.equal(e.errno, -3008);
      assert.equal(e.syscall, 'getaddrinfo');
      assert.equal(e.hostname, 'ghost.test');
      assert.equal(e.details.code, 'FS_ERR_DNS_NOT_FOUND');
      assert.match(e.message, /getaddrinfo ENOTFOUND ghost.test/);
      return true;
    });
    // The negative answer is cached (for at most maxNegativeTtl).
    const queries = server.count('ghost.test');
    await assert.rejects(resolver.resolve('ghost.test'));
    assert.equal(server.count('ghost.test'), queries);
  });

  it('rejects invalid host names without asking anyone', async () => {
    fresh();
    const resolver = make();
    const before = server.count();
    for (const bad of [
      'a..b',
      '-a.test',
      'a-.test',
      `${'a'.repeat(64)}.test`,
      `${'a.'.repeat(127)}a`,
      'ü.test',
      'a b',
    ]) {
      await assert.rejects(resolver.resolve(bad), (e) => isFailsmallError(e, 'FS_ERR_DNS_INVALID_HOSTNAME'), bad);
      await assert.rejects(
        lookupAsync(resolver, bad),
        (e: LookupError) => e.code === 'ENOTFOUND' && e.details.code === 'FS_ERR_DNS_INVALID_HOSTNAME',
      );
    }
    assert.equal(server.count(), before);
  });

  it('hedges to the secondary after the hedge delay when the primary is silent', async () => {
    fresh();
    const primary = await startDnsFixture({ zone: { 'hedge.test': { A: ['10.5.0.1'] } } });
    try {
      server.set('hedge.test', { A: ['10.5.0.1'], ttl: 30 });
      primary.behave('hedge.test', 'drop');
      const resolver = make({ upstreams: [primary.server, server.server], hedgeDelay: 100 });
      const got: { answer?: Awaited<ReturnType<Resolver['resolve']>> } = {};
      const pending = resolver.resolve('hedge.test', { family: 4 }).then((a) => (got.answer = a));
      await waitFor(() => primary.count('hedge.test') === 1);
      assert.equal(server.count('hedge.test'), 0);
      await clock.advance(100);
      await pending;
      assert.equal(got.answer?.source, 'fresh');
      assert.equal(server.count('hedge.test'), 1);
      const upstreams = resolver.snapshot().upstreams;
      assert.equal(upstreams[primary.server]?.errors, 0, 'a cancelled hedge is not an error');
    } finally {
      await primary.close();
    }
  });

  it('asks every upstream at once in parallel mode, and reports each failure', async () => {
    fresh();
    const other = await startDnsFixture({ zone: { 'par.test': { A: ['10.6.0.1'] } } });
    try {
      server.set('par.test', { A: ['10.6.0.1'] });
      server.behave('par.test', 'servfail');
      other.behave('par.test', 'refused');
      const resolver = make({ upstreams: [server.server, other.server], strategy: 'parallel' });
      await assert.rejects(resolver.resolve('par.test', { family: 4 }), (e) => {
        assert.ok(isFailsmallError(e, 'FS_ERR_DNS_SERVFAIL'));
        assert.deepEqual((e.details?.errors as { code: string }[]).map((x) => x.code).sort(), [
          'FS_ERR_DNS_REFUSED',
          'FS_ERR_DNS_SERVFAIL',
        ]);
        return true;
      });
      assert.equal(server.count('par.test'), 1);
      assert.equal(other.count('par.test'), 1);
    } finally {
      await other.close();
    }
  });

  it('evicts the least recently used entries past maxEntries', async () => {
    fresh();
    server.set('*.lru.test', { A: ['10.7.0.1'], ttl: 300 });
    const resolver = make({ maxEntries: 3 });
    for (const n of ['a', 'b', 'c']) await resolver.resolve(`${n}.lru.test`, { family: 4 });
    await resolver.resolve('a.lru.test', { family: 4 }); // a is now the most recent
    await resolver.resolve('d.lru.test', { family: 4 }); // evicts b
    assert.equal(resolver.snapshot().entries, 3);
    const before = server.count('b.lru.test');
    assert.equal((await resolver.resolve('a.lru.test', { family: 4 })).source, 'cache');
    assert.equal((await resolver.resolve('b.lru.test', { family: 4 })).source, 'fresh');
    assert.equal(server.count('b.lru.test'), before + 1);
  });

  it('stops waiting when the caller aborts, while the shared query goes on', async () => {
    fresh();
    server.set('abort.test', { A: ['10.8.0.1'], ttl: 30 });
    server.behave('abort.test', 'drop');
    const resolver = make();
    const controller = new AbortController();
    const first = resolver.resolve('abort.test', { family: 4, signal: controller.signal });
    const second = resolver.resolve('abort.test', { family: 4 });
    await waitFor(() => server.count('abort.test') >= 1);
    controller.abort(new Error('client gone'));
    await assert.rejects(first, /client gone/);
    server.behave('abort.test', 'answer');
    await clock.advance(1_000); // the retransmission gets the answer
    assert.equal((await second).source, 'fresh');
  });

  it('rejects after close, and validates options', async () => {
    fresh();
    const resolver = make();
    await resolver.close();
    await assert.rejects(resolver.resolve('api.test'), (e) => isFailsmallError(e, 'FS_ERR_DNS_CLOSED'));
    await assert.rejects(lookupAsync(resolver, 'api.test'), { code: 'EAI_CANCELED' });
    assert.throws(() => new Resolver({ upstreams: [] }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new Resolver({ upstreams: ['dns.google:53'] }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new Resolver({ guard: { maxDropShare: 2 } }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new Resolver({ serveStale: { clientResponseTimer: -1 } }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new Resolver({ strategy: 'random' as 'hedge' }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    await assert.rejects(make().resolve('a.test', { family: 5 as 4 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });

  it('reports invalid options with the values as given, and refuses unknown or wrong-typed ones', () => {
    const invalid = (options: unknown, message: string): void =>
      assert.throws(() => new Resolver(options as ResolverOptions), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    invalid({ minTtl: 10, maxTtl: 1 }, 'Expected `maxTtl` to be a number >= minTtl (10), got 1');
    invalid({ lkgFile: 42 }, 'Expected `lkgFile` to be a file path (a non-empty string), got 42');
    invalid({ lkgFile: '' }, 'Expected `lkgFile` to be a file path (a non-empty string), got ""');
    invalid(
      { snapshotFile: '/tmp/x' },
      'Expected `snapshotFile` to be a known option of Resolver (renamed `lkgFile`), got "/tmp/x"',
    );
    invalid({ maxTTL: 5 }, 'Expected `maxTTL` to be a known option of Resolver, got 5');
    invalid({ guard: 'yes' }, 'Expected `guard` to be a boolean or an options object, got "yes"');
    invalid({ clock: null }, 'Expected `clock` to be a Clock, got null');
    invalid({ lkgLimits: { maxAddresses: 0 } }, 'Expected `lkgLimits.maxAddresses` to be a positive integer, got 0');
    invalid({ lkgLimits: { maxFiles: 1 } }, 'Expected `maxFiles` to be a known option of lkgLimits, got 1');
  });
});
