// Server-side admission control, shedding, back-pressure and slow start. Named exports only; types apart.

// the gate
export * from './admission.js';

// criticality and partitions
export * from './criticality.js';

// pure decisions
export * from './codel.js';
export * from './queue-throttle.js';
export * from './slow-start.js';
export * from './waves.js';
export * from './hysteresis.js';

// overload signals
export * from './event-loop-signal.js';

// deadlines
export * from './deadline.js';

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
export * from './http.js';
export * from './express.js';
export * from './fastify.js';
