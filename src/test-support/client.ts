/**
 * Test fixtures of the client layer: loopback HTTP(S) servers and a static resolver. Loaded by tests
 * only (the file name keeps it out of the published package).
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { after, before } from 'node:test';
import type { Dispatcher } from 'undici';
import type { Address } from '../client/address-order.js';
import type { AddressAnswer, AddressResolver } from '../client/connector.js';

/** A self-signed certificate for `*.lab.test`, `api.lab.test`, `dynamodb.lab.test` and 127.0.0.1, valid until 2126. */
export const testCert = `-----BEGIN CERTIFICATE-----
MIIByDCCAW+gAwIBAgIUM2+xEqL7EsY/Gk/st34OWEvmoAUwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOZmFpbHNtYWxsIHRlc3QwIBcNMjYxMTIzMTIwNTUxWhgPMjEy
NjEwMzAxMjA1NTFaMBkxFzAVBgNVBAMMDmZhaWxzbWFsbCB0ZXN0MFkwEwYHKoZI
zj0CAQYIKoZIzj0DAQcDQgAEGwBVhBlXzCBpIn3hp9QU8rsVPg1j3RA0YKKZu98U
BbUFDKlEObEGYI6zeH/iuQ3jDfqHYGKSYrJNdAhkPCd7GKOBkjCBjzAdBgNVHQ4E
FgQUNhzU0aySPyvQHG+lDd4GwxXomoowHwYDVR0jBBgwFoAUNhzU0aySPyvQHG+l
Dd4GwxXomoowDwYDVR0TAQH/BAUwAwEB/zA8BgNVHREENTAzggxhcGkubGFiLnRl
c3SCEWR5bmFtb2RiLmxhYi50ZXN0ggoqLmxhYi50ZXN0hwR/AAABMAoGCCqGSM49
BAMCA0cAMEQCIGsHzKuoSvShZGHcgdIHRgE3vwN6FYZU/BKIbKVdbS1bAiBqRiVM
j5jCTjZLAuKEqDvdPWTMkHqGvue7tNctPe4d3Q==
-----END CERTIFICATE-----
`;
/** The private key of {@link testCert}. */
export const testKey = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6K90GZcLK4mf/xyt
Da9I0cR6vlBbyeN1khYRP1GtxWOhRANCAAQbAFWEGVfMIGkifeGn1BTyuxU+DWPd
EDRgopm73xQFtQUMqUQ5sQZgjrN4f+K5DeMN+odgYpJisk10CGQ8J3sY
-----END PRIVATE KEY-----
`;

/** A resolver that answers from a mutable table, and counts its queries. */
export class StaticResolver implements AddressResolver {
  readonly records = new Map<string, string[]>();
  queries = 0;
  source = 'fresh';

  constructor(records: Record<string, string[]> = {}) {
    for (const [name, addresses] of Object.entries(records)) this.records.set(name, addresses);
  }

  resolve(hostname: string): Promise<AddressAnswer> {
    this.queries++;
    const list = this.records.get(hostname);
    if (list === undefined) {
      return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    }
    const addresses: Address[] = list.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
    return Promise.resolve({ addresses, source: this.source, ttl: 60 });
  }
}

/** A started loopback server. */
export interface TestServer {
  readonly port: number;
  readonly address: string;
  /** Requests served, by the local address they arrived on. */
  readonly hits: Map<string, number>;
  close(): Promise<void>;
}

/** Listens on `host:port` and counts the requests served by the local address they arrived on. */
async function listen(server: http.Server, host: string, port: number): Promise<TestServer> {
  const hits = new Map<string, number>();
  server.on('request', (req: http.IncomingMessage) => {
    const local = req.socket.localAddress ?? '?';
    hits.set(local, (hits.get(local) ?? 0) + 1);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const info = server.address() as AddressInfo;
  return {
    port: info.port,
    address: host,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The default handler: 200 with the local address the request arrived on. */
export const echoAddress: http.RequestListener = (req, res) => {
  res.setHeader('content-type', 'text/plain');
  res.end(`hello from ${req.socket.localAddress ?? '?'}`);
};

/** Starts an HTTP server on `host` (default 127.0.0.1), port 0 (or `port`). */
export function startHttpServer(
  handler: http.RequestListener = echoAddress,
  host = '127.0.0.1',
  port = 0,
): Promise<TestServer> {
  return listen(http.createServer(handler), host, port);
}

/** Starts an HTTPS server with {@link testCert} on `host` (default 127.0.0.1), port 0 (or `port`). */
export function startHttpsServer(
  handler: http.RequestListener = echoAddress,
  host = '127.0.0.1',
  port = 0,
): Promise<TestServer> {
  return listen(https.createServer({ cert: testCert, key: testKey }, handler), host, port);
}

/**
 * Starts `start()` before the tests of the enclosing `describe` and closes what it started after them.
 * Returns the started server (or anything with a `close()`), for the tests to call.
 *
 * @example
 * const table = suiteServer(startTableServer);
 * it('reads', async () => { table().mode = 'ok'; … });
 */
export function suiteServer<T extends { close(): Promise<void> }>(start: () => Promise<T>): () => T {
  let started: T | undefined;
  before(async () => {
    started = await start();
  });
  after(async () => {
    await started?.close();
  });
  return () => {
    if (started === undefined)
      throw new Error('suiteServer(): the server is started by the before() hook of the describe');
    return started;
  };
}

/** The names the client tests resolve: a dead first address then the table or server, or none alive. */
export const labResolver = (): StaticResolver =>
  new StaticResolver({
    'api.lab.test': ['127.0.0.201', '127.0.0.1'],
    'dead.lab.test': ['127.0.0.201', '127.0.0.202'],
    'dynamodb.lab.test': ['127.0.0.201', '127.0.0.1'],
    'wrong-name.example': ['127.0.0.1'],
  });

/**
 * `fetch(url, init)` through an undici `dispatcher`. Node's global fetch takes one, but its
 * `RequestInit` (from the `undici-types` of `@types/node`) does not say so, and the `Dispatcher` of
 * the undici package is another type of the same name: hence the one cast, here.
 */
export function fetchVia(url: string, dispatcher: Dispatcher, init: RequestInit = {}): Promise<Response> {
  return fetch(url, { ...init, dispatcher } as unknown as RequestInit);
}

/**
 * The options of an AWS SDK client for a {@link startTableServer} reached as `http://host:port`
 * (default host `dynamodb.lab.test`): region us-east-1 and the fixture's credentials. Spread the
 * options under test after them.
 */
export function tableClientOptions(table: TestServer, host = 'dynamodb.lab.test') {
  return {
    region: 'us-east-1',
    endpoint: `http://${host}:${table.port}`,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  };
}

/** How the fixture table server answers: normally, with throttling errors, with 500s, or never. */
export type TableMode = 'ok' | 'throttle' | 'error' | 'hang';

/** A started {@link startTableServer}. */
export interface TableServer extends TestServer {
  /** Switch how it answers. */
  mode: TableMode;
  /** Requests received, by operation (`GetItem`, `PutItem`, …). */
  readonly operations: Map<string, number>;
  /** Every request received, whatever the answer. */
  readonly requests: number;
}

/**
 * A tiny server speaking enough of the DynamoDB JSON 1.0 protocol (`x-amz-json-1.0`) for GetItem and
 * PutItem, with a switch to answer every request with a throttling error or a 500.
 */
export async function startTableServer(host = '127.0.0.1', port = 0): Promise<TableServer> {
  const items = new Map<string, unknown>();
  const operations = new Map<string, number>();
  const state = { mode: 'ok' as TableMode, requests: 0 };
  const handler: http.RequestListener = (req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      state.requests++;
      const target = String(req.headers['x-amz-target'] ?? '');
      const operation = target.split('.')[1] ?? '';
      operations.set(operation, (operations.get(operation) ?? 0) + 1);
      const reply = (status: number, payload: unknown): void => {
        res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify(payload));
      };
      if (state.mode === 'hang') return; // closed by the server's close()
      if (state.mode === 'throttle') {
        reply(400, {
          __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException',
          message: 'The level of configured provisioned throughput for the table was exceeded.',
        });
        return;
      }
      if (state.mode === 'error') {
        reply(500, { __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError', message: 'Internal error' });
        return;
      }
      let input: { TableName?: string; Key?: unknown; Item?: Record<string, unknown> };
      try {
        input = JSON.parse(body) as typeof input;
      } catch {
        reply(400, { __type: 'com.amazon.coral.service#SerializationException', message: 'bad JSON' });
        return;
      }
      if (operation === 'GetItem') {
        const item = items.get(`${input.TableName}/${JSON.stringify(input.Key)}`);
        reply(200, item === undefined ? {} : { Item: item });
      } else if (operation === 'PutItem') {
        const item = input.Item ?? {};
        // The key of the fixture's tables is always `pk`.
        items.set(`${input.TableName}/${JSON.stringify({ pk: item.pk })}`, item);
        reply(200, {});
      } else {
        reply(400, { __type: 'com.amazon.coral.service#UnknownOperationException', message: operation });
      }
    });
  };
  const server = await startHttpServer(handler, host, port);
  return {
    port: server.port,
    address: server.address,
    hits: server.hits,
    close: () => server.close(),
    operations,
    get mode(): TableMode {
      return state.mode;
    },
    set mode(mode: TableMode) {
      state.mode = mode;
    },
    get requests(): number {
      return state.requests;
    },
  };
}
