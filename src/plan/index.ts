export * from './planner.js';
export * from './enactor.js';
export {
  checkPlanBody,
  targetOf,
  fenceName,
  fenceValue,
  readFence,
  readAddresses,
  toRecordSet,
  capacity,
  removedShare,
  guard,
  planChanges,
  sameAddresses,
} from './plan-body.js';
export type { GuardVerdict } from './plan-body.js';
export * from './memory-store.js';
export * from './memory-provider.js';
export * from './http-provider.js';
export * from './scheduler.js';
export * from './types.js';
export * from './store.js';
export * from './health-records.js';
