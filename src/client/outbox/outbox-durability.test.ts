/**
 * Durability of the outbox (issue 16): a child process writing through an outbox on SQLite
 * (outbox-durability.test.child.ts) to a dependency that goes up and down is killed with SIGKILL at
 * random points, KILLS times, on the same files. After every kill, each write the child acknowledged
 * must be found, applied to the dependency or still queued in the outbox; and the outbox must open
 * cleanly. The figures (kills, acknowledged, lost) are printed as one JSON line.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { seededRandom } from '../../core/random.js';
import type { FailsmallError } from '../../core/errors.js';
import { SqliteOutboxStore } from '../../store/sqlite-outbox.js';
import { runUntilKilled } from '../../test-support/kill-child.js';

const KILLS = 20;
const child = fileURLToPath(new URL('./outbox-durability.test.child.js', import.meta.url));

/** Runs the child until `killAfterMs` after it is ready, kills it with SIGKILL, returns the keys it acknowledged. */
async function runAndKill(box: string, remote: string, run: number, killAfterMs: number): Promise<string[]> {
  const lines = await runUntilKilled(child, [box, remote, String(run)], killAfterMs);
  return lines.filter((line) => line.startsWith('ack ')).map((line) => line.slice(4));
}

describe('outbox durability under SIGKILL', () => {
  it(`finds every acknowledged write after ${KILLS} kills mid-stream`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-outbox-kill-'));
    const box = join(dir, 'outbox.db');
    const remote = join(dir, 'remote.db');
    const random = seededRandom(16);
    let acknowledged = 0;
    let lost = 0;
    let queuedAtEnd = 0;
    let applied = 0;
    try {
      for (let run = 0; run < KILLS; run++) {
        const acked = await runAndKill(box, remote, run, 20 + Math.floor(random.next() * 300));
        acknowledged += acked.length;
        const store = await SqliteOutboxStore.open({ path: box });
        assert.equal(store.recovered, undefined, 'the outbox file opened cleanly');
        const queued = new Set<string>();
        for (let page = await store.due(10_000, 'oldest', Infinity); page.length > 0; page = []) {
          for (const e of page) queued.add(e.key);
        }
        await store.close();
        const db = new Database(remote, { readonly: true });
        const done = new Set((db.prepare('SELECT key FROM applied').all() as { key: string }[]).map((r) => r.key));
        db.close();
        for (const key of acked) if (!queued.has(key) && !done.has(key)) lost++;
        queuedAtEnd = queued.size;
        applied = done.size;
      }
      console.log(JSON.stringify({ test: 'outbox-kill', kills: KILLS, acknowledged, lost, applied, queuedAtEnd }));
      assert.ok(acknowledged > KILLS, `the child acknowledged writes (${acknowledged})`);
      assert.equal(lost, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('moves a corrupt outbox file aside with FS_ERR_OUTBOX_CORRUPT and starts a new one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-outbox-corrupt-'));
    const path = join(dir, 'outbox.db');
    try {
      writeFileSync(path, 'this is not a database, but it might hold writes someone wants back\n'.repeat(100));
      const reported: FailsmallError[] = [];
      const store = await SqliteOutboxStore.open({ path, onCorrupt: (e) => reported.push(e) });
      assert.equal(reported.length, 1);
      assert.equal(reported[0]!.code, 'FS_ERR_OUTBOX_CORRUPT');
      assert.equal(store.recovered?.code, 'FS_ERR_OUTBOX_CORRUPT');
      const movedTo = store.recovered?.details?.movedTo as string;
      assert.ok(readdirSync(dir).includes(movedTo.slice(dir.length + 1)), 'the corrupt file is kept');
      assert.equal(await store.size(), 0);
      await store.append({ key: 'a', payload: 1, at: 0 });
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
