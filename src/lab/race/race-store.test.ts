/**
 * The 2025-10-20 race against each durable store: the store contract suite knows only the fenced
 * enactor (store sits below lab), so the whole race, legacy and safe, runs against SQLite and
 * PostgreSQL here (PostgreSQL skipped with a plain reason when it is not configured).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { MemoryDnsProvider } from '../../plan/memory-provider.js';
import type { PlanStore } from '../../plan/store.js';
import { POSTGRES_SKIP_REASON, postgresFromEnv } from '../../store/pg-env.js';
import { PostgresPlanStore } from '../../store/postgres-store.js';
import { SqlitePlanStore } from '../../store/sqlite-store.js';
import { runRace } from './race.js';

const dir = mkdtempSync(join(tmpdir(), 'failsmall-race-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const pgConfig = postgresFromEnv();
const run = `fs_race_${process.pid}_${Date.now().toString(36)}`;

const backends: { name: string; open: (mode: string) => Promise<PlanStore>; skip?: string }[] = [
  { name: 'sqlite', open: (mode) => SqlitePlanStore.open({ path: join(dir, `${mode}.db`) }) },
  {
    name: 'postgres',
    open: (mode) => PostgresPlanStore.open({ ...pgConfig, schema: `${run}_${mode}` }),
    ...(pgConfig === undefined ? { skip: POSTGRES_SKIP_REASON } : {}),
  },
];

for (const backend of backends) {
  describe(`the race of 2025-10-20 on a ${backend.name} store`, () => {
    it(
      'legacy empties and sticks, safe holds; each journals its decisions',
      backend.skip ? { skip: backend.skip } : {},
      async () => {
        for (const mode of ['legacy', 'safe'] as const) {
          const store = await backend.open(mode);
          try {
            const provider = new MemoryDnsProvider({ zones: [{ name: 'example.com' }] });
            const result = await runRace({ mode, provider, store });
            assert.deepEqual([result.emptied, result.stuck], mode === 'legacy' ? [true, true] : [false, false], mode);
            const journal = await store.readJournal({ decision: mode === 'legacy' ? 'failed' : 'dropped' });
            assert.ok(journal.length > 0, `${mode} journaled its ${mode === 'legacy' ? 'failures' : 'dropped plans'}`);
          } finally {
            await store.close();
          }
        }
      },
    );
  });
}
