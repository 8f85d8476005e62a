/**
 * Critical reads cached with last-known-good semantics: configuration, feature flags, routing
 * tables, the metadata a service needs to keep running while a control API is slow or down. The
 * same idea as the DNS guard, applied to data:
 *
 * - a value younger than `ttl` is served from the cache without a call (`source: 'cache'`);
 * - otherwise the loader is called (concurrent reads of one key share one call); its value is
 *   served (`fresh`) and kept;
 * - when the loader fails, the last good value is served with its age (`last-known-good`, `age` in
 *   ms, the `error` beside it) as long as it is younger than `maxStale`; past that bound, or with no
 *   value ever loaded, the loader's error is thrown;
 * - with `file`, the values are persisted (written atomically after each change, at most every
 *   `persistInterval`), so a process restarted in the middle of an outage still has them. A
 *   damaged, oversized or foreign file is reported (`problem` event, code `FS_ERR_READ_CACHE_FILE`)
 *   and ignored, never trusted.
 */
import { systemClock, type Cancel, type Clock } from '../core/clock.js';
import { Emitter } from '../core/events.js';
import { readStateFile, writeStateFile } from '../core/state-file.js';
import { duration, func, invalid, positiveInteger } from '../core/validate.js';
import { policyOptions } from '../policy/core/options.js';

/** Options of {@link readCache}. */
export interface ReadCacheOptions {
  /** How long a value is served without calling the loader, in ms; default 30 s. */
  readonly ttl?: number;
  /** The oldest value served when the loader fails, in ms; default 24 h. Infinity for no bound. */
  readonly maxStale?: number;
  /** Keys kept (the least recently loaded go first); default 1,000. */
  readonly maxEntries?: number;
  /** A JSON file to persist the values in (values must be JSON then); default none. */
  readonly file?: string;
  /** The largest file read or written, in bytes; default 4 MiB. */
  readonly maxBytes?: number;
  /** The shortest time between two writes of the file, in ms; default 1 s. */
  readonly persistInterval?: number;
  /** The clock of ages and TTLs; default `systemClock`. Ages in the file are on the system clock's epoch. */
  readonly clock?: Clock;
}

/** Where a value came from. */
export type ReadSource = 'fresh' | 'cache' | 'last-known-good';

/** What {@link ReadCache.get} returns. */
export interface CachedRead<T> {
  readonly value: T;
  readonly source: ReadSource;
  /** How old the value is, in ms (0 when fresh). */
  readonly age: number;
  /** The loader's error, when a last-known-good value was served instead. */
  readonly error?: unknown;
}

/** A problem with the persisted file (never thrown). */
export interface ReadCacheProblem {
  readonly type: 'problem';
  readonly code: 'FS_ERR_READ_CACHE_FILE';
  readonly file: string;
  /** What went wrong: `the file is not valid JSON`, `a write failed (EACCES)`, … */
  readonly reason: string;
}

interface Entry {
  value: unknown;
  /** When it was loaded (ms on the clock). */
  at: number;
}

const FORMAT = 'failsmall-read-cache';
const VERSION = 1;
const KNOWN = ['ttl', 'maxStale', 'maxEntries', 'file', 'maxBytes', 'persistInterval', 'clock'];

/** See the module comment; build with {@link readCache}. */
export class ReadCache {
  /** Problems with the persisted file. */
  readonly events = new Emitter<ReadCacheProblem>();
  readonly #ttl: number;
  readonly #maxStale: number;
  readonly #maxEntries: number;
  readonly #file: string | undefined;
  readonly #maxBytes: number;
  readonly #persistInterval: number;
  readonly #clock: Clock;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<CachedRead<unknown>>>();
  readonly #counts = { fresh: 0, cache: 0, lastKnownGood: 0, failures: 0 };
  #persistTimer: Cancel | undefined;
  #lastWrite = -Infinity;
  #writing: Promise<void> = Promise.resolve();
  /** A problem found when the file was read at construction, if any. */
  readonly loadProblem: string | undefined;

  constructor(given: ReadCacheOptions = {}) {
    const options = policyOptions(given, KNOWN);
    this.#ttl = duration('ttl', options.ttl ?? 30_000, true);
    this.#maxStale = duration('maxStale', options.maxStale ?? 86_400_000, true);
    this.#maxEntries = positiveInteger('maxEntries', options.maxEntries ?? 1_000);
    if (options.file !== undefined && (typeof options.file !== 'string' || options.file === '')) {
      invalid('file', 'a file path', options.file);
    }
    this.#file = options.file;
    this.#maxBytes = positiveInteger('maxBytes', options.maxBytes ?? 4 << 20);
    this.#persistInterval = duration('persistInterval', options.persistInterval ?? 1_000);
    this.#clock = options.clock ?? systemClock;
    this.loadProblem = this.#file === undefined ? undefined : this.#load(this.#file);
  }

  #load(file: string): string | undefined {
    const read = readStateFile(file, this.#maxBytes);
    if (read.text === undefined) return read.problem;
    let parsed: unknown;
    try {
      parsed = JSON.parse(read.text);
    } catch {
      return 'the file is not valid JSON';
    }
    const p = parsed as { format?: unknown; version?: unknown; entries?: unknown };
    if (
      typeof p !== 'object' ||
      p === null ||
      p.format !== FORMAT ||
      p.version !== VERSION ||
      !Array.isArray(p.entries)
    ) {
      return `the file is not a failsmall read cache of version ${VERSION}`;
    }
    let skipped = 0;
    for (const e of p.entries as unknown[]) {
      const entry = e as { key?: unknown; at?: unknown; value?: unknown };
      if (
        typeof entry !== 'object' ||
        entry === null ||
        typeof entry.key !== 'string' ||
        typeof entry.at !== 'number' ||
        !Number.isFinite(entry.at) ||
        !('value' in entry) ||
        this.#entries.size >= this.#maxEntries
      ) {
        skipped++;
        continue;
      }
      this.#entries.set(entry.key, { value: entry.value, at: entry.at });
    }
    return skipped > 0 ? `${skipped} invalid or surplus entries were skipped` : undefined;
  }

  /**
   * The value of `key`: cached, freshly loaded, or the last known good one while the loader fails
   * (see the module comment). Rejects with the loader's error when no value younger than `maxStale`
   * exists.
   *
   * @example
   * const { value: flags, source, age } = await cache.get('flags', (signal) => fetchFlags(signal));
   * if (source === 'last-known-good') log.warn({ age }, 'flags service down: serving the last flags');
   */
  get<T>(key: string, loader: (signal?: AbortSignal) => Promise<T>, signal?: AbortSignal): Promise<CachedRead<T>> {
    if (typeof key !== 'string' || key === '') invalid('key', 'a non-empty string', key);
    func('loader', loader);
    const now = this.#clock.now();
    const entry = this.#entries.get(key);
    if (entry !== undefined && now - entry.at < this.#ttl) {
      this.#counts.cache++;
      return Promise.resolve({ value: entry.value as T, source: 'cache', age: now - entry.at });
    }
    let pending = this.#loading.get(key) as Promise<CachedRead<T>> | undefined;
    if (pending === undefined) {
      pending = this.#loadKey(key, loader, signal).finally(() => this.#loading.delete(key));
      this.#loading.set(key, pending as Promise<CachedRead<unknown>>);
    }
    return pending;
  }

  async #loadKey<T>(
    key: string,
    loader: (signal?: AbortSignal) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<CachedRead<T>> {
    try {
      const value = await loader(signal);
      this.#entries.delete(key); // re-insert: the map's order is the load order (oldest first)
      this.#entries.set(key, { value, at: this.#clock.now() });
      while (this.#entries.size > this.#maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
      this.#counts.fresh++;
      this.#schedulePersist();
      return { value, source: 'fresh', age: 0 };
    } catch (error) {
      this.#counts.failures++;
      const entry = this.#entries.get(key);
      const age = entry === undefined ? Infinity : this.#clock.now() - entry.at;
      if (entry === undefined || age > this.#maxStale) throw error;
      this.#counts.lastKnownGood++;
      return { value: entry.value as T, source: 'last-known-good', age, error };
    }
  }

  /** The cached value of `key` and its age, without loading; undefined when none. */
  peek<T>(key: string): { value: T; age: number } | undefined {
    const entry = this.#entries.get(key);
    return entry === undefined ? undefined : { value: entry.value as T, age: this.#clock.now() - entry.at };
  }

  #schedulePersist(): void {
    if (this.#file === undefined || this.#persistTimer !== undefined) return;
    const wait = Math.max(0, this.#lastWrite + this.#persistInterval - this.#clock.now());
    this.#persistTimer = this.#clock.setTimer(
      () => {
        this.#persistTimer = undefined;
        void this.flush();
      },
      wait,
      { unref: true },
    );
  }

  /** Writes the file now (when `file` is set); resolves when written. A failed write is reported, never thrown. */
  flush(): Promise<void> {
    const file = this.#file;
    if (file === undefined) return Promise.resolve();
    this.#persistTimer?.();
    this.#persistTimer = undefined;
    this.#lastWrite = this.#clock.now();
    const entries = [...this.#entries].map(([key, e]) => ({ key, at: e.at, value: e.value }));
    const text = JSON.stringify({ format: FORMAT, version: VERSION, savedAt: this.#lastWrite, entries });
    this.#writing = this.#writing.then(async () => {
      if (text.length > this.#maxBytes) {
        this.#problem(file, `the cache is larger than ${this.#maxBytes} bytes: not written`);
        return;
      }
      try {
        await writeStateFile(file, text);
      } catch (error) {
        this.#problem(file, `a write failed (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
      }
    });
    return this.#writing;
  }

  #problem(file: string, reason: string): void {
    if (this.events.hasListeners) this.events.emit({ type: 'problem', code: 'FS_ERR_READ_CACHE_FILE', file, reason });
  }

  /** Plain JSON for metrics: counts by source, failures, keys, the oldest value's age (ms). */
  snapshot(): Record<string, unknown> {
    const now = this.#clock.now();
    let oldest = 0;
    for (const e of this.#entries.values()) oldest = Math.max(oldest, now - e.at);
    return { ...this.#counts, keys: this.#entries.size, oldestAge: oldest, loadProblem: this.loadProblem ?? null };
  }
}

/**
 * A read-through cache with last-known-good semantics; see {@link ReadCache}.
 *
 * @example
 * const config = readCache({ file: '/var/lib/app/config-cache.json', ttl: 30_000, maxStale: 86_400_000 });
 * const { value, source, age } = await config.get('routing', () => loadRoutingTable());
 */
export function readCache(options: ReadCacheOptions = {}): ReadCache {
  return new ReadCache(options);
}
