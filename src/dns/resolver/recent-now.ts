/**
 * A cheap `now()` for the cache hit path. On some virtual machines a wall-clock read is a system
 * call (about 100-150 ns measured here, more than the whole cached lookup around it), so the hit
 * path reads the system clock at most once per turn of the event loop, plus once every
 * {@link READS_PER_REFRESH} reads within a turn (a long chain of promise continuations never yields
 * a turn). Any other clock (a `VirtualClock` in tests) is read every time.
 *
 * What it changes: an entry may be served for as long after its expiry as the current synchronous
 * run of JavaScript has lasted (the same bound as any cached clock: undici's timers share it).
 */
import { systemClock } from '../../core/clock.js';
import type { Clock } from '../../core/clock.js';

/** Reads within one turn that share a value before the clock is read again. */
export const READS_PER_REFRESH = 32;

let cached = 0;
/** Reads left before the next real read (0: read now). */
let left = 0;
let expiring = false;

function expire(): void {
  expiring = false;
  left = 0;
}

/**
 * `clock.now()`, possibly cached for the system clock (see the module comment), in ms.
 *
 * @example
 * if (recentNow(clock) >= entry.expiresAt) refresh(entry);
 */
export function recentNow(clock: Clock): number {
  if (clock !== systemClock) return clock.now();
  if (left > 0) {
    left--;
    return cached;
  }
  cached = Date.now();
  left = READS_PER_REFRESH - 1;
  if (!expiring) {
    expiring = true;
    setImmediate(expire).unref();
  }
  return cached;
}
