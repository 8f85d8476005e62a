import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import dns from 'node:dns';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { startFaultDnsServer, type FaultDnsServer } from './fault-dns-server.js';
import type { FaultRuleInput } from './fault-rules.js';
import { decodeReply, probe, probeQuery, probeRaw } from './probe.js';
import type { ZoneDefinition } from './zone-schema.js';

const zone: ZoneDefinition = {
  name: 'amazonaws.com',
  records: [
    {
      name: 'amazonaws.com',
      type: 'SOA',
      ttl: 900,
      records: [{ value: 'ns1.amazonaws.com hostmaster.amazonaws.com 2025102001 7200 900 1209600 5' }],
    },
    {
      name: 'amazonaws.com',
      type: 'NS',
      ttl: 900,
      records: [{ value: 'ns1.amazonaws.com' }, { value: 'ns2.amazonaws.com' }],
    },
    {
      name: 'dynamodb.us-east-1.amazonaws.com',
      type: 'A',
      ttl: 5,
      records: [{ value: '127.0.0.10' }, { value: '127.0.0.11' }],
    },
    { name: 'dynamodb.us-east-1.amazonaws.com', type: 'AAAA', ttl: 5, records: [{ value: '::1' }] },
    { name: 'ddb.amazonaws.com', type: 'CNAME', ttl: 60, records: [{ value: 'dynamodb.us-east-1.amazonaws.com' }] },
    { name: 'amazonaws.com', type: 'TXT', ttl: 60, records: [{ value: 'v=spf1 -all' }, { value: 'y'.repeat(300) }] },
  ],
};
const ddb = 'dynamodb.us-east-1.amazonaws.com';

function resolver(server: FaultDnsServer, timeout = 1000): dns.promises.Resolver {
  const r = new dns.promises.Resolver({ timeout, tries: 1 });
  r.setServers([server.dnsServer]);
  return r;
}

async function rejectsWith(promise: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(promise, (e: NodeJS.ErrnoException) => e.code === code || assert.fail(`${e.code} !== ${code}`));
}

describe('fault DNS server with node:dns (c-ares)', () => {
  let server: FaultDnsServer;
  before(async () => {
    server = await startFaultDnsServer({ zones: [zone], random: seededRandom(1) });
  });
  after(() => server.close());

  it('serves every record type', async () => {
    const r = resolver(server);
    assert.deepEqual(await r.resolve4(ddb, { ttl: true }), [
      { address: '127.0.0.10', ttl: 5 },
      { address: '127.0.0.11', ttl: 5 },
    ]);
    assert.deepEqual(await r.resolve6(ddb), ['::1']);
    assert.deepEqual(await r.resolveCname('ddb.amazonaws.com'), [ddb]);
    assert.deepEqual(await r.resolve4('DDB.amazonaws.com'), ['127.0.0.10', '127.0.0.11'], 'follows the CNAME');
    assert.deepEqual((await r.resolveNs('amazonaws.com')).sort(), ['ns1.amazonaws.com', 'ns2.amazonaws.com']);
    const soa = await r.resolveSoa('amazonaws.com');
    assert.equal(soa.serial, 2025102001);
    assert.equal(soa.minttl, 5);
    const txt = (await r.resolveTxt('amazonaws.com')).map((chunks) => chunks.join(''));
    assert.deepEqual(txt.sort(), ['v=spf1 -all', 'y'.repeat(300)].sort());
    await rejectsWith(r.resolve4('nothing.amazonaws.com'), 'ENOTFOUND');
    await rejectsWith(r.resolveTxt(ddb), 'ENODATA');
    await rejectsWith(r.resolve4('example.org'), 'EREFUSED');
  });

  it('changes records through the API and serves the new version at once', async () => {
    const r = resolver(server);
    const before = server.store.version('amazonaws.com')!;
    const res = await fetch(`${server.apiUrl}/v1/zones/amazonaws.com/changes`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        expectedVersion: before,
        changes: [
          {
            action: 'UPSERT',
            recordSet: { name: `new.amazonaws.com`, type: 'A', ttl: 1, records: [{ value: '127.0.0.99' }] },
          },
        ],
      }),
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { version: before + 1 });
    assert.deepEqual(await r.resolve4('new.amazonaws.com'), ['127.0.0.99']);
  });

  const faults: [string, FaultRuleInput, (r: dns.promises.Resolver) => Promise<void>][] = [
    ['empty', { name: ddb, type: 'A', action: 'empty' }, (r) => rejectsWith(r.resolve4(ddb), 'ENODATA')],
    ['nxdomain', { name: 'dynamodb.*', action: 'nxdomain' }, (r) => rejectsWith(r.resolve4(ddb), 'ENOTFOUND')],
    ['servfail', { name: '*.amazonaws.com', action: 'servfail' }, (r) => rejectsWith(r.resolve6(ddb), 'ESERVFAIL')],
    [
      'refused',
      { name: 'dynamodb.us-east-?.amazonaws.com', action: 'refused' },
      (r) => rejectsWith(r.resolve4(ddb), 'EREFUSED'),
    ],
    ['drop', { name: ddb, action: 'drop' }, (r) => rejectsWith(r.resolve4(ddb), 'ETIMEOUT')],
    [
      'random-address',
      { name: ddb, action: 'random-address' },
      async (r) => {
        const [address] = await r.resolve4(ddb);
        assert.match(address!, /^127\./);
      },
    ],
    [
      'wrong-address',
      { name: ddb, action: 'wrong-address', address: '127.6.6.6' },
      async (r) => assert.deepEqual(await r.resolve4(ddb), ['127.6.6.6']),
    ],
    [
      'wrong-address (IPv6)',
      { name: ddb, action: 'wrong-address', address: '::6' },
      async (r) => assert.deepEqual(await r.resolve6(ddb), ['::6']),
    ],
    [
      'ttl',
      { name: ddb, action: 'ttl', ttl: 86_400 },
      async (r) =>
        assert.deepEqual(
          (await r.resolve4(ddb, { ttl: true })).map((a) => a.ttl),
          [86_400, 86_400],
        ),
    ],
    [
      'truncate (the client retries over TCP)',
      { name: ddb, action: 'truncate' },
      async (r) => {
        const before = server.metrics.snapshot(Date.now());
        assert.deepEqual(await r.resolve4(ddb), ['127.0.0.10', '127.0.0.11']);
        const after = server.metrics.snapshot(Date.now());
        assert.ok(after.truncated > before.truncated, 'a truncated UDP answer went out');
        assert.ok(after.tcp > before.tcp, 'then the answer over TCP');
      },
    ],
    [
      'delay',
      { name: ddb, action: 'delay', delayMs: 150, jitterMs: 50 },
      async (r) => {
        const start = performance.now();
        assert.deepEqual(await r.resolve4(ddb), ['127.0.0.10', '127.0.0.11']);
        assert.ok(performance.now() - start >= 145);
      },
    ],
  ];
  for (const [name, rule, check] of faults) {
    it(`injects ${name}`, async () => {
      const added = server.addFault(rule);
      try {
        await check(resolver(server, name === 'drop' ? 200 : 1000));
        assert.ok((server.metrics.snapshot(Date.now()).byFault[added.id] ?? 0) >= 1);
      } finally {
        server.faults.remove(added.id);
      }
      assert.deepEqual(await resolver(server).resolve4(ddb), ['127.0.0.10', '127.0.0.11'], 'the truth returns');
    });
  }

  it('interoperates with dig when it is installed', async (t) => {
    try {
      execFileSync('which', ['dig'], { stdio: 'ignore' });
    } catch {
      t.skip('dig is not installed');
      return;
    }
    const out = await new Promise<string>((resolve, reject) =>
      execFile(
        'dig',
        [`@${server.dnsAddress}`, '-p', String(server.dnsPort), ddb, 'A', '+short', '+tries=1', '+time=2'],
        (error, stdout) => (error === null ? resolve(stdout) : reject(error)),
      ),
    );
    assert.deepEqual(out.trim().split('\n').sort(), ['127.0.0.10', '127.0.0.11']);
  });
});

describe('fault DNS server on a virtual clock', () => {
  it('sends a delayed reply when virtual time reaches it, and opens fault windows on that clock', async () => {
    const clock = new VirtualClock(1_000_000);
    const server = await startFaultDnsServer({ zones: [zone], clock, random: seededRandom(2) });
    try {
      server.addFault({ name: ddb, action: 'delay', delayMs: 60_000 });
      const reply = probe(server.dnsAddress, server.dnsPort, ddb, { timeoutMs: 5_000 });
      while (server.log.total === 0) await new Promise((r) => setTimeout(r, 5));
      let settled = false;
      void reply.then(() => (settled = true));
      await clock.advance(59_999);
      assert.equal(settled, false, 'not before a virtual minute');
      await clock.advance(1);
      assert.equal((await reply).answers.length, 2);
      server.clearFaults();
      server.addFault({ name: ddb, action: 'nxdomain', from: clock.now() + 10_000, durationMs: 1000 });
      assert.equal((await probe(server.dnsAddress, server.dnsPort, ddb)).rcode, 'NOERROR');
      await clock.advance(10_000);
      assert.equal((await probe(server.dnsAddress, server.dnsPort, ddb)).rcode, 'NXDOMAIN');
      await clock.advance(1_000);
      assert.equal((await probe(server.dnsAddress, server.dnsPort, ddb)).rcode, 'NOERROR');
    } finally {
      await server.close();
    }
  });

  it('cancels pending delayed replies on close', async () => {
    const clock = new VirtualClock();
    const server = await startFaultDnsServer({ zones: [zone], clock });
    server.addFault({ name: '*', action: 'delay', delayMs: 1000 });
    void probe(server.dnsAddress, server.dnsPort, ddb, { timeoutMs: 300 }).catch(() => undefined);
    while (server.log.total === 0) await new Promise((r) => setTimeout(r, 5));
    assert.equal(server.snapshot()['dns'] !== undefined, true);
    await server.close();
    assert.equal(clock.pending, 0);
    await server.close(); // twice is fine
  });
});

describe('DNS over TCP', () => {
  let server: FaultDnsServer;
  before(async () => {
    server = await startFaultDnsServer({ zones: [zone], tcpIdleTimeoutMs: 300, maxTcpConnections: 3 });
  });
  after(() => server.close());

  function frame(message: Buffer): Buffer {
    const out = Buffer.alloc(message.length + 2);
    out.writeUInt16BE(message.length, 0);
    message.copy(out, 2);
    return out;
  }

  /** Connects, writes `bytes` (in pieces when `split`), and collects `count` framed replies. */
  async function exchange(bytes: Buffer, count: number, split = false): Promise<Buffer[]> {
    const socket = net.connect(server.dnsPort, server.dnsAddress);
    try {
      return await new Promise<Buffer[]>((resolve, reject) => {
        let buffered = Buffer.alloc(0);
        const replies: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => {
          buffered = Buffer.concat([buffered, chunk]);
          while (buffered.length >= 2 && buffered.length >= 2 + buffered.readUInt16BE(0)) {
            replies.push(buffered.subarray(2, 2 + buffered.readUInt16BE(0)));
            buffered = buffered.subarray(2 + buffered.readUInt16BE(0));
          }
          if (replies.length === count) resolve(replies);
        });
        socket.on('error', reject);
        socket.on('close', () => reject(new Error(`closed after ${replies.length} replies`)));
        if (!split) socket.write(bytes);
        else for (let i = 0; i < bytes.length; i++) socket.write(bytes.subarray(i, i + 1));
      });
    } finally {
      socket.destroy();
    }
  }

  it('answers several pipelined queries on one connection, even split byte by byte', async () => {
    const queries = [1, 2, 3].map((id) => frame(probeQuery(ddb, { id, type: id === 2 ? 'AAAA' : 'A' })));
    for (const split of [false, true]) {
      const replies = (await exchange(Buffer.concat(queries), 3, split)).map(decodeReply);
      assert.deepEqual(replies.map((r) => r.id).sort(), [1, 2, 3]);
      assert.deepEqual(replies.find((r) => r.id === 2)!.answers[0]!.data, '::1');
    }
  });

  it('keeps a connection open past the idle timeout while a delayed reply is owed', async () => {
    const added = server.addFault({ name: ddb, action: 'delay', delayMs: 600, transport: 'tcp' });
    try {
      const reply = decodeReply((await exchange(frame(probeQuery(ddb, { id: 9 })), 1))[0]!);
      assert.equal(reply.answers.length, 2);
    } finally {
      server.faults.remove(added.id);
    }
  });

  it('closes idle connections, evicts the longest idle one at the cap, and closes on an empty frame', async () => {
    const waitClose = (socket: net.Socket): Promise<void> =>
      new Promise((resolve) => socket.on('close', () => resolve()));
    const idle = net.connect(server.dnsPort, server.dnsAddress);
    idle.on('error', () => undefined);
    const start = performance.now();
    await waitClose(idle);
    assert.ok(performance.now() - start >= 250, 'not before the idle timeout');

    const open: net.Socket[] = [];
    for (let i = 0; i < 3; i++) {
      open.push(
        await new Promise<net.Socket>((resolve) => {
          const s = net.connect(server.dnsPort, server.dnsAddress, () => resolve(s));
          s.on('error', () => undefined);
        }),
      );
      while ((server.snapshot()['dns'] as Record<string, number>)['tcpConnectionsOpen']! < i + 1)
        await new Promise((r) => setTimeout(r, 5));
    }
    const oldestClosed = waitClose(open[0]!);
    const extra = net.connect(server.dnsPort, server.dnsAddress);
    extra.on('error', () => undefined);
    await oldestClosed; // the longest idle made room
    assert.equal(
      decodeReply(await probeRaw(server.dnsAddress, server.dnsPort, probeQuery(ddb), 'tcp')).rcode,
      'NOERROR',
    );
    extra.destroy();
    for (const s of open) s.destroy();

    const empty = net.connect(server.dnsPort, server.dnsAddress);
    empty.on('error', () => undefined);
    empty.write(Buffer.from([0, 0]));
    await waitClose(empty);
  });
});

describe('startFaultDnsServer safety', () => {
  it('refuses to put the control API off loopback without a token', async () => {
    await assert.rejects(startFaultDnsServer({ zones: [zone], apiAddress: '0.0.0.0' }), (e) =>
      isFailsmallError(e, 'FS_ERR_CHAOS_TOKEN_REQUIRED'),
    );
    await assert.rejects(startFaultDnsServer({ apiAddress: 'localhost' }), (e) =>
      isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(startFaultDnsServer({ token: '' }), (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    await assert.rejects(startFaultDnsServer({ dnsAddress: 'nope' }), (e) =>
      isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
  });

  it('requires the token on every API request when one is set', async () => {
    const server = await startFaultDnsServer({ zones: [zone], token: 's3cret' });
    try {
      const anonymous = await fetch(`${server.apiUrl}/v1/zones`);
      assert.equal(anonymous.status, 401);
      assert.equal(((await anonymous.json()) as { error: { code: string } }).error.code, 'FS_ERR_CHAOS_UNAUTHORIZED');
      const wrong = await fetch(`${server.apiUrl}/v1/zones`, { headers: { authorization: 'Bearer nope' } });
      assert.equal(wrong.status, 401);
      const right = await fetch(`${server.apiUrl}/v1/zones`, { headers: { authorization: 'Bearer s3cret' } });
      assert.equal(right.status, 200);
    } finally {
      await server.close();
    }
  });

  it('reports a port in use with a stable code', async () => {
    const first = await startFaultDnsServer({ zones: [zone] });
    try {
      await assert.rejects(startFaultDnsServer({ zones: [zone], dnsPort: first.dnsPort }), (e) =>
        isFailsmallError(e, 'FS_ERR_CHAOS_LISTEN'),
      );
      const apiPort = Number(new URL(first.apiUrl).port);
      await assert.rejects(startFaultDnsServer({ zones: [zone], apiPort }), (e) =>
        isFailsmallError(e, 'FS_ERR_CHAOS_LISTEN'),
      );
    } finally {
      await first.close();
    }
  });

  it('serves on another loopback address and on IPv6 loopback', async () => {
    const server = await startFaultDnsServer({ zones: [zone], dnsAddress: '127.0.0.53' });
    try {
      assert.deepEqual(await resolver(server).resolve4(ddb), ['127.0.0.10', '127.0.0.11']);
    } finally {
      await server.close();
    }
    let v6: FaultDnsServer | undefined;
    try {
      v6 = await startFaultDnsServer({ zones: [zone], dnsAddress: '::1', apiAddress: '::1' });
    } catch {
      return; // no IPv6 loopback here
    }
    try {
      assert.equal(v6.dnsServer, `[::1]:${v6.dnsPort}`);
      assert.deepEqual(await resolver(v6).resolve6(ddb), ['::1']);
      assert.equal((await fetch(`${v6.apiUrl}/v1/health`)).status, 200);
    } finally {
      await v6.close();
    }
  });
});
