/**
 * The {@link PlanStore} for a fleet: PostgreSQL (pg), for enactors on several hosts. Every operation
 * is a single SQL statement (or one transaction), so it is atomic without locks held across calls:
 * the generation counter is a row updated in the same statement that inserts the plan, and the
 * active pointer's compare-and-set is a conditional `INSERT … ON CONFLICT … WHERE`. The driver is an
 * optional peer dependency, loaded by {@link PostgresPlanStore.open} on first use (`npm install pg`).
 */
import { openPgStore, type PgStoreHandle, type PgStoreSpec } from './pg-pool.js';
import type { PgPoolLike } from './pg-query.js';
import type {
  ActiveCondition,
  ActivePointer,
  Json,
  JournalEntry,
  JournalInput,
  SetActiveResult,
  StoredPlan,
} from '../plan/store.js';
import { PlanStoreBase } from '../plan/store-base.js';
import type {
  ActiveWrite,
  CheckedJournalQuery,
  CheckedPlanDeletion,
  PlanRange,
  PlanWrite,
} from '../plan/store-checks.js';
import { activeFromRow, entryFromRow, planFromRow, type ActiveRow, type JournalRow, type PlanRow } from './rows.js';

/** Options of {@link PostgresPlanStore.open}. */
export interface PostgresPlanStoreOptions {
  /** `postgres://user:pass@host:port/db`; default from the `PG*` environment variables, as `pg` does. */
  readonly connectionString?: string;
  /** Use this pool instead of creating one (it is not ended by `close()`). */
  readonly pool?: PgPoolLike;
  /** The schema holding the tables (created if missing), default `public`. Letters, digits, `_`. */
  readonly schema?: string;
  /** Connections in the pool, default 4: enactors make one call at a time. */
  readonly max?: number;
  /**
   * How long opening a connection may take, in milliseconds, default 10 s: an unreachable server fails
   * `open()` with `FS_ERR_STORE_BACKEND` instead of waiting forever (pg's own default).
   */
  readonly connectTimeoutMs?: number;
}

const keep = (json: Json): Json => json; // JSONB arrives parsed
const toPlan = (row: PlanRow<Json>): StoredPlan => planFromRow(row, keep);
const toEntry = (row: JournalRow<Json>): JournalEntry => entryFromRow(row, keep);

type Table = 'seq' | 'plans' | 'active' | 'journal';

const TABLES: PgStoreSpec<Table> = {
  what: 'plan store',
  max: 4,
  lock: 'failsmall-store-migrate', // two enactors starting at once must not race on CREATE TABLE
  version: 1,
  tables: {
    seq: 'failsmall_plan_seq',
    plans: 'failsmall_plans',
    active: 'failsmall_active',
    journal: 'failsmall_journal',
  },
  migrate: (t) => [
    `CREATE TABLE IF NOT EXISTS ${t.seq} (target TEXT PRIMARY KEY, last BIGINT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t.plans} (
      target TEXT NOT NULL, generation BIGINT NOT NULL, created_at DOUBLE PRECISION NOT NULL,
      created_by TEXT NOT NULL, body JSONB NOT NULL, PRIMARY KEY (target, generation))`,
    `CREATE TABLE IF NOT EXISTS ${t.active} (
      target TEXT PRIMARY KEY, generation BIGINT NOT NULL, updated_at DOUBLE PRECISION NOT NULL, updated_by TEXT NOT NULL)`,
    `CREATE TABLE IF NOT EXISTS ${t.journal} (
      seq BIGSERIAL PRIMARY KEY, target TEXT NOT NULL, generation BIGINT NOT NULL, actor TEXT NOT NULL,
      decision TEXT NOT NULL, reason TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, details JSONB NOT NULL)`,
    `CREATE INDEX IF NOT EXISTS failsmall_journal_target ON ${t.journal} (target, seq)`,
  ],
};

/**
 * Plans, active pointers and the journal in PostgreSQL.
 *
 * @example
 * const store = await PostgresPlanStore.open({ connectionString: process.env.DATABASE_URL });
 * const enactor = new Enactor({ name: `enactor-${hostname()}`, store, provider, targets });
 */
export class PostgresPlanStore extends PlanStoreBase {
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
  static async open(options: PostgresPlanStoreOptions = {}): Promise<PostgresPlanStore> {
    return new PostgresPlanStore(await openPgStore(options, TABLES));
  }

  protected async insertPlan(target: string, write: PlanWrite): Promise<string> {
    const t = this.#db.t;
    // One statement: the counter's row lock orders concurrent creators; a generation is never reused.
    const rows = await this.#db.query<{ generation: string }>(
      `WITH seq AS (
         INSERT INTO ${t.seq} (target, last) VALUES ($1, 1)
         ON CONFLICT (target) DO UPDATE SET last = ${t.seq}.last + 1 RETURNING last)
       INSERT INTO ${t.plans} (target, generation, created_at, created_by, body)
       SELECT $1, last, $2, $3, $4::jsonb FROM seq RETURNING generation`,
      [target, write.at, write.by, write.text],
    );
    return rows[0]!.generation;
  }

  protected async selectPlan(target: string, generation: number): Promise<StoredPlan | undefined> {
    const rows = await this.#db.query<PlanRow<Json>>(
      `SELECT * FROM ${this.#db.t.plans} WHERE target = $1 AND generation = $2`,
      [target, generation],
    );
    return rows[0] === undefined ? undefined : toPlan(rows[0]);
  }

  protected async selectLatest(target: string): Promise<StoredPlan | undefined> {
    const rows = await this.#db.query<PlanRow<Json>>(
      `SELECT * FROM ${this.#db.t.plans} WHERE target = $1 ORDER BY generation DESC LIMIT 1`,
      [target],
    );
    return rows[0] === undefined ? undefined : toPlan(rows[0]);
  }

  protected async selectPlans(target: string, { below, above }: PlanRange): Promise<StoredPlan[]> {
    const rows = await this.#db.query<PlanRow<Json>>(
      `SELECT * FROM ${this.#db.t.plans} WHERE target = $1 AND generation < $2 AND generation > $3 ORDER BY generation`,
      [target, below, above],
    );
    return rows.map(toPlan);
  }

  protected async deleteBelow(target: string, { below, except }: CheckedPlanDeletion): Promise<number[]> {
    const rows = await this.#db.query<{ generation: string }>(
      `DELETE FROM ${this.#db.t.plans} WHERE target = $1 AND generation < $2 AND NOT (generation = ANY($3::float8[]))
       RETURNING generation`,
      [target, below, except],
    );
    return rows.map((r) => Number(r.generation)).sort((a, b) => a - b);
  }

  protected async selectActive(target: string): Promise<ActivePointer | undefined> {
    const rows = await this.#db.query<ActiveRow>(`SELECT * FROM ${this.#db.t.active} WHERE target = $1`, [target]);
    return activeFromRow(rows[0]);
  }

  protected async updateActive(
    target: string,
    next: ActiveWrite,
    condition: ActiveCondition | undefined,
  ): Promise<SetActiveResult> {
    const a = this.#db.t.active;
    const values: unknown[] = [target, next.generation, next.at, next.by];
    const upsert = `INSERT INTO ${a} (target, generation, updated_at, updated_by) VALUES ($1, $2, $3, $4)`;
    const set =
      'DO UPDATE SET generation = EXCLUDED.generation, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by';
    let sql: string;
    if (condition === undefined) sql = `${upsert} ON CONFLICT (target) ${set} RETURNING *`;
    else if ('onlyForward' in condition) {
      sql = `${upsert} ON CONFLICT (target) ${set} WHERE ${a}.generation < EXCLUDED.generation RETURNING *`;
    } else if (condition.expectedGeneration === null) sql = `${upsert} ON CONFLICT (target) DO NOTHING RETURNING *`;
    else {
      sql = `UPDATE ${a} SET generation = $2, updated_at = $3, updated_by = $4 WHERE target = $1 AND generation = $5 RETURNING *`;
      values.push(condition.expectedGeneration);
    }
    const written = await this.#db.query<ActiveRow>(sql, values);
    if (written[0] !== undefined) return { ok: true, current: activeFromRow(written[0]) };
    return { ok: false, current: await this.selectActive(target) };
  }

  protected async insertEntry(entry: JournalInput, text: string): Promise<string> {
    const rows = await this.#db.query<{ seq: string }>(
      `INSERT INTO ${this.#db.t.journal} (target, generation, actor, decision, reason, at, details)
       VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) RETURNING seq`,
      [entry.target, entry.generation, entry.actor, entry.decision, entry.reason, entry.at, text],
    );
    return rows[0]!.seq;
  }

  protected async selectEntries(q: CheckedJournalQuery): Promise<JournalEntry[]> {
    const values: unknown[] = [q.afterSeq];
    const where = ['seq > $1'];
    if (q.target !== undefined) {
      values.push(q.target);
      where.push(`target = $${values.length}`);
    }
    if (q.decision !== undefined) {
      values.push(q.decision);
      where.push(`decision = $${values.length}`);
    }
    let limit = '';
    if (q.limit !== undefined) {
      values.push(q.limit);
      limit = ` LIMIT $${values.length}`;
    }
    const order = q.newestFirst ? 'DESC' : 'ASC';
    const rows = await this.#db.query<JournalRow<Json>>(
      `SELECT * FROM ${this.#db.t.journal} WHERE ${where.join(' AND ')} ORDER BY seq ${order}${limit}`,
      values,
    );
    return rows.map(toEntry);
  }

  snapshot(): Record<string, unknown> {
    return {
      kind: this.kind,
      schema: this.schema,
      closed: this.#db.closed,
      pool: this.#db.poolStats(),
    };
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
