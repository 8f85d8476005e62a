// Integrations: fetch/undici dispatcher, http(s).Agent, AWS SDK v3 handler and retry strategy, and
// the per-dependency bundle. Named exports only; types apart from values.

// address order and connection racing
export * from './address-order.js';
export { raceAddresses, connectTimedOut } from './happy-eyeballs.js';
export type { AttemptRecord, RaceOptions, RaceResult } from './happy-eyeballs.js';
export * from './connector.js';

// fetch / undici
export * from './undici-agent.js';

// http(s).Agent
export * from './http-agent.js';

// AWS SDK v3
export * from './aws-request-handler.js';
export * from './aws-retry-strategy.js';
export * from './aws-client-config.js';
export * from './attempt-policy.js';

// one dependency, every integration
export * from './dependency.js';
export * from './health-resolver.js';

// region-ordered endpoints: failover, failback with hysteresis
export * from './regions/region-set.js';
export type { RegionConfig } from './regions/config.js';
export * from './regions/routing.js';

// durable outbox for writes
export * from './outbox/outbox.js';
export { MemoryOutboxStore } from '../store/outbox-store.js';
export type {
  DeadLetter,
  OutboxEntry,
  OutboxInput,
  OutboxJson,
  OutboxOrder,
  OutboxStore,
} from '../store/outbox-store.js';

// critical reads cached (last-known-good) and graceful degradation
export * from './read-cache.js';
export * from './degradation.js';
