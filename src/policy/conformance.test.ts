// Every policy factory against the shared contract (src/test-support/policy-conformance.ts).
import { registerPolicyConformance } from '../test-support/policy-conformance.js';
import type { ConformingPolicy } from '../test-support/policy-conformance.js';
import { circuitBreaker } from './breaker/breaker.js';
import type { BreakerOptions } from './breaker/breaker.js';
import { pipeline } from './core/pipeline.js';
import { fallback } from './fallback.js';
import type { FallbackOptions } from './fallback.js';
import { hedge } from './hedge/hedge.js';
import { observe } from './observe.js';
import type { ObserveOptions } from './observe.js';
import type { HedgeOptions } from './hedge/hedge.js';
import { bulkhead } from './limit/bulkhead.js';
import type { BulkheadOptions } from './limit/bulkhead.js';
import { fixedLimit } from './limit/limit.js';
import { concurrencyLimiter } from './limit/limiter.js';
import type { ConcurrencyLimiterOptions } from './limit/limiter.js';
import { constantBackoff } from './retry/backoff.js';
import { retry } from './retry/retry.js';
import type { RetryOptions } from './retry/retry.js';
import { adaptiveThrottle } from './throttle/adaptive.js';
import type { AdaptiveThrottleOptions } from './throttle/adaptive.js';
import { cubicRateLimiter } from './throttle/cubic.js';
import type { CubicRateLimiterOptions } from './throttle/cubic.js';
import { timeout } from './timeout/timeout.js';
import type { TimeoutOptions } from './timeout/timeout.js';

const failing = (): Promise<never> => Promise.reject(Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
const overloaded = (): Promise<never> => Promise.reject(Object.assign(new Error('busy'), { statusCode: 503 }));
const throttled = (): Promise<never> =>
  Promise.reject(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
const never = (): Promise<never> => new Promise<never>(() => undefined);
const untilAborted = (signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));

/** Holds the only slot of a one-slot policy, then calls again: the second call is rejected. */
const overfill = (policy: ConformingPolicy): Promise<unknown> => {
  void policy.execute(never);
  return policy.execute(() => 'x');
};

registerPolicyConformance('retry', {
  kind: 'retry',
  factory: (o) => retry(o as RetryOptions),
  base: { backoff: constantBackoff(1) },
  random: true,
  publish: async (policy) => {
    let calls = 0;
    await policy.execute(() => (calls++ === 0 ? failing() : 'ok'));
  },
});

registerPolicyConformance('hedge', {
  kind: 'hedge',
  factory: (o) => hedge(o as HedgeOptions),
  base: { delay: 10 },
  publish: async (policy, clock) => {
    await policy.execute((ctx) => (ctx.attempt === 1 ? clock.sleep(50).then(() => 1) : 2));
  },
});

registerPolicyConformance('fallback', {
  kind: 'fallback',
  factory: (o) => fallback({ value: 'substitute' }, o as FallbackOptions),
  base: { when: (e: unknown) => (e as Error).message === 'replace me' },
  publish: async (policy) => {
    await policy.execute(() => Promise.reject(new Error('replace me')));
  },
});

registerPolicyConformance('observe', {
  kind: 'observe',
  factory: (o) => observe(o as ObserveOptions),
  publish: async (policy) => {
    await policy.execute(() => 'ok');
  },
});

registerPolicyConformance('circuitBreaker', {
  kind: 'breaker',
  factory: (o) => circuitBreaker(o as BreakerOptions),
  base: { strategy: { kind: 'consecutive', failures: 1 } },
  random: true,
  publish: async (policy) => {
    await policy.execute(failing).catch(() => undefined);
  },
  rejection: {
    code: 'FS_ERR_BREAKER_OPEN',
    failure: 'overload',
    neverSent: true,
    provoke: async (policy) => {
      await policy.execute(failing).catch(() => undefined);
      return policy.execute(() => 'x');
    },
  },
});

for (const strategy of ['cooperative', 'aggressive'] as const) {
  registerPolicyConformance(`timeout (${strategy})`, {
    kind: 'timeout',
    factory: (o) => timeout(100, o as TimeoutOptions),
    base: { strategy },
    publish: async (policy) => {
      await policy.execute((ctx) => untilAborted(ctx.signal)).catch(() => undefined);
    },
    rejection: {
      code: 'FS_ERR_TIMEOUT',
      failure: 'timeout',
      neverSent: false, // the call was running: it may have reached the dependency
      provoke: (policy) => policy.execute((ctx) => untilAborted(ctx.signal)),
    },
  });
}

registerPolicyConformance('bulkhead', {
  kind: 'bulkhead',
  factory: (o) => bulkhead(o as BulkheadOptions),
  base: { maxConcurrent: 1 },
  publish: async (policy) => {
    await overfill(policy).catch(() => undefined);
  },
  rejection: { code: 'FS_ERR_BULKHEAD_FULL', failure: 'overload', neverSent: true, provoke: overfill },
});

registerPolicyConformance('concurrencyLimiter', {
  kind: 'limiter',
  factory: (o) => concurrencyLimiter(o as ConcurrencyLimiterOptions),
  base: { limit: fixedLimit(1) },
  publish: async (policy) => {
    await overfill(policy).catch(() => undefined);
  },
  rejection: { code: 'FS_ERR_LIMIT_EXCEEDED', failure: 'overload', neverSent: true, provoke: overfill },
});

/** Overload failures until the throttle rejects one call locally (its random always draws 0). */
const shed = async (policy: ConformingPolicy): Promise<unknown> => {
  for (let i = 0; i < 50; i++) {
    const outcome = await policy.execute(overloaded).then(
      () => undefined,
      (e: unknown) => e,
    );
    if ((outcome as { code?: string } | undefined)?.code === 'FS_ERR_THROTTLED_LOCALLY') return Promise.reject(outcome);
  }
  return 'never rejected';
};

registerPolicyConformance('adaptiveThrottle', {
  kind: 'throttle',
  factory: (o) => adaptiveThrottle(o as AdaptiveThrottleOptions),
  base: { random: { next: () => 0 } },
  random: true,
  publish: async (policy) => {
    await shed(policy).catch(() => undefined);
  },
  rejection: { code: 'FS_ERR_THROTTLED_LOCALLY', failure: 'throttle', neverSent: true, provoke: shed },
});

/** A throttling error engages the limiter; with `maxWait: 0` a call that would wait is rejected. */
const starve = async (policy: ConformingPolicy): Promise<unknown> => {
  await policy.execute(throttled).catch(() => undefined);
  for (let i = 0; i < 50; i++) {
    const outcome = await policy
      .execute(() => 'x')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    if (outcome !== undefined) return Promise.reject(outcome);
  }
  return 'never rejected';
};

registerPolicyConformance('cubicRateLimiter', {
  kind: 'rate-limiter',
  factory: (o) => cubicRateLimiter(o as CubicRateLimiterOptions),
  base: { maxWait: 0 },
  publish: async (policy) => {
    await policy.execute(throttled).catch(() => undefined);
  },
  rejection: { code: 'FS_ERR_RATE_LIMITED', failure: 'throttle', neverSent: true, provoke: starve },
});

registerPolicyConformance('pipeline', {
  kind: 'pipeline',
  factory: () => pipeline(timeout(1_000), retry({ maxAttempts: 1 })),
  options: false,
});
