/**
 * The client side of the status service: runs inside each service that uses failsmall, listens to
 * failsmall's diagnostics channels and posts what it hears to the status service's write API
 * (`POST /api/admin/reports`, with its token), in batches:
 *
 * - `failsmall:policy:observe` (`call`): every attempt of every `dependency()`, counted per
 *   dependency (calls, errors, rejections, a latency histogram): the edges of the dependency map;
 * - `failsmall:policy:breaker` (`state-change`): breaker opens and closes: suggested incidents and
 *   the failure intervals of MTTR;
 * - `failsmall:dns:guard` (`guard-engaged`, `guard-released`): the resolver's last-known-good guard,
 *   tied to its dependency through `failsmall:client:connect` (which dependency connects to which
 *   host name);
 * - `failsmall:health:monitor` (`escalation`): a health monitor asking for a human.
 *
 * It never throws into the code it observes and never holds it up: a listener does a map update or
 * an array push; the buffer is bounded (signals past `maxSignals` and dependencies past
 * `maxDependencies` are dropped and counted); a batch the service does not take (down, slow,
 * refusing) is dropped and counted, never retried in a loop. Independent of any metrics library:
 * it reads the same channels a metrics exporter would.
 */
import diagnostics from 'node:diagnostics_channel';
import { systemClock, type Clock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';
import { PeriodicLoop } from '../core/periodic.js';
import { positiveNumber } from '../core/validate.js';
import { latencyBoundsMs, namePattern, noCalls, type CallStats, type Signal } from './model.js';

/** The channels a reporter can listen to. */
export const reporterChannels = ['calls', 'breaker', 'dns-guard', 'health'] as const;
/** One of {@link reporterChannels}. */
export type ReporterChannel = (typeof reporterChannels)[number];

/** Options of {@link StatusReporter}. */
export interface StatusReporterOptions {
  /** The status service, `http://host:port`. */
  readonly url: string;
  /** Its write token. */
  readonly token: string;
  /** This service's name: the `from` of its edges. */
  readonly service: string;
  readonly region?: string;
  /** Which channels to listen to; default all of {@link reporterChannels}; `false` for none (report by hand). */
  readonly subscribe?: boolean | readonly ReporterChannel[];
  /** Only these dependencies (and their hosts); default every one. */
  readonly dependencies?: readonly string[];
  /** How often a batch is posted, in milliseconds of `clock`; default 1 s. */
  readonly flushIntervalMs?: number;
  /** Signals kept while waiting for a flush; default 1,000 (more are dropped and counted). */
  readonly maxSignals?: number;
  /** Dependencies counted between flushes; default 256 (calls to more are dropped and counted). */
  readonly maxDependencies?: number;
  /** How long one POST may take, in milliseconds; default 5 s. */
  readonly timeoutMs?: number;
  /** Default {@link systemClock}. */
  readonly clock?: Clock;
  /** Default the global `fetch`. */
  readonly fetch?: typeof fetch;
}

/** Counters of a {@link StatusReporter}. */
export interface ReporterSnapshot {
  /** Batches the service took. */
  readonly batches: number;
  readonly signalsSent: number;
  readonly callsSent: number;
  /** Lost: not buffered (bound reached) or in a batch the service did not take. */
  readonly dropped: { readonly signals: number; readonly calls: number; readonly batches: number };
  readonly pendingSignals: number;
  readonly pendingDependencies: number;
  /** Why the last batch was dropped, or null. */
  readonly lastError: string | null;
}

type Counting = ReturnType<typeof noCalls>;

const PER_POST = 100;
const KNOWN = new Set([
  'url',
  'token',
  'service',
  'region',
  'subscribe',
  'dependencies',
  'flushIntervalMs',
  'maxSignals',
  'maxDependencies',
  'timeoutMs',
  'clock',
  'fetch',
]);

const text = (x: unknown, max = 200): string | undefined =>
  x === undefined || x === null ? undefined : String(x).slice(0, max);
const validName = (x: unknown): x is string => typeof x === 'string' && namePattern.test(x);

function bucketOf(ms: number): number {
  for (let i = 0; i < latencyBoundsMs.length; i++) if (ms <= latencyBoundsMs[i]!) return i;
  return latencyBoundsMs.length;
}

/**
 * @example
 * const reporter = new StatusReporter({ url: 'http://status.internal:8080', token, service: 'checkout' });
 * // … dependency('dynamodb') calls, breaker opens and guard engagements are posted every second …
 * await reporter.close();
 */
export class StatusReporter {
  readonly service: string;
  readonly #url: string;
  readonly #token: string;
  readonly #region: string | undefined;
  readonly #fetch: typeof fetch;
  readonly #loop: PeriodicLoop;
  readonly #timeout: number;
  readonly #maxSignals: number;
  readonly #maxDependencies: number;
  readonly #only: ReadonlySet<string> | undefined;
  readonly #signals: Signal[] = [];
  #calls = new Map<string, Counting>();
  readonly #hosts = new Map<string, string>();
  readonly #subscriptions: [string, (message: unknown) => void][] = [];
  #flushing: Promise<void> | undefined;
  #closed = false;
  #stopping = false;
  #batches = 0;
  #signalsSent = 0;
  #callsSent = 0;
  readonly #dropped = { signals: 0, calls: 0, batches: 0 };
  #lastError: string | null = null;

  constructor(options: StatusReporterOptions) {
    for (const key of Object.keys(options ?? {})) {
      if (!KNOWN.has(key))
        throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', `Unknown option \`${key}\``, { details: { option: key } });
    }
    if (
      typeof options.url !== 'string' ||
      !URL.canParse(options.url) ||
      !/^https?:$/.test(new URL(options.url).protocol)
    )
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`url\` to be an http(s) URL, got ${JSON.stringify(options.url)}`,
        {
          details: { option: 'url' },
        },
      );
    if (typeof options.token !== 'string' || options.token === '')
      throw new FailsmallError('FS_ERR_INVALID_ARGUMENT', 'Expected `token` to be a non-empty string', {
        details: { option: 'token' },
      });
    if (!validName(options.service))
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`service\` to be a name (letters, digits and . _ : @ / -, 1 to 128), got ${JSON.stringify(options.service)}`,
        { details: { option: 'service' } },
      );
    if (options.region !== undefined && !validName(options.region))
      throw new FailsmallError(
        'FS_ERR_INVALID_ARGUMENT',
        `Expected \`region\` to be a name, got ${JSON.stringify(options.region)}`,
        {
          details: { option: 'region' },
        },
      );
    this.service = options.service;
    this.#url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
    this.#region = options.region;
    this.#fetch = options.fetch ?? fetch;
    // A flush every `flushIntervalMs` after the previous one settled (flush never rejects).
    this.#loop = new PeriodicLoop(() => this.flush(), {
      clock: options.clock ?? systemClock,
      every: positiveNumber('flushIntervalMs', options.flushIntervalMs ?? 1_000),
      unref: true,
    });
    this.#timeout = positiveNumber('timeoutMs', options.timeoutMs ?? 5_000);
    this.#maxSignals = positiveNumber('maxSignals', options.maxSignals ?? 1_000);
    this.#maxDependencies = positiveNumber('maxDependencies', options.maxDependencies ?? 256);
    this.#only = options.dependencies === undefined ? undefined : new Set(options.dependencies);
    const subscribe = options.subscribe ?? true;
    const channels: readonly ReporterChannel[] =
      subscribe === true ? reporterChannels : subscribe === false ? [] : subscribe;
    for (const c of channels) {
      if (!reporterChannels.includes(c))
        throw new FailsmallError(
          'FS_ERR_INVALID_ARGUMENT',
          `Expected \`subscribe\` to list ${reporterChannels.join(', ')}, got ${JSON.stringify(c)}`,
          {
            details: { option: 'subscribe' },
          },
        );
    }
    this.#listen(channels);
    this.#loop.start();
  }

  #wanted(dependency: unknown): dependency is string {
    return validName(dependency) && (this.#only === undefined || this.#only.has(dependency));
  }

  #on(name: string, handler: (m: Record<string, unknown>) => void): void {
    const listener = (message: unknown): void => {
      try {
        if (typeof message === 'object' && message !== null) handler(message as Record<string, unknown>);
      } catch {
        // Never into the code that published.
      }
    };
    diagnostics.subscribe(name, listener);
    this.#subscriptions.push([name, listener]);
  }

  #listen(channels: readonly ReporterChannel[]): void {
    if (channels.includes('calls')) {
      this.#on('failsmall:policy:observe', (m) => {
        if (m['type'] === 'call') this.call(m['dependency'] as string, m['outcome'] as 'ok', Number(m['ms']));
      });
    }
    if (channels.includes('breaker')) {
      this.#on('failsmall:policy:breaker', (m) => {
        if (m['type'] !== 'state-change' || !this.#wanted(m['dependency'])) return;
        const reason = text(m['reason']);
        this.signal({
          kind: 'breaker',
          dependency: m['dependency'],
          from: m['from'] as 'closed',
          to: m['to'] as 'open',
          ...(reason === undefined ? {} : { reason }),
          at: Number(m['at']),
        });
      });
    }
    if (channels.includes('dns-guard')) {
      this.#on('failsmall:client:connect', (m) => {
        const dependency = m['dependency'];
        const hostname = m['hostname'];
        if (typeof hostname === 'string' && this.#wanted(dependency) && this.#hosts.size < 1_000)
          this.#hosts.set(hostname, dependency);
      });
      this.#on('failsmall:dns:guard', (m) => {
        const type = m['type'];
        if (type !== 'guard-engaged' && type !== 'guard-released') return;
        const hostname = m['hostname'];
        if (!validName(hostname)) return;
        const dependency = this.#hosts.get(hostname);
        if (this.#only !== undefined && dependency === undefined) return;
        const reason = text(m['reason']);
        this.signal({
          kind: 'dns-guard',
          hostname,
          ...(dependency === undefined ? {} : { dependency }),
          event: type === 'guard-engaged' ? 'engaged' : 'released',
          ...(reason === undefined ? {} : { reason }),
          at: Number(m['at']),
        });
      });
    }
    if (channels.includes('health')) {
      this.#on('failsmall:health:monitor', (m) => {
        if (m['type'] !== 'escalation' || !validName(m['set'])) return;
        this.signal({
          kind: 'health-escalation',
          set: m['set'],
          reason: text(m['reason']) ?? 'escalation',
          targets: Array.isArray(m['targets']) ? m['targets'].slice(0, 100).map((t) => String(t).slice(0, 128)) : [],
          at: Number(m['at']),
        });
      });
    }
  }

  /** Buffers a signal for the next batch; dropped (and counted) when the buffer is full or it is malformed. */
  signal(signal: Signal): void {
    if (this.#closed || this.#signals.length >= this.#maxSignals || !Number.isFinite(signal?.at) || signal.at < 0) {
      this.#dropped.signals++;
      return;
    }
    this.#signals.push(signal);
  }

  /** Counts one call to `dependency` (an `observe` event, or any client's own measurement). */
  call(dependency: string, outcome: 'ok' | 'error' | 'rejected', ms: number): void {
    if (this.#closed || !this.#wanted(dependency)) {
      if (!this.#closed && this.#only === undefined) this.#dropped.calls++;
      return;
    }
    let c = this.#calls.get(dependency);
    if (c === undefined) {
      if (this.#calls.size >= this.#maxDependencies) {
        this.#dropped.calls++;
        return;
      }
      c = noCalls();
      this.#calls.set(dependency, c);
    }
    c.calls++;
    if (outcome === 'error') c.errors++;
    else if (outcome === 'rejected') {
      c.rejected++;
      return; // never sent: no latency
    }
    const latency = Number.isFinite(ms) && ms >= 0 ? ms : 0;
    c.latencyMsSum += latency;
    c.latencyMsMax = Math.max(c.latencyMsMax, latency);
    c.latencyBuckets[bucketOf(latency)]!++;
  }

  /** Posts everything buffered now (one flush at a time). Never rejects. */
  flush(): Promise<void> {
    const run = (this.#flushing ?? Promise.resolve()).then(() => this.#flushNow());
    this.#flushing = run;
    void run.finally(() => {
      if (this.#flushing === run) this.#flushing = undefined;
    });
    return run;
  }

  async #flushNow(): Promise<void> {
    const signals = this.#signals.splice(0, this.#signals.length);
    const calls: CallStats[] = [...this.#calls].map(([dependency, c]) => ({ dependency, ...c }));
    this.#calls = new Map();
    while (signals.length > 0 || calls.length > 0) {
      const batch = { signals: signals.splice(0, PER_POST), calls: calls.splice(0, PER_POST) };
      await this.#post(batch.signals, batch.calls);
    }
  }

  async #post(signals: Signal[], calls: CallStats[]): Promise<void> {
    const body = {
      service: this.service,
      ...(this.#region === undefined ? {} : { region: this.#region }),
      ...(signals.length === 0 ? {} : { signals }),
      ...(calls.length === 0 ? {} : { calls }),
    };
    const counted = calls.reduce((n, c) => n + c.calls, 0);
    try {
      const res = await this.#fetch(`${this.#url}/api/admin/reports`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${this.#token}`,
          'content-type': 'application/json',
          'user-agent': 'failsmall-status-reporter',
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeout),
      });
      const answer = await res.text().catch(() => '');
      if (!res.ok) throw new Error(`HTTP ${res.status} ${answer.slice(0, 300)}`);
      this.#batches++;
      this.#signalsSent += signals.length;
      this.#callsSent += counted;
    } catch (error) {
      this.#dropped.batches++;
      this.#dropped.signals += signals.length;
      this.#dropped.calls += counted;
      this.#lastError = error instanceof Error ? error.message : String(error);
    }
  }

  /**
   * Posts a Backstage `catalog-info.yaml` text as this service's catalog (`PUT /api/admin/catalog`,
   * source = the service name). Resolves with the service's answer (`{ ok: false, error }` when it
   * refused or could not be reached); never rejects.
   */
  async postCatalog(yaml: string, source = this.service): Promise<{ ok: boolean; status?: number; error?: string }> {
    try {
      const res = await this.#fetch(`${this.#url}/api/admin/catalog`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${this.#token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ source, yaml }),
        signal: AbortSignal.timeout(this.#timeout),
      });
      const answer = await res.text().catch(() => '');
      return res.ok
        ? { ok: true, status: res.status }
        : { ok: false, status: res.status, error: answer.slice(0, 2_000) };
    } catch (error) {
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  /** Counters as plain JSON. */
  snapshot(): ReporterSnapshot {
    return {
      batches: this.#batches,
      signalsSent: this.#signalsSent,
      callsSent: this.#callsSent,
      dropped: { ...this.#dropped },
      pendingSignals: this.#signals.length,
      pendingDependencies: this.#calls.size,
      lastError: this.#lastError,
    };
  }

  /** Stops listening, posts what is buffered, and stops the timer. Never rejects. */
  async close(): Promise<void> {
    if (this.#stopping) return this.#flushing;
    this.#stopping = true;
    for (const [name, listener] of this.#subscriptions) diagnostics.unsubscribe(name, listener);
    this.#subscriptions.length = 0;
    this.#loop.stop();
    await this.flush();
    this.#closed = true;
  }
}
