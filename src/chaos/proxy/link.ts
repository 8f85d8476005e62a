/**
 * One direction of a proxied connection: reads chunks from `source`, runs them through the toxics of
 * its stream in order, writes them to `destination`. With no toxic a chunk is written at once (the fast
 * path, with the same back-pressure as `pipe`); with toxics chunks pass one at a time through the
 * chain, so order is kept, while `source` keeps being read up to {@link maxQueued} chunks ahead so a
 * latency toxic delays each chunk from the time it was read rather than adding up.
 *
 * Toxics change live: {@link Link.setToxics} interrupts the steps of removed or updated toxics (their
 * held data passes on at once) and starts steps for new ones; a chunk already in the chain finishes on
 * the chain it entered.
 */
import type net from 'node:net';
import type { Clock } from '../../core/clock.js';
import type { Random } from '../../core/random.js';
import type { Toxic } from './toxic.js';
import { type Chunk, createStep, type ToxicStep } from './toxic-steps.js';

/** Chunks read ahead of the chain before the source is paused (64 × ≤ 64 KiB). */
export const maxQueued = 64;

/** Read buffers kept for reuse by one {@link readInto}: two are enough to alternate, four absorb bursts. */
export const maxFreeReadBuffers = 4;

/**
 * The writable high-water mark of both sockets of a connection, in bytes (Node's default is 16 KiB).
 * A read of up to 1 MiB ({@link readInto}) is then written without pausing its source each time
 * (a `readStop` and, at `drain`, a `readStart` system call per read), while a slow reader still holds
 * back the source after at most 1 MiB, plus the chunk in hand, per direction.
 */
export const writeHighWaterMark = 1 << 20;

/** Read buffers for a socket's `onread` option, and the release of the buffers lent to writes. */
export interface ReadBuffers {
  /** The `onread` option of `net.connect`. */
  readonly onread: net.OnReadOpts;
  /**
   * Gives back the oldest buffer still lent (reads whose `deliver` returned `true`, in read order):
   * the next reads may be served from it. Pass it as the callback of the write of each lent chunk
   * (writes to one socket complete in order); one function for every write lets Node count the
   * completions of a tick instead of queuing one callback per write.
   */
  readonly release: () => void;
}

/**
 * Reads whose buffers grow with the stream: 64 KiB to start, doubled up to 1 MiB while reads fill the
 * buffer, halved down to 2 KiB (served from Node's buffer pool) when they use under a quarter. Bulk
 * transfers then cost a fraction of the system calls of Node's fixed 64 KiB reads, and small
 * request/response traffic allocates little.
 *
 * `deliver` gets a view of the bytes read (the buffer itself when the read filled it) and returns
 * whether it lends the buffer: `true` promises one {@link ReadBuffers.release} once nothing refers to
 * the view any more (the write of the no-toxic fast path has flushed it), and the buffer then goes to a
 * small free list the next reads are served from; `false` keeps the view (queued for a toxic), and the
 * buffer is left to the garbage collector. Without the free list every read of a bulk transfer
 * allocated a fresh 1 MiB buffer outside V8's heap: that external memory drove the garbage collector,
 * a fifth of the proxy's busy time in a profile of the bench.
 */
export function readInto(deliver: (data: Buffer) => boolean): ReadBuffers {
  let size = 64 << 10;
  const free: Buffer[] = [];
  const lentOut: Buffer[] = []; // lent to writes, oldest first
  let reading: Buffer | undefined; // the buffer of the read under way (the callback's `buf`)
  return {
    onread: {
      // Node asks for the next buffer right after each callback, before the write's release runs (on
      // the next tick): the reads then alternate between two buffers.
      buffer: () => (reading = free.pop() ?? Buffer.allocUnsafe(size)),
      callback: (n) => {
        const whole = reading!;
        const next = n === size ? Math.min(size * 2, 1 << 20) : n < size >> 2 ? Math.max(size >> 1, 2 << 10) : size;
        if (next !== size) {
          size = next;
          free.length = 0;
        }
        if (deliver(n === whole.length ? whole : Buffer.from(whole.buffer, whole.byteOffset, n))) lentOut.push(whole);
        return true;
      },
    },
    release: () => {
      const whole = lentOut.shift();
      if (whole !== undefined && whole.length === size && free.length < maxFreeReadBuffers) free.push(whole);
    },
  };
}

interface ActiveStep {
  readonly toxic: Toxic;
  readonly step: ToxicStep;
  readonly interrupt: AbortController;
}

/** What a link asks of its connection. */
export interface LinkOwner {
  readonly clock: Clock;
  readonly random: Random;
  /** Closes both sockets gracefully. */
  close(): void;
  /** Resets both sockets. */
  reset(): void;
}

/** One direction of a connection. */
export class Link {
  readonly #source: net.Socket;
  readonly #destination: net.Socket;
  readonly #owner: LinkOwner;
  readonly #closed = new AbortController();
  readonly #states = new Map<string, { transmitted: number }>();
  #steps: readonly ActiveStep[] = [];
  #queue: (Chunk | null)[] = [];
  #pumping = false;
  readonly #release: (() => void) | undefined;
  #drained: Promise<void> | undefined; // what the chain's write waits on while the destination is full
  #wake: (() => void) | undefined;

  /**
   * @param release - the source reads with {@link readInto} and its `deliver` hands each chunk to
   *   {@link Link.push}; this is that reader's {@link ReadBuffers.release}. Without it the link listens
   *   to the source's `data` events.
   */
  constructor(
    source: net.Socket,
    destination: net.Socket,
    owner: LinkOwner,
    toxics: readonly Toxic[],
    release?: () => void,
  ) {
    this.#source = source;
    this.#destination = destination;
    this.#owner = owner;
    this.#release = release;
    this.setToxics(toxics);
    if (release === undefined) source.on('data', (data: Buffer) => void this.push(data));
    source.on('end', () => this.#enqueue(null));
    destination.on('drain', () => {
      this.#onWritable();
      if (this.#queue.length < maxQueued) source.resume();
    });
    destination.once('close', () => this.#onWritable());
  }

  /** Replaces the toxics of this link (in chain order); unchanged toxics keep their step. */
  setToxics(toxics: readonly Toxic[]): void {
    const old = new Map(this.#steps.map((s) => [s.toxic.name, s]));
    const next: ActiveStep[] = [];
    for (const toxic of toxics) {
      const kept = old.get(toxic.name);
      if (kept !== undefined && kept.toxic === toxic) {
        next.push(kept);
        old.delete(toxic.name);
        continue;
      }
      next.push(this.#start(toxic));
    }
    for (const gone of old.values()) this.#stop(gone);
    for (const name of this.#states.keys()) if (!toxics.some((t) => t.name === name)) this.#states.delete(name);
    this.#steps = next;
  }

  /** Stops every step (the connection is closing). */
  dispose(): void {
    this.#closed.abort();
    for (const s of this.#steps) this.#stop(s);
    this.#steps = [];
    this.#queue = [];
  }

  #start(toxic: Toxic): ActiveStep {
    const interrupt = new AbortController();
    let state = this.#states.get(toxic.name);
    if (state === undefined) this.#states.set(toxic.name, (state = { transmitted: 0 }));
    const owner = this.#owner;
    const signal = AbortSignal.any([interrupt.signal, this.#closed.signal]);
    const step = createStep(toxic, {
      clock: owner.clock,
      random: owner.random,
      state,
      close: () => owner.close(),
      reset: () => owner.reset(),
      sleep: (ms) =>
        owner.clock.sleep(ms, signal).then(
          () => true,
          () => false,
        ),
    });
    return { toxic, step, interrupt };
  }

  #stop(active: ActiveStep): void {
    active.interrupt.abort();
    active.step.dispose?.();
  }

  /**
   * Takes a chunk read from the source. With no toxic (and nothing queued) it is written at once, the
   * source paused when the destination's buffer is full (resumed at `drain`), as `pipe` does; returns
   * `true` when the link was given a `release` and calls it once that write has flushed, `false` when
   * it keeps `data` (for its toxics).
   */
  push(data: Buffer): boolean {
    if (this.#steps.length === 0 && !this.#pumping && this.#queue.length === 0) {
      if (!this.#destination.write(data, this.#release)) this.#source.pause();
      return this.#release !== undefined;
    }
    this.#enqueue({ data, at: this.#owner.clock.now() });
    return false;
  }

  #enqueue(chunk: Chunk | null): void {
    if (this.#closed.signal.aborted) return;
    this.#queue.push(chunk);
    if (this.#queue.length >= maxQueued) this.#source.pause();
    if (!this.#pumping) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#queue.length > 0 && !this.#closed.signal.aborted) {
        const chunk = this.#queue.shift()!;
        const steps = this.#steps;
        if (chunk === null) {
          for (const s of steps) if (s.step.end !== undefined) await s.step.end();
          if (!this.#closed.signal.aborted && !this.#destination.destroyed) this.#destination.end();
          continue;
        }
        await this.#run(steps, 0, chunk);
        if (this.#queue.length < maxQueued && !this.#destination.writableNeedDrain) this.#source.resume();
      }
    } finally {
      this.#pumping = false;
    }
  }

  #run(steps: readonly ActiveStep[], i: number, chunk: Chunk): Promise<void> {
    if (this.#closed.signal.aborted) return Promise.resolve();
    if (i === steps.length) return this.#write(chunk.data);
    return steps[i]!.step.data(chunk, (c) => this.#run(steps, i + 1, c));
  }

  /** Writes the last piece of the chain; resolves once the destination takes more (or is gone). */
  #write(data: Buffer): Promise<void> {
    const dest = this.#destination;
    if (dest.destroyed || dest.writableEnded || dest.write(data)) return Promise.resolve();
    return (this.#drained ??= new Promise((resolve) => (this.#wake = resolve)));
  }

  /** The destination drained or closed: the chain's write may go on. */
  #onWritable(): void {
    const wake = this.#wake;
    this.#drained = this.#wake = undefined;
    wake?.();
  }
}
