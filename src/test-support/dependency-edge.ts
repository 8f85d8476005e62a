/**
 * A dependency edge as a reporter would have stored it, for the tests of the dependency map and its
 * SVG: checkout → dynamodb in us-east-1, 100 healthy calls of about 10 ms.
 */
import type { DependencyEdge } from '../status/model.js';

/** The default edge with `over` applied. */
export const dependencyEdge = (over: Partial<DependencyEdge> = {}): DependencyEdge => ({
  service: 'checkout',
  dependency: 'dynamodb',
  region: 'us-east-1',
  calls: 100,
  errors: 0,
  rejected: 0,
  latencyMsSum: 1_000,
  latencyMsMax: 40,
  latencyBuckets: [0, 0, 0, 50, 45, 5, 0, 0, 0, 0, 0, 0, 0, 0],
  recent: { calls: 10, errors: 0, rejected: 0, at: 1 },
  firstAt: 0,
  lastAt: 1,
  breaker: null,
  guard: null,
  ...over,
});
