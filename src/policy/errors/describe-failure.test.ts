/**
 * The agreement table: one corpus of real error shapes (AWS SDK v3 service exceptions, a real SDK
 * error from a loopback server, undici's error classes, a real `fetch failed` from a refused
 * loopback port, axios-style objects, Node system errors, every failsmall rejection kind), the
 * description each one must get, and a check that EVERY view derived from it agrees: the retry
 * verdict, `retry()` itself, `neverSent`, the throttle and limiter signals, the AWS classifier and
 * the AWS retry strategy.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { startTableServer } from '../../test-support/client.js';
import {
  assertDescription,
  assertViewsAgree,
  awsCases,
  axiosCases,
  corpusNow as now,
  failsmallRejections,
  nodeCases,
  rejection,
  sys,
  undiciCases,
  type Case,
  type Expected,
} from '../../test-support/failure-corpus.js';
import { FailsmallError } from '../../core/errors.js';
import { classifyHttpResult, verdictOf } from './classify.js';
import { describeFailure, describeHttpResult, MAX_CAUSE_DEPTH, NO_RETRY_HEADER } from './describe-failure.js';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

describe('describeFailure: one description, every view agrees', () => {
  let refused: unknown;
  let refusedSocket: unknown;
  let sdkThrottle: unknown;
  let sdkServerError: unknown;
  let rejections: Case[] = [];
  let closeTable: () => Promise<void> = () => Promise.resolve();

  before(async () => {
    // A port that refuses: listen, note the port, close.
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    refused = await rejection(fetch(`http://127.0.0.1:${port}/`));
    refusedSocket = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.on('error', resolve);
    });
    // Real SDK errors from a loopback DynamoDB speaking its JSON protocol.
    const table = await startTableServer();
    closeTable = () => table.close();
    const client = new DynamoDBClient({
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${table.port}`,
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const get = new GetItemCommand({ TableName: 't', Key: { pk: { S: 'a' } } });
    table.mode = 'throttle';
    sdkThrottle = await rejection(client.send(get));
    table.mode = 'error';
    sdkServerError = await rejection(client.send(get));
    client.destroy();
    rejections = await failsmallRejections();
  });
  after(async () => {
    await closeTable();
  });

  it('describes real errors from the wire: fetch failed (refused port), a refused socket, SDK errors', async () => {
    assert.ok(refused instanceof TypeError && refused.message === 'fetch failed');
    const real: Case[] = [
      ['fetch failed from a refused loopback port', refused, { kind: 'transient', neverSent: true }],
      ['net.connect to a refused loopback port', refusedSocket, { kind: 'transient', neverSent: true }],
      ['SDK ProvisionedThroughputExceeded from the wire', sdkThrottle, { kind: 'throttle', status: 400 }],
      ['SDK InternalServerError from the wire', sdkServerError, { kind: 'transient', status: 500 }],
    ];
    for (const [label, error, expected] of real) {
      const d = describeFailure(error, now);
      assertDescription(label, d, expected);
      await assertViewsAgree(label, error, d);
    }
  });

  it('describes the corpus: AWS, undici, axios, Node, failsmall rejections', async () => {
    for (const [label, error, expected] of [...awsCases, ...undiciCases, ...axiosCases, ...nodeCases, ...rejections]) {
      const d = describeFailure(error, now);
      assertDescription(label, d, expected);
      await assertViewsAgree(label, error, d);
    }
  });

  it('walks the cause chain to MAX_CAUSE_DEPTH causes, not further, and survives cycles and hostile getters', () => {
    let chain: unknown = sys('ETIMEDOUT', 'read');
    for (let i = 0; i < MAX_CAUSE_DEPTH; i++) chain = new Error('wrap', { cause: chain });
    assert.equal(describeFailure(chain).kind, 'timeout', 'the error and 5 causes are read');
    assert.equal(describeFailure(new Error('wrap', { cause: chain })).kind, 'transient', 'the 6th cause is not');
    const cycle: Record<string, unknown> = { name: 'Error' };
    cycle.cause = cycle;
    assert.equal(describeFailure(cycle).kind, 'transient');
    const hostile = {
      get code(): never {
        throw new Error('boom');
      },
    };
    assert.equal(describeFailure(hostile).kind, 'fatal');
  });
});

describe('describeHttpResult', () => {
  it('describes responses: 504 timeout, 429 throttle, 503 overload or throttle, 500/502 transient, 4xx fatal', () => {
    const cases: [unknown, Expected | undefined][] = [
      [new Response(null, { status: 200 }), undefined],
      [new Response(null, { status: 304 }), undefined],
      [new Response(null, { status: 504 }), { kind: 'timeout', status: 504 }],
      [new Response(null, { status: 408 }), { kind: 'timeout', status: 408 }],
      [
        new Response(null, { status: 429, headers: { 'retry-after': '1' } }),
        {
          kind: 'throttle',
          status: 429,
          retryAfter: 1_000,
        },
      ],
      [new Response(null, { status: 503 }), { kind: 'overload', status: 503 }],
      [
        new Response(null, { status: 503, headers: { 'x-amzn-errortype': 'ThrottlingException' } }),
        {
          kind: 'throttle',
          status: 503,
        },
      ],
      [
        { statusCode: 500, headers: {} },
        { kind: 'transient', status: 500 },
      ],
      [{ statusCode: 502 }, { kind: 'transient', status: 502 }],
      [{ status: 400 }, { kind: 'fatal', status: 400 }],
      [{ status: 404 }, { kind: 'fatal', status: 404 }],
      ['text', undefined],
      [null, undefined],
    ];
    for (const [value, expected] of cases) {
      const d = describeHttpResult(value, now);
      if (expected === undefined) {
        assert.equal(d, undefined);
        assert.equal(classifyHttpResult(value, now), undefined);
        continue;
      }
      assertDescription(String(expected.status), d!, expected);
      // The retry view of a result: fatal statuses are a success for retry.
      const verdict = classifyHttpResult(value, now);
      assert.deepEqual(verdict, d!.kind === 'fatal' ? undefined : verdictOf(d!));
    }
  });

  it('serves the same description as an error carrying the status', () => {
    for (const status of [408, 429, 500, 502, 503, 504, 400, 404]) {
      const asResult = describeHttpResult({ status }, now)!;
      const asError = describeFailure(Object.assign(new Error(String(status)), { status }), now);
      assert.deepEqual(asError, asResult, String(status));
    }
  });
});

describe('the do-not-retry marker (x-failsmall-no-retry: 1)', () => {
  it('a response carrying it is doNotRetry, whatever its status; without it or with another value it is not', () => {
    for (const status of [503, 429, 500, 504]) {
      const marked = describeHttpResult(new Response(null, { status, headers: { [NO_RETRY_HEADER]: '1' } }), now)!;
      assert.equal(marked.doNotRetry, true, String(status));
      assert.equal(verdictOf(marked).retry, false, String(status));
    }
    assert.equal(describeHttpResult(new Response(null, { status: 503 }), now)!.doNotRetry, undefined);
    assert.equal(describeHttpResult({ status: 503, headers: { [NO_RETRY_HEADER]: '0' } }, now)!.doNotRetry, undefined);
    assert.equal(describeHttpResult({ statusCode: 503, headers: { 'X-Failsmall-No-Retry': ['1'] } })!.doNotRetry, true);
    assert.equal(describeHttpResult({ status: 200, headers: { [NO_RETRY_HEADER]: '1' } }), undefined, 'a success');
  });

  it('an error whose response carries it (axios response, AWS $response) is doNotRetry; the kind is kept', () => {
    const aws = Object.assign(new Error('Service Unavailable'), {
      name: 'ServiceUnavailable',
      $metadata: { httpStatusCode: 503 },
      $response: { statusCode: 503, headers: { [NO_RETRY_HEADER]: '1', 'retry-after': '2' } },
    });
    const d = describeFailure(aws, now);
    assert.equal(d.doNotRetry, true);
    assert.equal(d.kind, 'overload');
    assert.equal(d.retryAfter, 2_000);
    const axios = { response: { status: 503, headers: { [NO_RETRY_HEADER]: '1' } } };
    assert.equal(describeFailure(axios, now).doNotRetry, true);
    const wrapped = new Error('fetch failed', { cause: axios });
    assert.equal(describeFailure(wrapped, now).doNotRetry, true, 'read at the level that decides');
    assert.equal(describeFailure({ response: { status: 503, headers: {} } }, now).doNotRetry, undefined);
  });

  it("a failsmall rejection with details.doNotRetry (admit's deadline drop, kind timeout) is doNotRetry", () => {
    const shed = new FailsmallError('FS_ERR_ADMIT_DEADLINE', 'shed', {
      details: { kind: 'timeout', neverSent: true, retryAfter: 10, doNotRetry: true },
    });
    const d = describeFailure(shed, now);
    assert.equal(d.kind, 'timeout');
    assert.equal(d.doNotRetry, true);
    assert.equal(verdictOf(d).retry, false);
    const retryable = new FailsmallError('FS_ERR_ADMIT_SHED', 'shed', {
      details: { kind: 'throttle', neverSent: true, retryAfter: 10, doNotRetry: false },
    });
    assert.equal(describeFailure(retryable, now).doNotRetry, undefined);
  });
});

describe('describeFailure: a server answer in the loopback', () => {
  it('reads Retry-After from a real fetch Response', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(503, { 'retry-after': '4' });
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = server.address() as net.AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.arrayBuffer();
      assertDescription('503', describeHttpResult(res, now)!, { kind: 'overload', status: 503, retryAfter: 4_000 });
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
