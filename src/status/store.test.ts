/**
 * The status store contract on memory, SQLite (temporary files, a second connection on the same file
 * as the peer) and PostgreSQL (a fresh schema per store, dropped afterwards; skipped with a plain
 * message when no PostgreSQL is configured, as the plan store tests do).
 */
import { registerStatusStoreContract } from '../test-support/status-store-contract.js';
import { tempPgSchemas, tempSqliteFiles } from '../test-support/sql-backends.js';
import { MemoryBackend } from './backend.js';
import { PostgresBackend } from './postgres-backend.js';
import { SqliteBackend } from './sqlite-backend.js';
import { createStatusStore } from './store.js';

registerStatusStoreContract('memory', { open: async () => createStatusStore(new MemoryBackend()) });

const files = tempSqliteFiles('status');
registerStatusStoreContract('sqlite', {
  open: async () => createStatusStore(await SqliteBackend.open({ path: files.next() })),
  openPeer: async () => createStatusStore(await SqliteBackend.open({ path: files.last() })),
  cleanup: files.cleanup,
});

const schemas = tempPgSchemas('status');
registerStatusStoreContract(
  'postgres',
  {
    open: async () => createStatusStore(await PostgresBackend.open(schemas.next())),
    openPeer: async () => createStatusStore(await PostgresBackend.open(schemas.last())),
    cleanup: schemas.cleanup,
  },
  schemas.suite,
);
