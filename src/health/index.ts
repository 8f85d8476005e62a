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
