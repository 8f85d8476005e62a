/**
 * Graceful degradation: per-feature fallbacks declared next to the dependency, so that a failing
 * dependency turns off the features that need it instead of failing the page or the request:
 *
 * - `cached`: serve the last known good value from a {@link ReadCache} (with its age);
 * - `default`: serve a declared default value;
 * - `hide`: answer `hidden`, and the caller leaves the feature out.
 *
 * Each feature's state (`ok`, `degraded`, `hidden`), since when, and how often it degraded are in
 * `snapshot()` for metrics, and every change of state is an event (channel
 * `failsmall:client:degradation`).
 */
import { systemClock, type Clock } from '../core/clock.js';
import { channel, Emitter } from '../core/events.js';
import { func, invalid, oneOf } from '../core/validate.js';
import { policyOptions } from '../policy/core/options.js';
import type { ReadCache } from './read-cache.js';

/** How one feature degrades. */
export type FeatureFallback =
  | { readonly fallback: 'cached'; readonly cache: ReadCache }
  | { readonly fallback: 'default'; readonly value: unknown }
  | { readonly fallback: 'hide' };

/** A feature's state. */
export type FeatureState = 'ok' | 'degraded' | 'hidden';

/** What {@link Degradation.run} returns. */
export type FeatureResult<T> =
  | { readonly state: 'ok'; readonly value: T }
  | { readonly state: 'degraded'; readonly value: T; readonly age?: number; readonly error: unknown }
  | { readonly state: 'hidden'; readonly error: unknown };

/** A change of a feature's state. */
export interface FeatureStateChange {
  readonly dependency: string | undefined;
  readonly feature: string;
  readonly from: FeatureState;
  readonly to: FeatureState;
  readonly at: number;
}

/** Options of {@link degradation}. */
export interface DegradationOptions {
  /** The dependency the features need, for events and metrics. */
  readonly dependency?: string;
  /** The features and their fallbacks. */
  readonly features: Readonly<Record<string, FeatureFallback>>;
  /** The clock of the `since` times; default `systemClock`. */
  readonly clock?: Clock;
}

const degradationChannel = channel('client', 'degradation');

interface FeatureRecord {
  readonly fallback: FeatureFallback;
  state: FeatureState;
  since: number;
  degraded: number;
  lastError: string | null;
}

/** See the module comment; build with {@link degradation}. */
export class Degradation {
  readonly dependency: string | undefined;
  /** Every change of a feature's state. */
  readonly onStateChange = new Emitter<FeatureStateChange>();
  readonly #clock: Clock;
  readonly #features = new Map<string, FeatureRecord>();

  constructor(given: DegradationOptions) {
    const options = policyOptions(given, ['dependency', 'features', 'clock'], true);
    this.dependency = options.dependency;
    this.#clock = options.clock ?? systemClock;
    const features = options.features as unknown;
    if (typeof features !== 'object' || features === null || Object.keys(features).length === 0) {
      invalid('features', 'an object of features', features);
    }
    const now = this.#clock.now();
    for (const [name, f] of Object.entries(features as Record<string, FeatureFallback>)) {
      if (typeof f !== 'object' || f === null) invalid(`features.${name}`, 'an object', f);
      const kind = oneOf(`features.${name}.fallback`, (f as { fallback?: unknown }).fallback, [
        'cached',
        'default',
        'hide',
      ]);
      if (kind === 'cached') {
        const cache = (f as { cache?: unknown }).cache;
        if (typeof cache !== 'object' || cache === null || typeof (cache as ReadCache).get !== 'function') {
          invalid(`features.${name}.cache`, 'a ReadCache', cache);
        }
      }
      if (kind === 'default' && !('value' in f)) invalid(`features.${name}.value`, 'a default value', undefined);
      this.#features.set(name, { fallback: f, state: 'ok', since: now, degraded: 0, lastError: null });
    }
  }

  #set(name: string, record: FeatureRecord, to: FeatureState, error?: unknown): void {
    if (to !== 'ok') {
      record.degraded++;
      record.lastError = String(error instanceof Error ? error.message : error);
    }
    if (record.state === to) return;
    const at = this.#clock.now();
    const event: FeatureStateChange = { dependency: this.dependency, feature: name, from: record.state, to, at };
    record.state = to;
    record.since = at;
    if (this.onStateChange.hasListeners) this.onStateChange.emit(event);
    if (degradationChannel.hasSubscribers) degradationChannel.publish(event);
  }

  /**
   * Runs the feature's call; when it fails, answers with the feature's fallback. For a `cached`
   * feature, `key` names the value in its cache (default the feature's name) and the call goes
   * through the cache (served from it while fresh).
   *
   * @example
   * const recs = await features.run('recommendations', () => orders.execute('read', loadRecs));
   * if (recs.state !== 'hidden') render(recs.value);
   */
  async run<T>(feature: string, fn: (signal?: AbortSignal) => Promise<T>, key?: string): Promise<FeatureResult<T>> {
    const record = this.#features.get(feature);
    if (record === undefined) {
      invalid('feature', `one of ${[...this.#features.keys()].map((k) => JSON.stringify(k)).join(', ')}`, feature);
    }
    func('fn', fn);
    const f = record.fallback;
    if (f.fallback === 'cached') {
      try {
        const read = await f.cache.get(key ?? feature, fn);
        if (read.source === 'last-known-good') {
          this.#set(feature, record, 'degraded', read.error);
          return { state: 'degraded', value: read.value, age: read.age, error: read.error };
        }
        this.#set(feature, record, 'ok');
        return { state: 'ok', value: read.value };
      } catch (error) {
        this.#set(feature, record, 'hidden', error); // nothing cached young enough: leave it out
        return { state: 'hidden', error };
      }
    }
    try {
      const value = await fn();
      this.#set(feature, record, 'ok');
      return { state: 'ok', value };
    } catch (error) {
      if (f.fallback === 'default') {
        this.#set(feature, record, 'degraded', error);
        return { state: 'degraded', value: f.value as T, error };
      }
      this.#set(feature, record, 'hidden', error);
      return { state: 'hidden', error };
    }
  }

  /** A feature's current state. */
  state(feature: string): FeatureState | undefined {
    return this.#features.get(feature)?.state;
  }

  /** Plain JSON for metrics: per feature its fallback, state, since (ms), times degraded, last error. */
  snapshot(): Record<string, unknown> {
    return {
      dependency: this.dependency ?? null,
      features: Object.fromEntries(
        [...this.#features].map(([name, r]) => [
          name,
          {
            fallback: r.fallback.fallback,
            state: r.state,
            since: r.since,
            degraded: r.degraded,
            lastError: r.lastError,
          },
        ]),
      ),
    };
  }
}

/**
 * Declares per-feature fallbacks for one dependency; see {@link Degradation}.
 *
 * @example
 * const features = degradation({ dependency: 'orders', features: {
 *   history: { fallback: 'cached', cache: readCache({ file: 'orders-cache.json' }) },
 *   recommendations: { fallback: 'default', value: [] },
 *   reviews: { fallback: 'hide' } } });
 */
export function degradation(options: DegradationOptions): Degradation {
  return new Degradation(options);
}
