/**
 * The resolver's last-known-good file, kept: read once at start, rewritten (debounced) when a set
 * changes or a guard engages or releases, and when sets were reconfirmed since the file's last write
 * long enough ago that the ages it records matter (so a restart knows how old each set is).
 */
import type { Cancel, Clock } from '../../core/clock.js';
import type { Emitter } from '../../core/events.js';
import { DnsErrorCodes } from '../errors.js';
import { encodeLkg, readLkgFile, writeLkgFile, type LkgLimits, type LkgRead, type LkgRecord } from '../lkg-file.js';
import type { DnsEvent } from './events.js';

/** What {@link LkgPersistence} needs. */
export interface LkgPersistenceOptions {
  readonly file: string;
  /** How long after a change the file is written, in ms. */
  readonly debounce: number;
  /** Rewrite the file for reconfirmed sets when its last write is older than this, in ms. */
  readonly refreshEvery: number;
  readonly limits: LkgLimits;
  readonly clock: Clock;
  readonly events: Emitter<DnsEvent>;
  /** The records to write now. */
  readonly collect: () => LkgRecord[];
}

/**
 * Owns the debounce timer, the dirty flag and the write in progress of one last-known-good file.
 *
 * @example
 * const lkg = new LkgPersistence({ file, debounce: 1_000, refreshEvery: 3_600_000, limits, clock, events, collect });
 * lkg.load((record) => true);
 * lkg.changed(); // written about 1 s later
 * await lkg.flush();
 */
export class LkgPersistence {
  readonly file: string;
  readonly #options: LkgPersistenceOptions;
  #timer: Cancel | undefined;
  #writing: Promise<void> | undefined;
  #dirty = false;
  #closed = false;
  #savedAt = -Infinity;

  constructor(options: LkgPersistenceOptions) {
    this.file = options.file;
    this.#options = options;
  }

  /**
   * Reads the file (synchronously) and hands each valid record to `take`, which says whether it was
   * kept (false: too old to serve). Reports `lkg-ignored` and `lkg-loaded` on the next tick, so
   * listeners added right after construction hear them.
   */
  load(take: (record: LkgRecord) => boolean): LkgRead {
    const { file, clock, events, limits } = this.#options;
    const now = clock.now();
    const read = readLkgFile(file, now, limits);
    let kept = 0;
    for (const record of read.records) if (take(record)) kept++;
    const expired = read.records.length - kept;
    if (expired > 0) this.#dirty = true; // the next write leaves them out
    this.#savedAt = now;
    process.nextTick(() => {
      if (read.problem !== undefined) {
        events.emit({ type: 'lkg-ignored', file, code: DnsErrorCodes.LKG_FILE, reason: read.problem, at: now });
      }
      if (read.records.length > 0) events.emit({ type: 'lkg-loaded', file, entries: kept, expired, at: now });
    });
    return read;
  }

  /** Something the file records changed: write it after the debounce. */
  changed(): void {
    this.#dirty = true;
    if (this.#timer !== undefined || this.#closed) return;
    this.#timer = this.#options.clock.setTimer(
      () => {
        this.#timer = undefined;
        if (this.#writing !== undefined) {
          // A write is running: write again after it.
          void this.#writing.then(() => this.changed());
          return;
        }
        void this.#write();
      },
      this.#options.debounce,
      { unref: true },
    );
  }

  /** A set was reconfirmed unchanged at `now`: rewrite when the file's ages are getting old. */
  confirmed(now: number): void {
    if (now - this.#savedAt >= this.#options.refreshEvery) this.changed();
  }

  /** Writes the file now if something changed, after any write in progress. */
  async flush(): Promise<void> {
    this.#timer?.();
    this.#timer = undefined;
    while (this.#writing !== undefined) await this.#writing;
    if (this.#dirty) await this.#write();
  }

  /** Writes what is pending and stops scheduling writes. */
  async close(): Promise<void> {
    await this.flush().catch(() => undefined);
    this.#closed = true;
  }

  #write(): Promise<void> {
    const { file, clock, events, limits } = this.#options;
    this.#dirty = false;
    const at = clock.now();
    this.#savedAt = at;
    const encoded = encodeLkg(this.#options.collect(), at, limits);
    const writing = writeLkgFile(file, encoded.text).then(
      () => events.emit({ type: 'lkg-saved', file, entries: encoded.entries, omitted: encoded.omitted, at }),
      (error: unknown) => {
        this.#dirty = true;
        events.emit({
          type: 'lkg-error',
          file,
          code: DnsErrorCodes.LKG_FILE,
          reason: (error as NodeJS.ErrnoException).code ?? String(error),
          at,
        });
      },
    );
    this.#writing = writing.finally(() => {
      this.#writing = undefined;
    });
    return this.#writing;
  }
}
