/**
 * The status store contract on memory, SQLite (temporary files, a second connection on the same file
 * as the peer) and PostgreSQL (a fresh schema per store, dropped afterwards; skipped with a plain
 * message when no PostgreSQL is configured, as the plan store tests do).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { POSTGRES_SKIP_REASON, postgresFromEnv } from '../store/pg-env.js';
import { registerStatusStoreContract } from '../test-support/status-store-contract.js';
import { MemoryBackend } from './backend.js';
import { PostgresBackend } from './postgres-backend.js';
import { SqliteBackend } from './sqlite-backend.js';
import { createStatusStore } from './store.js';

registerStatusStoreContract('memory', { open: async () => createStatusStore(new MemoryBackend()) });

const dir = mkdtempSync(join(tmpdir(), 'failsmall-status-'));
let files = 0;
let lastFile = '';
registerStatusStoreContract('sqlite', {
  open: async () => {
    lastFile = join(dir, `status-${++files}.db`);
    return createStatusStore(await SqliteBackend.open({ path: lastFile }));
  },
  openPeer: async () => createStatusStore(await SqliteBackend.open({ path: lastFile })),
  cleanup: async () => rmSync(dir, { recursive: true, force: true }),
});

const pgConfig = postgresFromEnv();
const schemas: string[] = [];
const run = `fs_status_${process.pid}_${Date.now().toString(36)}`;
registerStatusStoreContract(
  'postgres',
  {
    open: async () => {
      const schema = `${run}_${schemas.length + 1}`;
      schemas.push(schema);
      return createStatusStore(await PostgresBackend.open({ ...pgConfig, schema }));
    },
    openPeer: async () => createStatusStore(await PostgresBackend.open({ ...pgConfig, schema: schemas.at(-1)! })),
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
