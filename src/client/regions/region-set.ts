/**
 * Region-ordered endpoints for one dependency: a primary region and alternates (other regions,
 * another provider, a pre-approved substitute) with priorities, each with its own failsmall
 * {@link Dependency} (connector, breaker, attempt timeout, retry budget) and so its own fetch
 * dispatcher, http(s) agents and AWS SDK config. Every operation class (`read`, `write`, …) is
 * routed on its own over the regions that serve it, by the pure decision of `routing.ts`, from
 * failsmall's own signals:
 *
 * - down (failover): the region's breaker is open, its connector failed to reach any address of the
 *   name on the last connect (the DNS guard released the set and nothing answers, or every address
 *   refused), or its `health()` says false;
 * - strictly healthy (failback): breaker closed, reachable, health not false; plus `probes`
 *   consecutive successful probes (run through the region's breaker, so they close it) and the
 *   replication hook (`caughtUp`), checked every `probeInterval` while a class is failed over.
 *
 * After a failback the traffic ramps back with the slow-start curve (admit/slow-start.ts). Every
 * switch is recorded with its reason (`switches`, `onSwitch`, channel `failsmall:client:region`).
 */
import { channel, Emitter, systemClock, type Cancel, type Clock, type Random } from '../../core/index.js';
import { FailsmallError } from '../../core/errors.js';
import { describeFailure } from '../../policy/errors/describe-failure.js';
import { mathRandom } from '../../core/random.js';
import { duration, func, nonNegativeInteger, invalid } from '../../core/validate.js';
import { SlowStart, type SlowStartOptions } from '../../admit/slow-start.js';
import { circuitBreaker, type BreakerOptions, type CircuitBreaker } from '../../policy/breaker/breaker.js';
import { policyOptions } from '../../policy/core/options.js';
import type { PolicyContext } from '../../policy/core/types.js';
import { isFailureResponse } from '../attempt-policy.js';
import { Dependency, type DependencyOptions } from '../dependency.js';
import { resolveOperations, resolveRegions, type RegionConfig } from './config.js';
import {
  initialRouting,
  pickDuringRamp,
  stepRouting,
  type RegionSignal,
  type RoutingConfig,
  type RoutingState,
} from './routing.js';

/** Failover options of {@link RegionSetOptions}. */
export interface FailoverOptions {
  /** Minimum time between a switch and the next failover, in ms; default 1 s (a flapping signal moves traffic at most once a second). */
  readonly minInterval?: number;
}

/** Failback options of {@link RegionSetOptions}: the hysteresis. */
export interface FailbackOptions {
  /** Minimum time on an alternate before failing back, in ms; default 60 s (two breaker windows). */
  readonly dwell?: number;
  /** How long the region must be strictly healthy without a break, in ms; default 30 s (one breaker window). */
  readonly stableFor?: number;
  /** Consecutive successful probes required; default 3. */
  readonly probes?: number;
  /** Time between probe rounds while failed over, in ms; default 5 s. */
  readonly probeInterval?: number;
  /** Minimum time between two failbacks of a class, in ms; default 5 min. */
  readonly minInterval?: number;
  /** The ramp of traffic back to the recovered region (slow start); default a 30 s linear ramp from 10 %. */
  readonly ramp?: SlowStartOptions;
  /**
   * The probe: a call that proves the region serves; run through the region's per-attempt policy
   * (its breaker, so a success closes it). Default: a TCP connect to the endpoint through the
   * region's connector.
   */
  readonly probe?: (region: Region, signal: AbortSignal) => Promise<unknown>;
  /**
   * The replication check: true when `to` (the region to fail back to) has caught up with `from`
   * (the writes accepted meanwhile). Default: always true.
   */
  readonly caughtUp?: (from: Region, to: Region, signal: AbortSignal) => boolean | Promise<boolean>;
}

/** Options of {@link regions}. */
export interface RegionSetOptions extends Omit<DependencyOptions, 'breaker' | 'clock' | 'random'> {
  /** The regions, any order (sorted by `priority`). */
  readonly regions: readonly RegionConfig[];
  /** The operation classes; default `['read', 'write']`. */
  readonly operations?: readonly string[];
  /** Failover rate limit. */
  readonly failover?: FailoverOptions;
  /** Failback hysteresis. */
  readonly failback?: FailbackOptions;
  /** The clock of the decisions, probes and policies; default `systemClock`. */
  readonly clock?: Clock;
  /** The source of the ramp's draws and the retries' jitter; default `Math.random`. */
  readonly random?: Random;
  /**
   * Settings of each region's breaker (one breaker per region); default the breaker's own (5
   * failures in a row open it, half-open after 30 s). Its `halfOpenAfter` bounds how soon a returning
   * region can pass the failback probes.
   */
  readonly breaker?: Omit<BreakerOptions, 'dependency' | 'clock' | 'state'>;
}

/** A region of a {@link RegionSet}. */
export interface Region {
  readonly name: string;
  readonly endpoint: string | undefined;
  readonly priority: number;
  readonly serves: readonly string[];
  /** Its dependency: `dispatcher`, `httpAgent`, `httpsAgent`, `aws`, `execute`. */
  readonly dependency: Dependency;
  /** Its breaker (shared by every integration of the region). */
  readonly breaker: CircuitBreaker;
}

/** What a call routed by {@link RegionSet.execute} receives. */
export interface RegionCallContext extends PolicyContext {
  /** The region chosen for this attempt. */
  readonly region: Region;
  /** Its endpoint (base URL), when configured. */
  readonly endpoint: string | undefined;
}

/** A switch of one operation class, recorded with its reason. */
export interface RegionSwitch {
  readonly dependency: string;
  readonly operation: string;
  readonly direction: 'failover' | 'failback';
  readonly from: string;
  readonly to: string;
  /** When (ms on the set's clock). */
  readonly at: number;
  /** `breaker-open`, `unreachable`, `health` (failover) or `recovered` (failback). */
  readonly reason: string;
}

const KNOWN = [
  'regions',
  'operations',
  'failover',
  'failback',
  'clock',
  'random',
  'breaker',
  'connectClock',
  'resolver',
  'attemptDelay',
  'connectTimeout',
  'health',
  'family',
  'keepAlive',
  'keepAliveInitialDelay',
  'budget',
  'isFailureResult',
  'waitForBreaker',
  'attemptTimeout',
  'maxAttempts',
  'tls',
  'agent',
  'undici',
  'http',
];
const FAILOVER_KEYS = ['minInterval'];
const FAILBACK_KEYS = ['dwell', 'stableFor', 'probes', 'probeInterval', 'minInterval', 'ramp', 'probe', 'caughtUp'];
const HISTORY = 100; // switches kept in `switches`
const regionChannel = channel('client', 'region');

interface ClassState {
  readonly operation: string;
  /** Region indices (into the set's ordered regions), in priority order. */
  readonly candidates: readonly number[];
  routing: RoutingState;
  /** The candidate the traffic ramps away from after a failback. */
  rampFrom: number | undefined;
  readonly ramp: SlowStart;
}

/** Region-ordered endpoints of one dependency; see the module comment and {@link regions}. */
export class RegionSet {
  /** The dependency's name. */
  readonly name: string;
  /** The regions, in priority order. */
  readonly regions: readonly Region[];
  /** Every switch, failover and failback, with its reason. */
  readonly onSwitch = new Emitter<RegionSwitch>();
  readonly #clock: Clock;
  readonly #random: Random;
  readonly #config: RoutingConfig;
  readonly #classes = new Map<string, ClassState>();
  readonly #unreachable: boolean[];
  readonly #probes: number[];
  readonly #caughtUp: boolean[];
  readonly #health: ((() => boolean | undefined) | undefined)[];
  readonly #probe: (region: Region, signal: AbortSignal) => Promise<unknown>;
  readonly #caughtUpHook: FailbackOptions['caughtUp'];
  readonly #probeInterval: number;
  readonly #switches: RegionSwitch[] = [];
  readonly #counts = { failovers: 0, failbacks: 0, rerouted: 0 };
  readonly #abort = new AbortController();
  #probeTimer: Cancel | undefined;
  #probing = false;
  #closed = false;

  constructor(name: string, given: RegionSetOptions) {
    if (typeof name !== 'string' || name === '') invalid('name', 'a non-empty string', name);
    const options = policyOptions(given, KNOWN, true);
    const failover = policyOptions(options.failover, FAILOVER_KEYS);
    const failback = policyOptions(options.failback, FAILBACK_KEYS);
    const operations = resolveOperations(options.operations);
    const resolved = resolveRegions(options.regions, operations);
    this.name = name;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? mathRandom;
    this.#config = {
      failoverMinInterval: duration('failover.minInterval', failover.minInterval ?? 1_000),
      dwell: duration('failback.dwell', failback.dwell ?? 60_000),
      stableFor: duration('failback.stableFor', failback.stableFor ?? 30_000),
      probes: nonNegativeInteger('failback.probes', failback.probes ?? 3),
      failbackMinInterval: duration('failback.minInterval', failback.minInterval ?? 300_000),
    };
    this.#probeInterval = duration('failback.probeInterval', failback.probeInterval ?? 5_000);
    if (this.#probeInterval === 0) invalid('failback.probeInterval', 'a finite number > 0', 0);
    this.#probe =
      failback.probe === undefined
        ? connectProbe
        : func<(region: Region, signal: AbortSignal) => Promise<unknown>>('failback.probe', failback.probe);
    this.#caughtUpHook =
      failback.caughtUp === undefined
        ? undefined
        : func<NonNullable<FailbackOptions['caughtUp']>>('failback.caughtUp', failback.caughtUp);
    const rampOptions = failback.ramp ?? { window: 30_000 };
    new SlowStart(rampOptions); // validates once, with the field's name
    if (options.breaker !== undefined && (typeof options.breaker !== 'object' || options.breaker === null)) {
      invalid('breaker', 'breaker options (an object; every region has a breaker)', options.breaker);
    }
    const {
      regions: _r,
      operations: _o,
      failover: _f,
      failback: _b,
      breaker: breakerOptions,
      ...dependencyOptions
    } = options;
    this.regions = resolved.map((r) => {
      const depName = `${name}@${r.name}`;
      const breaker = circuitBreaker({
        isFailureResult: options.isFailureResult ?? isFailureResponse,
        ...breakerOptions,
        dependency: depName,
        clock: this.#clock,
      });
      const dependency = new Dependency(depName, {
        ...dependencyOptions,
        ...(options.random === undefined ? {} : { random: options.random }),
        clock: this.#clock,
        breaker,
      });
      return { name: r.name, endpoint: r.endpoint, priority: r.priority, serves: r.serves, dependency, breaker };
    });
    this.#health = resolved.map((r) => r.health);
    this.#unreachable = this.regions.map(() => false);
    this.#probes = this.regions.map(() => 0);
    this.#caughtUp = this.regions.map(() => this.#caughtUpHook === undefined);
    this.regions.forEach((region, i) => {
      region.dependency.connector.events.on((event) => {
        this.#unreachable[i] = event.type === 'connect-failed';
      });
    });
    const now = this.#clock.now();
    for (const operation of operations) {
      const candidates = this.regions.flatMap((r, i) => (r.serves.includes(operation) ? [i] : []));
      this.#classes.set(operation, {
        operation,
        candidates,
        routing: initialRouting(candidates.length, now),
        rampFrom: undefined,
        ramp: new SlowStart(rampOptions),
      });
    }
  }

  /** The signals of region `i` at `now`. */
  #signal(i: number): RegionSignal {
    const region = this.regions[i]!;
    const breaker = region.breaker.state;
    let health: boolean | undefined;
    try {
      health = this.#health[i]?.();
    } catch {
      health = undefined; // a throwing health hook says nothing
    }
    const reason =
      breaker === 'open' || breaker === 'isolated'
        ? 'breaker-open'
        : this.#unreachable[i]
          ? 'unreachable'
          : health === false
            ? 'health'
            : breaker === 'half-open'
              ? 'breaker-half-open'
              : undefined;
    const up = reason === undefined || reason === 'breaker-half-open';
    return {
      up,
      reason,
      strict: reason === undefined,
      probes: this.#probes[i]!,
      caughtUp: this.#caughtUp[i]!,
    };
  }

  /** Re-evaluates every class at the clock's now; records and publishes switches. */
  evaluate(): void {
    const now = this.#clock.now();
    let failedOver = false;
    for (const state of this.#classes.values()) {
      const signals = state.candidates.map((i) => this.#signal(i));
      const step = stepRouting(state.routing, this.#config, now, signals);
      state.routing = step.state;
      const s = step.switched;
      if (s !== undefined) {
        const from = state.candidates[s.from]!;
        const to = state.candidates[s.to]!;
        if (s.direction === 'failback') {
          state.rampFrom = from;
          state.ramp.start(now);
          this.#counts.failbacks++;
        } else {
          state.rampFrom = undefined;
          this.#counts.failovers++;
        }
        this.#record({
          dependency: this.name,
          operation: state.operation,
          direction: s.direction,
          from: this.regions[from]!.name,
          to: this.regions[to]!.name,
          at: now,
          reason: s.reason,
        });
      }
      if (state.routing.active !== 0) failedOver = true;
      if (state.rampFrom !== undefined && (!state.ramp.active(now) || !this.#signal(state.rampFrom).up)) {
        state.rampFrom = undefined;
      }
    }
    if (failedOver) this.#armProbes();
  }

  #record(event: RegionSwitch): void {
    this.#switches.push(event);
    if (this.#switches.length > HISTORY) this.#switches.shift();
    if (this.onSwitch.hasListeners) this.onSwitch.emit(event);
    if (regionChannel.hasSubscribers) regionChannel.publish(event);
  }

  /** The region that serves the next call of `operation` (evaluates first). */
  route(operation: string): Region {
    const state = this.#classes.get(operation);
    if (state === undefined) {
      invalid('operation', `one of ${[...this.#classes.keys()].map((o) => JSON.stringify(o)).join(', ')}`, operation);
    }
    this.evaluate();
    const now = this.#clock.now();
    const active = state.candidates[state.routing.active]!;
    const factor = state.rampFrom === undefined ? 1 : state.ramp.factor(now);
    return this.regions[pickDuringRamp(active, state.rampFrom, factor, this.#random.next())]!;
  }

  /**
   * Runs `fn` in the region that serves `operation`, under that region's policy (retries from its
   * budget, its breaker, its attempt timeout). A call that was never sent (its region's breaker
   * rejected it, or no connection could be made: `describeFailure(error).neverSent`) is run once
   * more in the region the class fails over to, if it does.
   *
   * @example
   * const res = await orders.execute('read', ({ region, endpoint, signal }) =>
   *   fetch(`${endpoint}/orders/42`, { dispatcher: region.dependency.dispatcher, signal }));
   */
  async execute<T>(operation: string, fn: (ctx: RegionCallContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
    return this.#routed(operation, (r) =>
      r.dependency.execute((ctx) => fn({ ...ctx, region: r, endpoint: r.endpoint }), signal),
    );
  }

  /**
   * Like {@link execute} but without the region's policy around `fn`: for integrations that carry it
   * already, such as an AWS SDK client built with `region.dependency.aws` (its handler runs every
   * attempt through the region's breaker and timeout, its retry strategy draws from the budget).
   *
   * @example
   * const clientOf = orders.perRegion((r) => new DynamoDBClient({ region: r.name, ...r.dependency.aws }));
   * const item = await orders.call('read', ({ region }) => clientOf(region).send(new GetItemCommand(input)));
   */
  async call<T>(
    operation: string,
    fn: (ctx: { region: Region; endpoint: string | undefined; signal: AbortSignal | undefined }) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.#routed(operation, (r) => fn({ region: r, endpoint: r.endpoint, signal }));
  }

  async #routed<T>(operation: string, run: (region: Region) => Promise<T>): Promise<T> {
    if (this.#closed) throw new FailsmallError('FS_ERR_REGION_CLOSED', `The region set ${this.name} is closed`);
    const region = this.route(operation);
    try {
      return await run(region);
    } catch (error) {
      // never sent (an open breaker, a refused or unresolved connection): safe to run elsewhere
      if (!describeFailure(error).neverSent) throw error;
      const next = this.route(operation);
      if (next === region) throw error;
      this.#counts.rerouted++;
      return run(next);
    }
  }

  /** The region names active per operation class. */
  active(): Record<string, string> {
    return Object.fromEntries(
      [...this.#classes.values()].map((s) => [s.operation, this.regions[s.candidates[s.routing.active]!]!.name]),
    );
  }

  /** The switches so far (the last 100), oldest first. */
  get switches(): readonly RegionSwitch[] {
    return [...this.#switches];
  }

  /**
   * Memoises one client per region, e.g. an AWS SDK client with the region's name and config.
   *
   * @example
   * const clientOf = orders.perRegion((r) => new DynamoDBClient({ region: r.name, ...r.dependency.aws }));
   * await orders.execute('read', ({ region }) => clientOf(region).send(new GetItemCommand(input)));
   */
  perRegion<C>(factory: (region: Region) => C): (region: Region) => C {
    func('factory', factory);
    const made = new Map<Region, C>();
    return (region) => {
      let client = made.get(region);
      if (client === undefined && !made.has(region)) {
        client = factory(region);
        made.set(region, client);
      }
      return client as C;
    };
  }

  #armProbes(): void {
    if (this.#probeTimer !== undefined || this.#closed) return;
    this.#probeTimer = this.#clock.setTimer(
      () => {
        this.#probeTimer = undefined;
        void this.probeOnce();
      },
      this.#probeInterval,
      { unref: true },
    );
  }

  /**
   * One probe round: probes every region better than the active one of some class, then asks the
   * replication hook of those that passed enough probes, then re-evaluates. Run by a timer every
   * `probeInterval` while a class is failed over; exposed for tests and drills.
   */
  async probeOnce(): Promise<void> {
    if (this.#probing || this.#closed) return;
    this.#probing = true;
    try {
      const wanted = new Map<number, number>(); // region → the region it would take over from
      for (const state of this.#classes.values()) {
        const active = state.candidates[state.routing.active]!;
        for (let k = 0; k < state.routing.active; k++) wanted.set(state.candidates[k]!, active);
      }
      await Promise.all(
        [...wanted].map(async ([i, from]) => {
          const region = this.regions[i]!;
          try {
            await region.dependency.attemptPolicy.execute(
              (ctx: { signal: AbortSignal }) => this.#probe(region, ctx.signal),
              this.#abort.signal,
            );
            this.#probes[i]!++;
            this.#unreachable[i] = false;
          } catch {
            this.#probes[i] = 0;
            this.#caughtUp[i] = this.#caughtUpHook === undefined;
            return;
          }
          if (this.#caughtUpHook !== undefined && this.#probes[i]! >= this.#config.probes) {
            try {
              this.#caughtUp[i] = await this.#caughtUpHook(this.regions[from]!, region, this.#abort.signal);
            } catch {
              this.#caughtUp[i] = false;
            }
          }
        }),
      );
    } finally {
      this.#probing = false;
    }
    this.evaluate();
  }

  /** Plain JSON for metrics: active region per class, ramps, switch counts, the last switches, each region's signals. */
  snapshot(): Record<string, unknown> {
    const now = this.#clock.now();
    return {
      dependency: this.name,
      active: this.active(),
      ramps: Object.fromEntries(
        [...this.#classes.values()]
          .filter((s) => s.rampFrom !== undefined && s.ramp.active(now))
          .map((s) => [s.operation, { from: this.regions[s.rampFrom!]!.name, share: s.ramp.factor(now) }]),
      ),
      ...this.#counts,
      switches: this.switches,
      regions: this.regions.map((r, i) => ({
        name: r.name,
        priority: r.priority,
        serves: r.serves,
        ...this.#signal(i),
      })),
    };
  }

  /** Stops the probes and closes every region's dependency. */
  async close(): Promise<void> {
    this.#closed = true;
    this.#probeTimer?.();
    this.#probeTimer = undefined;
    this.#abort.abort(new FailsmallError('FS_ERR_REGION_CLOSED', `The region set ${this.name} is closed`));
    await Promise.all(this.regions.map((r) => r.dependency.close()));
  }
}

/** The default probe: a TCP connect to the region's endpoint through its connector. */
async function connectProbe(region: Region, signal: AbortSignal): Promise<void> {
  if (region.endpoint === undefined) {
    throw new FailsmallError(
      'FS_ERR_REGION_CONFIG',
      `Region ${region.name} has no endpoint to probe; pass failback.probe`,
      {
        details: { option: 'failback.probe', region: region.name },
      },
    );
  }
  const url = new URL(region.endpoint);
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const { socket } = await region.dependency.connector.connect({ hostname, port, signal });
  socket.destroy();
}

/**
 * Region-ordered endpoints for the dependency `name`: see {@link RegionSet}.
 *
 * @example
 * const orders = regions('orders', { resolver, regions: [
 *   { name: 'us-east-1', endpoint: 'https://orders.us-east-1.example.com' },
 *   { name: 'us-west-2', endpoint: 'https://orders.us-west-2.example.com' } ] }); // reads only, by default
 * const res = await orders.execute('read', ({ region, endpoint, signal }) =>
 *   fetch(`${endpoint}/orders/42`, { dispatcher: region.dependency.dispatcher, signal }));
 */
export function regions(name: string, options: RegionSetOptions): RegionSet {
  return new RegionSet(name, options);
}
