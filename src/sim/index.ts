// The simulator: failsmall's own decision code at scale, on a discrete-event engine.
export * from './event-queue.js';
export * from './engine.js';
export * from './models/occ.js';
export * from './models/collapse.js';
export * from './models/retry.js';
export * from './models/outage.js';
export * from './sweep.js';
export * from './report.js';
export * from './models/lease.js';
