/**
 * The outbox store contract on memory, SQLite (temporary files) and PostgreSQL (a fresh schema per
 * store, dropped afterwards; skipped when no PostgreSQL is configured).
 */
import { MemoryOutboxStore } from './outbox-store.js';
import { registerOutboxStoreContract } from '../test-support/outbox-store-contract.js';
import { tempPgSchemas, tempSqliteFiles } from '../test-support/sql-backends.js';
import { PostgresOutboxStore } from './postgres-outbox.js';
import { SqliteOutboxStore } from './sqlite-outbox.js';

registerOutboxStoreContract('memory', { open: async () => new MemoryOutboxStore() });

const files = tempSqliteFiles('outbox');
registerOutboxStoreContract('sqlite', {
  open: () => SqliteOutboxStore.open({ path: files.next() }),
  reopen: () => SqliteOutboxStore.open({ path: files.last() }),
  cleanup: files.cleanup,
});

const schemas = tempPgSchemas('outbox');
registerOutboxStoreContract(
  'postgres',
  {
    open: () => PostgresOutboxStore.open(schemas.next()),
    reopen: () => PostgresOutboxStore.open(schemas.last()),
    cleanup: schemas.cleanup,
  },
  schemas.suite,
);
