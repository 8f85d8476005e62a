/**
 * The drill target of examples/drills/dns-empty.yaml: the 2025-10-20 DNS emptying on loopback. It runs
 * the fault DNS server (authoritative for `lab.test`, `api.lab.test` A 127.0.0.1 with a 1 s TTL), the
 * dependency behind the name (an HTTP server answering 200), and a client service that calls the
 * dependency by name on each request, two ways:
 * - `GET /plain`: resolved by a plain stub (node's resolver, no cache, no last-known-good), as most
 *   SDKs do; an empty answer fails the call (503);
 * - `GET /failsmall`: resolved by failsmall's `Resolver` with the last-known-good guard, told of each
 *   successful connection; an empty answer while the servers answer keeps the known addresses.
 *
 * `--dns-port --api-port --backend-port --http-port`; `GET /ready` answers 200 once all run.
 */
import { promises as dns } from 'node:dns';
import http from 'node:http';
import { startFaultDnsServer } from '../../chaos/index.js';
import { Resolver } from '../../dns/index.js';
import { flags, onStop } from './args.js';

const f = flags();
const name = 'api.lab.test';
const backendPort = f.num('backend-port');
const server = await startFaultDnsServer({
  zones: [{ name: 'lab.test', records: [{ name, type: 'A', ttl: 1, records: [{ value: '127.0.0.1' }] }] }],
  dnsPort: f.num('dns-port'),
  apiPort: f.num('api-port'),
});
const backend = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/plain' }).end('ok'));
await new Promise<void>((resolve) => backend.listen(backendPort, '127.0.0.1', resolve));

const plain = new dns.Resolver({ timeout: 1_000, tries: 1 });
plain.setServers([server.dnsServer]);
const resolver = new Resolver({ upstreams: [server.dnsServer], maxTtl: 1_000, guard: { holdDown: 2_000 } });

async function call(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}:${backendPort}/`, { signal: AbortSignal.timeout(1_000) });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

const client = http.createServer((req, res) => {
  void (async () => {
    let ok = false;
    let detail = '';
    try {
      if (req.url === '/ready') ok = true;
      else if (req.url === '/plain') {
        const [address] = await plain.resolve4(name);
        ok = address !== undefined && (await call(address));
      } else if (req.url === '/failsmall') {
        const answer = await resolver.resolve(name, { family: 4 });
        const address = answer.addresses[0]?.address;
        ok = address !== undefined && (await call(address));
        if (ok && address !== undefined) resolver.reportReachable(name, address);
        detail = answer.source;
      }
    } catch (error) {
      detail = (error as { code?: string }).code ?? (error as Error).message;
    }
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ ok, detail }));
  })();
});
await new Promise<void>((resolve) => client.listen(f.num('http-port'), '127.0.0.1', resolve));
process.stdout.write(`dns-empty target: dns ${server.dnsServer}, api ${server.apiUrl}\n`);
onStop(() =>
  Promise.allSettled([
    server.close(),
    resolver.close(),
    new Promise((r) => backend.close(r)),
    new Promise((r) => client.close(r)),
  ]),
);
