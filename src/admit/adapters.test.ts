/**
 * The three HTTP adapters against the real frameworks (node:http, express, fastify) on loopback:
 * shed requests get 503 + Retry-After (+ the no-retry marker when the reason says so), malformed
 * deadline and criticality headers get 400 with the error code, and the server keeps serving.
 */
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { fixedLimit } from '../policy/limit/limit.js';
import { admission } from './admission.js';
import type { Admission } from './admission.js';
import { admitHandler } from './http.js';
import { admitMiddleware } from './express.js';
import { fastifyAdmit } from './fastify.js';
import { NO_RETRY_HEADER, answerFor } from './http-answer.js';

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

/** Polls `check` on real events until it holds (generous bound, no upper wall-clock assertion). */
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

interface Subject {
  readonly name: string;
  /** Starts a server whose `/slow` waits until `unblock()` and `/` answers at once. */
  start(admit: Admission, unblock: Promise<void>): Promise<{ port: number; close(): Promise<void> }>;
}

const listen = (server: http.Server): Promise<{ port: number; close(): Promise<void> }> =>
  new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () => new Promise<void>((done) => server.close(() => done())),
      }),
    ),
  );

const subjects: Subject[] = [
  {
    name: 'node:http admitHandler',
    start: (admit, unblock) =>
      listen(
        http.createServer(
          admitHandler(admit, async (req, res) => {
            if (req.url === '/slow') await unblock;
            if (req.url === '/boom') throw new Error('handler failed');
            res.end('ok');
          }),
        ),
      ),
  },
  {
    name: 'express admitMiddleware',
    start: (admit, unblock) => {
      const app = express();
      app.use(admitMiddleware(admit));
      app.get('/slow', async (_req, res) => {
        await unblock;
        res.send('ok');
      });
      app.get('/', (_req, res) => void res.send('ok'));
      return listen(http.createServer(app));
    },
  },
  {
    name: 'fastify fastifyAdmit',
    start: async (admit, unblock) => {
      const app = Fastify();
      await app.register(fastifyAdmit, { admission: admit });
      app.get('/slow', async () => {
        await unblock;
        return 'ok';
      });
      app.get('/', async () => 'ok');
      await app.listen({ port: 0, host: '127.0.0.1' });
      return { port: (app.server.address() as AddressInfo).port, close: () => app.close() };
    },
  },
];

for (const subject of subjects) {
  describe(subject.name, () => {
    const closers: (() => Promise<void>)[] = [];
    after(async () => {
      for (const close of closers) await close();
    });

    it('sheds over the limit with 503 and Retry-After, releases on finish, keeps serving', async () => {
      const admit = admission({ limit: fixedLimit(1), maxQueue: 0 });
      let open!: () => void;
      const unblock = new Promise<void>((r) => (open = r));
      const server = await subject.start(admit, unblock);
      closers.push(server.close);
      const slow = get(server.port, '/slow');
      await until(() => admit.inflight === 1, 'the slow request to hold the slot');
      const shed = await get(server.port, '/');
      assert.equal(shed.status, 503);
      assert.equal(shed.headers['retry-after'], '1');
      assert.equal(shed.headers[NO_RETRY_HEADER], undefined); // queue-full: a retry elsewhere may succeed
      assert.equal(JSON.parse(shed.body).code, 'FS_ERR_ADMIT_SHED');
      assert.equal(JSON.parse(shed.body).reason, 'queue-full');
      open();
      assert.equal((await slow).status, 200);
      await until(() => admit.inflight === 0, 'the permit to be released');
      assert.equal((await get(server.port, '/')).status, 200);
      assert.equal(admit.snapshot().admitted, 2);
    });

    it('answers malformed deadlines and unknown criticalities with 400 and a code, then serves on', async () => {
      const admit = admission({ limit: fixedLimit(4) });
      const server = await subject.start(admit, Promise.resolve());
      closers.push(server.close);
      const badDeadline = await get(server.port, '/', { 'x-request-deadline': 'tomorrow' });
      assert.equal(badDeadline.status, 400);
      assert.equal(JSON.parse(badDeadline.body).code, 'FS_ERR_ADMIT_BAD_DEADLINE');
      const badGrpc = await get(server.port, '/', { 'grpc-timeout': '5 seconds' });
      assert.equal(JSON.parse(badGrpc.body).code, 'FS_ERR_ADMIT_BAD_DEADLINE');
      const badLevel = await get(server.port, '/', { 'x-failsmall-criticality': 'urgent' });
      assert.equal(badLevel.status, 400);
      assert.equal(JSON.parse(badLevel.body).code, 'FS_ERR_ADMIT_UNKNOWN_CRITICALITY');
      // a deadline already past: shed before it starts, and told not to retry
      const late = await get(server.port, '/', { 'x-request-deadline': String(Date.now() - 1) });
      assert.equal(late.status, 503);
      assert.equal(late.headers[NO_RETRY_HEADER], '1');
      assert.equal(JSON.parse(late.body).code, 'FS_ERR_ADMIT_DEADLINE');
      const fine = await get(server.port, '/', { 'grpc-timeout': '5S', 'x-failsmall-criticality': 'sheddable' });
      assert.equal(fine.status, 200);
      assert.equal(admit.snapshot().partitions.sheddable.admitted, 1);
      await until(() => admit.inflight === 0, 'every permit to be released');
    });
  });
}

describe('answerFor', () => {
  it('maps a throttled shed to 429 and leaves other errors alone', async () => {
    const admit = admission({ limit: fixedLimit(1), maxQueue: 1, throttle: { start: 0 } });
    const held = await admit.acquire({ criticality: 'critical-plus' });
    const queued = admit.acquire({ criticality: 'critical-plus' }).catch(() => undefined);
    const error = await admit.acquire({ criticality: 'sheddable' }).catch((e: unknown) => e);
    const answer = answerFor(error);
    assert.ok(answer !== undefined);
    assert.ok(answer.status === 429 || answer.status === 503);
    assert.equal(answerFor(new Error('x')), undefined);
    held.release();
    (await queued)?.release();
  });

  it('the node:http wrapper answers 500 when the handler throws, and validates its options', async () => {
    const admit = admission({ limit: fixedLimit(2) });
    const server = await listen(
      http.createServer(
        admitHandler(admit, () => {
          throw new Error('handler failed');
        }),
      ),
    );
    assert.equal((await get(server.port, '/')).status, 500);
    await until(() => admit.inflight === 0, 'the permit to be released');
    await server.close();
    assert.throws(() => admitHandler(admit, 'x' as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => admitMiddleware(admit, { timeout: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => admitMiddleware(admit, { criticality: 'urgent' as never }), {
      code: 'FS_ERR_ADMIT_UNKNOWN_CRITICALITY',
    });
    assert.throws(() => admitMiddleware(admit, { nope: 1 } as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });
});
