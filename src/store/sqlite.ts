/**
 * `failsmall/store/sqlite`: the SQLite plan store alone (its driver, better-sqlite3, is an optional
 * peer loaded by `SqlitePlanStore.open`), with the plan store contract it implements.
 */
export * from './sqlite-store.js';
export { StoreErrorCodes } from '../plan/store.js';
export type { PlanStore } from '../plan/store.js';
export * from './sqlite-health-store.js';
