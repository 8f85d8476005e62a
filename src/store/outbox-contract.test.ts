/**
 * The outbox store contract on memory, SQLite (temporary files) and PostgreSQL (a fresh schema per
 * store, dropped afterwards; skipped when no PostgreSQL is configured).
 */
import { MemoryOutboxStore } from './outbox-store.js';
import { registerOutboxStoreContract } from '../test-support/outbox-store-contract.js';
import { tempPgSchemas, tempSqliteFiles } from '../test-support/sql-backends.js';
import { PostgresOutboxStore } from './postgres-outbox.js';
import { SqliteOutboxStore } from './sqlite-outbox.js';

registerOutboxStoreContract('memory', {
  open: async (claimMs) => new MemoryOutboxStore(claimMs === undefined ? {} : { claimMs }),
});

const files = tempSqliteFiles('outbox');
registerOutboxStoreContract('sqlite', {
  open: (claimMs) => SqliteOutboxStore.open({ path: files.next(), ...(claimMs === undefined ? {} : { claimMs }) }),
  reopen: () => SqliteOutboxStore.open({ path: files.last() }),
  another: (claimMs) => SqliteOutboxStore.open({ path: files.last(), claimMs }),
  cleanup: files.cleanup,
});

const schemas = tempPgSchemas('outbox');
registerOutboxStoreContract(
  'postgres',
  {
    open: (claimMs) => PostgresOutboxStore.open({ ...schemas.next(), ...(claimMs === undefined ? {} : { claimMs }) }),
    reopen: () => PostgresOutboxStore.open(schemas.last()),
    another: (claimMs) => PostgresOutboxStore.open({ ...schemas.last(), claimMs }),
    cleanup: schemas.cleanup,
  },
  schemas.suite,
);
