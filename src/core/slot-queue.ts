/**
 * Slots plus a queue: at most `slots` holders at once, a bounded queue of waiters in front, and a
 * slot that frees passes straight to a waiter. The bulkhead, the concurrency limiter, the lab's
 * capacity model and admission control are this one mechanism with different options.
 *
 * The queue is a doubly linked list: joining, leaving from either end and leaving from the middle
 * (an aborted waiter) are O(1). Waiters are taken oldest first (`fifo`) or newest first (`lifo`),
 * switchable at any time, which is what adaptive LIFO (CoDel-style admission) needs; a `shouldDrop`
 * hook can turn away a waiter that waited too long or whose deadline passed, when it would be served
 * and on {@link SlotQueue.prune}.
 *
 * Invariant: a waiter waits only while every slot is taken (`queued > 0` implies `active >= slots`).
 */
import { abortReason, systemClock, type Clock } from './clock.js';
import { invalid, knownOptions, nonNegativeInteger, oneOf, positiveInteger, withMethods } from './validate.js';

/** The order in which waiters get a freed slot. */
export type SlotOrder = 'fifo' | 'lifo';

/** What the {@link SlotQueueOptions.shouldDrop} hook sees of a waiter. */
export interface SlotWaiter {
  /** When it joined the queue, in ms of the queue's clock. */
  readonly enqueuedAt: number;
  /** The time by which it must be served, in ms of the queue's clock (Infinity: none). */
  readonly deadline: number;
  /** Its signal, if it gave one. */
  readonly signal: AbortSignal | undefined;
}

/** Options of {@link SlotQueue}. */
export interface SlotQueueOptions {
  /** Holders at once, a positive integer; may be changed later through {@link SlotQueue.slots}. */
  readonly slots: number;
  /** Waiters at most, a non-negative integer or Infinity; default 0 (no queue: a full queue is refused at once). */
  readonly maxQueue?: number;
  /** Which waiter gets a freed slot; default `fifo`. */
  readonly order?: SlotOrder;
  /** The clock for `enqueuedAt` and the `now` handed to `shouldDrop`; default {@link systemClock}. */
  readonly clock?: Clock;
  /**
   * Asked about a waiter when a slot would be handed to it, and by {@link SlotQueue.prune}, with
   * the current time: return `undefined` to keep it, anything else to drop it (its wait rejects with
   * that value; the slot goes to the next waiter). A hook that throws keeps the waiter.
   */
  readonly shouldDrop?: ((waiter: SlotWaiter, now: number) => unknown) | undefined;
}

/** A queued waiter: a list node. */
class Node implements SlotWaiter {
  prev: Node | null = null;
  next: Node | null = null;
  queued = true;
  constructor(
    readonly owner: SlotQueue,
    readonly enqueuedAt: number,
    readonly deadline: number,
    readonly signal: AbortSignal | undefined,
    readonly resolve: () => void,
    readonly reject: (reason: unknown) => void,
  ) {}
}

/**
 * The one `abort` listener a queue holds on a signal, however many of its waiters share that signal
 * (a listener per waiter would pass Node's listener limit, and warn, at 11 waiters on one signal).
 */
class SignalWatch {
  /** Waiters in the queue with this signal. */
  waiters = 0;
  constructor(
    readonly owner: SlotQueue,
    readonly signal: AbortSignal,
  ) {}

  handleEvent(): void {
    this.owner[kAbort](this.signal);
  }
}

const kAbort = Symbol('abort');
const KEYS = new Set(['slots', 'maxQueue', 'order', 'clock', 'shouldDrop']);

/**
 * N slots and a bounded queue of waiters.
 *
 * @example
 * const gate = new SlotQueue({ slots: 4, maxQueue: 16 });
 * if (!gate.tryAcquire()) {
 *   const waiting = gate.wait(signal);
 *   if (waiting === undefined) throw overloaded(); // the queue is full
 *   await waiting; // the slot is ours (rejects with the signal's reason if it aborts first)
 * }
 * try { await work(); } finally { gate.release(); }
 */
export class SlotQueue {
  /** Which waiter gets a freed slot; may be switched at any time. */
  order: SlotOrder;
  readonly #clock: Clock;
  readonly #shouldDrop: ((waiter: SlotWaiter, now: number) => unknown) | undefined;
  #slots: number;
  #maxQueue: number;
  #active = 0;
  #queued = 0;
  #head: Node | null = null; // the oldest waiter
  #tail: Node | null = null; // the newest waiter
  /** One `abort` listener per signal that queued waiters share. */
  readonly #watches = new Map<AbortSignal, SignalWatch>();

  constructor(options: SlotQueueOptions) {
    knownOptions(options, KEYS);
    this.#slots = positiveInteger('slots', options.slots);
    this.#maxQueue = maxQueueOption(options.maxQueue ?? 0);
    this.order = oneOf('order', options.order ?? 'fifo', ['fifo', 'lifo']);
    this.#clock = withMethods<Clock>('clock', options.clock ?? systemClock, ['now'], 'a Clock');
    const drop = options.shouldDrop;
    if (drop !== undefined && typeof drop !== 'function') invalid('shouldDrop', 'a function', drop);
    this.#shouldDrop = drop;
  }

  /** Holders at once. Raising it hands the new slots to waiters at once; lowering it takes effect as holders release. */
  get slots(): number {
    return this.#slots;
  }

  set slots(value: number) {
    positiveInteger('slots', value);
    if (value === this.#slots) return;
    this.#slots = value;
    this.#pump();
  }

  /** Waiters at most. Lowering it does not evict waiters already queued. */
  get maxQueue(): number {
    return this.#maxQueue;
  }

  set maxQueue(value: number) {
    this.#maxQueue = maxQueueOption(value);
  }

  /** Slots held now (may exceed `slots` for a while after `slots` was lowered). */
  get active(): number {
    return this.#active;
  }

  /** Waiters now. */
  get queued(): number {
    return this.#queued;
  }

  /** The oldest waiter, or undefined: its `enqueuedAt` is the queue's sojourn time (CoDel). */
  oldest(): SlotWaiter | undefined {
    return this.#head ?? undefined;
  }

  /** Takes a slot if one is free; never queues. */
  tryAcquire(): boolean {
    if (this.#active >= this.#slots) return false;
    this.#active++;
    return true;
  }

  /**
   * Joins the queue. Returns `undefined` at once when the queue is full (the caller turns the call
   * away with its own error). Otherwise the promise resolves when a slot was handed over (it
   * counts in `active`: release it), or rejects with the signal's reason when `signal` aborts first
   * (the waiter leaves at once; at once when it is already aborted), with `shouldDrop`'s value when
   * the waiter is dropped, or with the reason given to {@link clear}.
   *
   * Call it only after {@link tryAcquire} failed: a free slot is not taken here.
   *
   * @param signal - leaves the queue when it aborts.
   * @param deadline - the time by which it must be served, in ms of the queue's clock, for `shouldDrop`; default Infinity.
   */
  wait(signal?: AbortSignal, deadline = Infinity): Promise<void> | undefined {
    if (this.#queued >= this.#maxQueue) return undefined;
    if (signal?.aborted === true) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const node = new Node(this, this.#clock.now(), deadline, signal, resolve, reject);
      node.prev = this.#tail;
      if (this.#tail === null) this.#head = node;
      else this.#tail.next = node;
      this.#tail = node;
      this.#queued++;
      if (signal !== undefined) this.#watch(signal);
    });
  }

  /** Frees a slot: it passes to the next waiter (by `order`), or back to the pool. A release with no slot held does nothing. */
  release(): void {
    if (this.#active === 0) return;
    this.#active--;
    this.#pump();
  }

  /**
   * Asks `shouldDrop` about every waiter (oldest first) and drops those it names; returns how many
   * it dropped. O(queued). For a periodic sweep of waiters whose deadline passed.
   */
  prune(): number {
    const drop = this.#shouldDrop;
    if (drop === undefined || this.#head === null) return 0;
    const now = this.#clock.now();
    let dropped = 0;
    for (let node: Node | null = this.#head; node !== null;) {
      const next: Node | null = node.next;
      const reason = verdict(drop, node, now);
      if (reason !== undefined) {
        this.#unlink(node);
        node.reject(reason);
        dropped++;
      }
      node = next;
    }
    return dropped;
  }

  /** Rejects every waiter with `reason` and empties the queue; returns how many waited. Slots held stay held. */
  clear(reason: unknown): number {
    let n = 0;
    while (this.#head !== null) {
      const node = this.#head;
      this.#unlink(node);
      node.reject(reason);
      n++;
    }
    return n;
  }

  /**
   * Hands a slot to the next waiter (by `order`, asking `shouldDrop`) now, even when every slot is
   * taken: for a coordinator that owns the slots of several queues and decides itself which queue is
   * served next (admission control keeps one queue per criticality under one limit). The slot counts
   * in `active`: release it as any other. Returns true when a waiter took it, false when the queue
   * emptied (or every remaining waiter was dropped) first.
   */
  grant(): boolean {
    while (this.#head !== null) {
      const node = this.order === 'fifo' ? this.#head : this.#tail!;
      this.#unlink(node);
      const drop = this.#shouldDrop;
      if (drop !== undefined) {
        const reason = verdict(drop, node, this.#clock.now());
        if (reason !== undefined) {
          node.reject(reason);
          continue;
        }
      }
      this.#active++;
      node.resolve();
      return true;
    }
    return false;
  }

  /** Hands free slots to waiters while both exist. */
  #pump(): void {
    while (this.#active < this.#slots && this.grant());
  }

  #unlink(node: Node): void {
    const { prev, next } = node;
    if (prev === null) this.#head = next;
    else prev.next = next;
    if (next === null) this.#tail = prev;
    else next.prev = prev;
    node.prev = node.next = null;
    node.queued = false;
    this.#queued--;
    const signal = node.signal;
    if (signal !== undefined) {
      const watch = this.#watches.get(signal);
      if (watch !== undefined && --watch.waiters === 0) {
        this.#watches.delete(signal);
        signal.removeEventListener('abort', watch);
      }
    }
  }

  /** Counts a waiter with `signal`, listening to it once for all of them. */
  #watch(signal: AbortSignal): void {
    let watch = this.#watches.get(signal);
    if (watch === undefined) {
      watch = new SignalWatch(this, signal);
      this.#watches.set(signal, watch);
      signal.addEventListener('abort', watch);
    }
    watch.waiters++;
  }

  /** @internal `signal` aborted: every waiter with it leaves at once, in the order they joined. */
  [kAbort](signal: AbortSignal): void {
    const reason = abortReason(signal);
    for (let node: Node | null = this.#head; node !== null;) {
      const next: Node | null = node.next;
      if (node.signal === signal) {
        this.#unlink(node);
        node.reject(reason);
      }
      node = next;
    }
  }
}

function verdict(drop: (waiter: SlotWaiter, now: number) => unknown, node: Node, now: number): unknown {
  try {
    return drop(node, now);
  } catch {
    return undefined;
  }
}

function maxQueueOption(value: unknown): number {
  if (value === Infinity) return value;
  return nonNegativeInteger('maxQueue', value);
}
