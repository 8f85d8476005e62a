/**
 * End to end: a server behind failsmall's admission control sheds work with `x-failsmall-no-retry: 1`,
 * and failsmall's own clients (retry() over fetch, and the AWS SDK with failsmall's retry strategy)
 * send it once: no retry is spent on it, and the retry budget pays nothing. The same 503 without the
 * marker is retried, so the marker is what stops them.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { admission, admitHandler, NO_RETRY_HEADER } from '../admit/index.js';
import { classifyHttpResult } from '../policy/errors/classify.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { retry } from '../policy/retry/retry.js';
import { awsRetryStrategy } from './aws-retry-strategy.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

interface Server {
  readonly url: string;
  hits: number;
  close(): Promise<void>;
}

/** A loopback server; `marked` puts it behind an admission that sheds everything with the marker. */
async function startServer(marked: boolean): Promise<Server> {
  const state = { hits: 0 };
  // The overload signal is on, so every request (sheddable) is shed for `overload`: a noRetry reason.
  const admit = admission({ signal: { overloaded: true }, criticality: 'sheddable', name: 'marked' });
  const ok: http.RequestListener = (_req, res) => {
    res.end('{}');
  };
  const plain503: http.RequestListener = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"busy"}');
  };
  const inner = marked ? admitHandler(admit, ok) : plain503;
  const server = http.createServer((req, res) => {
    state.hits++;
    void inner(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return state.hits;
    },
    set hits(n: number) {
      state.hits = n;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe('the do-not-retry marker, end to end against an admit-protected server', () => {
  let marked: Server;
  let unmarked: Server;
  before(async () => {
    marked = await startServer(true);
    unmarked = await startServer(false);
  });
  after(async () => {
    await marked.close();
    await unmarked.close();
  });

  it('the admitted server answers 503 with the marker', async () => {
    const res = await fetch(marked.url);
    await res.arrayBuffer();
    assert.equal(res.status, 503);
    assert.equal(res.headers.get(NO_RETRY_HEADER), '1');
  });

  it('retry() over fetch sends a marked request once, and retries an unmarked 503', async () => {
    const policy = () =>
      retry({ maxAttempts: 3, backoff: constantBackoff(1), classify: { result: classifyHttpResult } });
    const send = async (url: string): Promise<Response> => {
      const res = await fetch(url);
      await res.arrayBuffer();
      return res;
    };
    marked.hits = 0;
    const p = policy();
    const retried: number[] = [];
    p.onRetry.on((e) => retried.push(e.attempt));
    const res = await p.execute(() => send(marked.url));
    assert.equal(res.status, 503, 'the marked answer is handed back as it is');
    assert.equal(marked.hits, 1, 'one attempt: no retry spent on a marked answer');
    assert.deepEqual(retried, []);

    unmarked.hits = 0;
    await policy().execute(() => send(unmarked.url));
    assert.equal(unmarked.hits, 3, 'the same 503 without the marker is retried');
  });

  it("the AWS SDK with failsmall's retry strategy sends a marked request once; its budget pays nothing", async () => {
    const run = async (server: Server) => {
      const retryStrategy = awsRetryStrategy({ backoff: constantBackoff(1) });
      const client = new DynamoDBClient({
        region: 'us-east-1',
        endpoint: server.url,
        credentials: { accessKeyId: 'lab', secretAccessKey: 'lab' },
        retryStrategy,
      });
      server.hits = 0;
      try {
        await assert.rejects(client.send(new GetItemCommand({ TableName: 'orders', Key: { id: { S: '1' } } })));
      } finally {
        client.destroy();
      }
      return { hits: server.hits, snapshot: retryStrategy.snapshot() };
    };
    const m = await run(marked);
    assert.equal(m.hits, 1, 'one attempt');
    assert.equal(m.snapshot['retries'], 0);
    assert.equal(m.snapshot['refusedNotRetryable'], 1);
    const u = await run(unmarked);
    assert.equal(u.hits, 3, 'an unmarked 503 is retried up to the 3 attempts');
    assert.equal(u.snapshot['retries'], 2);
  });
});
