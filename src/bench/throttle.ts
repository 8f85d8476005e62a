/**
 * `npm run bench -- throttle`: the hot-path cost of the adaptive throttle, the CUBIC rate limiter
 * and the concurrency limiter around a call that succeeds at once, next to the bare call, and the
 * cost of their pure state machines alone. No competitor: cockatiel and opossum have none of them.
 */
import { seededRandom } from '../core/random.js';
import { AdaptiveThrottleState, adaptiveThrottle } from '../policy/throttle/adaptive.js';
import { aimd } from '../policy/limit/aimd.js';
import { concurrencyLimiter } from '../policy/limit/limiter.js';
import { CubicRateState, cubicRateLimiter } from '../policy/throttle/cubic.js';
import { gradient2 } from '../policy/limit/gradient2.js';
import { nsPerCall, nsPerSyncCall, printTable } from './harness.js';

const call = async (): Promise<number> => 1;

const bare = await nsPerCall(call);
const throttle = adaptiveThrottle({ random: seededRandom(1) });
const throttled = await nsPerCall(() => throttle.execute(call));
const limiter = cubicRateLimiter();
const rateLimited = await nsPerCall(() => limiter.execute(call));
const aimdLimiter = concurrencyLimiter({ limit: aimd() });
const limited = await nsPerCall(() => aimdLimiter.execute(call));
const g2Limiter = concurrencyLimiter({ limit: gradient2() });
const limitedG2 = await nsPerCall(() => g2Limiter.execute(call));

const random = seededRandom(2);
const throttleState = new AdaptiveThrottleState();
let t = 0;
const throttleStep = nsPerSyncCall(() => {
  t += 0.1;
  if (!throttleState.shouldReject(t, random)) throttleState.recordOutcome(t, true);
});
const cubicState = new CubicRateState({}, 0);
let c = 0;
const cubicStep = nsPerSyncCall(() => {
  c += 0.1;
  cubicState.record(c, false);
});
const aimdLimit = aimd();
let a = 0;
const aimdStep = nsPerSyncCall(() => aimdLimit.onSample({ now: (a += 0.1), rtt: 5, inflight: 10, dropped: false }));

const ns = (v: number): string => `${v.toFixed(0)} ns`;
printTable('Around a call that resolves at once (ns per call, median of 5 rounds)', [
  ['bare async call', ns(bare)],
  ['adaptiveThrottle (healthy)', `${ns(throttled)}  (+${ns(throttled - bare)})`],
  ['cubicRateLimiter (not engaged)', `${ns(rateLimited)}  (+${ns(rateLimited - bare)})`],
  ['concurrencyLimiter(aimd)', `${ns(limited)}  (+${ns(limited - bare)})`],
  ['concurrencyLimiter(gradient2)', `${ns(limitedG2)}  (+${ns(limitedG2 - bare)})`],
]);
printTable('Pure state machines (ns per step)', [
  ['AdaptiveThrottleState decide + outcome', ns(throttleStep)],
  ['CubicRateState.record', ns(cubicStep)],
  ['aimd.onSample', ns(aimdStep)],
]);
console.log(
  JSON.stringify({
    bench: 'throttle',
    nsPerCall: {
      bare: Math.round(bare),
      adaptiveThrottle: Math.round(throttled),
      cubicRateLimiter: Math.round(rateLimited),
      concurrencyLimitAimd: Math.round(limited),
      concurrencyLimitGradient2: Math.round(limitedG2),
    },
    nsPerStep: {
      adaptiveThrottleState: Math.round(throttleStep),
      cubicRateState: Math.round(cubicStep),
      aimdOnSample: Math.round(aimdStep),
    },
  }),
);
