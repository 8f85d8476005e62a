/**
 * The outbox store contract on memory, SQLite (temporary files) and PostgreSQL (a fresh schema per
 * store, dropped afterwards; skipped when no PostgreSQL is configured).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { MemoryOutboxStore } from './outbox-store.js';
import { registerOutboxStoreContract } from '../test-support/outbox-store-contract.js';
import { POSTGRES_SKIP_REASON, postgresFromEnv } from './pg-env.js';
import { PostgresOutboxStore } from './postgres-outbox.js';
import { SqliteOutboxStore } from './sqlite-outbox.js';

registerOutboxStoreContract('memory', {
  open: async (claimMs) => new MemoryOutboxStore(claimMs === undefined ? {} : { claimMs }),
});

const dir = mkdtempSync(join(tmpdir(), 'failsmall-outbox-'));
let files = 0;
let lastFile = '';
registerOutboxStoreContract('sqlite', {
  open: async (claimMs) => {
    lastFile = join(dir, `outbox-${++files}.db`);
    return SqliteOutboxStore.open({ path: lastFile, ...(claimMs === undefined ? {} : { claimMs }) });
  },
  reopen: () => SqliteOutboxStore.open({ path: lastFile }),
  another: (claimMs) => SqliteOutboxStore.open({ path: lastFile, claimMs }),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

const pgConfig = postgresFromEnv();
const schemas: string[] = [];
const run = `fs_outbox_${process.pid}_${Date.now().toString(36)}`;
registerOutboxStoreContract(
  'postgres',
  {
    open: async (claimMs) => {
      const schema = `${run}_${schemas.length + 1}`;
      schemas.push(schema);
      return PostgresOutboxStore.open({ ...pgConfig, schema, ...(claimMs === undefined ? {} : { claimMs }) });
    },
    reopen: async () => PostgresOutboxStore.open({ ...pgConfig, schema: schemas.at(-1)! }),
    another: async (claimMs) => PostgresOutboxStore.open({ ...pgConfig, schema: schemas.at(-1)!, claimMs }),
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
