/**
 * OpenTelemetry metrics for every failsmall module, through `@opentelemetry/api` (an optional peer,
 * loaded by {@link enableMetrics} and by nothing else: without a call, nothing is loaded and nothing
 * is emitted).
 *
 * No module knows about OpenTelemetry. Each already publishes what it does on its
 * `node:diagnostics_channel` channels (docs/channels.md), free while nobody listens; this module
 * subscribes to them and turns each message into counter increments and histogram records. State
 * that is not an event (a breaker's state, a budget's tokens, a gate's limit, a cache's size) is
 * read by observable instruments from the `snapshot()` of the objects handed to
 * {@link MetricsHandle.observe}, once per collection. Breakers need no `observe()`: their state is
 * also tracked from their transitions. Every instrument is listed in {@link INSTRUMENTS} and in
 * docs/otel.md.
 */
import diagnostics from 'node:diagnostics_channel';
import type * as OtelApi from '@opentelemetry/api';
import type {
  Attributes,
  BatchObservableResult,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Observable,
} from '@opentelemetry/api';
import { FailsmallError } from '../core/errors.js';
import { channel, type Disposable } from '../core/events.js';
import { importPeer } from '../core/optional-peer.js';
import { INSTRUMENTS, type InstrumentName, type InstrumentSpec, type InstrumentType } from './instruments.js';
import { startPrometheusEndpoint, type PrometheusEndpoint, type PrometheusOptions } from './prometheus.js';

/** Options of {@link enableMetrics}. */
export interface MetricsOptions {
  /**
   * Where the instruments are created. Default: the global provider of `@opentelemetry/api`
   * (`metrics.getMeterProvider()`, a no-op until an SDK registers one), or the Prometheus
   * endpoint's own provider when `prometheus` is given.
   */
  readonly meterProvider?: MeterProvider;
  /**
   * Serve the metrics for Prometheus to scrape, for those without a collector: starts
   * {@link startPrometheusEndpoint} (needs `@opentelemetry/sdk-metrics` and
   * `@opentelemetry/exporter-prometheus`) and uses its provider. Not with `meterProvider`.
   */
  readonly prometheus?: PrometheusOptions;
}

/** What {@link MetricsHandle.observe} reads: anything with a `snapshot()` failsmall knows. */
export interface ObservedTarget {
  snapshot(): unknown;
}

/** Options of {@link MetricsHandle.observe}. */
export interface ObserveOptions {
  /** The `failsmall.dns.resolver` attribute of a resolver's gauges, default `default`. */
  readonly name?: string;
}

/** What {@link enableMetrics} returns. */
export interface MetricsHandle {
  /**
   * Adds gauges read from `target.snapshot()` at each collection: a policy or pipeline (breaker
   * state, the retry budget's tokens), a retry budget, a `Resolver`, an `Admission` or a
   * `HealthMonitor`. Returns a handle that stops observing it.
   *
   * @throws `FS_ERR_OTEL_TARGET` for anything else; `FS_ERR_OTEL_STOPPED` after {@link stop}.
   */
  observe(target: ObservedTarget, options?: ObserveOptions): Disposable;
  /** The Prometheus endpoint, when `prometheus` was given. */
  readonly prometheus: PrometheusEndpoint | undefined;
  /** Unsubscribes from every channel, drops the gauges' callback, closes the Prometheus endpoint. */
  stop(): Promise<void>;
}

const BREAKER_STATES = ['closed', 'open', 'half-open', 'isolated'] as const;
const REJECTING_KINDS = ['bulkhead', 'limiter', 'throttle', 'rate-limiter'] as const;

type Message = Readonly<Record<string, unknown>>;
type Instruments = {
  readonly [K in InstrumentName]: Counter | Histogram | Observable;
};
/** The names of the catalogue's instruments of `type`. */
type NameOf<T extends InstrumentType> = Extract<(typeof INSTRUMENTS)[number], { readonly type: T }>['name'];
type GaugeName = NameOf<'ObservableGauge' | 'ObservableCounter' | 'ObservableUpDownCounter'>;

/** Attributes without the undefined ones (OpenTelemetry drops nothing by itself). */
function attrs(entries: Record<string, unknown>): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(entries)) {
    if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') out[key] = value;
  }
  return out;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const num = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;
const seconds = (ms: unknown): number | undefined => {
  const n = num(ms);
  return n === undefined ? undefined : Math.max(0, n) / 1000;
};

/** Creates one instrument of the catalogue on `meter`. */
function create(meter: Meter, spec: InstrumentSpec): Counter | Histogram | Observable {
  const options = { description: spec.description, unit: spec.unit };
  switch (spec.type) {
    case 'Counter':
      return meter.createCounter(spec.name, options);
    case 'Histogram':
      return meter.createHistogram(spec.name, {
        ...options,
        advice: { explicitBucketBoundaries: [...(spec.boundaries ?? [])] },
      });
    case 'ObservableGauge':
      return meter.createObservableGauge(spec.name, options);
    case 'ObservableCounter':
      return meter.createObservableCounter(spec.name, options);
    case 'ObservableUpDownCounter':
      return meter.createObservableUpDownCounter(spec.name, options);
  }
}

/** What a snapshot reveals about its object, for the gauges. */
type Reading =
  | { readonly kind: 'breaker'; readonly dependency: string | undefined; readonly state: string }
  | {
      readonly kind: 'budget';
      readonly dependency: string | undefined;
      readonly budget: string;
      readonly tokens: number | undefined;
      readonly granted: number;
      readonly denied: number;
    }
  | { readonly kind: 'resolver'; readonly entries: number; readonly guards: number }
  | {
      readonly kind: 'admission';
      readonly name: string | undefined;
      readonly limit: number;
      readonly inflight: number;
      readonly queued: number;
    }
  | { readonly kind: 'health'; readonly set: string; readonly inSet: number; readonly targets: number };

/** The readings of one snapshot (a pipeline's pieces and a retry policy's budget included). */
function read(snapshot: unknown, dependency: string | undefined, out: Reading[]): void {
  if (typeof snapshot !== 'object' || snapshot === null) return;
  const s = snapshot as Message;
  const dep = str(s['dependency']) ?? dependency;
  const kind = s['kind'];
  if (kind === 'pipeline' && Array.isArray(s['policies'])) {
    for (const piece of s['policies']) read(piece, dep, out);
  } else if (kind === 'breaker' && typeof s['state'] === 'string') {
    out.push({ kind: 'breaker', dependency: dep, state: s['state'] });
  } else if (kind === 'retry') {
    read(s['budget'], dep, out);
  } else if (kind === 'admission' && typeof s['limit'] === 'number') {
    out.push({
      kind: 'admission',
      name: str(s['name']),
      limit: s['limit'],
      inflight: num(s['inflight']) ?? 0,
      queued: num(s['queued']) ?? 0,
    });
  } else if (typeof kind === 'string' && typeof s['granted'] === 'number' && typeof s['denied'] === 'number') {
    out.push({
      kind: 'budget',
      dependency: dep,
      budget: kind,
      tokens: num(s['tokens']),
      granted: s['granted'],
      denied: s['denied'],
    });
  } else if (typeof s['guardsEngaged'] === 'number' && typeof s['entries'] === 'number') {
    out.push({ kind: 'resolver', entries: s['entries'], guards: s['guardsEngaged'] });
  } else if (typeof s['name'] === 'string' && typeof s['inSet'] === 'number' && typeof s['targets'] === 'number') {
    out.push({ kind: 'health', set: s['name'], inSet: s['inSet'], targets: s['targets'] });
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const ctor = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof ctor === 'string' ? `an instance of ${ctor}` : 'an object';
}

/**
 * Starts turning failsmall's channels and snapshots into OpenTelemetry metrics (see the module
 * comment and docs/otel.md for every instrument). Call it once per meter provider.
 *
 * @throws `FS_ERR_MISSING_PEER` without `@opentelemetry/api` (or, with `prometheus`, the SDK and
 * exporter); `FS_ERR_OTEL_LISTEN` when the Prometheus endpoint cannot listen;
 * `FS_ERR_INVALID_ARGUMENT` for `meterProvider` together with `prometheus`.
 * @example
 * import { enableMetrics } from 'failsmall/otel';
 * const metrics = await enableMetrics({ prometheus: { port: 9464 } }); // GET http://127.0.0.1:9464/metrics
 * metrics.observe(breaker);
 * // … on shutdown
 * await metrics.stop();
 */
export async function enableMetrics(options: MetricsOptions = {}): Promise<MetricsHandle> {
  if (typeof options !== 'object' || options === null) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      `Expected \`options\` to be an object, got ${describe(options)}`,
      {
        details: { option: 'options' },
      },
    );
  }
  for (const key of Object.keys(options)) {
    if (key !== 'meterProvider' && key !== 'prometheus')
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Unknown option \`${key}\``, { details: { option: key } });
  }
  if (options.meterProvider !== undefined && options.prometheus !== undefined) {
    throw new FailsmallError(
      'FS_ERR_INVALID_ARGUMENT',
      'Expected either `meterProvider` or `prometheus`, not both: add a PrometheusExporter to your own provider instead',
      { details: { option: 'prometheus' } },
    );
  }
  const api = await importPeer<typeof OtelApi>('@opentelemetry/api', 'failsmall/otel metrics');
  const prometheus = options.prometheus === undefined ? undefined : await startPrometheusEndpoint(options.prometheus);
  const provider = options.meterProvider ?? prometheus?.meterProvider ?? api.metrics.getMeterProvider();
  const meter = provider.getMeter('failsmall');
  const made = {} as Record<InstrumentName, Counter | Histogram | Observable>;
  for (const spec of INSTRUMENTS) made[spec.name] = create(meter, spec);
  const i = made as Instruments;
  /** Adds 1 to counter `name`, with the defined ones of `attributes`. */
  const count = (name: NameOf<'Counter'>, attributes: Record<string, unknown>): void =>
    (i[name] as Counter).add(1, attrs(attributes));
  /** Records `value` on histogram `name`, when there is one. */
  const record = (name: NameOf<'Histogram'>, value: number | undefined, attributes: Record<string, unknown>): void => {
    if (value !== undefined) (i[name] as Histogram).record(value, attrs(attributes));
  };

  // ---- events, from the channels ----
  /** Last state of each breaker seen changing, by dependency (`''` for none). */
  const breakerStates = new Map<string, string>();
  const handlers = new Map<string, (message: Message) => void>();
  const on = (module: string, event: string, handler: (message: Message) => void): void => {
    handlers.set(channel(module, event).name as string, handler);
  };

  on('policy', 'breaker', (m) => {
    if (m['type'] !== 'state-change') return;
    const dependency = str(m['dependency']);
    const to = str(m['to']);
    if (to !== undefined) breakerStates.set(dependency ?? '', to);
    count('failsmall.breaker.transitions', {
      'failsmall.dependency': dependency,
      'failsmall.breaker.state': to,
      'failsmall.breaker.previous_state': m['from'],
      'failsmall.breaker.reason': m['reason'],
    });
  });
  on('policy', 'retry', (m) => {
    const dependency = str(m['dependency']);
    if (m['type'] === 'retry') {
      const a = { 'failsmall.dependency': dependency, 'failsmall.retry.cause': m['cause'] };
      count('failsmall.retry.retries', a);
      record('failsmall.retry.delay', seconds(m['delay']), a);
    } else if (m['type'] === 'success' || m['type'] === 'give-up') {
      const a = { 'failsmall.dependency': dependency, 'failsmall.retry.outcome': m['type'] };
      count('failsmall.retry.calls', {
        ...a,
        'failsmall.retry.reason': m['type'] === 'give-up' ? m['reason'] : undefined,
      });
      record('failsmall.retry.attempts', num(m['attempt']), a);
    }
  });
  on('policy', 'hedge', (m) => {
    const dependency = str(m['dependency']);
    if (m['type'] === 'hedge') {
      count('failsmall.hedge.hedges', { 'failsmall.dependency': dependency, 'failsmall.hedge.trigger': m['trigger'] });
    } else if (m['type'] === 'result') {
      record('failsmall.hedge.duration', seconds(m['latency']), {
        'failsmall.dependency': dependency,
        'failsmall.hedge.outcome': m['ok'] === true ? 'success' : 'failure',
      });
    }
  });
  on('policy', 'observe', (m) => {
    if (m['type'] !== 'call') return;
    record('failsmall.dependency.call.duration', seconds(m['ms']), {
      'failsmall.dependency': m['dependency'],
      'failsmall.call.outcome': m['outcome'],
      'error.type': m['code'],
    });
  });
  on('policy', 'timeout', (m) => {
    if (m['type'] !== 'timeout') return;
    count('failsmall.timeout.timeouts', {
      'failsmall.dependency': m['dependency'],
      'failsmall.timeout.source': m['source'],
    });
  });
  on('policy', 'fallback', (m) => {
    if (m['type'] !== 'fallback') return;
    count('failsmall.fallback.substitutions', { 'failsmall.dependency': m['dependency'] });
  });
  for (const kind of REJECTING_KINDS) {
    on('policy', kind, (m) => {
      if (m['type'] !== 'rejected') return;
      count('failsmall.policy.rejections', { 'failsmall.dependency': m['dependency'], 'failsmall.policy.kind': kind });
    });
  }
  on('dns', 'answer', (m) => {
    const duration = seconds(m['duration']);
    if (m['type'] === 'answer') {
      count('failsmall.dns.answers', { 'dns.question.name': m['hostname'], 'failsmall.dns.source': m['source'] });
      record('failsmall.dns.resolution.duration', duration, { 'failsmall.dns.source': m['source'] });
    } else if (m['type'] === 'error') {
      count('failsmall.dns.errors', { 'dns.question.name': m['hostname'], 'error.type': m['code'] });
      record('failsmall.dns.resolution.duration', duration, { 'error.type': m['code'] });
    }
  });
  on('dns', 'guard', (m) => {
    const a = { 'dns.question.name': m['hostname'], 'failsmall.dns.guard.reason': m['reason'] };
    if (m['type'] === 'guard-engaged') count('failsmall.dns.guard.engagements', a);
    else if (m['type'] === 'guard-released') count('failsmall.dns.guard.releases', a);
  });
  on('client', 'connect', (m) => {
    const outcome = m['type'] === 'connect' ? 'connected' : m['type'] === 'connect-failed' ? 'failed' : undefined;
    if (outcome === undefined) return;
    const a = { 'failsmall.dependency': m['dependency'], 'failsmall.client.outcome': outcome };
    count('failsmall.client.connections', { ...a, 'error.type': outcome === 'failed' ? m['code'] : undefined });
    record('failsmall.client.connect.duration', seconds(m['ms']), a);
  });
  on('client', 'region', (m) => {
    count('failsmall.client.region.switches', {
      'failsmall.dependency': m['dependency'],
      'failsmall.client.direction': m['direction'],
      'failsmall.client.region': m['to'],
      'failsmall.client.reason': m['reason'],
    });
  });
  on('client', 'degradation', (m) => {
    count('failsmall.client.feature.changes', {
      'failsmall.dependency': m['dependency'],
      'failsmall.client.feature': m['feature'],
      'failsmall.client.feature.state': m['to'],
    });
  });
  on('admit', 'event-loop', (m) => {
    if (m['type'] !== 'event-loop') return;
    count('failsmall.admit.overload.changes', {
      'failsmall.admit.overloaded': m['overloaded'],
      'failsmall.admit.cause': m['cause'],
    });
  });
  on('plan', 'decision', (m) => {
    count('failsmall.plan.decisions', {
      'failsmall.plan.target': m['target'],
      'failsmall.plan.decision': m['decision'],
    });
  });
  on('plan', 'escalation', (m) => {
    count('failsmall.plan.escalations', { 'failsmall.plan.target': m['target'], 'failsmall.plan.reason': m['reason'] });
  });
  on('chaos', 'fault', (m) => {
    count('failsmall.chaos.faults', { 'failsmall.chaos.rule': m['rule'], 'failsmall.chaos.action': m['action'] });
  });
  on('status', 'update-due', (m) => {
    count('failsmall.status.reminders', { 'failsmall.status.reminder': m['type'] });
  });
  on('admit', 'admission', (m) => {
    const a = { 'failsmall.admit.name': m['name'], 'failsmall.admit.criticality': m['criticality'] };
    if (m['type'] === 'admit') {
      count('failsmall.admit.decisions', { ...a, 'failsmall.admit.outcome': 'admitted' });
      record('failsmall.admit.queue.duration', seconds(m['waited']), a);
    } else if (m['type'] === 'shed') {
      count('failsmall.admit.decisions', {
        ...a,
        'failsmall.admit.outcome': 'shed',
        'failsmall.admit.reason': m['reason'],
      });
    }
  });
  on('health', 'monitor', (m) => {
    const set = m['set'];
    if (m['type'] === 'round') {
      const decisions = m['decisions'];
      if (typeof decisions !== 'object' || decisions === null) return;
      for (const d of Object.values(decisions as Record<string, Message>)) {
        count('failsmall.health.decisions', {
          'failsmall.health.set': set,
          'failsmall.health.verdict': d['verdict'],
          'failsmall.health.reason': d['reason'],
        });
      }
    } else if (m['type'] === 'change') {
      count('failsmall.health.changes', { 'failsmall.health.set': set, 'failsmall.health.change': m['change'] });
    } else if (m['type'] === 'escalation') {
      count('failsmall.health.escalations', { 'failsmall.health.set': set, 'failsmall.health.reason': m['reason'] });
    }
  });

  const subscriptions: [string, (message: unknown) => void][] = [];
  for (const [name, handler] of handlers) {
    // A handler must never break the publisher: a malformed message is skipped.
    const safe = (message: unknown): void => {
      if (typeof message !== 'object' || message === null) return;
      try {
        handler(message as Message);
      } catch (error) {
        process.emitWarning(
          `failsmall/otel: a message of ${name} was not recorded: ${String(error)}`,
          'FailsmallOtelWarning',
        );
      }
    };
    diagnostics.subscribe(name, safe);
    subscriptions.push([name, safe]);
  }

  // ---- state, from the snapshots ----
  const observed = new Map<ObservedTarget, ObserveOptions>();
  const gauges = INSTRUMENTS.filter((s) => s.type.startsWith('Observable')).map((s) => i[s.name] as Observable);
  const collect = (result: BatchObservableResult): void => {
    /** Observes `value` on gauge `name`, with the defined ones of `attributes`. */
    const observe = (name: GaugeName, value: number, attributes: Record<string, unknown>): void =>
      result.observe(i[name] as Observable, value, attrs(attributes));
    const breakers = new Map<string, { dependency: string | undefined; state: string }>();
    for (const [dependency, state] of breakerStates)
      breakers.set(dependency, { dependency: dependency === '' ? undefined : dependency, state });
    for (const [target, opts] of observed) {
      const readings: Reading[] = [];
      read(target.snapshot(), undefined, readings);
      for (const r of readings) {
        switch (r.kind) {
          case 'breaker':
            breakers.set(r.dependency ?? '', { dependency: r.dependency, state: r.state });
            break;
          case 'budget': {
            const a = { 'failsmall.dependency': r.dependency, 'failsmall.budget.kind': r.budget };
            if (r.tokens !== undefined) observe('failsmall.budget.tokens', r.tokens, a);
            observe('failsmall.budget.decisions', r.granted, { ...a, 'failsmall.budget.outcome': 'granted' });
            observe('failsmall.budget.decisions', r.denied, { ...a, 'failsmall.budget.outcome': 'denied' });
            break;
          }
          case 'resolver': {
            const a = { 'failsmall.dns.resolver': opts.name ?? 'default' };
            observe('failsmall.dns.cache.entries', r.entries, a);
            observe('failsmall.dns.guard.engaged', r.guards, a);
            break;
          }
          case 'admission': {
            const a = { 'failsmall.admit.name': r.name ?? opts.name };
            observe('failsmall.admit.limit', r.limit, a);
            observe('failsmall.admit.inflight', r.inflight, a);
            observe('failsmall.admit.queued', r.queued, a);
            break;
          }
          case 'health': {
            const set = { 'failsmall.health.set': r.set };
            observe('failsmall.health.targets', r.inSet, { ...set, 'failsmall.health.membership': 'in' });
            observe('failsmall.health.targets', r.targets - r.inSet, { ...set, 'failsmall.health.membership': 'out' });
            break;
          }
        }
      }
    }
    for (const { dependency, state } of breakers.values()) {
      for (const s of BREAKER_STATES) {
        observe('failsmall.breaker.state', s === state ? 1 : 0, {
          'failsmall.dependency': dependency,
          'failsmall.breaker.state': s,
        });
      }
    }
  };
  meter.addBatchObservableCallback(collect, gauges);

  let stopped = false;
  return {
    prometheus,
    observe(target: ObservedTarget, observeOptions: ObserveOptions = {}): Disposable {
      if (stopped) throw new FailsmallError('FS_ERR_OTEL_STOPPED', 'metrics.observe() after metrics.stop()');
      const snapshot =
        typeof (target as { snapshot?: unknown } | null)?.snapshot === 'function' ? target.snapshot() : undefined;
      const readings: Reading[] = [];
      read(snapshot, undefined, readings);
      const kind = (snapshot as { kind?: unknown } | undefined)?.kind;
      // A pipeline or retry policy without any gauge-worthy piece is accepted: it may hold one later.
      if (readings.length === 0 && kind !== 'pipeline' && kind !== 'retry') {
        throw new FailsmallError(
          'FS_ERR_OTEL_TARGET',
          `Expected a policy, pipeline, retry budget, Resolver, Admission or HealthMonitor to observe, got ${describe(target)}`,
          { details: { got: describe(target) } },
        );
      }
      observed.set(target, { ...observeOptions });
      return { dispose: () => void observed.delete(target) };
    },
    async stop(): Promise<void> {
      if (stopped) return;
      stopped = true;
      for (const [name, fn] of subscriptions) diagnostics.unsubscribe(name, fn);
      meter.removeBatchObservableCallback(collect, gauges);
      observed.clear();
      await prometheus?.close();
    },
  };
}
