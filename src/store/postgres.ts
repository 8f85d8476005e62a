/**
 * `failsmall/store/postgres`: the PostgreSQL plan store alone (its driver, pg, is an optional peer
 * loaded by `PostgresPlanStore.open`), with the plan store contract it implements.
 */
export * from './postgres-store.js';
export { postgresFromEnv } from './pg-env.js';
export { StoreErrorCodes } from '../plan/store.js';
export type { PlanStore } from '../plan/store.js';
export * from './postgres-health-store.js';
export type { PgPoolLike, PgClientLike, PgResultLike, PgRow } from './pg-query.js';
