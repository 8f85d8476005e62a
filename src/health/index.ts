// Health that never trusts one signal: per-source rise/fall, a vote with quorum, guardrails on the set.
export * from './rise-fall.js';
export * from './quorum.js';
export * from './guardrails.js';
export * from './outlier.js';
export * from './source.js';
export * from './monitor.js';
export { checkChangesQuery, checkVote, HealthStoreErrorCodes, MemoryHealthStore } from './store.js';
export type { HealthStore, StoredSet, StoredVote, WriteSetResult } from './store.js';
