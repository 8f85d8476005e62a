import assert from 'node:assert/strict';
import dns from 'node:dns';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import type { LookupError } from '../errors.js';
import { Resolver } from './resolver.js';
import { startDnsFixture, type DnsFixture } from '../../test-support/dns-server.js';

type Result = { error: NodeJS.ErrnoException | null; address: unknown; family: unknown };

function call(lookup: typeof dns.lookup, hostname: string, options?: unknown): Promise<Result> {
  return new Promise((resolve) => {
    const callback = (error: NodeJS.ErrnoException | null, address: unknown, family?: unknown): void =>
      resolve({ error, address, family });
    if (options === undefined) (lookup as (h: string, cb: typeof callback) => void)(hostname, callback);
    else (lookup as (h: string, o: unknown, cb: typeof callback) => void)(hostname, options, callback);
  });
}

describe('resolver.lookup (drop-in for dns.lookup)', () => {
  let server: DnsFixture;
  let resolver: Resolver;

  before(async () => {
    server = await startDnsFixture({
      zone: {
        'dual.test': { A: ['127.0.0.1', '127.0.0.2'], AAAA: ['::1'], ttl: 300 },
        'v4.test': { A: ['127.0.0.3'], ttl: 300 },
        'v6.test': { AAAA: ['fd00::6'], ttl: 300 },
        'web.test': { A: ['127.0.0.1'], ttl: 300 },
      },
    });
    resolver = new Resolver({ upstreams: [server.server] });
  });
  after(async () => {
    await resolver.close();
    await server.close();
  });

  it('takes every argument form of dns.lookup', async () => {
    assert.deepEqual(await call(resolver.lookup, 'v4.test'), { error: null, address: '127.0.0.3', family: 4 });
    assert.deepEqual(await call(resolver.lookup, 'v4.test', 4), { error: null, address: '127.0.0.3', family: 4 });
    assert.deepEqual(await call(resolver.lookup, 'v6.test', 6), { error: null, address: 'fd00::6', family: 6 });
    assert.deepEqual(await call(resolver.lookup, 'v6.test', { family: 'IPv6' }), {
      error: null,
      address: 'fd00::6',
      family: 6,
    });
    assert.deepEqual(await call(resolver.lookup, 'dual.test', { family: 'IPv4', all: true }), {
      error: null,
      address: [
        { address: '127.0.0.1', family: 4 },
        { address: '127.0.0.2', family: 4 },
      ],
      family: undefined,
    });
    assert.deepEqual(await call(resolver.lookup, 'dual.test', null), { error: null, address: '127.0.0.1', family: 4 });
  });

  it('orders addresses as asked (order, verbatim)', async () => {
    const v6first = await call(resolver.lookup, 'dual.test', { all: true, order: 'ipv6first' });
    assert.deepEqual(
      (v6first.address as dns.LookupAddress[]).map((a) => a.family),
      [6, 4, 4],
    );
    const v4first = await call(resolver.lookup, 'dual.test', { all: true, verbatim: false });
    assert.deepEqual(
      (v4first.address as dns.LookupAddress[]).map((a) => a.family),
      [4, 4, 6],
    );
    assert.deepEqual(await call(resolver.lookup, 'dual.test', { order: 'ipv6first' }), {
      error: null,
      address: '::1',
      family: 6,
    });
  });

  it('hands out frozen arrays, the same ones on every hit (no allocation, no cache tampering)', async () => {
    const a = await call(resolver.lookup, 'dual.test', { all: true });
    const b = await call(resolver.lookup, 'dual.test', { all: true });
    assert.equal(a.address, b.address);
    assert.ok(Object.isFrozen(a.address));
    assert.throws(() => (a.address as dns.LookupAddress[]).push({ address: '6.6.6.6', family: 4 }));
    assert.throws(() => {
      (a.address as { address: string }[])[0]!.address = '6.6.6.6';
    });
  });

  it('answers IP literals, localhost and the empty name like dns.lookup, without asking upstream', async () => {
    const before = server.count();
    for (const [host, options] of [
      ['10.1.2.3', undefined],
      ['10.1.2.3', { all: true }],
      ['::1', 6],
    ] as const) {
      const ours = await call(resolver.lookup, host, options);
      const node = await call(dns.lookup, host, options);
      assert.deepEqual(ours, node, `${host} ${JSON.stringify(options)}`);
    }
    // What dns.lookup('') gives (with a deprecation warning we do not repeat).
    assert.deepEqual(await call(resolver.lookup, ''), { error: null, address: null, family: 4 });
    assert.deepEqual(await call(resolver.lookup, '', 6), { error: null, address: null, family: 6 });
    assert.deepEqual(await call(resolver.lookup, '', { all: true }), { error: null, address: [], family: undefined });
    assert.deepEqual(await call(resolver.lookup, 'localhost', 4), { error: null, address: '127.0.0.1', family: 4 });
    assert.deepEqual(await call(resolver.lookup, 'LOCALHOST', 6), { error: null, address: '::1', family: 6 });
    assert.equal(server.count(), before);
  });

  it('throws on bad arguments exactly as dns.lookup does', () => {
    const bad: [string, unknown][] = [
      ['family 5', { family: 5 }],
      ['family string', { family: 'ipv4' }],
      ['hints', { hints: 0x12345 }],
      ['order', { order: 'random' }],
      ['number family', 3],
    ];
    for (const [label, options] of bad) {
      let nodeCode: string | undefined;
      let ourCode: string | undefined;
      try {
        (dns.lookup as (h: string, o: unknown, cb: () => void) => void)('x.test', options, () => undefined);
      } catch (error) {
        nodeCode = (error as { code?: string }).code;
      }
      try {
        (resolver.lookup as (h: string, o: unknown, cb: () => void) => void)('x.test', options, () => undefined);
      } catch (error) {
        ourCode = (error as { code?: string }).code;
      }
      assert.equal(ourCode, nodeCode, label);
      assert.ok(ourCode?.startsWith('ERR_INVALID_ARG'), label);
    }
    assert.throws(() => (resolver.lookup as (h: unknown, cb: () => void) => void)(42, () => undefined), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
    assert.throws(() => (resolver.lookup as (h: string, o: unknown) => void)('x.test', {}), {
      code: 'ERR_INVALID_ARG_TYPE',
    });
  });

  it('fails like getaddrinfo, with the failsmall code in details', async () => {
    const { error } = await call(resolver.lookup, 'missing.test');
    const e = error as LookupError;
    assert.equal(e.code, 'ENOTFOUND');
    assert.equal(e.syscall, 'getaddrinfo');
    assert.equal(e.hostname, 'missing.test');
    assert.equal(e.details.code, 'FS_ERR_DNS_NOT_FOUND');
    const empty = (await call(resolver.lookup, 'v4.test', 6)).error as LookupError;
    assert.equal(empty.code, 'ENOTFOUND');
    assert.equal(empty.details.code, 'FS_ERR_DNS_NO_DATA');
  });

  it('honours the V4MAPPED hint', async () => {
    assert.deepEqual(await call(resolver.lookup, 'v4.test', { family: 6, hints: dns.V4MAPPED }), {
      error: null,
      address: '::ffff:127.0.0.3',
      family: 6,
    });
    const both = await call(resolver.lookup, 'dual.test', { family: 6, hints: dns.V4MAPPED | dns.ALL, all: true });
    assert.deepEqual(
      (both.address as dns.LookupAddress[]).map((a) => a.address),
      ['::1', '::ffff:127.0.0.1', '::ffff:127.0.0.2'],
    );
    // ADDRCONFIG (what net passes on every connect) is accepted.
    assert.equal((await call(resolver.lookup, 'v4.test', { hints: dns.ADDRCONFIG })).address, '127.0.0.3');
  });

  it('plugs into http.get and net.connect (with autoSelectFamily)', async () => {
    const web = http.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', () => resolve()));
    const port = (web.address() as net.AddressInfo).port;
    try {
      const body = await new Promise<string>((resolve, reject) => {
        http
          .get({ host: 'web.test', port, lookup: resolver.lookup, agent: false }, (res) => {
            let text = '';
            res.on('data', (chunk: Buffer) => (text += chunk.toString()));
            res.on('end', () => resolve(text));
          })
          .on('error', reject);
      });
      assert.equal(body, 'ok');
      // dual.test: 127.0.0.1 listens; ::1 and 127.0.0.2 do not. autoSelectFamily asks for all: true.
      const socket = net.connect({ host: 'dual.test', port, lookup: resolver.lookup, autoSelectFamily: true });
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('error', reject);
      });
      assert.equal(socket.remoteAddress, '127.0.0.1');
      socket.destroy();
    } finally {
      await new Promise<void>((resolve) => web.close(() => resolve()));
    }
  });

  it('promisifies like dns.lookup', async () => {
    const lookup = promisify(resolver.lookup);
    assert.deepEqual(await lookup('v4.test'), { address: '127.0.0.3', family: 4 });
    assert.deepEqual(await lookup('v4.test', { all: true }), [{ address: '127.0.0.3', family: 4 }]);
    await assert.rejects(lookup('missing.test'), { code: 'ENOTFOUND' });
  });

  it('delivers the callback asynchronously, even on a cache hit', async () => {
    await call(resolver.lookup, 'v4.test');
    let called = false;
    resolver.lookup('v4.test', () => (called = true));
    assert.equal(called, false);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(called, true);
  });
});
