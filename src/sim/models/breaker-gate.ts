/**
 * failsmall's breaker state machine (`policy/breaker/state.ts`) as the models drive it, one machine
 * per client and no shell: may an attempt go out, and how did it end. The same two steps as the
 * shell's (`policy/breaker/breaker.ts`), without its timers and events.
 */
import {
  acquire,
  Admit,
  Outcome,
  record,
  type BreakerConfig,
  type BreakerMachine,
} from '../../policy/breaker/state.js';

/**
 * Asks the breaker for an attempt at `now` (ms): true when it may go out, as a call or as a probe
 * (the attempt is then admitted under generation `m.gen`); false when the breaker is open or isolated.
 */
export function admitted(config: BreakerConfig, m: BreakerMachine, now: number): boolean {
  const admission = acquire(config, m, now);
  return admission !== Admit.REJECT_OPEN && admission !== Admit.REJECT_ISOLATED;
}

/**
 * Records how an attempt admitted under generation `gen` ended at `now` (ms): a success when `ok`,
 * else a failure, `durationMs` after it was sent (0 when slow-call detection is off).
 */
export function recordAttempt(
  config: BreakerConfig,
  m: BreakerMachine,
  now: number,
  gen: number,
  ok: boolean,
  durationMs: number,
): void {
  record(config, m, now, gen, ok ? Outcome.SUCCESS : Outcome.FAILURE, durationMs);
}
