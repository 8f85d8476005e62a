export { SqlitePlanStore } from './sqlite-store.js';
export type { SqlitePlanStoreOptions } from './sqlite-store.js';
export { PostgresPlanStore } from './postgres-store.js';
export type { PostgresPlanStoreOptions } from './postgres-store.js';
export { openPlanStore } from './open.js';
export { postgresFromEnv, POSTGRES_SKIP_REASON } from './pg-env.js';
export { StoreErrorCodes, JOURNAL_DECISIONS } from '../plan/store.js';
export type {
  PlanStore,
  StoredPlan,
  ActivePointer,
  ActiveCondition,
  SetActiveResult,
  JournalEntry,
  JournalInput,
  JournalQuery,
  JournalDecision,
  PlanQuery,
  PlanDeletion,
  Json,
} from '../plan/store.js';
export { SqliteHealthStore } from './sqlite-health-store.js';
export type { SqliteHealthStoreOptions } from './sqlite-health-store.js';
export { PostgresHealthStore } from './postgres-health-store.js';
export type { PostgresHealthStoreOptions } from './postgres-health-store.js';
export { SqliteOutboxStore } from './sqlite-outbox.js';
export type { SqliteOutboxStoreOptions } from './sqlite-outbox.js';
export { PostgresOutboxStore } from './postgres-outbox.js';
export type { PostgresOutboxStoreOptions } from './postgres-outbox.js';
export type { PgPoolLike, PgClientLike, PgResultLike, PgRow } from './pg-query.js';
