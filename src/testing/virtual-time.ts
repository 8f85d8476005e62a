/**
 * Driving a {@link VirtualClock} in tests: run the clock from one due timer to the next until a
 * promise settles, so a test of a retry with 30 s of backoff takes microseconds and never sleeps.
 */
import type { VirtualClock } from '../core/clock.js';
import { FailsmallError } from '../core/errors.js';

/** Code of the error thrown when a driven promise does not settle within the step limit. */
export const NOT_SETTLED = 'FS_ERR_TESTING_NOT_SETTLED';

/** How a promise settled: its value, or the error it rejected with. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs `clock` until `promise` settles, from one due timer to the next (at most `maxSteps` steps,
 * default 10,000), and returns how it settled. Throws `FS_ERR_TESTING_NOT_SETTLED` when it never does
 * (nothing left to run, or the limit reached).
 *
 * @example
 * const clock = new VirtualClock();
 * const result = await drive(clock, retry({ clock, maxAttempts: 3 }).execute(flakyCall));
 * if (!result.ok) console.log(result.error);
 */
export async function drive<T>(clock: VirtualClock, promise: Promise<T>, maxSteps = 10_000): Promise<Settled<T>> {
  let result: Settled<T> | undefined;
  promise.then(
    (value) => (result = { ok: true, value }),
    (error: unknown) => (result = { ok: false, error }),
  );
  for (let i = 0; i < maxSteps && result === undefined; i++) {
    await clock.advance(0);
    const due = clock.nextDue();
    if (result === undefined && due !== undefined) await clock.advance(due - clock.now());
  }
  if (result === undefined)
    throw new FailsmallError(NOT_SETTLED, `the promise did not settle within ${maxSteps} steps of the virtual clock`, {
      details: { maxSteps, now: clock.now(), pending: clock.pending },
    });
  return result;
}

/**
 * Like {@link drive}, but resolves with the value and rejects with the promise's own error.
 *
 * @example
 * const value = await settle(clock, policy.execute(() => Promise.resolve(1))); // → 1
 */
export async function settle<T>(clock: VirtualClock, promise: Promise<T>, maxSteps = 10_000): Promise<T> {
  const result = await drive(clock, promise, maxSteps);
  if (result.ok) return result.value;
  throw result.error;
}
