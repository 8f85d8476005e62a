import assert from 'node:assert/strict';
import type dns from 'node:dns';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { dnsError } from './errors.js';
import { Resolver } from './resolver/resolver.js';
import type { DnsFamily, Upstream, UpstreamResult } from './types.js';
import { ServerUpstream, SystemUpstream, UpstreamSet, createUpstream, mergeFamilies, parseHosts } from './upstream.js';

const dir = mkdtempSync(join(tmpdir(), 'failsmall-dns-upstream-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An answer of one address. */
const oneAddress = (
  address: string,
  ttl: number,
  upstream: string,
  source: 'fresh' | 'hosts' = 'fresh',
  family: 4 | 6 = 4,
): UpstreamResult => ({ kind: 'addresses', addresses: [{ address, family }], ttl, source, upstream });

/** An upstream driven by the test: each query waits until the test settles it. */
class ScriptedUpstream implements Upstream {
  readonly calls: { hostname: string; family: DnsFamily; signal: AbortSignal | undefined }[] = [];
  readonly #waiting: { resolve: (r: UpstreamResult) => void; reject: (e: unknown) => void }[] = [];
  constructor(
    readonly name: string,
    readonly independent = false,
  ) {}
  query(hostname: string, family: DnsFamily, signal?: AbortSignal): Promise<UpstreamResult> {
    this.calls.push({ hostname, family, signal });
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
  }
  answer(address: string): void {
    this.#waiting.shift()?.resolve(oneAddress(address, 60, this.name));
  }
  fail(code: 'FS_ERR_DNS_SERVFAIL' | 'FS_ERR_DNS_TIMEOUT'): void {
    this.#waiting.shift()?.reject(dnsError(code, `${this.name} failed`));
  }
}

describe('parseHosts', () => {
  it('reads addresses and names, skipping comments, bad lines and zone ids', () => {
    const hosts = parseHosts(
      '# comment\n127.0.0.1 localhost\n10.0.0.5\tdb.internal DB # primary\nnot-an-ip foo\nfe80::1%eth0 link.local\n10.0.0.6 db.internal.\n',
    );
    assert.deepEqual(hosts.get('db.internal'), [
      { address: '10.0.0.5', family: 4 },
      { address: '10.0.0.6', family: 4 },
    ]);
    assert.deepEqual(hosts.get('db'), [{ address: '10.0.0.5', family: 4 }]);
    assert.deepEqual(hosts.get('link.local'), [{ address: 'fe80::1', family: 6 }]);
    assert.equal(hosts.get('foo'), undefined);
  });
});

describe('SystemUpstream', () => {
  const fakeLookup = (answers: Record<string, { code?: string; addresses?: dns.LookupAddress[] }>): typeof dns.lookup =>
    ((
      hostname: string,
      _options: unknown,
      callback: (e: NodeJS.ErrnoException | null, a: dns.LookupAddress[]) => void,
    ) => {
      const answer = answers[hostname] ?? { code: 'ENOTFOUND' };
      const error = answer.code === undefined ? null : Object.assign(new Error(answer.code), { code: answer.code });
      process.nextTick(callback, error, answer.addresses ?? []);
    }) as unknown as typeof dns.lookup;

  it('labels hosts-file answers `hosts` and maps getaddrinfo errors', async () => {
    const hostsFile = join(dir, 'hosts');
    writeFileSync(hostsFile, '10.9.0.1 pinned.test\n');
    const upstream = new SystemUpstream({
      hostsFile,
      ttl: 7,
      lookup: fakeLookup({
        'dns.test': {
          addresses: [
            { address: '10.9.0.2', family: 4 },
            { address: '10.9.0.2', family: 4 },
          ],
        },
        'empty.test': { code: 'ENODATA' },
        'again.test': { code: 'EAI_AGAIN' },
      }),
    });
    assert.deepEqual(await upstream.query('pinned.test', 0), oneAddress('10.9.0.1', 7, 'system', 'hosts'));
    assert.deepEqual(await upstream.query('dns.test', 4), oneAddress('10.9.0.2', 7, 'system'));
    assert.equal((await upstream.query('nope.test', 0)).kind, 'nxdomain');
    assert.equal((await upstream.query('empty.test', 0)).kind, 'empty');
    await assert.rejects(upstream.query('again.test', 0), (e) => isFailsmallError(e, 'FS_ERR_DNS_SERVFAIL'));
  });

  it('serves hosts entries through the resolver with source `hosts`, and re-reads the file when it changes', async () => {
    const hostsFile = join(dir, 'hosts2');
    writeFileSync(hostsFile, '10.9.1.1 pinned.test\n');
    const clock = new VirtualClock(1_000);
    const resolver = new Resolver({
      upstreams: [{ system: true, hostsFile, hostsRefresh: 1_000, lookup: fakeLookup({}) }],
      clock,
      minTtl: 1,
    });
    try {
      const answer = await resolver.resolve('pinned.test');
      assert.equal(answer.source, 'hosts');
      assert.equal((await resolver.resolve('pinned.test')).source, 'hosts');
      writeFileSync(hostsFile, '10.9.1.2 pinned.test\n');
      await clock.advance(11_000);
      const again = await resolver.resolve('pinned.test');
      assert.deepEqual(again.addresses, [{ address: '10.9.1.2', family: 4 }]);
    } finally {
      await resolver.close();
    }
  });

  it('works against the real system resolver for an IP literal', async () => {
    const upstream = new SystemUpstream({ hostsFile: false });
    const result = await upstream.query('127.0.0.1', 4);
    assert.equal(result.kind, 'addresses');
  });
});

describe('mergeFamilies', () => {
  const ok = (address: string, family: 4 | 6, ttl: number): PromiseSettledResult<UpstreamResult> => ({
    status: 'fulfilled',
    value: oneAddress(address, ttl, 'u', 'fresh', family),
  });
  const neg = (kind: 'nxdomain' | 'empty', ttl = 5): PromiseSettledResult<UpstreamResult> => ({
    status: 'fulfilled',
    value: { kind, ttl, upstream: 'u' },
  });
  const err: PromiseSettledResult<UpstreamResult> = { status: 'rejected', reason: dnsError('FS_ERR_DNS_TIMEOUT', 'x') };

  it('combines both families, with the smaller TTL', () => {
    const r = mergeFamilies(ok('10.0.0.1', 4, 60), ok('fd00::1', 6, 30), 'u');
    assert.deepEqual(r.kind === 'addresses' && [r.addresses.length, r.ttl], [2, 30]);
  });
  it('keeps one family when the other is empty or failed', () => {
    assert.equal(mergeFamilies(ok('10.0.0.1', 4, 60), neg('empty'), 'u').kind, 'addresses');
    assert.equal(mergeFamilies(err, ok('fd00::1', 6, 60), 'u').kind, 'addresses');
  });
  it('is NXDOMAIN if either says so, empty if both are empty, an error if one failed', () => {
    assert.equal(mergeFamilies(neg('nxdomain'), neg('empty'), 'u').kind, 'nxdomain');
    assert.equal(mergeFamilies(neg('empty', 3), neg('empty', 9), 'u').ttl, 3);
    assert.throws(
      () => mergeFamilies(neg('empty'), err, 'u'),
      (e) => isFailsmallError(e, 'FS_ERR_DNS_TIMEOUT'),
    );
  });
});

describe('UpstreamSet', () => {
  it('hedges: the next upstream after the delay, or at once when one fails', async () => {
    const clock = new VirtualClock();
    const a = new ScriptedUpstream('a');
    const b = new ScriptedUpstream('b');
    const c = new ScriptedUpstream('c');
    const set = new UpstreamSet([a, b, c], { strategy: 'hedge', hedgeDelay: 100, clock });
    const result = set.query('x.test', 4);
    assert.deepEqual([a.calls.length, b.calls.length, c.calls.length], [1, 0, 0]);
    await clock.advance(99);
    assert.equal(b.calls.length, 0);
    await clock.advance(1);
    assert.equal(b.calls.length, 1);
    b.fail('FS_ERR_DNS_SERVFAIL');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(c.calls.length, 1, 'a failure starts the next at once');
    c.answer('10.0.0.3');
    const r = await result;
    assert.equal(r.kind === 'addresses' && r.addresses[0]!.address, '10.0.0.3');
    assert.equal(a.calls[0]!.signal?.aborted, true, 'the losers are cancelled');
    const stats = set.snapshot();
    assert.equal(stats.b?.errors, 1);
    assert.equal(stats.a?.errors, 0);
    assert.equal(stats.c?.answers, 1);
  });

  it('in parallel asks all at once; when all fail the first error carries every code', async () => {
    const a = new ScriptedUpstream('a');
    const b = new ScriptedUpstream('b');
    const set = new UpstreamSet([a, b], { strategy: 'parallel' });
    const result = set.query('x.test', 0);
    assert.deepEqual([a.calls.length, b.calls.length], [1, 1]);
    b.fail('FS_ERR_DNS_TIMEOUT');
    a.fail('FS_ERR_DNS_SERVFAIL');
    await assert.rejects(result, (e) => {
      assert.ok(e instanceof FailsmallError);
      assert.equal(e.code, 'FS_ERR_DNS_TIMEOUT');
      assert.deepEqual(e.details?.errors, [
        { upstream: 'b', code: 'FS_ERR_DNS_TIMEOUT' },
        { upstream: 'a', code: 'FS_ERR_DNS_SERVFAIL' },
      ]);
      return true;
    });
  });

  it('keeps independent upstreams out of the race and asks them on demand', async () => {
    const main = new ScriptedUpstream('main');
    const second = new ScriptedUpstream('second', true);
    const set = new UpstreamSet([main, second]);
    assert.deepEqual(set.racing, [main]);
    assert.deepEqual(set.independents, [second]);
    const asked = set.queryIndependents('x.test', 4);
    second.fail('FS_ERR_DNS_TIMEOUT');
    const [only] = await asked;
    assert.equal(only?.upstream, 'second');
    assert.ok(isFailsmallError(only?.error, 'FS_ERR_DNS_TIMEOUT'));
    assert.equal(main.calls.length, 0);
  });

  it('rejects an empty list and unknown strategies', () => {
    assert.throws(() => new UpstreamSet([]), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new UpstreamSet([new ScriptedUpstream('a')], { strategy: 'x' as 'hedge' }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
    });
  });
});

describe('createUpstream', () => {
  it('builds upstreams from every spec form', () => {
    assert.ok(createUpstream('system') instanceof SystemUpstream);
    const server = createUpstream('127.0.0.1:5353');
    assert.ok(server instanceof ServerUpstream);
    assert.equal(server.name, '127.0.0.1:5353');
    const independent = createUpstream({ server: '[::1]:53', independent: true });
    assert.equal(independent.independent, true);
    assert.equal(independent.name, '[::1]:53');
    const custom = new ScriptedUpstream('custom');
    assert.equal(createUpstream(custom), custom);
    assert.throws(() => createUpstream(42 as unknown as string), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => createUpstream('no.such.host:53'), { code: 'FS_ERR_INVALID_ARGUMENT' });
    (server as ServerUpstream).close();
    (independent as ServerUpstream).close();
  });
});
