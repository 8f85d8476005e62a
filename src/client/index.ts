// Integrations: fetch/undici dispatcher, http(s).Agent, AWS SDK v3 handler and retry strategy, and
// the per-dependency bundle. Named exports only; types apart from values.

// address order and connection racing
export { AddressHealth, interleave } from './address-order.js';
export type { Address, AddressHealthOptions } from './address-order.js';
export { raceAddresses, connectTimedOut } from './happy-eyeballs.js';
export type { AttemptRecord, RaceOptions, RaceResult } from './happy-eyeballs.js';
export { Connector, systemResolver } from './connector.js';
export type {
  AddressAnswer,
  AddressResolver,
  Connected,
  ConnectTarget,
  ConnectorEvent,
  ConnectorOptions,
} from './connector.js';

// fetch / undici
export { FailsmallUndiciAgent, createUndiciAgent } from './undici-agent.js';
export type { UndiciAgentOptions } from './undici-agent.js';

// http(s).Agent
export { FailsmallHttpAgent, FailsmallHttpsAgent, createHttpAgent, createHttpsAgent } from './http-agent.js';
export type { HttpAgentOptions } from './http-agent.js';

// AWS SDK v3
export { FailsmallRequestHandler, awsRequestHandler } from './aws-request-handler.js';
export type {
  AwsHandlerOptions,
  AwsHandlerOutput,
  AwsHttpRequest,
  AwsRequestHandlerOptions,
} from './aws-request-handler.js';
export { FailsmallRetryStrategy, awsRetryStrategy, defaultAwsRetryClassifier } from './aws-retry-strategy.js';
export type {
  AwsRetryErrorInfo,
  AwsRetryErrorType,
  AwsRetryStrategyOptions,
  AwsRetryToken,
} from './aws-retry-strategy.js';
export { awsClientConfig } from './aws-client-config.js';
export type { AwsClientConfig, AwsClientConfigOptions } from './aws-client-config.js';
export { attemptPolicy, isFailureResponse } from './attempt-policy.js';
export type { AttemptPolicyOptions } from './attempt-policy.js';

// one dependency, every integration
export { Dependency, dependency } from './dependency.js';
export type { DependencyOptions } from './dependency.js';
export { healthAwareResolver } from './health-resolver.js';
export type { HealthAwareResolver, PassiveHealth } from './health-resolver.js';

// region-ordered endpoints: failover, failback with hysteresis
export { RegionSet, regions } from './regions/region-set.js';
export type {
  FailbackOptions,
  FailoverOptions,
  Region,
  RegionCallContext,
  RegionSetOptions,
  RegionSwitch,
} from './regions/region-set.js';
export type { RegionConfig } from './regions/config.js';
export { initialRouting, pickDuringRamp, stepRouting } from './regions/routing.js';
export type { RegionSignal, RoutingConfig, RoutingState, RoutingSwitch, RoutingStep } from './regions/routing.js';

// durable outbox for writes
export { Outbox, outbox } from './outbox/outbox.js';
export type { DrainResult, OutboxEvent, OutboxOptions, OutboxResult, OutboxWrite } from './outbox/outbox.js';
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
export { ReadCache, readCache } from './read-cache.js';
export type { CachedRead, ReadCacheOptions, ReadCacheProblem, ReadSource } from './read-cache.js';
export { Degradation, degradation } from './degradation.js';
export type {
  DegradationOptions,
  FeatureFallback,
  FeatureResult,
  FeatureState,
  FeatureStateChange,
} from './degradation.js';
