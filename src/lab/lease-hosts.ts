/**
 * The hosts of the lease link: each host whose lease timed out asks the lease manager to re-establish
 * it, and asks again until its lease is held (or the link stops). What differs between the groups is
 * the pause between two asks ({@link HostPacing}); the retries inside one ask are the client's (the
 * AWS SDK's standard strategy, or failsmall's), see lease-client.ts.
 *
 * - {@link fixedPause}: the agent as usually written: ask again after a fixed pause.
 * - {@link retryAfterJitter}: failsmall's agent: full-jitter backoff (failsmall's `fullJitter`),
 *   never sooner than the server's retry-after hint.
 *
 * Pure apart from the injected clock: tests run a fleet on a `VirtualClock`.
 */
import { setMaxListeners } from 'node:events';
import { systemClock, validate } from '../core/index.js';
import type { Clock, Random } from '../core/index.js';
import { fullJitter } from '../policy/retry/backoff.js';

/** What one ask came to, as the host sees it. */
export type AskOutcome = { readonly held: true } | { readonly held: false; readonly retryAfterMs?: number };

/** The pause before a host asks again, in ms, after its `refusals`-th refusal (1 for the first). */
export type HostPacing = (outcome: AskOutcome, refusals: number) => number;

/** Ask again after a fixed pause, whatever the answer said. */
export function fixedPause(ms: number): HostPacing {
  validate.nonNegativeNumber('ms', ms);
  return () => ms;
}

/**
 * failsmall's pacing: back when the server said (its retry-after hint, plus up to a quarter of it in
 * jitter, at least `floor` ms), else full jitter over `base · 2^(n-1)` capped at `cap` (ms).
 */
export function retryAfterJitter(options: { base: number; cap: number; floor?: number; random: Random }): HostPacing {
  const backoff = fullJitter({ base: options.base, cap: options.cap });
  const floor = options.floor ?? 50;
  return (outcome, refusals) => {
    const hint = outcome.held ? undefined : outcome.retryAfterMs;
    const wait =
      hint === undefined
        ? backoff.next(refusals, 0, options.random)
        : Math.min(options.cap, hint * (1 + 0.25 * options.random.next()));
    return Math.max(floor, wait);
  };
}

/** Options of {@link runHosts}. */
export interface HostFleetOptions {
  readonly hosts: readonly string[];
  /** One ask for `host`'s lease; a rejection counts as a refusal without a hint. */
  readonly ask: (host: string, signal: AbortSignal) => Promise<AskOutcome>;
  readonly pacing: HostPacing;
  /** The hosts' first asks are spread uniformly over this many ms (they all lost their lease at once); default 100. */
  readonly spreadMs?: number;
  readonly random: Random;
  readonly clock?: Clock;
  /** Stops every host (the link's end). */
  readonly signal: AbortSignal;
  /** Called when a host's lease is held. */
  readonly onHeld?: (host: string) => void;
}

/** Counters of a fleet run. */
export interface HostFleetResult {
  /** Asks sent, over all hosts. */
  readonly asks: number;
  /** Hosts whose lease is held. */
  readonly held: number;
}

/**
 * Runs every host until its lease is held or `signal` aborts; resolves when all have stopped.
 *
 * @example
 * await runHosts({ hosts, ask, pacing: fixedPause(1_000), random, signal });
 */
export async function runHosts(options: HostFleetOptions): Promise<HostFleetResult> {
  const clock = options.clock ?? systemClock;
  const spread = validate.nonNegativeNumber('spreadMs', options.spreadMs ?? 100);
  let asks = 0;
  let held = 0;
  // One listener per host on the fleet's signal; each host's own signal is what its sleeps and
  // requests listen to (thousands of listeners on one signal make every add and remove slow).
  setMaxListeners(Infinity, options.signal);
  const host = async (name: string): Promise<void> => {
    const own = new AbortController();
    const { signal } = own;
    const stop = (): void => own.abort();
    options.signal.addEventListener('abort', stop, { once: true });
    try {
      await run(name, signal);
    } finally {
      options.signal.removeEventListener('abort', stop);
    }
  };
  const run = async (name: string, signal: AbortSignal): Promise<void> => {
    if (options.signal.aborted) return;
    await clock.sleep(options.random.next() * spread, signal);
    for (let refusals = 1; !signal.aborted; refusals++) {
      asks++;
      const outcome: AskOutcome = await options.ask(name, signal).catch(() => ({ held: false }));
      if (outcome.held) {
        held++;
        options.onHeld?.(name);
        return;
      }
      if (signal.aborted) return;
      await clock.sleep(options.pacing(outcome, refusals), signal);
    }
  };
  await Promise.allSettled(options.hosts.map(host));
  return { asks, held };
}
