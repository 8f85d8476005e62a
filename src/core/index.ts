export { systemClock, VirtualClock, ScaledClock, abortReason } from './clock.js';
export type { Clock, Cancel, TimerOptions, ScaledClockOptions } from './clock.js';
export { mathRandom, seededRandom, randomInt, exponential } from './random.js';
export type { Random } from './random.js';
export { FailsmallError, isFailsmallError, CoreErrorCodes } from './errors.js';
export type { ErrorCode } from './errors.js';
export { errorRegistry, errorModules } from './error-codes.js';
export type { ErrorEntry, ErrorModule } from './error-codes.js';
export { Emitter, channel } from './events.js';
export type { Disposable, Listener } from './events.js';
export * as validate from './validate.js';
export { importPeer, MISSING_PEER } from './optional-peer.js';
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
