/**
 * Durability of the SQLite store (issue 10): a child process applying plans and writing journal
 * entries (durability.test.child.ts) is killed with SIGKILL at random points, KILLS times, on one
 * database file. After every kill the store must open cleanly (and pass SQLite's integrity check),
 * every write the child acknowledged before the kill must be found, and the record set must never be
 * empty: the active pointer names a stored plan with addresses.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { seededRandom } from '../core/random.js';
import { runUntilKilled } from '../test-support/kill-child.js';
import { SqlitePlanStore } from './sqlite-store.js';

const KILLS = 50;
const TARGET = 'api.example.com/A';
const child = fileURLToPath(new URL('./durability.test.child.js', import.meta.url));

interface Acks {
  plans: number[];
  journal: number[];
  active: number;
}

/** Runs the child until `killAfterMs` after it is ready, kills it with SIGKILL, returns what it acknowledged. */
async function runAndKill(path: string, killAfterMs: number): Promise<Acks> {
  const acks: Acks = { plans: [], journal: [], active: 0 };
  for (const line of await runUntilKilled(child, [path], killAfterMs)) {
    const [what, value] = line.split(' ');
    if (what === 'plan') acks.plans.push(Number(value));
    else if (what === 'journal') acks.journal.push(Number(value));
    else if (what === 'active') acks.active = Math.max(acks.active, Number(value));
  }
  return acks;
}

describe('SQLite store durability under SIGKILL', () => {
  it(`loses no acknowledged write in ${KILLS} kills at random points`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-durability-'));
    const path = join(dir, 'plans.db');
    const random = seededRandom(20251020);
    const plans = new Set<number>();
    const journal = new Set<number>();
    let active = 0;
    let lost = 0;
    try {
      for (let kill = 1; kill <= KILLS; kill++) {
        const acks = await runAndKill(path, Math.floor(random.next() * 150));
        for (const g of acks.plans) plans.add(g);
        for (const s of acks.journal) journal.add(s);
        active = Math.max(active, acks.active);

        const db = new Database(path, { readonly: true });
        try {
          assert.equal(db.pragma('integrity_check', { simple: true }), 'ok', `integrity after kill ${kill}`);
        } finally {
          db.close();
        }
        const store = await SqlitePlanStore.open({ path }); // opens cleanly (recovers the WAL)
        try {
          const stored = new Set((await store.listPlans(TARGET)).map((p) => p.generation));
          const entries = new Set((await store.readJournal()).map((e) => e.seq));
          const missing =
            [...plans].filter((g) => !stored.has(g)).length + [...journal].filter((s) => !entries.has(s)).length;
          lost += missing;
          assert.equal(missing, 0, `acknowledged writes lost after kill ${kill}`);
          if (plans.size > 0) {
            assert.ok(stored.size > 0 && entries.size > 0, `the record set is empty after kill ${kill}`);
            const pointer = await store.getActive(TARGET);
            if (active > 0) {
              assert.ok((pointer?.generation ?? 0) >= active, `active ${pointer?.generation} < acknowledged ${active}`);
            }
            if (pointer !== undefined) {
              const plan = await store.getPlan(TARGET, pointer.generation);
              const records = (plan?.body as { records?: unknown[] } | undefined)?.records ?? [];
              assert.ok(records.length > 0, `the active plan ${pointer.generation} has no records after kill ${kill}`);
            }
          }
        } finally {
          await store.close();
        }
      }
      const acknowledged = plans.size + journal.size;
      console.log(
        `durability: ${KILLS} kills, ${acknowledged} acknowledged writes (${plans.size} plans, ${journal.size} journal entries, ` +
          `active pointer at ${active}), lost ${lost}`,
      );
      assert.ok(plans.size > 0, 'the child acknowledged writes');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
