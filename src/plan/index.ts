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
export {
  runRace,
  runSchedule,
  runWorld,
  planContents,
  describeDecision,
  ROLES,
  CRASH_ABOVE,
  CHOICE_MAX,
} from './race.js';
export type {
  RaceLine,
  RaceOptions,
  RaceTiming,
  ScheduleOptions,
  ScheduleOutcome,
  Violation,
  WorldOptions,
} from './race.js';
export { PlanErrorCodes } from './types.js';
export type {
  DnsProvider,
  EnactMode,
  Plan,
  PlanBody,
  ProviderChange,
  ProviderChangeBatch,
  ProviderRecordSet,
  WeightedAddress,
  ZoneSnapshot,
} from './types.js';
