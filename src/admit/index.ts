// Server-side admission control, shedding, back-pressure and slow start. Named exports only; types apart.

// the gate
export { Admission, admission, admissionChannel, SHED_REASONS } from './admission.js';
export type {
  AdmissionOptions,
  AdmissionSnapshot,
  AdmitEvent,
  OverloadSignal,
  PartitionSnapshot,
  Permit,
  QueueStateEvent,
  ReleaseVerdict,
  ShedEvent,
  ShedReason,
  WorkItem,
} from './admission.js';

// criticality and partitions
export {
  CRITICALITIES,
  DEFAULT_SHARES,
  nextPartition,
  parseCriticality,
  rankOf,
  resolveShares,
} from './criticality.js';
export type { Criticality, CriticalityShares } from './criticality.js';

// pure decisions
export { CodelState } from './codel.js';
export type { CodelOptions, CodelSnapshot, QueueOrder } from './codel.js';
export { acceptProbability, resolveQueueThrottle } from './queue-throttle.js';
export type { QueueThrottle, QueueThrottleOptions } from './queue-throttle.js';
export { SlowStart } from './slow-start.js';
export type { SlowStartOptions, SlowStartSnapshot } from './slow-start.js';
export { WaveGate } from './waves.js';
export type { WaveOptions, WaveSnapshot } from './waves.js';
export { Hysteresis } from './hysteresis.js';
export type { HysteresisOptions, HysteresisSnapshot } from './hysteresis.js';

// overload signals
export { EventLoopSignal, eventLoopChannel, eventLoopSignal, perfHooksSource } from './event-loop-signal.js';
export type {
  EventLoopSignalOptions,
  EventLoopSignalSnapshot,
  LoopReading,
  LoopSignalChange,
  LoopSource,
} from './event-loop-signal.js';

// deadlines
export {
  DEADLINE_HEADER,
  GRPC_TIMEOUT_HEADER,
  parseGrpcTimeout,
  parseRequestDeadline,
  remainingFromHeaders,
} from './deadline.js';
export type { HeaderValue } from './deadline.js';

// HTTP adapters
export {
  CRITICALITY_HEADER,
  NO_RETRY_HEADER,
  admitExchange,
  answerFor,
  defaultVerdict,
  workItemOf,
} from './http-answer.js';
export type { HttpAdmitOptions, HttpAnswer } from './http-answer.js';
export { admitHandler } from './http.js';
export type { RequestHandler } from './http.js';
export { admitMiddleware } from './express.js';
export type { Middleware } from './express.js';
export { fastifyAdmit } from './fastify.js';
export type { FastifyAdmitOptions, FastifyInstanceLike, FastifyReplyLike, FastifyRequestLike } from './fastify.js';
