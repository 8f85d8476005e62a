/**
 * The outbox store in PostgreSQL, for a fleet whose hosts share one queue (optional peer `pg`).
 * `append` resolves after its transaction committed (PostgreSQL's default `synchronous_commit = on`
 * flushes the WAL first). The same contract as the SQLite store.
 *
 * Several drainers (hosts) may share one queue, and never get the same entry while a claim holds:
 * `due` is one statement that picks the due rows nobody else holds a live claim on with
 * `FOR UPDATE SKIP LOCKED` (a row another drainer is claiming at that instant is skipped, not
 * waited for) and stamps them `claimed_by` this handle, `claimed_until = now + claimMs`. A drainer
 * killed mid-batch leaves claims that expire: after `claimMs` another drainer takes the entries
 * over. Statements go through store/pg-query.ts (`pgQuery`, `pgTransaction` where two statements
 * must commit together).
 */
import { openPgStore, type PgStoreHandle, type PgStoreSpec } from './pg-pool.js';
import type { PgPoolLike } from './pg-query.js';
import { invalid } from '../core/validate.js';
import {
  OutboxStoreBase,
  checkClaimMs,
  outboxClosed,
  type DeadLetter,
  type OutboxEntry,
  type OutboxInput,
  type OutboxJson,
  type OutboxOrder,
} from './outbox-store.js';
import { deadLetterFromRow, entryFromRow, type DeadRow, type OutboxRow } from './outbox-rows.js';

/** Options of {@link PostgresOutboxStore.open}. */
export interface PostgresOutboxStoreOptions {
  /** `postgres://user:pass@host:port/db`; default from the `PG*` environment variables. */
  readonly connectionString?: string;
  /** Use this pool instead of creating one (not ended by `close()`). */
  readonly pool?: PgPoolLike;
  /** The schema holding the tables (created if missing), default `public`. */
  readonly schema?: string;
  /** The queue's name, so several outboxes share the tables; default `default`. */
  readonly queue?: string;
  /** Connections in the pool; default 2. */
  readonly max?: number;
  /** How long opening a connection may take, in ms; default 10 s. */
  readonly connectTimeoutMs?: number;
  /** How long a claim taken by `due` holds, in ms; default 30 s (see {@link OutboxStore.claimMs}). */
  readonly claimMs?: number;
}

type Row = OutboxRow<OutboxJson>; // JSONB arrives parsed
const keep = (payload: OutboxJson): OutboxJson => payload;
const toEntry = (row: Row): OutboxEntry => entryFromRow(row, keep);

type Table = 'box' | 'dead';

const TABLES: PgStoreSpec<Table> = {
  what: 'outbox store',
  max: 2,
  lock: 'failsmall-outbox-migrate',
  version: 1,
  tables: { box: 'failsmall_outbox', dead: 'failsmall_outbox_dead' },
  closed: outboxClosed,
  migrate: (t) => [
    `CREATE TABLE IF NOT EXISTS ${t.box} (
      id BIGSERIAL PRIMARY KEY, queue TEXT NOT NULL, key TEXT NOT NULL, payload JSONB NOT NULL,
      priority INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      not_before DOUBLE PRECISION NOT NULL, last_error TEXT, UNIQUE (queue, key))`,
    // claims (tables made before them get the columns here)
    `ALTER TABLE ${t.box} ADD COLUMN IF NOT EXISTS claimed_by TEXT,
      ADD COLUMN IF NOT EXISTS claimed_until DOUBLE PRECISION NOT NULL DEFAULT 0`,
    `CREATE TABLE IF NOT EXISTS ${t.dead} (
      id BIGINT PRIMARY KEY, queue TEXT NOT NULL, key TEXT NOT NULL, payload JSONB NOT NULL,
      priority INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL, attempts INTEGER NOT NULL,
      not_before DOUBLE PRECISION NOT NULL, last_error TEXT, reason TEXT NOT NULL, dead_at DOUBLE PRECISION NOT NULL)`,
  ],
};

/**
 * See the module comment.
 *
 * @example
 * const store = await PostgresOutboxStore.open({ connectionString: process.env.DATABASE_URL, queue: 'orders' });
 */
export class PostgresOutboxStore extends OutboxStoreBase {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly queue: string;
  readonly #db: PgStoreHandle<Table>;

  private constructor(db: PgStoreHandle<Table>, queue: string, claimMs: number) {
    super(claimMs);
    this.#db = db;
    this.schema = db.schema;
    this.queue = queue;
  }

  /** Loads pg (`FS_ERR_MISSING_PEER` when absent), connects, creates the tables; `FS_ERR_STORE_BACKEND` when unreachable. */
  static async open(options: PostgresOutboxStoreOptions = {}): Promise<PostgresOutboxStore> {
    const queue = options.queue ?? 'default';
    if (typeof queue !== 'string' || queue === '') invalid('queue', 'a non-empty string', queue);
    const claimMs = checkClaimMs(options.claimMs);
    return new PostgresOutboxStore(await openPgStore(options, TABLES), queue, claimMs);
  }

  protected async insert(
    input: OutboxInput,
    text: string,
    priority: number,
  ): Promise<{ entry: OutboxEntry; duplicate: boolean }> {
    return this.#db.tx(async (c) => {
      const inserted = await c.query<Row>(
        `INSERT INTO ${this.#db.t.box} (queue, key, payload, priority, created_at, not_before)
         VALUES ($1, $2, $3::jsonb, $4, $5, $5) ON CONFLICT (queue, key) DO NOTHING RETURNING *`,
        [this.queue, input.key, text, priority, input.at],
      );
      if (inserted.rows[0] !== undefined) return { entry: toEntry(inserted.rows[0]), duplicate: false };
      const found = await c.query<Row>(`SELECT * FROM ${this.#db.t.box} WHERE queue = $1 AND key = $2`, [
        this.queue,
        input.key,
      ]);
      return { entry: toEntry(found.rows[0]!), duplicate: true };
    });
  }

  protected async claim(limit: number, order: OutboxOrder, now: number): Promise<OutboxEntry[]> {
    const orderBy = order === 'priority' ? 'priority DESC, id' : 'id';
    const rows = await this.#db.query<Row>(
      `WITH picked AS (
         SELECT id FROM ${this.#db.t.box}
         WHERE queue = $1 AND not_before <= $2 AND (claimed_by IS NULL OR claimed_by = $3 OR claimed_until <= $2)
         ORDER BY ${orderBy} LIMIT $4 FOR UPDATE SKIP LOCKED)
       UPDATE ${this.#db.t.box} AS box SET claimed_by = $3, claimed_until = $5
       FROM picked WHERE box.id = picked.id RETURNING box.*`,
      [this.queue, now, this.owner, limit, now + this.claimMs],
    );
    return rows.map(toEntry); // in any order (RETURNING keeps none): OutboxStoreBase sorts them
  }

  async complete(id: number): Promise<boolean> {
    const rows = await this.#db.query(`DELETE FROM ${this.#db.t.box} WHERE id = $1 RETURNING id`, [id]);
    return rows.length > 0;
  }

  async retryLater(id: number, notBefore: number, error: string): Promise<void> {
    await this.#db.query(
      `UPDATE ${this.#db.t.box} SET attempts = attempts + 1, not_before = $2, last_error = $3,
         claimed_by = NULL, claimed_until = 0
       WHERE id = $1 AND (claimed_by IS NULL OR claimed_by = $4)`,
      [id, notBefore, error, this.owner],
    );
  }

  #move(where: string, values: unknown[], reason: string, at: number, error: string | null): Promise<unknown[]> {
    return this.#db.query(
      `WITH gone AS (DELETE FROM ${this.#db.t.box} WHERE queue = $1 AND ${where} RETURNING *)
       INSERT INTO ${this.#db.t.dead}
       SELECT id, queue, key, payload, priority, created_at, attempts, not_before, COALESCE($2, last_error), $3, $4 FROM gone
       ON CONFLICT (id) DO NOTHING RETURNING id`,
      [this.queue, error, reason, at, ...values],
    );
  }

  async deadLetter(id: number, reason: string, at: number, error?: string): Promise<void> {
    await this.#move('id = $5', [id], reason, at, error ?? null);
  }

  async expire(before: number, at: number): Promise<number> {
    return (await this.#move('created_at < $5', [before], 'expired', at, null)).length;
  }

  async size(): Promise<number> {
    const rows = await this.#db.query<{ n: string }>(`SELECT COUNT(*) AS n FROM ${this.#db.t.box} WHERE queue = $1`, [
      this.queue,
    ]);
    return Number(rows[0]!.n);
  }

  async oldest(): Promise<number | null> {
    const rows = await this.#db.query<{ t: number | null }>(
      `SELECT MIN(created_at) AS t FROM ${this.#db.t.box} WHERE queue = $1`,
      [this.queue],
    );
    return rows[0]!.t;
  }

  protected async selectDead(limit: number): Promise<DeadLetter[]> {
    const rows = await this.#db.query<DeadRow<OutboxJson>>(
      `SELECT * FROM ${this.#db.t.dead} WHERE queue = $1 ORDER BY dead_at, id LIMIT $2`,
      [this.queue, limit],
    );
    return rows.map((row) => deadLetterFromRow(row, keep));
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
