/**
 * The store contract, run against every implementation: memory, SQLite (temporary files) and
 * PostgreSQL (a fresh schema per store, dropped afterwards; skipped with a plain message when no
 * PostgreSQL is configured).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MemoryPlanStore } from '../plan/memory-store.js';
import { registerStoreContract } from '../test-support/plan-store-contract.js';
import { POSTGRES_SKIP_REASON, postgresFromEnv } from './pg-env.js';
import { PostgresPlanStore } from './postgres-store.js';
import { SqlitePlanStore } from './sqlite-store.js';

registerStoreContract('memory', { open: async () => new MemoryPlanStore() });

const dir = mkdtempSync(join(tmpdir(), 'failsmall-store-'));
let files = 0;
let lastFile = '';
registerStoreContract('sqlite', {
  open: async () => {
    lastFile = join(dir, `plans-${++files}.db`);
    return SqlitePlanStore.open({ path: lastFile });
  },
  openPeer: () => SqlitePlanStore.open({ path: lastFile }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

const pgConfig = postgresFromEnv();
const schemas: string[] = [];
const run = `fs_test_${process.pid}_${Date.now().toString(36)}`;
registerStoreContract(
  'postgres',
  {
    open: async () => {
      const schema = `${run}_${schemas.length + 1}`;
      schemas.push(schema);
      return PostgresPlanStore.open({ ...pgConfig, schema });
    },
    openPeer: async () => PostgresPlanStore.open({ ...pgConfig, schema: schemas.at(-1)! }),
    cleanup: async () => {
      const client = new pg.Client(
        pgConfig?.connectionString === undefined ? {} : { connectionString: pgConfig.connectionString },
      );
      await client.connect();
      try {
        for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      } finally {
        await client.end();
      }
    },
  },
  pgConfig === undefined ? { skip: POSTGRES_SKIP_REASON } : {},
);
