/**
 * The simulator's event list: a binary min-heap kept in typed arrays (struct of arrays), so a run
 * with millions of pending events allocates no object per event and the garbage collector has
 * nothing to trace. Each event is a time (ms), a kind (a small integer the model defines) and two
 * integer arguments (typically a client's row and a generation). Events at the same time pop in the
 * order they were pushed (a sequence number breaks ties), so runs are reproducible bit for bit.
 */

/** A min-heap of events on typed arrays. */
export class EventQueue {
  #time: Float64Array;
  #seq: Float64Array;
  #kind: Int32Array;
  #a: Int32Array;
  #b: Int32Array;
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
    this.#kind = new Int32Array(n);
    this.#a = new Int32Array(n);
    this.#b = new Int32Array(n);
  }

  /** Pending events. */
  get size(): number {
    return this.#size;
  }

  /** Adds an event at `time` (ms). */
  push(time: number, kind: number, a = 0, b = 0): void {
    if (this.#size === this.#time.length) this.#grow();
    const seq = this.#next++;
    // Sift up, moving parents down into the hole.
    let i = this.#size++;
    const times = this.#time;
    const seqs = this.#seq;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const pt = times[p]!;
      if (pt < time || (pt === time && seqs[p]! < seq)) break;
      this.#move(p, i);
      i = p;
    }
    times[i] = time;
    seqs[i] = seq;
    this.#kind[i] = kind;
    this.#a[i] = a;
    this.#b[i] = b;
  }

  /** Removes the earliest event into `time`, `kind`, `a`, `b`; false when empty. */
  pop(): boolean {
    if (this.#size === 0) return false;
    this.time = this.#time[0]!;
    this.kind = this.#kind[0]!;
    this.a = this.#a[0]!;
    this.b = this.#b[0]!;
    const last = --this.#size;
    if (last === 0) return true;
    const t = this.#time[last]!;
    const s = this.#seq[last]!;
    const k = this.#kind[last]!;
    const a = this.#a[last]!;
    const b = this.#b[last]!;
    // Sift the last event down from the root.
    const times = this.#time;
    const seqs = this.#seq;
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= last) break;
      const r = c + 1;
      if (r < last && (times[r]! < times[c]! || (times[r] === times[c] && seqs[r]! < seqs[c]!))) c = r;
      if (t < times[c]! || (t === times[c] && s < seqs[c]!)) break;
      this.#move(c, i);
      i = c;
    }
    times[i] = t;
    seqs[i] = s;
    this.#kind[i] = k;
    this.#a[i] = a;
    this.#b[i] = b;
    return true;
  }

  /** The time of the earliest event, or Infinity when empty. */
  peekTime(): number {
    return this.#size === 0 ? Infinity : this.#time[0]!;
  }

  /** Drops every pending event. */
  clear(): void {
    this.#size = 0;
  }

  #move(from: number, to: number): void {
    this.#time[to] = this.#time[from]!;
    this.#seq[to] = this.#seq[from]!;
    this.#kind[to] = this.#kind[from]!;
    this.#a[to] = this.#a[from]!;
    this.#b[to] = this.#b[from]!;
  }

  #grow(): void {
    const n = this.#time.length * 2;
    const grow = <T extends Float64Array | Int32Array>(old: T, make: (n: number) => T): T => {
      const next = make(n);
      next.set(old);
      return next;
    };
    this.#time = grow(this.#time, (k) => new Float64Array(k));
    this.#seq = grow(this.#seq, (k) => new Float64Array(k));
    this.#kind = grow(this.#kind, (k) => new Int32Array(k));
    this.#a = grow(this.#a, (k) => new Int32Array(k));
    this.#b = grow(this.#b, (k) => new Int32Array(k));
  }
}
