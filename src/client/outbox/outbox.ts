/**
 * A durable outbox for the writes of one dependency: a write the dependency cannot take now (it is
 * down, or shedding: an open breaker, a refused connect, a timeout, a throttle) is queued in a local
 * durable store and acknowledged, then drained after recovery.
 *
 * - **Acknowledged means durable**: `write()` resolves `queued` only once the store has committed
 *   the entry (SQLite: a transaction fsync'd with `synchronous = FULL`); a `kill -9` right after
 *   loses nothing acknowledged (store/outbox-durability.test.ts).
 * - **Order**: while anything is queued, new writes queue behind it (they never overtake a queued
 *   write); the drain takes the oldest first, or the highest priority first (`order: 'priority'`).
 * - **Idempotency**: every write carries a key; the same key is queued once, and `apply` receives it
 *   to pass on (an `Idempotency-Key` header, a conditional put), so a write applied twice (a crash
 *   between applying and removing it) is harmless.
 * - **The drain does not overload the returning dependency**: every application runs through an
 *   admission gate (admit/, an adaptive concurrency limit that backs off on timeouts and overload)
 *   and is paced at `rate` writes per second; a pass stops at the first sign the dependency is still
 *   down, and a failed entry waits an exponential backoff; an entry refused before anything was sent
 *   (an open breaker, a refused connection) keeps its place and its attempts: the pass just stops.
 * - **One drainer per entry**: outboxes on several processes or hosts may share one store (SQLite
 *   file, PostgreSQL queue); each entry is claimed by one drainer at a time (the store's `claimMs`,
 *   default 30 s, taken over when a drainer dies), a batch is sized to fit in half a claim at `rate`,
 *   and an entry whose claim lapsed is claimed again before it is applied.
 * - **Bounds**: `maxEntries` (a full outbox refuses with `FS_ERR_OUTBOX_FULL`: nothing is
 *   acknowledged that is not stored), `maxAge` (older entries move to the dead letters as `expired`),
 *   `maxAttempts` (then `attempts`); a write the dependency refuses for good (a fatal error, e.g. a
 *   400) moves at once (`rejected`). Dead letters are kept for an operator (`deadLetters()`).
 */
import { systemClock, type Clock } from '../../core/clock.js';
import { FailsmallError } from '../../core/errors.js';
import { Emitter } from '../../core/events.js';
import { PeriodicLoop } from '../../core/periodic.js';
import { duration, func, invalid, oneOf, positiveInteger, positiveNumber } from '../../core/validate.js';
import { Admission } from '../../admit/admission.js';
import { policyOptions } from '../../policy/core/options.js';
import { describeFailure } from '../../policy/errors/describe-failure.js';
import type { OutboxEntry, OutboxJson, OutboxOrder, OutboxStore, DeadLetter } from '../../store/outbox-store.js';

/** One write handed to {@link OutboxOptions.apply}. */
export interface OutboxWrite {
  /** The idempotency key: pass it on so that the dependency can ignore a second application. */
  readonly key: string;
  readonly payload: OutboxJson;
  /** How many times it failed before (0 for a direct write). */
  readonly attempts: number;
  /** When it was first written (ms). */
  readonly createdAt: number;
}

/** Options of {@link Outbox}. */
export interface OutboxOptions {
  /** Where queued writes are kept: `SqliteOutboxStore` (failsmall/store), `PostgresOutboxStore`, or `MemoryOutboxStore`. */
  readonly store: OutboxStore;
  /** Applies one write to the dependency; rejects when it could not. */
  readonly apply: (write: OutboxWrite, signal: AbortSignal) => Promise<unknown>;
  /** The dependency's name, for events and metrics. */
  readonly dependency?: string;
  /**
   * Which errors of a direct write queue it (the dependency is down or shedding); default: every
   * failure except a fatal one (a 4xx, a validation error) or an abort, as `describeFailure` tells.
   */
  readonly shouldQueue?: (error: unknown) => boolean;
  /** Which errors of the drain dead-letter an entry at once; default a fatal failure (`describeFailure`). */
  readonly isPermanent?: (error: unknown) => boolean;
  /** The gate every drained write runs through; default `new Admission({ name: 'outbox:<dependency>', maxQueue: 0 })`. */
  readonly admission?: Admission;
  /** Drain order; default `oldest`. */
  readonly order?: OutboxOrder;
  /** Drained writes per second, at most; default 50. */
  readonly rate?: number;
  /** Writes the outbox may hold; default 100,000. */
  readonly maxEntries?: number;
  /** The age (ms) past which a queued write is dead-lettered as `expired`; default 24 h. */
  readonly maxAge?: number;
  /** Failed drain attempts before an entry is dead-lettered; default 20. */
  readonly maxAttempts?: number;
  /** The first backoff after a failed drain attempt (ms), doubled per attempt up to 60 s; default 1 s. */
  readonly retryDelay?: number;
  /** How often `start()` checks for queued writes (ms); default 1 s. */
  readonly drainInterval?: number;
  /** The clock of the backoff, the ages and the pacing; default `systemClock`. */
  readonly clock?: Clock;
}

/** The result of {@link Outbox.write}. */
export type OutboxResult =
  | { readonly status: 'applied'; readonly value: unknown }
  | { readonly status: 'queued'; readonly entry: OutboxEntry; readonly duplicate: boolean; readonly cause?: unknown };

/** What one drain pass did. */
export interface DrainResult {
  readonly applied: number;
  readonly failed: number;
  readonly dead: number;
  readonly expired: number;
  /**
   * Entries refused before anything was sent (an open breaker, a refused connection: the dependency
   * is still down); the pass stops there and the entry keeps its place: no attempt counted, no backoff.
   */
  readonly refused: number;
  /** True when the pass stopped because the dependency still failed. */
  readonly stopped: boolean;
}

/** An outbox event, for logs and metrics. */
export type OutboxEvent =
  | { readonly type: 'queued'; readonly key: string; readonly id: number; readonly at: number }
  | {
      readonly type: 'applied';
      readonly key: string;
      readonly id: number;
      readonly at: number;
      readonly queuedFor: number;
    }
  | { readonly type: 'dead'; readonly key: string; readonly id: number; readonly at: number; readonly reason: string };

const KNOWN = [
  'store',
  'apply',
  'dependency',
  'shouldQueue',
  'isPermanent',
  'admission',
  'order',
  'rate',
  'maxEntries',
  'maxAge',
  'maxAttempts',
  'retryDelay',
  'drainInterval',
  'clock',
];
const BATCH = 100; // entries read per store query during a drain
const MAX_RETRY_DELAY = 60_000; // ms: a backoff longer than a minute only delays the recovery

function defaultShouldQueue(error: unknown): boolean {
  const kind = describeFailure(error).kind;
  return kind !== 'fatal' && kind !== 'aborted';
}

function defaultIsPermanent(error: unknown): boolean {
  return describeFailure(error).kind === 'fatal';
}

/** See the module comment; build with {@link outbox}. */
export class Outbox {
  readonly store: OutboxStore;
  readonly dependency: string | undefined;
  /** Every queued, applied and dead-lettered write. */
  readonly events = new Emitter<OutboxEvent>();
  readonly #apply: OutboxOptions['apply'];
  readonly #shouldQueue: (error: unknown) => boolean;
  readonly #isPermanent: (error: unknown) => boolean;
  readonly #admission: Admission;
  readonly #order: OutboxOrder;
  readonly #rate: number;
  readonly #maxEntries: number;
  readonly #maxAge: number;
  readonly #maxAttempts: number;
  readonly #retryDelay: number;
  readonly #clock: Clock;
  readonly #abort = new AbortController();
  readonly #counts = { direct: 0, queued: 0, duplicates: 0, drained: 0, failedAttempts: 0, dead: 0, expired: 0 };
  /** Known queued entries: a lower bound kept in memory (refreshed by every drain). */
  #pending = 0;
  #draining: Promise<DrainResult> | undefined;
  readonly #loop: PeriodicLoop;
  #closed = false;
  #loaded = false;

  constructor(given: OutboxOptions) {
    const options = policyOptions(given, KNOWN, true);
    const store = options.store;
    if (typeof store !== 'object' || store === null || typeof store.append !== 'function') {
      invalid('store', 'an OutboxStore', store);
    }
    this.store = store;
    this.#apply = func('apply', options.apply);
    this.dependency = options.dependency;
    this.#shouldQueue =
      options.shouldQueue === undefined ? defaultShouldQueue : func('shouldQueue', options.shouldQueue);
    this.#isPermanent =
      options.isPermanent === undefined ? defaultIsPermanent : func('isPermanent', options.isPermanent);
    this.#clock = options.clock ?? systemClock;
    this.#admission =
      options.admission ??
      new Admission({ name: `outbox:${options.dependency ?? 'default'}`, maxQueue: 0, clock: this.#clock });
    this.#order = oneOf('order', options.order ?? 'oldest', ['oldest', 'priority']);
    this.#rate = positiveNumber('rate', options.rate ?? 50);
    this.#maxEntries = positiveInteger('maxEntries', options.maxEntries ?? 100_000);
    this.#maxAge = duration('maxAge', options.maxAge ?? 86_400_000, true);
    this.#maxAttempts = positiveInteger('maxAttempts', options.maxAttempts ?? 20);
    this.#retryDelay = duration('retryDelay', options.retryDelay ?? 1_000);
    // Every `drainInterval` after the previous check settled: a drain pass when anything is queued.
    this.#loop = new PeriodicLoop(() => (this.#pending > 0 ? this.drain() : undefined), {
      clock: this.#clock,
      every: positiveNumber('drainInterval', options.drainInterval ?? 1_000),
      unref: true,
    });
  }

  /** Restores the count of queued writes from the store (call after opening an existing outbox). */
  async #refresh(): Promise<void> {
    this.#pending = await this.store.size();
    this.#loaded = true;
  }

  /**
   * Writes through the outbox: applied directly when nothing is queued and the dependency takes it;
   * queued (durably, before this resolves) when something is queued already or the dependency is
   * down or shedding; rejected as the dependency rejected it otherwise (a fatal error), or with
   * `FS_ERR_OUTBOX_FULL`.
   *
   * @example
   * const result = await outbox.write({ key: `order-${id}-v${version}`, payload: order });
   * if (result.status === 'queued') log.info({ id: result.entry.id }, 'order queued: the store is down');
   */
  async write(
    input: { readonly key: string; readonly payload: OutboxJson; readonly priority?: number },
    signal?: AbortSignal,
  ): Promise<OutboxResult> {
    if (this.#closed) throw closedError();
    if (!this.#loaded) await this.#refresh(); // an outbox reopened after a crash: queue behind what it holds
    if (this.#pending === 0) {
      const write: OutboxWrite = { key: input.key, payload: input.payload, attempts: 0, createdAt: this.#clock.now() };
      try {
        const value = await this.#apply(write, signal ?? this.#abort.signal);
        this.#counts.direct++;
        return { status: 'applied', value };
      } catch (cause) {
        if (!this.#shouldQueue(cause)) throw cause;
        const queued = await this.enqueue(input);
        return { ...queued, cause };
      }
    }
    return this.enqueue(input);
  }

  /** Queues a write without trying it first; resolves once it is durable. */
  async enqueue(input: {
    readonly key: string;
    readonly payload: OutboxJson;
    readonly priority?: number;
  }): Promise<Extract<OutboxResult, { status: 'queued' }>> {
    if (this.#closed) throw closedError();
    if (this.#pending >= this.#maxEntries) {
      await this.#refresh();
      if (this.#pending >= this.#maxEntries) {
        throw new FailsmallError('FS_ERR_OUTBOX_FULL', `The outbox holds ${this.#pending} writes (maxEntries)`, {
          details: { size: this.#pending, maxEntries: this.#maxEntries, dependency: this.dependency },
        });
      }
    }
    const at = this.#clock.now();
    const { entry, duplicate } = await this.store.append({
      key: input.key,
      payload: input.payload,
      ...(input.priority === undefined ? {} : { priority: input.priority }),
      at,
    });
    if (duplicate) this.#counts.duplicates++;
    else {
      this.#counts.queued++;
      this.#pending++;
      if (this.events.hasListeners) this.events.emit({ type: 'queued', key: entry.key, id: entry.id, at });
    }
    return { status: 'queued', entry, duplicate };
  }

  /**
   * One drain pass: expires what is older than `maxAge`, then applies the due entries in order,
   * paced at `rate` and through the admission gate, until none is due or the dependency fails
   * (the pass stops: it is still down). Concurrent calls share one pass.
   */
  drain(): Promise<DrainResult> {
    if (this.#closed) return Promise.reject(closedError());
    this.#draining ??= this.#drainPass().finally(() => {
      this.#draining = undefined;
    });
    return this.#draining;
  }

  async #drainPass(): Promise<DrainResult> {
    const result = { applied: 0, failed: 0, dead: 0, expired: 0, refused: 0, stopped: false };
    const now = this.#clock.now();
    if (Number.isFinite(this.#maxAge)) {
      result.expired = await this.store.expire(now - this.#maxAge, now);
      this.#counts.expired += result.expired;
    }
    const gap = 1_000 / this.#rate;
    // claim no more than half a claim's time of writes at the pace, so a claim outlives its batch
    const limit = Math.max(1, Math.min(BATCH, Math.floor((this.#rate * this.store.claimMs) / 2_000)));
    let next = this.#clock.now();
    batches: for (;;) {
      const batch = await this.store.due(limit, this.#order, this.#clock.now());
      if (batch.length === 0) break;
      for (const entry of batch) {
        if (this.#closed) return result;
        const wait = next - this.#clock.now();
        if (wait > 0) await this.#clock.sleep(wait, this.#abort.signal).catch(() => undefined);
        // a claim that lapsed may be another drainer's now: claim again rather than apply twice
        if (this.#clock.now() >= entry.claimedUntil) continue batches;
        next = Math.max(next, this.#clock.now()) + gap;
        const outcome = await this.#applyQueued(entry);
        result[outcome]++;
        if (outcome === 'failed' || outcome === 'refused') {
          result.stopped = true;
          await this.#refresh();
          return result;
        }
      }
    }
    await this.#refresh();
    return result;
  }

  async #applyQueued(entry: OutboxEntry): Promise<'applied' | 'failed' | 'dead' | 'refused'> {
    const write: OutboxWrite = {
      key: entry.key,
      payload: entry.payload,
      attempts: entry.attempts,
      createdAt: entry.createdAt,
    };
    try {
      await this.#admission.run(() => this.#apply(write, this.#abort.signal), { criticality: 'sheddable-plus' });
    } catch (error) {
      const at = this.#clock.now();
      const text = String(error instanceof Error ? `${error.name}: ${error.message}` : error);
      const permanent = this.#isPermanent(error);
      // nothing was sent: the dependency is still down, the entry was not tried (its order and its
      // attempts are kept; `maxAge` bounds how long it may wait)
      if (!permanent && describeFailure(error).neverSent) return 'refused';
      if (permanent || entry.attempts + 1 >= this.#maxAttempts) {
        const reason = permanent ? 'rejected' : 'attempts';
        await this.store.deadLetter(entry.id, reason, at, text);
        this.#counts.dead++;
        this.#pending = Math.max(0, this.#pending - 1);
        if (this.events.hasListeners) this.events.emit({ type: 'dead', key: entry.key, id: entry.id, at, reason });
        return 'dead';
      }
      const delay = Math.min(MAX_RETRY_DELAY, this.#retryDelay * 2 ** entry.attempts);
      await this.store.retryLater(entry.id, at + delay, text);
      this.#counts.failedAttempts++;
      return 'failed';
    }
    await this.store.complete(entry.id);
    this.#counts.drained++;
    this.#pending = Math.max(0, this.#pending - 1);
    const at = this.#clock.now();
    if (this.events.hasListeners) {
      this.events.emit({ type: 'applied', key: entry.key, id: entry.id, at, queuedFor: at - entry.createdAt });
    }
    return 'applied';
  }

  /**
   * Drains in the background: reads the queued count from the store, then checks every
   * `drainInterval` and drains when anything is queued. Returns the outbox.
   */
  async start(): Promise<this> {
    await this.#refresh();
    if (!this.#closed) this.#loop.start();
    return this;
  }

  /** Queued writes as last counted (exact after `start()` and after each drain pass). */
  get pending(): number {
    return this.#pending;
  }

  /** Up to `limit` (default 100) dead letters, oldest first. */
  deadLetters(limit = 100): Promise<DeadLetter[]> {
    return this.store.deadLetters(limit);
  }

  /** Plain JSON for metrics. */
  snapshot(): Record<string, unknown> {
    return {
      dependency: this.dependency ?? null,
      store: this.store.kind,
      pending: this.#pending,
      ...this.#counts,
      admission: this.#admission.snapshot(),
    };
  }

  /** Stops the background drain, waits for a running pass, closes the store. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#loop.stop();
    this.#abort.abort(closedError());
    await this.#draining?.catch(() => undefined);
    await this.store.close();
  }
}

function closedError(): FailsmallError {
  return new FailsmallError('FS_ERR_OUTBOX_CLOSED', 'The outbox is closed');
}

/**
 * Builds an {@link Outbox}; see its module comment.
 *
 * @example
 * const store = await SqliteOutboxStore.open({ path: '/var/lib/app/orders-outbox.db' });
 * const orders = await outbox({ store, dependency: 'orders', apply: ({ key, payload }, signal) =>
 *   db.execute(() => putOrder(payload, { idempotencyKey: key, signal })) }).start();
 */
export function outbox(options: OutboxOptions): Outbox {
  return new Outbox(options);
}
