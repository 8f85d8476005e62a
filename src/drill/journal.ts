/**
 * The journal of a drill: every step (service started, probe, action, pause, poll, rollback, read-back)
 * with its time, phase, status and output. {@link MemoryJournal} keeps it for the report;
 * {@link SqliteJournal} writes it to SQLite as it happens (better-sqlite3, an optional peer loaded on
 * first use), so a drill killed half-way leaves the steps it ran:
 *
 * ```sql
 * runs(id INTEGER PRIMARY KEY, title TEXT, source TEXT, started_at INTEGER, ended_at INTEGER, result TEXT)
 * steps(run_id INTEGER, seq INTEGER, at INTEGER, phase TEXT, kind TEXT, name TEXT, status TEXT,
 *       output TEXT, error TEXT, PRIMARY KEY (run_id, seq))
 * ```
 */
import type Database from 'better-sqlite3';
import { importPeer } from '../core/optional-peer.js';

/** The part of a drill a step belongs to. */
export type Phase =
  'setup' | 'steady-state-before' | 'method' | 'recovery' | 'steady-state-after' | 'rollbacks' | 'teardown';

/** One journaled step. */
export interface Step {
  /** Clock ms. */
  readonly at: number;
  readonly phase: Phase;
  /** `service`, `probe`, `action`, `pause`, `poll`, `readback`, `mark`. */
  readonly kind: string;
  readonly name: string;
  /** `ok`, `failed`, `deviated`, `skipped`, `started`. */
  readonly status: string;
  readonly output?: unknown;
  readonly error?: string;
}

/** Where steps go. */
export interface DrillJournal {
  /** Opens a run; returns its id. */
  begin(title: string, source: string, at: number): number;
  record(step: Step): void;
  /** Closes the run with its result. */
  end(at: number, result: unknown): void;
  close(): void;
}

/** A journal in memory: {@link MemoryJournal.steps} in order. */
export class MemoryJournal implements DrillJournal {
  /** Every step recorded. */
  readonly steps: Step[] = [];
  begin(): number {
    return 1;
  }
  record(step: Step): void {
    this.steps.push(step);
  }
  end(): void {}
  close(): void {}
}

const json = (v: unknown): string | null => (v === undefined ? null : (JSON.stringify(v) ?? null));

/** A journal in an SQLite file (created when missing; one row per run, one per step). */
export class SqliteJournal implements DrillJournal {
  readonly #db: Database.Database;
  #run = 0;
  #seq = 0;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /**
   * Opens (or creates) the journal at `path` (`:memory:` for none on disk). Rejects with
   * `FS_ERR_MISSING_PEER` when better-sqlite3 is not installed.
   */
  static async open(path: string): Promise<SqliteJournal> {
    const driver = await importPeer<{ default: typeof Database }>('better-sqlite3', 'the drill journal');
    const db = new driver.default(path);
    db.pragma('journal_mode = WAL');
    db.exec(`CREATE TABLE IF NOT EXISTS runs (id INTEGER PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL,
               started_at INTEGER NOT NULL, ended_at INTEGER, result TEXT);
             CREATE TABLE IF NOT EXISTS steps (run_id INTEGER NOT NULL REFERENCES runs(id), seq INTEGER NOT NULL,
               at INTEGER NOT NULL, phase TEXT NOT NULL, kind TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL,
               output TEXT, error TEXT, PRIMARY KEY (run_id, seq));`);
    return new SqliteJournal(db);
  }

  begin(title: string, source: string, at: number): number {
    this.#run = Number(
      this.#db.prepare('INSERT INTO runs (title, source, started_at) VALUES (?, ?, ?)').run(title, source, at)
        .lastInsertRowid,
    );
    this.#seq = 0;
    return this.#run;
  }

  record(step: Step): void {
    this.#db
      .prepare(
        'INSERT INTO steps (run_id, seq, at, phase, kind, name, status, output, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      )
      .run(
        this.#run,
        ++this.#seq,
        step.at,
        step.phase,
        step.kind,
        step.name,
        step.status,
        json(step.output),
        step.error ?? null,
      );
  }

  end(at: number, result: unknown): void {
    this.#db.prepare('UPDATE runs SET ended_at = ?, result = ? WHERE id = ?').run(at, json(result), this.#run);
  }

  /** The steps of run `runId` (default the last one), in order. */
  steps(runId = this.#run): Step[] {
    const rows = this.#db
      .prepare('SELECT at, phase, kind, name, status, output, error FROM steps WHERE run_id = ? ORDER BY seq')
      .all(runId) as {
      at: number;
      phase: Phase;
      kind: string;
      name: string;
      status: string;
      output: string | null;
      error: string | null;
    }[];
    return rows.map((r) => ({
      at: r.at,
      phase: r.phase,
      kind: r.kind,
      name: r.name,
      status: r.status,
      ...(r.output === null ? {} : { output: JSON.parse(r.output) as unknown }),
      ...(r.error === null ? {} : { error: r.error }),
    }));
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
