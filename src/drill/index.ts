/**
 * Drills: experiments in Chaos Toolkit's format run against failsmall's chaos lab and the services
 * under test, measuring time to detect, RTO and writes lost, for a failover and its failback.
 */
export * from './experiment.js';
export * from './funcs.js';
export * from './tolerance.js';
export * from './measure.js';
export * from './journal.js';
export * from './services.js';
export * from './providers.js';
export * from './runner.js';
export * from './report.js';
