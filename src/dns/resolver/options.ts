/**
 * The options of a {@link Resolver} and their normalisation: every value checked at construction
 * with an exact message (``Expected `lkgFile` to be a file path (a non-empty string), got 42``),
 * unknown keys refused, defaults filled in with their reason.
 */
import type { Clock } from '../../core/clock.js';
import { duration, invalid, oneOf, positiveInteger } from '../../core/validate.js';
import type { Random } from '../../core/random.js';
import { clockOption, randomOption } from '../../policy/core/options.js';
import { ttlPolicy, type TtlPolicy } from '../cache.js';
import { guardConfig, type GuardConfig } from '../guard.js';
import { lkgLimits, type LkgLimits } from '../lkg-file.js';
import { serveStaleConfig, type ServeStaleConfig } from '../serve-stale.js';
import type { UpstreamSpec, UpstreamStrategy } from '../upstream.js';

/** Options of {@link Resolver}. Durations in milliseconds, TTLs in seconds. */
export interface ResolverOptions {
  /**
   * Where answers come from: `'system'` (`dns.lookup`), `'ip:port'` DNS servers, option objects
   * (`{ server: 'ip:port', independent: true }`) or custom upstreams; default `['system']`.
   * Upstreams marked `independent` are the guard's second opinion and do not answer lookups.
   */
  readonly upstreams?: readonly UpstreamSpec[];
  /** `hedge` (default: the next upstream after `hedgeDelay`) or `parallel` (all at once). */
  readonly strategy?: UpstreamStrategy;
  /** How long an upstream has before the next is asked too, in ms; default 250. */
  readonly hedgeDelay?: number;
  /** How long one DNS server may take per query, in ms; default 2,000. */
  readonly timeout?: number;
  /** The floor of positive TTLs, in seconds; default 1. */
  readonly minTtl?: number;
  /** The cap of positive TTLs, in seconds; default 3,600. */
  readonly maxTtl?: number;
  /** The cap of negative TTLs (names that never resolved), in seconds; default 10. */
  readonly maxNegativeTtl?: number;
  /** The most cached (name, family) entries; default 10,000. */
  readonly maxEntries?: number;
  /** Serve-stale (RFC 8767): `false` to disable, or its timers; on by default. */
  readonly serveStale?: boolean | Partial<Omit<ServeStaleConfig, 'enabled'>>;
  /** The last-known-good guard: `false` to disable, or its settings; on by default. */
  readonly guard?: boolean | Partial<GuardConfig>;
  /**
   * A file the last-known-good sets are kept in (read at start, rewritten when a set changes), so
   * that a restart during a DNS outage keeps them, with their age; default none.
   */
  readonly lkgFile?: string;
  /** How long after a change the last-known-good file is written, in ms; default 1,000. */
  readonly lkgDebounce?: number;
  /**
   * The limits of the last-known-good file, applied alike when writing and reading; default
   * `{ maxBytes: 8 MiB, maxEntries: maxEntries, maxAddresses: 4,096 }`.
   */
  readonly lkgLimits?: Partial<LkgLimits>;
  /** The clock for TTLs, hold-down and timers; default `systemClock`. */
  readonly clock?: Clock;
  /** The source of jitter for refresh times; default `Math.random`. */
  readonly random?: Random;
}

/** {@link ResolverOptions} checked, with every default filled in. */
export interface ResolverConfig {
  readonly upstreams: readonly UpstreamSpec[];
  readonly strategy: UpstreamStrategy;
  readonly hedgeDelay: number | undefined;
  readonly timeout: number;
  readonly ttl: TtlPolicy;
  readonly maxEntries: number;
  readonly stale: ServeStaleConfig;
  /** Undefined when the guard is off. */
  readonly guard: GuardConfig | undefined;
  readonly lkgFile: string | undefined;
  readonly lkgDebounce: number;
  readonly lkgLimits: LkgLimits;
  readonly clock: Clock;
  readonly random: Random;
}

const KNOWN: ReadonlySet<string> = new Set<keyof ResolverOptions>([
  'upstreams',
  'strategy',
  'hedgeDelay',
  'timeout',
  'minTtl',
  'maxTtl',
  'maxNegativeTtl',
  'maxEntries',
  'serveStale',
  'guard',
  'lkgFile',
  'lkgDebounce',
  'lkgLimits',
  'clock',
  'random',
]);

/** The former names of renamed options, so the error says what to write instead. */
const RENAMED: Readonly<Record<string, string>> = { snapshotFile: 'lkgFile', snapshotDebounce: 'lkgDebounce' };

function noUnknownKeys(what: string, value: object, known: ReadonlySet<string>): void {
  for (const key of Object.keys(value)) {
    if (known.has(key)) continue;
    const hint = RENAMED[key] === undefined ? '' : ` (renamed \`${RENAMED[key]}\`)`;
    invalid(key, `a known option of ${what}${hint}`, (value as Record<string, unknown>)[key]);
  }
}

function section<T extends object>(name: string, value: unknown): Partial<T> | false {
  if (value === false) return false;
  if (value === undefined || value === true) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    invalid(name, 'a boolean or an options object', value);
  }
  return value as Partial<T>;
}

/**
 * Checks `options` and fills in the defaults; throws `FS_ERR_INVALID_ARGUMENT` with the option's name
 * and the value as given.
 *
 * @example
 * resolverConfig({ minTtl: 10, maxTtl: 1 }); // throws: Expected `maxTtl` to be a number >= minTtl (10), got 1
 */
export function resolverConfig(options: ResolverOptions = {}): ResolverConfig {
  if (typeof options !== 'object' || options === null) invalid('options', 'an options object', options);
  noUnknownKeys('Resolver', options, KNOWN);
  const ttl = ttlPolicy({
    ...(options.minTtl === undefined ? {} : { minTtl: options.minTtl }),
    ...(options.maxTtl === undefined ? {} : { maxTtl: options.maxTtl }),
    ...(options.maxNegativeTtl === undefined ? {} : { maxNegativeTtl: options.maxNegativeTtl }),
  });
  const staleOptions = section<Omit<ServeStaleConfig, 'enabled'>>('serveStale', options.serveStale);
  const stale = staleOptions === false ? serveStaleConfig({ enabled: false }) : serveStaleConfig(staleOptions);
  const guardOptions = section<GuardConfig>('guard', options.guard);
  const guard = guardOptions === false ? undefined : guardConfig(guardOptions);
  const maxEntries = positiveInteger('maxEntries', options.maxEntries ?? 10_000);
  const upstreams = options.upstreams ?? ['system'];
  if (!Array.isArray(upstreams) || upstreams.length === 0) invalid('upstreams', 'a non-empty array', upstreams);
  const lkgFile = options.lkgFile;
  if (lkgFile !== undefined && (typeof lkgFile !== 'string' || lkgFile.length === 0)) {
    invalid('lkgFile', 'a file path (a non-empty string)', lkgFile);
  }
  const limits = options.lkgLimits ?? {};
  if (typeof limits !== 'object' || limits === null || Array.isArray(limits)) {
    invalid('lkgLimits', 'an object of limits', limits);
  }
  noUnknownKeys('lkgLimits', limits, new Set(['maxBytes', 'maxEntries', 'maxAddresses']));
  return {
    upstreams,
    strategy: oneOf('strategy', options.strategy ?? 'hedge', ['hedge', 'parallel']),
    hedgeDelay: options.hedgeDelay === undefined ? undefined : duration('hedgeDelay', options.hedgeDelay),
    timeout: duration('timeout', options.timeout ?? 2_000), // 2 s: a loopback or LAN server answers in ms
    ttl,
    maxEntries,
    stale,
    guard,
    lkgFile,
    lkgDebounce: duration('lkgDebounce', options.lkgDebounce ?? 1_000), // 1 s: one write per burst of changes
    // The file holds at most what the cache does.
    lkgLimits: lkgLimits({ maxEntries, ...limits }),
    clock: clockOption(options.clock),
    random: randomOption(options.random),
  };
}
