// Health that never trusts one signal: per-source rise/fall, a vote with quorum, guardrails on the set.
export { INITIAL_RISE_FALL, observe, riseFallThresholds } from './rise-fall.js';
export type { Observation, RiseFallOptions, RiseFallState, RiseFallThresholds, Vote } from './rise-fall.js';
export { decide, quorumOf } from './quorum.js';
export type { TargetDecision, TargetVerdict, VoteReason } from './quorum.js';
export { evaluateSet, floorCount, guardrails, initialSet, removalsPerWindow } from './guardrails.js';
export type {
  EscalationReason,
  GuardrailOptions,
  Guardrails,
  MemberOutcome,
  MemberReason,
  MemberState,
  SetOutcome,
  SetState,
} from './guardrails.js';
export {
  initialOutliers,
  outlierSettings,
  outlierVote,
  recordTraffic,
  sweepOutliers,
  trafficOutcomeOf,
} from './outlier.js';
export type { OutlierOptions, OutlierSettings, OutlierState, OutlierTarget, TrafficOutcome } from './outlier.js';
export { checkResultOf, dnsProbe, httpProbe, providerSource, tcpProbe } from './source.js';
export type {
  CheckResult,
  DnsProbeOptions,
  HealthSource,
  HealthTarget,
  HttpProbeOptions,
  TcpProbeOptions,
} from './source.js';
export { HealthMonitor } from './monitor.js';
export type {
  Escalation,
  FaultyCheck,
  HealthMonitorOptions,
  HealthRound,
  HealthSnapshot,
  SetChange,
} from './monitor.js';
export { HealthErrorCodes } from './monitor.js';
export { HealthStoreErrorCodes, MemoryHealthStore, checkChangesQuery, checkVote } from './store.js';
export type { HealthStore, StoredSet, StoredVote, WriteSetResult } from './store.js';
