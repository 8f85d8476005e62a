/**
 * Overload signals beside concurrency and queue delay: the event loop's delay (how late timers fire)
 * and utilisation (the share of time it is busy), read from `perf_hooks`, each behind a
 * {@link Hysteresis} so a spiky loop does not make the server flap between shedding everything and
 * nothing. The {@link Admission} sheds the lower criticalities while the signal is on.
 *
 * Sampling runs on an injected {@link Clock}; the readings come from a {@link LoopSource}, which tests
 * replace with scripted values on the virtual clock.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import type { EventLoopUtilization, IntervalHistogram } from 'node:perf_hooks';
import type { Clock } from '../core/clock.js';
import { systemClock } from '../core/clock.js';
import { channel, Emitter } from '../core/events.js';
import { PeriodicLoop } from '../core/periodic.js';
import { invalid, positiveNumber } from '../core/validate.js';
import { Hysteresis } from './hysteresis.js';
import type { HysteresisOptions, HysteresisSnapshot } from './hysteresis.js';

/** One reading of the event loop since the previous one. */
export interface LoopReading {
  /** The event-loop delay over the period, in ms (the default source reports the p99). */
  readonly delay: number;
  /** The event-loop utilisation over the period, in [0, 1]. */
  readonly utilization: number;
}

/** Where readings come from: `read()` returns the reading since the previous call. */
export interface LoopSource {
  read(): LoopReading;
  /** Releases what the source holds (the histogram). */
  close?(): void;
}

/** Options of {@link eventLoopSignal}. */
export interface EventLoopSignalOptions {
  /** Delay thresholds in ms; default enter 70 ms (toobusy-js's default lag), exit 35 ms, dwell 1 s. `false` ignores delay. */
  readonly delay?: Partial<HysteresisOptions> | false;
  /** Utilisation thresholds in [0, 1]; default enter 0.95, exit 0.85, dwell 1 s. `false` ignores it. */
  readonly utilization?: Partial<HysteresisOptions> | false;
  /** How often to read, in ms; default 100 ms. */
  readonly sampleInterval?: number;
  /** The clock the sampling runs on; default the system clock (its timer is unref'd). */
  readonly clock?: Clock;
  /** The readings; default `perf_hooks` (`monitorEventLoopDelay`, `eventLoopUtilization`). */
  readonly source?: LoopSource;
}

/** Emitted when the signal turns on or off. */
export interface LoopSignalChange {
  readonly type: 'event-loop';
  readonly overloaded: boolean;
  /** Which reading switched: `delay` or `utilization`. */
  readonly cause: 'delay' | 'utilization';
  readonly now: number;
}

/** Plain JSON of an {@link EventLoopSignal}. */
export interface EventLoopSignalSnapshot {
  readonly kind: 'event-loop';
  readonly overloaded: boolean;
  readonly delay: HysteresisSnapshot | null;
  readonly utilization: HysteresisSnapshot | null;
  readonly samples: number;
}

/** `failsmall:admit:event-loop`: the signal's switches. */
export const eventLoopChannel = channel('admit', 'event-loop');

/** The default source: the p99 of `monitorEventLoopDelay` and `eventLoopUtilization`, since the last read. */
export function perfHooksSource(resolution = 10): LoopSource {
  const histogram: IntervalHistogram = monitorEventLoopDelay({ resolution });
  histogram.enable();
  let last: EventLoopUtilization = performance.eventLoopUtilization();
  return {
    read(): LoopReading {
      const p99 = histogram.count > 0 ? histogram.percentile(99) / 1e6 : 0;
      // The histogram includes the resolution itself: a loop that is never late reads `resolution`.
      const delay = Math.max(0, p99 - resolution);
      histogram.reset();
      const now = performance.eventLoopUtilization();
      const utilization = performance.eventLoopUtilization(now, last).utilization;
      last = now;
      return { delay, utilization };
    },
    close(): void {
      histogram.disable();
    },
  };
}

function thresholds(
  name: string,
  value: Partial<HysteresisOptions> | false | undefined,
  defaults: HysteresisOptions,
): Hysteresis | undefined {
  if (value === false) return undefined;
  if (value !== undefined && (typeof value !== 'object' || value === null)) invalid(name, 'an object or false', value);
  return new Hysteresis({ ...defaults, ...value }, name);
}

/** The event-loop overload signal; build it with {@link eventLoopSignal}. */
export class EventLoopSignal {
  readonly kind = 'event-loop';
  /** Switches on and off (also on `failsmall:admit:event-loop`). */
  readonly onChange = new Emitter<LoopSignalChange>();
  readonly sampleInterval: number;
  readonly #delay: Hysteresis | undefined;
  readonly #utilization: Hysteresis | undefined;
  readonly #clock: Clock;
  readonly #loop: PeriodicLoop;
  readonly #source: LoopSource | undefined;
  readonly #sourceGiven: LoopSource | undefined;
  #active: LoopSource | undefined;
  #samples = 0;

  constructor(options: EventLoopSignalOptions = {}) {
    if (typeof options !== 'object' || options === null) invalid('options', 'an object', options);
    for (const key of Object.keys(options)) {
      if (!['delay', 'utilization', 'sampleInterval', 'clock', 'source'].includes(key)) {
        invalid(key, 'a known option of eventLoopSignal', 'an unknown option');
      }
    }
    this.#delay = thresholds('delay', options.delay, { enter: 70, exit: 35, minDwell: 1_000 });
    this.#utilization = thresholds('utilization', options.utilization, { enter: 0.95, exit: 0.85, minDwell: 1_000 });
    this.sampleInterval = positiveNumber('sampleInterval', options.sampleInterval ?? 100);
    this.#clock = options.clock ?? systemClock;
    this.#loop = new PeriodicLoop(() => void this.sample(this.#active!.read()), {
      clock: this.#clock,
      every: this.sampleInterval,
      unref: true,
    });
    if (options.source !== undefined && typeof options.source.read !== 'function') {
      invalid('source', 'a LoopSource (with read())', options.source);
    }
    this.#sourceGiven = options.source;
    this.#source = options.source;
  }

  /** True while either reading is over its threshold. */
  get overloaded(): boolean {
    return (this.#delay?.on ?? false) || (this.#utilization?.on ?? false);
  }

  /** Starts sampling (idempotent); {@link stop} ends it. */
  start(): this {
    if (this.#loop.running) return this;
    this.#active = this.#source ?? perfHooksSource();
    this.#loop.start();
    return this;
  }

  /** Stops sampling and releases the default source. */
  stop(): void {
    this.#loop.stop();
    if (this.#active !== this.#sourceGiven) this.#active?.close?.();
    this.#active = undefined;
  }

  /** Feeds one reading by hand (what the sampling timer does); returns {@link overloaded}. */
  sample(reading: LoopReading): boolean {
    const now = this.#clock.now();
    this.#samples++;
    if (this.#delay?.update(now, reading.delay) === true) this.#report('delay', now);
    if (this.#utilization?.update(now, reading.utilization) === true) this.#report('utilization', now);
    return this.overloaded;
  }

  #report(cause: 'delay' | 'utilization', now: number): void {
    if (!this.onChange.hasListeners && !eventLoopChannel.hasSubscribers) return;
    const event: LoopSignalChange = { type: 'event-loop', overloaded: this.overloaded, cause, now };
    this.onChange.emit(event);
    if (eventLoopChannel.hasSubscribers) eventLoopChannel.publish(event);
  }

  /** Plain JSON for metrics. */
  snapshot(): EventLoopSignalSnapshot {
    return {
      kind: this.kind,
      overloaded: this.overloaded,
      delay: this.#delay?.snapshot() ?? null,
      utilization: this.#utilization?.snapshot() ?? null,
      samples: this.#samples,
    };
  }
}

/**
 * An event-loop overload signal with hysteresis; pass it to `admission({ signal })`.
 *
 * @example
 * const signal = eventLoopSignal({ delay: { enter: 100, exit: 40, minDwell: 2_000 } }).start();
 * const admit = admission({ signal });
 */
export function eventLoopSignal(options?: EventLoopSignalOptions): EventLoopSignal {
  return new EventLoopSignal(options);
}
