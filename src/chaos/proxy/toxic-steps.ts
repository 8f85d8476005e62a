/**
 * What each toxic does to the data of one direction of one connection (a {@link Link}). A step takes
 * one chunk at a time and passes pieces on with `next`; all waiting goes through the injected clock
 * (`ctx.sleep`), so a VirtualClock drives the steps in tests. A sleep ends early (resolving `false`)
 * when the toxic is removed or updated, or the link closes: the data then passes on at once, as
 * Toxiproxy flushes an interrupted toxic rather than dropping what it holds.
 */
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import type { Toxic } from './toxic.js';

/** A chunk of data and the time it was read from the source, in ms on the link's clock. */
export interface Chunk {
  readonly data: Buffer;
  readonly at: number;
}

/** What a step may do besides passing data on. */
export interface StepContext {
  readonly clock: Clock;
  readonly random: Random;
  /** Waits `ms` on the clock; resolves `false` when interrupted first (toxic removed, link closed). */
  sleep(ms: number): Promise<boolean>;
  /** Closes the whole connection gracefully (pending writes flushed, then FIN). */
  close(): void;
  /** Resets both sockets (RST, pending data discarded). */
  reset(): void;
  /** State kept per link and toxic name across updates of the toxic (limit_data's byte count). */
  readonly state: { transmitted: number };
}

/** One toxic acting on one link. */
export interface ToxicStep {
  /** Handles one chunk; resolves once every piece it passes on has been passed on. */
  data(chunk: Chunk, next: (chunk: Chunk) => Promise<void>): Promise<void>;
  /** The source ended; resolves when the end may pass on (default at once). */
  end?(): Promise<void>;
  /** The toxic left the link: cancel timers. */
  dispose?(): void;
}

const pass: ToxicStep = { data: (chunk, next) => next(chunk) };

/**
 * Cuts `[start, end)` into pieces of about `average` bytes (± `variation`): halves, each split point
 * moved by up to ± `variation`, until a piece is within `variation` of the average. Returns the cut
 * offsets including `start` and `end`. Pure given `random`.
 */
export function sliceOffsets(start: number, end: number, average: number, variation: number, random: Random): number[] {
  const cuts = [start];
  // An explicit stack instead of recursion: pieces are emitted left to right.
  const stack: [number, number][] = [[start, end]];
  while (stack.length > 0) {
    const [a, b] = stack.pop()!;
    if (b - a - average <= variation || b - a <= 1 || average <= 0) {
      cuts.push(b);
      continue;
    }
    let mid = a + Math.floor((b - a) / 2);
    if (variation > 0) mid += Math.floor(random.next() * variation * 2) - variation;
    mid = Math.min(b - 1, Math.max(a + 1, mid));
    stack.push([mid, b], [a, mid]);
  }
  return cuts;
}

/**
 * The step of `toxic` on a new link, or a pass-through when the toxicity draw misses (one draw per
 * link, as Toxiproxy draws once per connection and direction).
 */
export function createStep(toxic: Toxic, ctx: StepContext): ToxicStep {
  if (toxic.toxicity < 1 && !(ctx.random.next() < toxic.toxicity)) return pass;
  const a = toxic.attributes;
  switch (toxic.type) {
    case 'latency': {
      const latency = a['latency'] ?? 0;
      const jitter = a['jitter'] ?? 0;
      return {
        async data(chunk, next) {
          const delay = jitter > 0 ? latency + Math.floor(ctx.random.next() * jitter * 2) - jitter : latency;
          const wait = chunk.at + delay - ctx.clock.now();
          if (wait > 0) await ctx.sleep(wait);
          await next(chunk);
        },
      };
    }
    case 'bandwidth': {
      const rate = a['rate'] ?? 0; // bytes per ms
      let debt = 0; // ms of sending owed; negative when a timer overslept
      return {
        async data(chunk, next) {
          if (rate <= 0) return next(chunk);
          let data = chunk.data;
          debt += data.length / rate;
          const piece = rate * 100; // at low rates, send in 100 ms pieces
          while (data.length > piece) {
            if (!(await ctx.sleep(100))) return next({ data, at: chunk.at });
            await next({ data: data.subarray(0, piece), at: chunk.at });
            data = data.subarray(piece);
            debt -= 100;
          }
          const start = ctx.clock.now();
          if (debt > 0) await ctx.sleep(debt);
          debt -= ctx.clock.now() - start;
          await next({ data, at: chunk.at });
        },
      };
    }
    case 'slow_close': {
      const delay = a['delay'] ?? 0;
      return {
        data: (chunk, next) => next(chunk),
        async end() {
          await ctx.sleep(delay);
        },
      };
    }
    case 'timeout': {
      const timeout = a['timeout'] ?? 0;
      const cancel = timeout > 0 ? ctx.clock.setTimer(() => ctx.close(), timeout) : undefined;
      return {
        data: () => Promise.resolve(), // dropped on the floor
        dispose: () => cancel?.(),
      };
    }
    case 'reset_peer': {
      const timeout = a['timeout'] ?? 0;
      let fired = false;
      const fire = async (): Promise<void> => {
        if (fired) return;
        fired = true;
        if (await ctx.sleep(timeout)) ctx.reset();
      };
      return { data: () => fire(), end: () => fire() };
    }
    case 'slicer': {
      const average = a['average_size'] ?? 0;
      const variation = Math.min(a['size_variation'] ?? 0, Math.max(0, average - 1));
      const delayMs = (a['delay'] ?? 0) / 1000; // the attribute is in microseconds
      return {
        async data(chunk, next) {
          const cuts = sliceOffsets(0, chunk.data.length, average, variation, ctx.random);
          let interrupted = false;
          for (let i = 1; i < cuts.length; i++) {
            await next({ data: chunk.data.subarray(cuts[i - 1], cuts[i]), at: chunk.at });
            if (delayMs > 0 && !interrupted && i < cuts.length - 1) interrupted = !(await ctx.sleep(delayMs));
          }
        },
      };
    }
    case 'limit_data': {
      const limit = a['bytes'] ?? 0;
      return {
        async data(chunk, next) {
          const remaining = Math.max(0, limit - ctx.state.transmitted);
          const data = chunk.data.length > remaining ? chunk.data.subarray(0, remaining) : chunk.data;
          if (data.length > 0) {
            ctx.state.transmitted += data.length;
            await next({ data, at: chunk.at });
          }
          if (ctx.state.transmitted >= limit) ctx.close();
        },
      };
    }
    case 'noop':
      return pass;
  }
}
