/**
 * The store contract, run against every implementation: memory, SQLite (temporary files) and
 * PostgreSQL (a fresh schema per store, dropped afterwards; skipped with a plain message when no
 * PostgreSQL is configured).
 */
import { MemoryPlanStore } from '../plan/memory-store.js';
import { registerStoreContract } from '../test-support/plan-store-contract.js';
import { tempPgSchemas, tempSqliteFiles } from '../test-support/sql-backends.js';
import { PostgresPlanStore } from './postgres-store.js';
import { SqlitePlanStore } from './sqlite-store.js';

registerStoreContract('memory', { open: async () => new MemoryPlanStore() });

const files = tempSqliteFiles('store');
registerStoreContract('sqlite', {
  open: () => SqlitePlanStore.open({ path: files.next() }),
  openPeer: () => SqlitePlanStore.open({ path: files.last() }),
  cleanup: files.cleanup,
});

const schemas = tempPgSchemas('test');
registerStoreContract(
  'postgres',
  {
    open: () => PostgresPlanStore.open(schemas.next()),
    openPeer: () => PostgresPlanStore.open(schemas.last()),
    cleanup: schemas.cleanup,
  },
  schemas.suite,
);
