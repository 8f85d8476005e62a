/**
 * Serve-stale (RFC 8767): when the upstreams fail or are too slow, answer from an expired entry
 * rather than fail. Pure decisions of (entry times, now, config); the resolver runs the timers.
 *
 * The RFC's four timers and the defaults here (its §5 "Example Method" recommendations):
 * - **client response timer** 1.8 s: if no fresh answer arrived by then and a stale one exists,
 *   answer stale and let the query go on in the background to refresh the cache;
 * - **query resolution timer**: the upstream's own timeout (wire client, default 2 s);
 * - **failure recheck timer** 30 s: after a refresh failed, serve stale at once, without asking
 *   upstream again, for this long;
 * - **maximum stale timer** 1 day (the RFC suggests 1 to 3 days; at most 7): never serve data that
 *   expired longer ago than this.
 * A stale answer carries a TTL of 30 s (§4: "a TTL of 30 seconds has been found to be a good
 * balance").
 *
 * @see https://www.rfc-editor.org/rfc/rfc8767
 */
import { duration, nonNegativeNumber } from '../core/validate.js';

/** Options of serve-stale. Durations in milliseconds, the TTL in seconds. */
export interface ServeStaleConfig {
  /** Serve stale at all; default true. */
  readonly enabled: boolean;
  /** The TTL put on a stale answer, in seconds; default 30 (RFC 8767 §4). */
  readonly staleAnswerTtl: number;
  /** How long a caller waits for upstream before a stale answer is given, in ms; default 1,800 (RFC 8767 §5). */
  readonly clientResponseTimer: number;
  /** After a failed refresh, how long to answer stale without asking upstream, in ms; default 30,000 (RFC 8767 §5). */
  readonly failureRecheck: number;
  /** How long past its expiry an entry may still be served, in ms; default 86,400,000 (1 day). */
  readonly maxStale: number;
}

/** The defaults of {@link ServeStaleConfig}. */
export const defaultServeStaleConfig: ServeStaleConfig = {
  enabled: true,
  staleAnswerTtl: 30,
  clientResponseTimer: 1_800,
  failureRecheck: 30_000,
  maxStale: 86_400_000,
};

/**
 * Validates a partial config and fills in defaults.
 *
 * @example
 * serveStaleConfig({ maxStale: 3 * 86_400_000 }); // RFC 8767's upper suggestion: 3 days
 */
export function serveStaleConfig(options: Partial<ServeStaleConfig> = {}): ServeStaleConfig {
  return {
    enabled: options.enabled ?? defaultServeStaleConfig.enabled,
    staleAnswerTtl: nonNegativeNumber(
      'staleAnswerTtl',
      options.staleAnswerTtl ?? defaultServeStaleConfig.staleAnswerTtl,
    ),
    clientResponseTimer: duration(
      'clientResponseTimer',
      options.clientResponseTimer ?? defaultServeStaleConfig.clientResponseTimer,
      true,
    ),
    failureRecheck: duration('failureRecheck', options.failureRecheck ?? defaultServeStaleConfig.failureRecheck),
    maxStale: duration('maxStale', options.maxStale ?? defaultServeStaleConfig.maxStale, true),
  };
}

/**
 * Whether data that expired at `expiresAt` may still be served at `now`.
 *
 * @example
 * withinMaxStale(expiresAt, clock.now(), defaultServeStaleConfig); // true for a day after expiry
 */
export function withinMaxStale(expiresAt: number, now: number, config: ServeStaleConfig): boolean {
  return config.enabled && now - expiresAt <= config.maxStale;
}

/**
 * Whether a refresh failed recently enough (within the failure recheck timer) that a stale answer
 * should be given at once, without asking upstream again.
 *
 * @example
 * inFailureRecheck(failedAt, failedAt + 10_000, defaultServeStaleConfig); // true: do not ask again yet
 */
export function inFailureRecheck(lastFailureAt: number, now: number, config: ServeStaleConfig): boolean {
  return config.enabled && now - lastFailureAt < config.failureRecheck;
}
