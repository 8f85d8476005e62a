/**
 * failsmall/otel end to end: real policies, a real resolver against the fault DNS server on
 * loopback, a real admission gate and health monitor, with the OpenTelemetry SDK's in-memory
 * exporter for exact figures and the Prometheus endpoint scraped over HTTP. Then the catalogue
 * against docs/otel.md: a test fails when the documented table and the instruments created differ.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import diagnostics from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { MeterProvider } from '@opentelemetry/api';
import { admission } from '../admit/admission.js';
import { startFaultDnsServer, type FaultDnsServer } from '../chaos/fault-dns-server.js';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { Resolver } from '../dns/resolver/resolver.js';
import { HealthMonitor } from '../health/monitor.js';
import { providerSource } from '../health/source.js';
import { circuitBreaker } from '../policy/breaker/breaker.js';
import { tokenBucketBudget } from '../policy/budget/token-bucket.js';
import { pipeline } from '../policy/core/pipeline.js';
import { fixedLimit } from '../policy/limit/limit.js';
import { constantBackoff } from '../policy/retry/backoff.js';
import { observe } from '../policy/observe.js';
import { retry } from '../policy/retry/retry.js';
import { assertFigures, memoryMetrics, valueOf, type MemoryMetrics } from '../test-support/otel.js';
import { drive } from '../test-support/policy.js';
import { INSTRUMENTS, type InstrumentSpec } from './instruments.js';
import { enableMetrics, type MetricsHandle } from './metrics.js';
import { startPrometheusEndpoint } from './prometheus.js';

const NAME = 'orders.otel.test';
const reset = (): Error => Object.assign(new Error('reset'), { code: 'ECONNRESET' });

/** Drives every module once; returns the objects to observe. */
async function driveEverything(dns: FaultDnsServer, metrics: MetricsHandle) {
  const clock = new VirtualClock();
  // A breaker that opens after 2 failures in a row.
  const breaker = circuitBreaker({ clock, strategy: { kind: 'consecutive', failures: 2 }, dependency: 'orders' });
  metrics.observe(breaker);
  for (let i = 0; i < 2; i++) await breaker.execute(() => Promise.reject(reset())).catch(() => undefined);
  // Retries with a token bucket: one call fails once then succeeds, one fails 3 times and gives up.
  const budget = tokenBucketBudget();
  const policy = pipeline(retry({ clock, maxAttempts: 3, backoff: constantBackoff(100), budget, dependency: 'users' }));
  metrics.observe(policy);
  let calls = 0;
  assert.deepEqual(
    await drive(
      clock,
      policy.execute(() => (++calls === 1 ? Promise.reject(reset()) : Promise.resolve('ok'))),
    ),
    { ok: true, value: 'ok' },
  );
  const gaveUp = await drive(
    clock,
    policy.execute(() => Promise.reject(reset())),
  );
  assert.equal(gaveUp.ok, false);
  // DNS against the fault server: a fresh answer, a cache hit, then the record empties and the guard holds.
  const resolver = new Resolver({ upstreams: [dns.dnsServer], clock, guard: true });
  metrics.observe(resolver, { name: 'app' });
  assert.equal((await resolver.resolve(NAME, { family: 4 })).source, 'fresh');
  assert.equal((await resolver.resolve(NAME, { family: 4 })).source, 'cache');
  const fault = dns.addFault({ name: NAME, type: 'A', action: 'empty' });
  await clock.advance(10_000); // past the TTL
  assert.equal((await resolver.resolve(NAME, { family: 4 })).source, 'last-known-good');
  dns.faults.remove(fault.id);
  await assert.rejects(resolver.resolve('missing.otel.test', { family: 4 }), { code: 'FS_ERR_DNS_NOT_FOUND' });
  // Admission: one slot, no queue: the first is admitted, the second shed.
  const admit = admission({ clock, limit: fixedLimit(1), maxQueue: 0, random: seededRandom(1), name: 'api' });
  metrics.observe(admit);
  const permit = await admit.acquire({ criticality: 'critical' });
  await assert.rejects(admit.acquire({ criticality: 'sheddable' }), (e) => isFailsmallError(e));
  // Health: two sources agree that b is down.
  const targets = ['a', 'b'].map((id, n) => ({ id, address: `127.0.0.${n + 2}`, port: 1 }));
  const down = (t: { id: string }): boolean => t.id !== 'b';
  const monitor = new HealthMonitor({
    name: 'web',
    targets,
    sources: [providerSource('nlb', down, { rise: 1, fall: 1 }), providerSource('outside', down, { rise: 1, fall: 1 })],
    guardrails: { maxRemovedShare: 0.5, floor: 0.5, holdDown: 0, slowStart: false },
    clock,
    random: seededRandom(1),
  });
  metrics.observe(monitor);
  await monitor.evaluate();
  return { permit, resolver };
}

/** Runs `body` with metrics enabled on an in-memory provider; stops both after. */
async function withMemoryMetrics(
  body: (memory: MemoryMetrics, metrics: MetricsHandle) => Promise<void>,
): Promise<void> {
  const memory = memoryMetrics();
  const metrics = await enableMetrics({ meterProvider: memory.meterProvider });
  try {
    await body(memory, metrics);
  } finally {
    await metrics.stop();
    await memory.shutdown();
  }
}

describe('failsmall/otel', () => {
  let dns: FaultDnsServer;
  before(async () => {
    dns = await startFaultDnsServer({
      zones: [{ name: 'otel.test', records: [{ name: NAME, type: 'A', ttl: 5, records: [{ value: '127.0.0.10' }] }] }],
    });
  });
  after(async () => {
    await dns.close();
  });

  it('subscribes to the channels only while enabled', async () => {
    const memory = memoryMetrics();
    assert.equal(diagnostics.hasSubscribers('failsmall:policy:retry'), false);
    const metrics = await enableMetrics({ meterProvider: memory.meterProvider });
    for (const name of [
      'policy:retry',
      'policy:breaker',
      'dns:answer',
      'dns:guard',
      'admit:admission',
      'health:monitor',
    ])
      assert.equal(diagnostics.hasSubscribers(`failsmall:${name}`), true, name);
    await metrics.stop();
    await metrics.stop(); // twice is fine
    assert.equal(diagnostics.hasSubscribers('failsmall:policy:retry'), false);
    assert.throws(() => metrics.observe(circuitBreaker()), { code: 'FS_ERR_OTEL_STOPPED' });
    await memory.shutdown();
  });

  it('records breakers, retries, budgets, DNS answers by source, guard engagements, admission and health decisions', async () => {
    await withMemoryMetrics(async (memory, metrics) => {
      const { permit, resolver } = await driveEverything(dns, metrics);
      const rows = await memory.collect();
      const v = (name: string, match: Record<string, unknown> = {}) => valueOf(rows, name, match);
      const dep = { 'failsmall.dependency': 'orders' };
      const users = { 'failsmall.dependency': 'users' };
      const host = { 'dns.question.name': NAME };
      const api = { 'failsmall.admit.name': 'api' };
      const web = { 'failsmall.health.set': 'web' };
      assertFigures(rows, [
        // breaker
        [
          'failsmall.breaker.transitions',
          { ...dep, 'failsmall.breaker.state': 'open', 'failsmall.breaker.previous_state': 'closed' },
          1,
        ],
        ['failsmall.breaker.state', { ...dep, 'failsmall.breaker.state': 'open' }, 1],
        ['failsmall.breaker.state', { ...dep, 'failsmall.breaker.state': 'closed' }, 0],
        // retry: 1 retry for the first call, 2 for the second
        ['failsmall.retry.retries', { ...users, 'failsmall.retry.cause': 'error' }, 3],
        ['failsmall.retry.calls', { ...users, 'failsmall.retry.outcome': 'success' }, 1],
        [
          'failsmall.retry.calls',
          { ...users, 'failsmall.retry.outcome': 'give-up', 'failsmall.retry.reason': 'attempts' },
          1,
        ],
        // the token bucket: 500 - 3 × 5 + 5 (the successful retry's refund) = 490
        ['failsmall.budget.tokens', { ...users, 'failsmall.budget.kind': 'token-bucket' }, 490],
        ['failsmall.budget.decisions', { ...users, 'failsmall.budget.outcome': 'granted' }, 3],
        // dns
        ['failsmall.dns.answers', { ...host, 'failsmall.dns.source': 'fresh' }, 1],
        ['failsmall.dns.answers', { ...host, 'failsmall.dns.source': 'cache' }, 1],
        ['failsmall.dns.answers', { ...host, 'failsmall.dns.source': 'last-known-good' }, 1],
        ['failsmall.dns.guard.engagements', host, 1],
        ['failsmall.dns.errors', { 'dns.question.name': 'missing.otel.test', 'error.type': 'FS_ERR_DNS_NOT_FOUND' }, 1],
        ['failsmall.dns.resolution.duration', {}, 4],
        ['failsmall.dns.guard.engaged', { 'failsmall.dns.resolver': 'app' }, 1],
        // admission
        [
          'failsmall.admit.decisions',
          { ...api, 'failsmall.admit.outcome': 'admitted', 'failsmall.admit.criticality': 'critical' },
          1,
        ],
        [
          'failsmall.admit.decisions',
          { ...api, 'failsmall.admit.outcome': 'shed', 'failsmall.admit.criticality': 'sheddable' },
          1,
        ],
        ['failsmall.admit.inflight', api, 1],
        ['failsmall.admit.limit', api, 1],
        // health
        ['failsmall.health.decisions', { ...web, 'failsmall.health.verdict': 'down' }, 1],
        ['failsmall.health.decisions', { ...web, 'failsmall.health.verdict': 'up' }, 1],
        ['failsmall.health.changes', { ...web, 'failsmall.health.change': 'removed' }, 1],
        ['failsmall.health.targets', { ...web, 'failsmall.health.membership': 'in' }, 1],
      ]);
      // retry: 2 + 3 attempts
      const attempts = rows.filter((r) => r.name === 'failsmall.retry.attempts');
      assert.equal(
        attempts.reduce((s, r) => s + r.histogram!.sum, 0),
        5,
      );
      const delay = rows.find((r) => r.name === 'failsmall.retry.delay')!;
      assert.equal(delay.unit, 's');
      assert.ok(Math.abs(delay.histogram!.sum - 0.3) < 1e-9); // three backoffs of 100 ms
      assert.deepEqual(delay.histogram!.boundaries, spec('failsmall.retry.delay').boundaries);
      assert.ok(v('failsmall.dns.cache.entries', { 'failsmall.dns.resolver': 'app' })! >= 1);
      // chaos: the fault rule that emptied the record
      assert.ok(v('failsmall.chaos.faults', { 'failsmall.chaos.action': 'empty' })! >= 1);
      // every data point carries only documented attributes, and every instrument's unit is the catalogue's
      for (const row of rows) {
        const s = spec(row.name);
        assert.equal(row.unit, s.unit, row.name);
        for (const key of Object.keys(row.attributes)) assert.ok(s.attributes.includes(key), `${row.name}: ${key}`);
      }
      permit.release();
      await resolver.close();
    });
  });

  it('records each observed call by dependency and outcome (the dependency map for dashboards)', async () => {
    await withMemoryMetrics(async (memory) => {
      const clock = new VirtualClock();
      const policy = observe({ dependency: 'orders', clock });
      await policy.execute(async () => {
        clock.tick(250);
        return 'ok';
      });
      await assert.rejects(
        policy.execute(async () => {
          throw Object.assign(new Error('reset'), { code: 'ECONNRESET' });
        }),
      );
      const rows = await memory.collect();
      const dep = { 'failsmall.dependency': 'orders' };
      const ok = rows.find(
        (r) => r.name === 'failsmall.dependency.call.duration' && r.attributes['failsmall.call.outcome'] === 'ok',
      )!;
      assert.deepEqual(ok.attributes, { ...dep, 'failsmall.call.outcome': 'ok' });
      assert.equal(ok.histogram!.count, 1);
      assert.ok(Math.abs(ok.histogram!.sum - 0.25) < 1e-9);
      assert.equal(
        valueOf(rows, 'failsmall.dependency.call.duration', {
          ...dep,
          'failsmall.call.outcome': 'error',
          'error.type': 'ECONNRESET',
        }),
        1,
      );
    });
  });

  it('counts region switches, feature changes, overload changes, plan decisions and status reminders from their channels', async () => {
    await withMemoryMetrics(async (memory) => {
      const publish = (name: string, message: unknown): void =>
        diagnostics.channel(`failsmall:${name}`).publish(message);
      // The payloads documented for each channel (docs/channels.md and the modules' pages).
      publish('client:region', {
        dependency: 'orders',
        operation: 'GetItem',
        direction: 'failover',
        from: 'us-east-1',
        to: 'us-west-2',
        at: 1,
        reason: 'breaker-open',
      });
      publish('client:degradation', {
        dependency: 'orders',
        feature: 'recommendations',
        from: 'ok',
        to: 'hidden',
        at: 1,
      });
      publish('admit:event-loop', { type: 'event-loop', overloaded: true, cause: 'delay', now: 1 });
      publish('plan:decision', {
        seq: 1,
        target: 'dynamodb',
        generation: 2,
        actor: 'e1',
        decision: 'applied',
        reason: 'ok',
        at: 1,
        details: {},
      });
      publish('plan:escalation', {
        type: 'escalation',
        actor: 'e1',
        target: 'dynamodb',
        generation: 3,
        reason: 'share',
        share: 1,
        at: 1,
      });
      publish('status:update-due', { type: 'update_overdue', incidentId: 'i1', name: 'Errors', dueAt: 0, at: 1 });
      publish('policy:retry', 'not an object'); // skipped, never thrown to the publisher
      const rows = await memory.collect();
      assertFigures(rows, [
        [
          'failsmall.client.region.switches',
          {
            'failsmall.dependency': 'orders',
            'failsmall.client.direction': 'failover',
            'failsmall.client.region': 'us-west-2',
            'failsmall.client.reason': 'breaker-open',
          },
          1,
        ],
        ['failsmall.client.feature.changes', { 'failsmall.client.feature.state': 'hidden' }, 1],
        [
          'failsmall.admit.overload.changes',
          { 'failsmall.admit.overloaded': true, 'failsmall.admit.cause': 'delay' },
          1,
        ],
        ['failsmall.plan.decisions', { 'failsmall.plan.target': 'dynamodb', 'failsmall.plan.decision': 'applied' }, 1],
        ['failsmall.plan.escalations', { 'failsmall.plan.reason': 'share' }, 1],
        ['failsmall.status.reminders', { 'failsmall.status.reminder': 'update_overdue' }, 1],
      ]);
    });
  });

  it('serves the metric families on a Prometheus endpoint on loopback', async () => {
    const metrics = await enableMetrics({ prometheus: { port: 0 } });
    try {
      const { permit, resolver } = await driveEverything(dns, metrics);
      assert.match(metrics.prometheus!.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      const response = await fetch(metrics.prometheus!.url);
      assert.equal(response.status, 200);
      const text = await response.text();
      const families = new Set([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`));
      for (const family of [
        'failsmall_breaker_state gauge',
        'failsmall_breaker_transitions_total counter',
        'failsmall_retry_retries_total counter',
        'failsmall_retry_delay histogram',
        'failsmall_budget_tokens gauge',
        'failsmall_dns_answers_total counter',
        'failsmall_dns_guard_engagements_total counter',
        'failsmall_admit_decisions_total counter',
        'failsmall_health_decisions_total counter',
      ]) {
        assert.ok(families.has(family), `${family} in ${[...families].join(', ')}`);
      }
      assert.match(
        text,
        /^failsmall_dns_answers_total\{dns_question_name="orders\.otel\.test",failsmall_dns_source="last-known-good"[^}]*\} 1$/m,
      );
      assert.match(
        text,
        /^failsmall_retry_delay_bucket\{failsmall_dependency="users",failsmall_retry_cause="error"[^}]*le="0\.1"\} 3$/m,
      );
      assert.equal((await fetch(metrics.prometheus!.url.replace('/metrics', '/other'))).status, 404);
      permit.release();
      await resolver.close();
    } finally {
      await metrics.stop();
    }
    await assert.rejects(fetch(metrics.prometheus!.url), TypeError); // closed
  });

  it('fails clearly: a port in use, an unknown target, both a provider and prometheus', async () => {
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, '127.0.0.1', resolve));
    const port = (busy.address() as net.AddressInfo).port;
    try {
      await assert.rejects(startPrometheusEndpoint({ port }), (e) => {
        assert.ok(isFailsmallError(e, 'FS_ERR_OTEL_LISTEN'));
        assert.deepEqual(e.details, { host: '127.0.0.1', port });
        return true;
      });
    } finally {
      busy.close();
    }
    await assert.rejects(startPrometheusEndpoint({ port: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    const memory = memoryMetrics();
    await assert.rejects(enableMetrics({ meterProvider: memory.meterProvider, prometheus: {} }), {
      code: 'FS_ERR_INVALID_ARGUMENT',
    });
    await assert.rejects(enableMetrics({ meter: 1 } as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
    const metrics = await enableMetrics({ meterProvider: memory.meterProvider });
    assert.throws(() => metrics.observe({ snapshot: () => ({ kind: 'timeout' }) }), { code: 'FS_ERR_OTEL_TARGET' });
    assert.throws(
      () => metrics.observe(new Date() as never),
      (e) => {
        assert.ok(isFailsmallError(e, 'FS_ERR_OTEL_TARGET'));
        assert.equal(e.details?.['got'], 'an instance of Date');
        return true;
      },
    );
    const sub = metrics.observe(tokenBucketBudget());
    sub.dispose();
    await metrics.stop();
    await memory.shutdown();
  });
});

describe('failsmall/otel without its peers', () => {
  const hide = new URL('../test-support/hide-packages.js', import.meta.url).href;
  const index = new URL('./index.js', import.meta.url).href;
  /** Runs `call` in a child Node with `hidden` packages looking not installed; prints `code package`. */
  const without = (hidden: string, call: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const script = `const m = await import(${JSON.stringify(index)}); try { await m.${call}; console.log('loaded'); } catch (e) { console.log(e.code, e.details?.package); }`;
      execFile(
        process.execPath,
        ['--import', hide, '--input-type=module', '-e', script],
        { env: { ...process.env, FAILSMALL_TEST_HIDE_PACKAGES: hidden }, timeout: 30_000 },
        (error, stdout) => (error ? reject(error) : resolve(stdout.trim())),
      );
    });

  it('enableMetrics() fails with FS_ERR_MISSING_PEER naming @opentelemetry/api', async () => {
    assert.equal(await without('@opentelemetry/api', 'enableMetrics()'), 'FS_ERR_MISSING_PEER @opentelemetry/api');
  });

  it('the Prometheus endpoint names the exporter it misses', async () => {
    assert.equal(
      await without('@opentelemetry/exporter-prometheus', 'startPrometheusEndpoint({ port: 0 })'),
      'FS_ERR_MISSING_PEER @opentelemetry/exporter-prometheus',
    );
  });
});

function spec(name: string): InstrumentSpec {
  const found = INSTRUMENTS.find((s) => s.name === name);
  assert.ok(found, `${name} is not in the catalogue`);
  return found;
}

/** A meter provider that records every instrument created on it (and creates nothing). */
function recordingProvider(): { provider: MeterProvider; created: Omit<InstrumentSpec, 'description'>[] } {
  const created: Omit<InstrumentSpec, 'description'>[] = [];
  const instrument = { add() {}, record() {}, addCallback() {}, removeCallback() {} };
  const make =
    (type: InstrumentSpec['type']) =>
    (name: string, options: { unit?: string; advice?: { explicitBucketBoundaries?: number[] } } = {}) => {
      const boundaries = options.advice?.explicitBucketBoundaries;
      created.push({ name, type, unit: options.unit ?? '', attributes: [], ...(boundaries ? { boundaries } : {}) });
      return instrument;
    };
  const meter = {
    createCounter: make('Counter'),
    createHistogram: make('Histogram'),
    createObservableGauge: make('ObservableGauge'),
    createObservableCounter: make('ObservableCounter'),
    createObservableUpDownCounter: make('ObservableUpDownCounter'),
    addBatchObservableCallback() {},
    removeBatchObservableCallback() {},
  };
  return { provider: { getMeter: () => meter } as unknown as MeterProvider, created };
}

/** The rows of the instrument table of docs/otel.md. */
function documented(): { name: string; type: string; unit: string; attributes: string[]; buckets: string }[] {
  const page = readFileSync(new URL('../../docs/otel.md', import.meta.url), 'utf8');
  const start = page.indexOf('<!-- instruments -->');
  const end = page.indexOf('<!-- /instruments -->');
  assert.ok(start >= 0 && end > start, 'docs/otel.md has the <!-- instruments --> table');
  const lines = page
    .slice(start, end)
    .split('\n')
    .filter((l) => l.startsWith('| `'));
  const code = (cell: string): string[] => [...cell.matchAll(/`([^`]*)`/g)].map((m) => m[1]!);
  return lines.map((line) => {
    const cells = line
      .split('|')
      .slice(1, -1)
      .map((c) => c.trim());
    return {
      name: code(cells[0]!)[0]!,
      type: cells[1]!,
      unit: code(cells[2]!)[0]!,
      attributes: code(cells[3]!),
      buckets: cells[4]!,
    };
  });
}

describe('docs/otel.md', () => {
  it('documents exactly the instruments enableMetrics creates: names, types, units, attributes, buckets', async () => {
    const { provider, created } = recordingProvider();
    const metrics = await enableMetrics({ meterProvider: provider });
    await metrics.stop();
    const docs = documented();
    assert.deepEqual(
      docs.map((d) => `${d.name} ${d.type} ${d.unit}`),
      created.map((c) => `${c.name} ${c.type} ${c.unit}`),
      'the table lists the instruments created, in order, with their type and unit',
    );
    for (const d of docs) {
      const s = spec(d.name);
      assert.deepEqual(d.attributes, [...s.attributes], `${d.name}: attributes`);
      const made = created.find((c) => c.name === d.name)!;
      assert.equal(d.buckets, made.boundaries === undefined ? '—' : made.boundaries.join(', '), `${d.name}: buckets`);
    }
  });
});
