/**
 * The health automation of 2025-10-20, as the lab models it (the day's behaviour lives in lab/, not
 * in health/): one source (the load balancer's own health check), rise/fall per target, a target
 * removed from the record set the round its check falls, and AZ DNS failover that takes a whole zone's
 * addresses out of DNS once any of its targets is unhealthy. Nothing holds it back: no second opinion,
 * no velocity limit, no floor. Like a load balancer, it routes to everything when every target is
 * unhealthy (that much fail-open it had); short of that it removes whatever the one source says.
 *
 * It uses health/'s rise/fall decision (one mechanism per concept); what it lacks is everything else.
 */
import type { Clock } from '../core/index.js';
import { PeriodicLoop } from '../core/periodic.js';
import { INITIAL_RISE_FALL, checkResultOf, observe, riseFallThresholds } from '../health/index.js';
import type { HealthSource, HealthTarget, RiseFallOptions, RiseFallState } from '../health/index.js';

/** Options of {@link NlbAutomation}. Durations on `clock`, in milliseconds. */
export interface NlbAutomationOptions {
  /** The targets, each with a `zone`. */
  readonly targets: readonly HealthTarget[];
  /** The one source it trusts. */
  readonly source: HealthSource;
  /** Rise/fall of the check; default the load balancer's: rise 3, fall 2. */
  readonly riseFall?: RiseFallOptions;
  /** Time between rounds, default 10 s. */
  readonly interval?: number;
  /** How long one check may take, in real milliseconds, default 1 s; no answer is a fail. */
  readonly timeoutMs?: number;
  /** The clock the rounds run on. */
  readonly clock: Clock;
  /** Called with the record set (target ids) whenever it changes. */
  readonly onSet?: (ids: readonly string[]) => void;
}

/**
 * One source, immediate removal, AZ DNS failover.
 *
 * @example
 * const nlb = new NlbAutomation({ targets, source: httpProbe({ name: 'nlb' }), clock, onSet: (ids) => publish(ids) });
 * nlb.start();
 */
export class NlbAutomation {
  readonly #targets: readonly HealthTarget[];
  readonly #source: HealthSource;
  readonly #thresholds;
  readonly #timeoutMs: number;
  readonly #clock: Clock;
  readonly #onSet: ((ids: readonly string[]) => void) | undefined;
  readonly #states = new Map<string, RiseFallState>();
  #set: string[];
  readonly #loop: PeriodicLoop;
  #removals = 0;

  constructor(options: NlbAutomationOptions) {
    this.#targets = options.targets;
    this.#source = options.source;
    this.#thresholds = riseFallThresholds(options.riseFall ?? { rise: 3, fall: 2 });
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#clock = options.clock;
    this.#onSet = options.onSet;
    this.#set = this.#targets.map((t) => t.id);
    // The first round at once, then one `interval` after each round settles.
    this.#loop = new PeriodicLoop(() => this.round(), {
      clock: options.clock,
      every: options.interval ?? 10_000,
      immediate: true,
      unref: true,
    });
  }

  /** The record set now (target ids). */
  get set(): readonly string[] {
    return this.#set;
  }

  /** Targets taken out of the record set so far (a zone's failover counts each of its targets). */
  get removals(): number {
    return this.#removals;
  }

  /** One round: every check, rise/fall, removal, AZ failover. */
  async round(): Promise<readonly string[]> {
    const results = await Promise.all(
      this.#targets.map(async (t) => {
        try {
          return checkResultOf(await this.#source.check(t, AbortSignal.timeout(this.#timeoutMs)));
        } catch {
          return 'fail' as const; // the day's automation took any error as unhealthy
        }
      }),
    );
    const now = this.#clock.now();
    const healthy = new Set<string>();
    for (const [i, t] of this.#targets.entries()) {
      const next = observe(
        this.#states.get(t.id) ?? { ...INITIAL_RISE_FALL, vote: 'up' },
        results[i]!,
        now,
        this.#thresholds,
      );
      this.#states.set(t.id, next);
      if (next.vote !== 'down') healthy.add(t.id);
    }
    // AZ DNS failover: a zone with an unhealthy target leaves DNS with all its addresses.
    const failedZones = new Set(this.#targets.filter((t) => !healthy.has(t.id)).map((t) => t.zone ?? ''));
    let next = this.#targets.filter((t) => healthy.has(t.id) && !failedZones.has(t.zone ?? '')).map((t) => t.id);
    if (next.length === 0) next = this.#targets.map((t) => t.id); // all unhealthy: route to all
    const before = new Set(this.#set);
    const changed = next.length !== this.#set.length || next.some((id) => !before.has(id));
    if (changed) {
      const after = new Set(next);
      this.#removals += this.#set.filter((id) => !after.has(id)).length;
      this.#set = next;
      this.#onSet?.(next);
    }
    return this.#set;
  }

  /** Runs rounds every interval until {@link stop}. */
  start(): void {
    this.#loop.start();
  }

  /** Stops the rounds. */
  stop(): void {
    this.#loop.stop();
  }
}
