/**
 * The default durable {@link PlanStore}: an embedded SQLite database (better-sqlite3) in WAL mode, so
 * several enactor processes on one host can share one file. Every operation is one immediate
 * transaction, hence atomic across processes. The driver is an optional peer dependency, loaded by
 * {@link SqlitePlanStore.open} on first use (`npm install better-sqlite3`).
 */
import type {
  ActiveCondition,
  ActivePointer,
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
import { openSqliteStore, parseStoredJson, type SqliteStoreHandle } from './sqlite-open.js';

/** Options of {@link SqlitePlanStore.open}. */
export interface SqlitePlanStoreOptions {
  /** The database file (created if missing), or `:memory:`. */
  readonly path: string;
  /**
   * How long a write waits for another process's lock, in milliseconds; default 5 s: longer than any
   * single statement here, shorter than an enactor's round.
   */
  readonly busyTimeoutMs?: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS failsmall_plan_seq (target TEXT PRIMARY KEY, last INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS failsmall_plans (
  target TEXT NOT NULL, generation INTEGER NOT NULL, created_at REAL NOT NULL, created_by TEXT NOT NULL,
  body TEXT NOT NULL, PRIMARY KEY (target, generation)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS failsmall_active (
  target TEXT PRIMARY KEY, generation INTEGER NOT NULL, updated_at REAL NOT NULL, updated_by TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS failsmall_journal (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, generation INTEGER NOT NULL, actor TEXT NOT NULL,
  decision TEXT NOT NULL, reason TEXT NOT NULL, at REAL NOT NULL, details TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS failsmall_journal_target ON failsmall_journal (target, seq);
`;

const toPlan = (row: PlanRow<string>): StoredPlan => planFromRow(row, (body) => parseStoredJson(body, 'plan body'));
const toEntry = (row: JournalRow<string>): JournalEntry =>
  entryFromRow(row, (details) => parseStoredJson(details, 'journal entry'));

/**
 * Plans, active pointers and the journal in one SQLite file.
 *
 * @example
 * const store = await SqlitePlanStore.open({ path: '/var/lib/failsmall/plans.db' });
 * const enactor = new Enactor({ name: 'enactor-az1', store, provider, targets });
 * @see https://www.sqlite.org/wal.html
 */
export class SqlitePlanStore extends PlanStoreBase {
  readonly kind = 'sqlite';
  readonly path: string;
  readonly #db: SqliteStoreHandle;

  /**
   * Loads better-sqlite3 (first call only; `FS_ERR_MISSING_PEER` naming it when it is not installed),
   * opens or creates the database file in WAL mode with its tables, and returns the store. Rejects
   * with `FS_ERR_STORE_BACKEND` when the file cannot be opened (a missing directory, no permission).
   */
  static async open(options: SqlitePlanStoreOptions): Promise<SqlitePlanStore> {
    return new SqlitePlanStore(await openSqliteStore(options, { what: 'plan store', schema: SCHEMA, version: 1 }));
  }

  private constructor(db: SqliteStoreHandle) {
    super();
    this.#db = db;
    this.path = db.path;
  }

  protected async insertPlan(target: string, write: PlanWrite): Promise<number> {
    return this.#db.tx((db) => {
      const row = db
        .prepare(
          `INSERT INTO failsmall_plan_seq (target, last) VALUES (?, 1)
           ON CONFLICT (target) DO UPDATE SET last = last + 1 RETURNING last`,
        )
        .get(target) as { last: number };
      db.prepare(
        'INSERT INTO failsmall_plans (target, generation, created_at, created_by, body) VALUES (?, ?, ?, ?, ?)',
      ).run(target, row.last, write.at, write.by, write.text);
      return row.last;
    });
  }

  protected async selectPlan(target: string, generation: number): Promise<StoredPlan | undefined> {
    const row = this.#db.tx(
      (db) =>
        db.prepare('SELECT * FROM failsmall_plans WHERE target = ? AND generation = ?').get(target, generation) as
          PlanRow<string> | undefined,
    );
    return row === undefined ? undefined : toPlan(row);
  }

  protected async selectLatest(target: string): Promise<StoredPlan | undefined> {
    const row = this.#db.tx(
      (db) =>
        db.prepare('SELECT * FROM failsmall_plans WHERE target = ? ORDER BY generation DESC LIMIT 1').get(target) as
          PlanRow<string> | undefined,
    );
    return row === undefined ? undefined : toPlan(row);
  }

  protected async selectPlans(target: string, { below, above }: PlanRange): Promise<StoredPlan[]> {
    const rows = this.#db.tx(
      (db) =>
        db
          .prepare(
            'SELECT * FROM failsmall_plans WHERE target = ? AND generation < ? AND generation > ? ORDER BY generation',
          )
          .all(target, below, above) as PlanRow<string>[],
    );
    return rows.map(toPlan);
  }

  protected async deleteBelow(target: string, { below, except }: CheckedPlanDeletion): Promise<number[]> {
    const rows = this.#db.tx(
      (db) =>
        db
          .prepare(
            `DELETE FROM failsmall_plans WHERE target = ? AND generation < ?
             AND generation NOT IN (SELECT value FROM json_each(?)) RETURNING generation`,
          )
          .all(target, below, JSON.stringify(except)) as { generation: number }[],
    );
    return rows.map((r) => r.generation).sort((a, b) => a - b);
  }

  protected async selectActive(target: string): Promise<ActivePointer | undefined> {
    return activeFromRow(
      this.#db.tx(
        (db) => db.prepare('SELECT * FROM failsmall_active WHERE target = ?').get(target) as ActiveRow | undefined,
      ),
    );
  }

  protected async updateActive(
    target: string,
    next: ActiveWrite,
    condition: ActiveCondition | undefined,
  ): Promise<SetActiveResult> {
    const args = [target, next.generation, next.at, next.by];
    return this.#db.tx((db) => {
      let changes: number;
      if (condition === undefined) {
        changes = db
          .prepare(
            `INSERT INTO failsmall_active (target, generation, updated_at, updated_by) VALUES (?, ?, ?, ?)
             ON CONFLICT (target) DO UPDATE SET generation = excluded.generation, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by`,
          )
          .run(...args).changes;
      } else if ('onlyForward' in condition) {
        changes = db
          .prepare(
            `INSERT INTO failsmall_active (target, generation, updated_at, updated_by) VALUES (?, ?, ?, ?)
             ON CONFLICT (target) DO UPDATE SET generation = excluded.generation, updated_at = excluded.updated_at,
             updated_by = excluded.updated_by WHERE excluded.generation > failsmall_active.generation`,
          )
          .run(...args).changes;
      } else if (condition.expectedGeneration === null) {
        changes = db
          .prepare(
            `INSERT INTO failsmall_active (target, generation, updated_at, updated_by) VALUES (?, ?, ?, ?)
             ON CONFLICT (target) DO NOTHING`,
          )
          .run(...args).changes;
      } else {
        changes = db
          .prepare(
            `UPDATE failsmall_active SET generation = ?, updated_at = ?, updated_by = ? WHERE target = ? AND generation = ?`,
          )
          .run(next.generation, next.at, next.by, target, condition.expectedGeneration).changes;
      }
      const current = activeFromRow(
        db.prepare('SELECT * FROM failsmall_active WHERE target = ?').get(target) as ActiveRow | undefined,
      );
      return { ok: changes > 0, current };
    });
  }

  protected async insertEntry(entry: JournalInput, text: string): Promise<number> {
    return this.#db.tx(
      (db) =>
        db
          .prepare(
            `INSERT INTO failsmall_journal (target, generation, actor, decision, reason, at, details)
             VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
          )
          .get(entry.target, entry.generation, entry.actor, entry.decision, entry.reason, entry.at, text) as {
          seq: number;
        },
    ).seq;
  }

  protected async selectEntries(q: CheckedJournalQuery): Promise<JournalEntry[]> {
    const where: string[] = ['seq > ?'];
    const args: (string | number)[] = [q.afterSeq];
    if (q.target !== undefined) {
      where.push('target = ?');
      args.push(q.target);
    }
    if (q.decision !== undefined) {
      where.push('decision = ?');
      args.push(q.decision);
    }
    const limit = q.limit ?? -1;
    const order = q.newestFirst ? 'DESC' : 'ASC';
    const rows = this.#db.tx(
      (db) =>
        db
          .prepare(`SELECT * FROM failsmall_journal WHERE ${where.join(' AND ')} ORDER BY seq ${order} LIMIT ?`)
          .all(...args, limit) as JournalRow<string>[],
    );
    return rows.map(toEntry);
  }

  snapshot(): Record<string, unknown> {
    if (this.#db.closed) return { kind: this.kind, path: this.path, closed: true };
    return this.#db.read((db) => {
      const count = (table: string): number =>
        (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      return {
        kind: this.kind,
        path: this.path,
        closed: false,
        plans: count('failsmall_plans'),
        targets: count('failsmall_plan_seq'),
        journal: count('failsmall_journal'),
      };
    });
  }

  async close(): Promise<void> {
    this.#db.close();
  }
}
