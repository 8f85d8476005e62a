/**
 * Test fixtures of the policy layer. Loaded by tests only (the file name keeps it out of the
 * published package).
 */
import assert from 'node:assert/strict';
import type { VirtualClock } from '../core/clock.js';

/** How a promise settled. */
export type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown };

/**
 * Runs the virtual clock until `promise` settles, from one due timer to the next (at most
 * `maxSteps` steps), and returns how it settled; fails the test when it never does.
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
  assert.ok(result !== undefined, 'the promise did not settle');
  return result;
}
