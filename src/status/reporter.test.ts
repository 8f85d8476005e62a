/**
 * The reporter against a real status server on loopback: failsmall's channels (observe, breaker,
 * DNS guard with the connector's host → dependency, health escalations) become the edge and the
 * suggestions; a service that is down costs counted drops and never an exception in the caller.
 */
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { after, before, describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { pipeline } from '../policy/core/pipeline.js';
import { observe } from '../policy/observe.js';
import { MemoryBackend } from './backend.js';
import { StatusReporter } from './reporter.js';
import { startStatusServer, type StatusServer } from './server.js';
import { StatusService } from './service.js';
import { createStatusStore } from './store.js';

const TOKEN = 'reporter-token-0123456789';

describe('StatusReporter', () => {
  let server: StatusServer;
  let service: StatusService;
  const idle = new VirtualClock(); // the reporters' flush timers never fire: the tests flush

  before(async () => {
    service = new StatusService({
      store: createStatusStore(new MemoryBackend()),
      clock: new VirtualClock(Date.UTC(2025, 9, 20, 7)),
    });
    await service.putComponent({ id: 'dynamodb', name: 'DynamoDB', group: 'Orders' });
    server = await startStatusServer({ service, token: TOKEN });
  });
  after(async () => {
    await server.close();
  });

  it("posts a dependency's calls, its breaker, its resolver's guard and a health escalation", async () => {
    const reporter = new StatusReporter({
      url: server.url,
      token: TOKEN,
      service: 'checkout',
      region: 'us-east-1',
      clock: idle,
    });
    try {
      const clock = new VirtualClock(1_000);
      const breaker = circuitBreaker({ clock, dependency: 'dynamodb', strategy: { kind: 'consecutive', failures: 2 } });
      const policy = pipeline(observe({ clock, dependency: 'dynamodb' }), breaker);
      await policy.execute(() => 'ok');
      for (let i = 0; i < 2; i++) await policy.execute(() => Promise.reject(new Error('boom'))).catch(() => undefined);
      await policy.execute(() => 'never').catch(() => undefined); // rejected: the breaker is open
      diagnostics
        .channel('failsmall:client:connect')
        .publish({ type: 'connect', dependency: 'dynamodb', hostname: 'db.lab.test' });
      diagnostics
        .channel('failsmall:dns:guard')
        .publish({ type: 'guard-engaged', hostname: 'db.lab.test', reason: 'empty', at: 2_000 });
      diagnostics
        .channel('failsmall:health:monitor')
        .publish({ type: 'escalation', set: 'dynamodb-nlb', reason: 'disagreement', targets: ['n2'], at: 3_000 });
      diagnostics.channel('failsmall:dns:guard').publish(null); // malformed: ignored, never thrown
      diagnostics
        .channel('failsmall:policy:observe')
        .publish({ type: 'call', dependency: 'not a name!', outcome: 'ok', ms: 1 });
      await reporter.flush();
      const snap = reporter.snapshot();
      assert.equal(snap.lastError, null);
      assert.equal(snap.batches, 1);
      assert.equal(snap.callsSent, 4);
      assert.equal(snap.signalsSent, 3, 'breaker open, guard engaged, escalation');
      const [edge] = await service.store.listEdges();
      assert.deepEqual(
        [
          edge!.service,
          edge!.dependency,
          edge!.region,
          edge!.calls,
          edge!.errors,
          edge!.rejected,
          edge!.breaker,
          edge!.guard,
        ],
        ['checkout', 'dynamodb', 'us-east-1', 4, 2, 1, 'open', 'engaged'],
      );
      const suggestions = await service.store.listSuggestions();
      assert.deepEqual(suggestions.map((s) => [s.kind, s.subject, s.componentIds]).sort(), [
        ['breaker-open', 'dynamodb', ['dynamodb']],
        ['dns-guard', 'dynamodb', ['dynamodb']],
        ['health-escalation', 'dynamodb-nlb', []],
      ]);
      assert.equal((await service.store.listFailures()).length, 1);
      assert.equal((await service.store.listIncidents()).length, 0, 'nothing is published without a rule');
    } finally {
      await reporter.close();
    }
  });

  it('drops with a count when the service is down or the buffer is full, and never throws', async () => {
    const reporter = new StatusReporter({
      url: 'http://127.0.0.1:9',
      token: TOKEN,
      service: 'checkout',
      subscribe: false,
      maxSignals: 2,
      clock: idle,
      timeoutMs: 2_000,
    });
    for (let i = 0; i < 3; i++) reporter.signal({ kind: 'breaker', dependency: 'db', to: 'open', at: i });
    reporter.call('db', 'ok', 3);
    reporter.call('db', 'error', 5);
    await reporter.flush();
    const snap = reporter.snapshot();
    assert.deepEqual(snap.dropped, { signals: 3, calls: 2, batches: 1 });
    assert.equal(snap.pendingSignals, 0);
    assert.ok(snap.lastError !== null);
    await reporter.close();
    reporter.call('db', 'ok', 1); // after close: ignored
  });

  it('a report the service refuses is dropped and counted with its reason', async () => {
    const reporter = new StatusReporter({
      url: server.url,
      token: TOKEN,
      service: 'checkout',
      subscribe: false,
      clock: idle,
    });
    reporter.signal({ kind: 'breaker', dependency: 'db', to: 'open', at: 1, components: ['ghost'] });
    await reporter.close();
    const snap = reporter.snapshot();
    assert.equal(snap.dropped.batches, 1);
    assert.match(snap.lastError ?? '', /HTTP 400 .*FS_ERR_STATUS_UNKNOWN_COMPONENT/);
  });

  it('validates its options at construction', () => {
    assert.throws(() => new StatusReporter({ url: 'ftp://x', token: TOKEN, service: 's' }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
    });
    assert.throws(() => new StatusReporter({ url: server.url, token: TOKEN, service: 'no spaces' }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
    });
    assert.throws(
      () => new StatusReporter({ url: server.url, token: TOKEN, service: 's', subscribe: ['nope' as never] }),
      {
        code: 'FS_ERR_INVALID_ARGUMENT',
      },
    );
  });
});
