export { Planner } from './planner.js';
export type { PlannerOptions } from './planner.js';
export { Enactor } from './enactor.js';
export type { EnactorOptions, EnactorEvent, EnactOutcome, Gate, GateInfo } from './enactor.js';
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
export { MemoryPlanStore } from './memory-store.js';
export { MemoryDnsProvider } from './memory-provider.js';
export type { ProviderChangeEvent } from './memory-provider.js';
export { HttpDnsProvider, isVersionConflict } from './http-provider.js';
export type { HttpDnsProviderOptions } from './http-provider.js';
export { Scheduler, choicePolicy, timedPolicy } from './scheduler.js';
export type {
  ActorBody,
  ActorView,
  ScheduleDecision,
  SchedulePolicy,
  ScheduleResult,
  ScheduleStep,
  SchedulerOptions,
} from './scheduler.js';
export { PlanErrorCodes } from './types.js';
export type {
  DnsProvider,
  Plan,
  PlanBody,
  ProviderChange,
  ProviderChangeBatch,
  ProviderRecordSet,
  WeightedAddress,
  ZoneSnapshot,
} from './types.js';
export { StoreErrorCodes, JOURNAL_DECISIONS } from './store.js';
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
} from './store.js';
export { planFromHealthy, recordsFromHealthy } from './health-records.js';
export type { HealthyMember } from './health-records.js';
