// The simulator: failsmall's own decision code at scale, on a discrete-event engine.
export { EventQueue } from './event-queue.js';
export { Simulation } from './engine.js';
export type { EventHandler, RunStats, SimulationOptions } from './engine.js';
export { OCC_STRATEGIES, occBackoff, runOcc } from './models/occ.js';
export type { OccOptions, OccResult, OccStrategy } from './models/occ.js';
export { runCollapse } from './models/collapse.js';
export type { CollapseOptions, CollapseResult } from './models/collapse.js';
export { RETRY_STRATEGIES, retryBreakerConfig, runRetry } from './models/retry.js';
export type { RetryModelOptions, RetryModelResult, RetryStrategy } from './models/retry.js';
export { runOutageFleet } from './models/outage.js';
export type { OutageFleet, OutageFleetResult, OutageOptions } from './models/outage.js';
export { mergeResults, parseSeeds, shardOf } from './sweep.js';
export type { SeedRange } from './sweep.js';
export { renderSimReport } from './report.js';
export type { SimChart } from './report.js';
export { loadAdmit, runLease } from './models/lease.js';
export type { AdmitDecisions, LeaseOptions, LeaseResult } from './models/lease.js';
