/**
 * The store contract of the durable outbox, the base every implementation extends (its checks,
 * done once: {@link OutboxStoreBase}), and its in-memory implementation (tests, and processes
 * that accept losing queued writes on a crash). The durable implementations live in `store/`
 * (`SqliteOutboxStore`, `PostgresOutboxStore`); all of them pass one contract suite
 * (test-support/outbox-store-contract.ts).
 *
 * An entry is one write to apply to a dependency later, identified by its idempotency key: appending
 * a key that is already queued returns the queued entry (a caller retrying its own write does not
 * queue it twice), and the key travels with the write so that the dependency can ignore a second
 * application.
 *
 * **One drainer per entry**: several drainers (processes, hosts) may share one queue. `due` claims
 * the entries it returns for the calling store handle until `now + claimMs`; another handle's `due`
 * skips them until the claim is released (`complete`, `retryLater`, `deadLetter`) or has expired (a
 * drainer killed mid-batch: its entries are taken over once `claimMs` has passed). Claims are judged
 * with the callers' `now`, so drainers on several hosts need clocks within a small part of
 * `claimMs`, and `claimMs` must exceed the time a drainer takes to apply what it claimed.
 */
import { randomUUID } from 'node:crypto';
import { FailsmallError } from '../core/errors.js';
import { finiteNumber, invalid, positiveInteger } from '../core/validate.js';

/** A JSON value: what an outbox stores as a payload. */
export type OutboxJson = null | boolean | number | string | OutboxJson[] | { [key: string]: OutboxJson };

/** What {@link OutboxStore.append} is given. */
export interface OutboxInput {
  /** The idempotency key, unique among queued entries (e.g. the order id and version). */
  readonly key: string;
  /** The write, as JSON (at most 1 MiB once serialised). */
  readonly payload: OutboxJson;
  /** Higher drains first under `order: 'priority'`; default 0. An integer. */
  readonly priority?: number;
  /** When it was queued (ms). */
  readonly at: number;
}

/** A queued write. */
export interface OutboxEntry {
  /** The store's sequence number: increasing in append order. */
  readonly id: number;
  readonly key: string;
  readonly payload: OutboxJson;
  readonly priority: number;
  /** When it was queued (ms). */
  readonly createdAt: number;
  /** Failed application attempts so far. */
  readonly attempts: number;
  /** Not drained before this time (ms): the backoff after a failed attempt. */
  readonly notBefore: number;
  /** The last attempt's error, as text. */
  readonly lastError: string | null;
  /** Until when (ms) the handle that returned it from `due` holds its claim; 0 when unclaimed. */
  readonly claimedUntil: number;
}

/** A write that could not be applied: moved aside, kept for an operator. */
export interface DeadLetter extends OutboxEntry {
  /** Why: `rejected` (the dependency refused it for good), `attempts` (too many failures), `expired` (older than `maxAge`). */
  readonly reason: string;
  /** When it was moved (ms). */
  readonly deadAt: number;
}

/** The order in which {@link OutboxStore.due} returns entries. */
export type OutboxOrder = 'oldest' | 'priority';

/**
 * Durable storage of outbox entries. `append` resolves only once the entry is durable (for SQLite: a
 * committed transaction with `synchronous = FULL`, fsync'd). Every method may reject with
 * `FS_ERR_STORE_BACKEND` (the database failed) or `FS_ERR_OUTBOX_CLOSED`.
 */
export interface OutboxStore {
  /** `memory`, `sqlite` or `postgres`. */
  readonly kind: string;
  /** How long (ms) a claim taken by `due` holds: see the module comment. */
  readonly claimMs: number;
  /** Queues a write, durably; a key already queued returns that entry with `duplicate: true`. */
  append(input: OutboxInput): Promise<{ entry: OutboxEntry; duplicate: boolean }>;
  /**
   * Claims and returns up to `limit` entries with `notBefore <= now` that no other handle holds a
   * live claim on, oldest first or by priority (then oldest). Entries this handle claimed already
   * are returned again (the claim renewed).
   */
  due(limit: number, order: OutboxOrder, now: number): Promise<OutboxEntry[]>;
  /** Removes an applied entry; true when it was there. */
  complete(id: number): Promise<boolean>;
  /** Records a failed attempt: `attempts + 1`, `notBefore`, `lastError`; releases the claim. Does nothing when another handle holds it. */
  retryLater(id: number, notBefore: number, error: string): Promise<void>;
  /** Moves an entry to the dead letters with `reason`. */
  deadLetter(id: number, reason: string, at: number, error?: string): Promise<void>;
  /** Moves every entry created before `before` to the dead letters (`expired`); returns how many. */
  expire(before: number, at: number): Promise<number>;
  /** Queued entries. */
  size(): Promise<number>;
  /** The oldest queued entry's `createdAt`, or null when empty. */
  oldest(): Promise<number | null>;
  /** Up to `limit` dead letters, oldest first. */
  deadLetters(limit: number): Promise<DeadLetter[]>;
  /** Closes the store; later calls reject with `FS_ERR_OUTBOX_CLOSED`. */
  close(): Promise<void>;
}

const MAX_PAYLOAD = 1 << 20; // 1 MiB: an outbox holds writes, not blobs

/** Checks an {@link OutboxInput} and serialises its payload (for {@link OutboxStoreBase.append}). */
function checkOutboxInput(input: OutboxInput): { text: string; priority: number } {
  if (typeof input !== 'object' || input === null) invalid('entry', 'an object', input);
  if (typeof input.key !== 'string' || input.key === '' || input.key.length > 512) {
    invalid('key', 'a non-empty string of at most 512 characters', input.key);
  }
  finiteNumber('at', input.at);
  const priority = input.priority ?? 0;
  if (!Number.isSafeInteger(priority)) invalid('priority', 'an integer', priority);
  let text: string | undefined;
  try {
    text = JSON.stringify(input.payload);
  } catch {
    text = undefined;
  }
  if (text === undefined) invalid('payload', 'a JSON value', input.payload);
  if (text.length > MAX_PAYLOAD) invalid('payload', 'at most 1 MiB of JSON', `${text.length} characters`);
  return { text, priority };
}

/** The default claim of `due`: 30 s, well above one batch of applications at the outbox's default pace. */
export const DEFAULT_CLAIM_MS = 30_000;

/** Checks a store's `claimMs` option (default {@link DEFAULT_CLAIM_MS}). */
export function checkClaimMs(claimMs: number | undefined): number {
  return positiveInteger('claimMs', claimMs ?? DEFAULT_CLAIM_MS);
}

/** A new drainer identity: one per store handle. */
function newClaimOwner(): string {
  return randomUUID();
}

/** Checks the `limit` of {@link OutboxStore.due} / `deadLetters`. */
function checkLimit(limit: number): number {
  return positiveInteger('limit', limit);
}

/** The error of a store used after `close()`. */
export function outboxClosed(): FailsmallError {
  return new FailsmallError('FS_ERR_OUTBOX_CLOSED', 'The outbox store is closed');
}

/** Sorts entries in the order of {@link OutboxStore.due} (in place). */
function sortEntries(entries: OutboxEntry[], order: OutboxOrder): OutboxEntry[] {
  return entries.sort((a, b) => (order === 'priority' ? b.priority - a.priority : 0) || a.id - b.id);
}

/**
 * The shell every {@link OutboxStore} shares: the checks of `append`, `due` and `deadLetters` (so
 * every store refuses the same inputs with the same `FS_ERR_INVALID_ARGUMENT` before touching its
 * backend), the order of what `due` returns, the handle's `claimMs` and its drainer identity. A
 * store extends it and writes its backend's side of those three (`insert`, `claim`, `selectDead`,
 * handed checked arguments) and the other operations of the contract (internal: not part of the
 * public surface).
 */
export abstract class OutboxStoreBase implements OutboxStore {
  abstract readonly kind: string;
  readonly claimMs: number;
  /** This handle's drainer identity (the `claimed_by` of its claims in a shared queue). */
  protected readonly owner = newClaimOwner();

  /** @param claimMs - already checked ({@link checkClaimMs}): a store checks its options before it opens anything. */
  protected constructor(claimMs: number) {
    this.claimMs = claimMs;
  }

  async append(input: OutboxInput): Promise<{ entry: OutboxEntry; duplicate: boolean }> {
    const { text, priority } = checkOutboxInput(input);
    return this.insert(input, text, priority);
  }

  async due(limit: number, order: OutboxOrder, now: number): Promise<OutboxEntry[]> {
    checkLimit(limit);
    return sortEntries(await this.claim(limit, order, now), order);
  }

  async deadLetters(limit: number): Promise<DeadLetter[]> {
    checkLimit(limit);
    return this.selectDead(limit);
  }

  /**
   * Queues `input` (its payload as JSON `text`, its `priority` defaulted), or returns the entry
   * already queued under its key.
   */
  protected abstract insert(
    input: OutboxInput,
    text: string,
    priority: number,
  ): Promise<{ entry: OutboxEntry; duplicate: boolean }>;

  /** Claims up to `limit` due entries for this handle, in `order` (the result may come in any order). */
  protected abstract claim(limit: number, order: OutboxOrder, now: number): Promise<OutboxEntry[]>;

  /** Up to `limit` dead letters, oldest first. */
  protected abstract selectDead(limit: number): Promise<DeadLetter[]>;

  abstract complete(id: number): Promise<boolean>;
  abstract retryLater(id: number, notBefore: number, error: string): Promise<void>;
  abstract deadLetter(id: number, reason: string, at: number, error?: string): Promise<void>;
  abstract expire(before: number, at: number): Promise<number>;
  abstract size(): Promise<number>;
  abstract oldest(): Promise<number | null>;
  abstract close(): Promise<void>;
}

/**
 * An outbox store in memory: not durable (a crash loses the queue). For tests and for writes that
 * may be lost.
 *
 * @example
 * const outbox = new Outbox({ store: new MemoryOutboxStore(), apply });
 */
export class MemoryOutboxStore extends OutboxStoreBase {
  readonly kind = 'memory';
  readonly #entries = new Map<number, OutboxEntry>();
  readonly #dead: DeadLetter[] = [];
  #seq = 0;
  #closed = false;

  /** `claimMs`: see {@link OutboxStore.claimMs} (one handle holds every claim of a memory store). */
  constructor(options: { readonly claimMs?: number } = {}) {
    super(checkClaimMs(options.claimMs));
  }

  #check(): void {
    if (this.#closed) throw outboxClosed();
  }

  protected async insert(
    input: OutboxInput,
    text: string,
    priority: number,
  ): Promise<{ entry: OutboxEntry; duplicate: boolean }> {
    this.#check();
    for (const entry of this.#entries.values()) {
      if (entry.key === input.key) return Promise.resolve({ entry, duplicate: true });
    }
    const entry: OutboxEntry = {
      id: ++this.#seq,
      key: input.key,
      payload: JSON.parse(text) as OutboxJson,
      priority,
      createdAt: input.at,
      attempts: 0,
      notBefore: input.at,
      lastError: null,
      claimedUntil: 0,
    };
    this.#entries.set(entry.id, entry);
    return Promise.resolve({ entry, duplicate: false });
  }

  protected async claim(limit: number, order: OutboxOrder, now: number): Promise<OutboxEntry[]> {
    this.#check();
    const due = [...this.#entries.values()].filter((e) => e.notBefore <= now);
    const claimed = sortEntries(due, order)
      .slice(0, limit)
      .map((e) => ({ ...e, claimedUntil: now + this.claimMs }));
    for (const e of claimed) this.#entries.set(e.id, e);
    return Promise.resolve(claimed);
  }

  async complete(id: number): Promise<boolean> {
    this.#check();
    return Promise.resolve(this.#entries.delete(id));
  }

  async retryLater(id: number, notBefore: number, error: string): Promise<void> {
    this.#check();
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.set(id, { ...entry, attempts: entry.attempts + 1, notBefore, lastError: error, claimedUntil: 0 });
    }
    return Promise.resolve();
  }

  async deadLetter(id: number, reason: string, at: number, error?: string): Promise<void> {
    this.#check();
    const entry = this.#entries.get(id);
    if (entry !== undefined) {
      this.#entries.delete(id);
      this.#dead.push({ ...entry, lastError: error ?? entry.lastError, claimedUntil: 0, reason, deadAt: at });
    }
    return Promise.resolve();
  }

  async expire(before: number, at: number): Promise<number> {
    this.#check();
    let moved = 0;
    for (const entry of [...this.#entries.values()]) {
      if (entry.createdAt < before) {
        await this.deadLetter(entry.id, 'expired', at);
        moved++;
      }
    }
    return moved;
  }

  async size(): Promise<number> {
    this.#check();
    return Promise.resolve(this.#entries.size);
  }

  async oldest(): Promise<number | null> {
    this.#check();
    let oldest: number | null = null;
    for (const e of this.#entries.values()) if (oldest === null || e.createdAt < oldest) oldest = e.createdAt;
    return Promise.resolve(oldest);
  }

  protected async selectDead(limit: number): Promise<DeadLetter[]> {
    this.#check();
    return Promise.resolve(this.#dead.slice(0, limit));
  }

  async close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
