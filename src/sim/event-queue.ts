/**
 * The simulator's event list: a binary min-heap kept in typed arrays (struct of arrays), so a run
 * with millions of pending events allocates no object per event and the garbage collector has
 * nothing to trace. Each event is a time (ms), a kind (a small integer the model defines) and two
 * integer arguments (typically a client's row and a generation). Events at the same time pop in the
 * order they were pushed (a sequence number breaks ties), so runs are reproducible bit for bit.
 *
 * Events are pooled: an event's kind and arguments sit in a slot that stays put while the heap
 * moves only (time, sequence, slot) up and down, three arrays instead of five per level; a popped
 * event's slot goes back to a free list.
 */

/** A min-heap of events on typed arrays. */
export class EventQueue {
  // The heap: time, tie-breaking sequence and payload slot of each pending event.
  #time: Float64Array;
  #seq: Float64Array;
  #slot: Int32Array;
  // The pool: kind and arguments by slot, and the stack of free slots.
  #kind: Int32Array;
  #a: Int32Array;
  #b: Int32Array;
  #free: Int32Array;
  #freeTop: number;
  #size = 0;
  #next = 0;
  /** Fields of the event last popped. */
  time = 0;
  kind = 0;
  a = 0;
  b = 0;

  /** @param capacity - initial room, in events (the arrays double when full). */
  constructor(capacity = 1024) {
    const n = Math.max(16, capacity | 0);
    this.#time = new Float64Array(n);
    this.#seq = new Float64Array(n);
    this.#slot = new Int32Array(n);
    this.#kind = new Int32Array(n);
    this.#a = new Int32Array(n);
    this.#b = new Int32Array(n);
    this.#free = new Int32Array(n);
    for (let i = 0; i < n; i++) this.#free[i] = n - 1 - i;
    this.#freeTop = n;
  }

  /** Pending events. */
  get size(): number {
    return this.#size;
  }

  /** Adds an event at `time` (ms). */
  push(time: number, kind: number, a = 0, b = 0): void {
    if (this.#size === this.#time.length) this.#grow();
    const slot = this.#free[--this.#freeTop]!;
    this.#kind[slot] = kind;
    this.#a[slot] = a;
    this.#b[slot] = b;
    const seq = this.#next++;
    // Sift up, moving parents down into the hole.
    let i = this.#size++;
    const times = this.#time;
    const seqs = this.#seq;
    const slots = this.#slot;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && seqs[p]! < seq)) break;
      times[i] = pt;
      seqs[i] = seqs[p]!;
      slots[i] = slots[p]!;
      i = p;
    }
    times[i] = time;
    seqs[i] = seq;
    slots[i] = slot;
  }

  /** Removes the earliest event into `time`, `kind`, `a`, `b`; false when empty. */
  pop(): boolean {
    if (this.#size === 0) return false;
    const times = this.#time;
    const seqs = this.#seq;
    const slots = this.#slot;
    const top = slots[0]!;
    this.time = times[0]!;
    this.kind = this.#kind[top]!;
    this.a = this.#a[top]!;
    this.b = this.#b[top]!;
    this.#free[this.#freeTop++] = top;
    const last = --this.#size;
    if (last === 0) return true;
    const t = times[last]!;
    const s = seqs[last]!;
    const slot = slots[last]!;
    // Sift the last event down from the root.
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      let ct = times[c]!;
      const r = c + 1;
      if (r < last) {
        const rt = times[r]!;
        if (rt < ct || (rt === ct && seqs[r]! < seqs[c]!)) {
          c = r;
          ct = rt;
        }
      }
      if (t < ct || (t === ct && s < seqs[c]!)) break;
      times[i] = ct;
      seqs[i] = seqs[c]!;
      slots[i] = slots[c]!;
      i = c;
    }
    times[i] = t;
    seqs[i] = s;
    slots[i] = slot;
    return true;
  }

  /** The time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#time[0]!;
  }

  /** Drops every pending event. */
  clear(): void {
    const n = this.#time.length;
    for (let i = 0; i < n; i++) this.#free[i] = n - 1 - i;
    this.#freeTop = n;
    this.#size = 0;
  }

  #grow(): void {
    const old = this.#time.length;
    const n = old * 2;
    const grow = <T extends Float64Array | Int32Array>(from: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(from);
      return next;
    };
    this.#time = grow(this.#time, (k) => new Float64Array(k));
    this.#seq = grow(this.#seq, (k) => new Float64Array(k));
    this.#slot = grow(this.#slot, (k) => new Int32Array(k));
    this.#kind = grow(this.#kind, (k) => new Int32Array(k));
    this.#a = grow(this.#a, (k) => new Int32Array(k));
    this.#b = grow(this.#b, (k) => new Int32Array(k));
    // Full means every slot is in use: the new slots old..n-1 are the free ones.
    this.#free = new Int32Array(n);
    for (let i = 0; i < old; i++) this.#free[i] = n - 1 - i;
    this.#freeTop = old;
  }
}
