/**
 * The {@link HealthStore} for checkers on several hosts: PostgreSQL (pg). Every operation is one SQL
 * statement (or one transaction), so it is atomic without locks held across calls; the set's
 * compare-and-set is a conditional `UPDATE … WHERE version = $n RETURNING` (an `INSERT … ON CONFLICT
 * DO NOTHING` for the first write). The tables live in one schema per store. The driver is an
 * optional peer dependency, loaded by {@link PostgresHealthStore.open} on first use.
 */
import { openPgStore, type PgStoreHandle, type PgStoreSpec } from './pg-pool.js';
import type { PgPoolLike } from './pg-query.js';
import type { SetState } from '../health/guardrails.js';
import type { SetChange } from '../health/monitor.js';
import { HealthStoreBase, type StoredSet, type StoredVote, type WriteSetResult } from '../health/store.js';
import { changeFromRow, setFromRow, voteFromRow, type ChangeRow, type SetRow, type VoteRow } from './health-rows.js';

/** Options of {@link PostgresHealthStore.open}. */
export interface PostgresHealthStoreOptions {
  /** `postgres://user:pass@host:port/db`; default from the `PG*` environment variables, as `pg` does. */
  readonly connectionString?: string;
  /** Use this pool instead of creating one (it is not ended by `close()`). */
  readonly pool?: PgPoolLike;
  /** The schema holding the tables (created if missing), default `public`. Letters, digits, `_`. */
  readonly schema?: string;
  /** Connections in the pool, default 4: a checker makes one call at a time. */
  readonly max?: number;
  /** How long opening a connection may take, in milliseconds, default 10 s (`FS_ERR_STORE_BACKEND` after). */
  readonly connectTimeoutMs?: number;
}

const keep = (state: SetState): SetState => state; // JSONB arrives parsed

type Table = 'votes' | 'sets' | 'changes';

const TABLES: PgStoreSpec<Table> = {
  what: 'health store',
  max: 4,
  lock: 'failsmall-store-migrate',
  version: 1,
  tables: { votes: 'failsmall_health_votes', sets: 'failsmall_health_sets', changes: 'failsmall_health_changes' },
  migrate: (t) => [
    `CREATE TABLE IF NOT EXISTS ${t.votes} (
      set_name TEXT NOT NULL, checker TEXT NOT NULL, source TEXT NOT NULL, target TEXT NOT NULL,
      vote TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, PRIMARY KEY (set_name, checker, source, target))`,
    `CREATE INDEX IF NOT EXISTS failsmall_health_votes_at ON ${t.votes} (set_name, at)`,
    `CREATE TABLE IF NOT EXISTS ${t.sets} (
      set_name TEXT PRIMARY KEY, version BIGINT NOT NULL, state JSONB NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t.changes} (
      seq BIGSERIAL PRIMARY KEY, set_name TEXT NOT NULL, target TEXT NOT NULL, change TEXT NOT NULL,
      reason TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, by_whom TEXT NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS failsmall_health_changes_set ON ${t.changes} (set_name, at, seq)`,
  ],
};

/**
 * Votes, the set and its journal in PostgreSQL.
 *
 * @example
 * const store = await PostgresHealthStore.open({ connectionString: process.env.DATABASE_URL });
 * const monitor = new HealthMonitor({ name: 'orders-api', targets, sources, store, checker: hostname(), checkers: 3 });
 */
export class PostgresHealthStore extends HealthStoreBase {
  readonly kind = 'postgres';
  readonly schema: string;
  readonly #db: PgStoreHandle<Table>;

  private constructor(db: PgStoreHandle<Table>) {
    super();
    this.#db = db;
    this.schema = db.schema;
  }

  /**
   * Loads pg (first call only; `FS_ERR_MISSING_PEER` naming it when it is not installed), connects,
   * creates the schema and tables if missing, and returns the store. Rejects with
   * `FS_ERR_STORE_BACKEND` when the server cannot be reached within `connectTimeoutMs`.
   */
  static async open(options: PostgresHealthStoreOptions = {}): Promise<PostgresHealthStore> {
    return new PostgresHealthStore(await openPgStore(options, TABLES));
  }

  protected async storeVotes(votes: readonly StoredVote[]): Promise<void> {
    if (votes.length === 0) return;
    // One statement for the batch; the last of duplicates in one batch wins, as in the memory store.
    const latest = new Map<string, StoredVote>();
    for (const v of votes) latest.set(JSON.stringify([v.set, v.checker, v.source, v.target]), v);
    const rows = [...latest.values()];
    await this.#db.query(
      `INSERT INTO ${this.#db.t.votes} (set_name, checker, source, target, vote, at)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::float8[])
       ON CONFLICT (set_name, checker, source, target) DO UPDATE SET vote = EXCLUDED.vote, at = EXCLUDED.at`,
      [
        rows.map((v) => v.set),
        rows.map((v) => v.checker),
        rows.map((v) => v.source),
        rows.map((v) => v.target),
        rows.map((v) => v.vote),
        rows.map((v) => v.at),
      ],
    );
  }

  async votes(set: string, since: number): Promise<StoredVote[]> {
    const rows = await this.#db.query<VoteRow>(`SELECT * FROM ${this.#db.t.votes} WHERE set_name = $1 AND at >= $2`, [
      set,
      since,
    ]);
    return rows.map(voteFromRow);
  }

  async readSet(set: string): Promise<StoredSet | undefined> {
    const rows = await this.#db.query<SetRow<SetState>>(`SELECT * FROM ${this.#db.t.sets} WHERE set_name = $1`, [set]);
    return rows[0] === undefined ? undefined : setFromRow(rows[0], keep);
  }

  async writeSet(set: string, state: SetState, expectedVersion: number): Promise<WriteSetResult> {
    const text = JSON.stringify(state);
    const s = this.#db.t.sets;
    const written =
      expectedVersion === 0
        ? await this.#db.query<{ version: string }>(
            `INSERT INTO ${s} (set_name, version, state) VALUES ($1, 1, $2::jsonb) ON CONFLICT (set_name) DO NOTHING
             RETURNING version`,
            [set, text],
          )
        : await this.#db.query<{ version: string }>(
            `UPDATE ${s} SET version = version + 1, state = $2::jsonb WHERE set_name = $1 AND version = $3
             RETURNING version`,
            [set, text, expectedVersion],
          );
    if (written[0] !== undefined) return { ok: true, version: Number(written[0].version) };
    return { ok: false, current: (await this.readSet(set)) ?? { state, version: 0 } };
  }

  async appendChange(change: SetChange): Promise<void> {
    await this.#db.query(
      `INSERT INTO ${this.#db.t.changes} (set_name, target, change, reason, at, by_whom) VALUES ($1, $2, $3, $4, $5, $6)`,
      [change.set, change.target, change.change, change.reason, change.at, change.by],
    );
  }

  protected async selectChanges(set: string, q: { since: number; limit: number }): Promise<SetChange[]> {
    const rows = await this.#db.query<ChangeRow>(
      `SELECT * FROM ${this.#db.t.changes} WHERE set_name = $1 AND at >= $2 ORDER BY seq LIMIT $3`,
      [set, q.since, q.limit],
    );
    return rows.map(changeFromRow);
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
