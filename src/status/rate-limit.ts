/**
 * A fixed-window limit on writes per client: at most `limit` writes in each `windowMs` window of the
 * clock, counted per key (the client address, or the session). Bounded memory: at most `maxKeys`
 * keys are tracked; past it, the oldest window is dropped.
 */
import { positiveInteger, positiveNumber } from '../core/validate.js';
import type { Clock } from '../core/clock.js';

/** Options of {@link WriteRateLimit}. */
export interface WriteRateLimitOptions {
  /** Writes allowed per window and key; default 60. */
  readonly limit?: number;
  /** The window, in milliseconds; default 60 s. */
  readonly windowMs?: number;
  /** Keys tracked at most; default 10,000. */
  readonly maxKeys?: number;
}

/** The verdict on one write. */
export type RateVerdict = { readonly allowed: true } | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * @example
 * const limit = new WriteRateLimit(clock, { limit: 30, windowMs: 60_000 });
 * if (!limit.take(request.ip).allowed) reply.code(429);
 */
export class WriteRateLimit {
  readonly limit: number;
  readonly windowMs: number;
  readonly #maxKeys: number;
  readonly #clock: Clock;
  readonly #windows = new Map<string, { start: number; count: number }>();

  constructor(clock: Clock, options: WriteRateLimitOptions = {}) {
    this.#clock = clock;
    this.limit = positiveInteger('limit', options.limit ?? 60);
    this.windowMs = positiveNumber('windowMs', options.windowMs ?? 60_000);
    this.#maxKeys = positiveInteger('maxKeys', options.maxKeys ?? 10_000);
  }

  /** Counts one write for `key`; refused (with the wait until the window ends) past the limit. */
  take(key: string): RateVerdict {
    const now = this.#clock.now();
    let w = this.#windows.get(key);
    if (w === undefined || now - w.start >= this.windowMs) {
      this.#windows.delete(key);
      if (this.#windows.size >= this.#maxKeys) this.#windows.delete(this.#windows.keys().next().value!);
      w = { start: now, count: 0 };
      this.#windows.set(key, w);
    }
    if (w.count >= this.limit) return { allowed: false, retryAfterMs: w.start + this.windowMs - now };
    w.count++;
    return { allowed: true };
  }
}
