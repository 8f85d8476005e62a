import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BucketRing, advanceBuckets, emptyBuckets, ringSlot } from './bucket-ring.js';

/** The naive window: every event kept with the bucket it was counted in. */
class Oracle {
  head: number | null = null;
  events: { bucket: number; series: number; amount: number }[] = [];
  constructor(
    readonly buckets: number,
    readonly width: number,
  ) {}
  #move(now: number): number {
    const b = Math.floor(now / this.width);
    if (this.head === null) this.head = Number.isFinite(b) ? b : 0;
    else if (Number.isFinite(b) && b > this.head) this.head = b;
    return this.head;
  }
  add(now: number, series: number, amount: number): void {
    this.events.push({ bucket: this.#move(now), series, amount });
  }
  sum(now: number, series: number): number {
    const head = this.#move(now);
    return this.events
      .filter((e) => e.series === series && e.bucket > head - this.buckets && e.bucket <= head)
      .reduce((a, e) => a + e.amount, 0);
  }
  count(bucket: number, series: number): number {
    if (this.head === null || bucket > this.head || bucket <= this.head - this.buckets) return 0;
    return this.events.filter((e) => e.series === series && e.bucket === bucket).reduce((a, e) => a + e.amount, 0);
  }
}

describe('BucketRing', () => {
  it('counts per bucket and forgets the buckets that left the window', () => {
    const ring = new BucketRing({ buckets: 3, width: 1_000 });
    ring.add(0);
    ring.add(999);
    ring.add(1_000);
    assert.equal(ring.sum(2_999), 3);
    assert.equal(ring.sum(3_000), 1); // bucket 0 left
    assert.equal(ring.count(1), 1);
    assert.equal(ring.sum(10_000), 0);
    assert.deepEqual(ring.toJSON(), { head: 10, counts: [[0, 0, 0]], totals: [0] });
  });

  it('time that goes backwards counts into the newest bucket', () => {
    const ring = new BucketRing({ buckets: 2, width: 10, series: 2 });
    ring.add(50, 0);
    ring.add(5, 1, 2); // back in time
    assert.equal(ring.state.head, 5);
    assert.equal(ring.count(5, 1), 2);
    assert.equal(ring.sum(NaN, 1), 2); // non-finite: no move
    assert.equal(ring.sum(60, 1), 2);
    assert.equal(ring.sum(70, 1), 0);
  });

  it('sumRange and count read without moving the window', () => {
    const ring = new BucketRing({ buckets: 5, width: 1 });
    for (let t = 0; t < 5; t++) ring.add(t, 0, t + 1); // buckets 0..4 hold 1..5
    assert.equal(ring.sumRange(4, 2), 9);
    assert.equal(ring.sumRange(10, 10), 14); // buckets 1..4: (0, 10] clipped to the window
    assert.equal(ring.count(7), 0); // newer than the head
    assert.equal(ring.state.head, 4);
  });

  it('works on a saved state by reference and recomputes its totals', () => {
    const saved = { head: 7, counts: [[1, 2, 3]], totals: [999] };
    const ring = new BucketRing({ buckets: 3, width: 1 }, saved);
    assert.equal(ring.total(), 6);
    ring.add(7);
    assert.deepEqual(saved.counts[0], [1, 3, 3]);
    assert.equal(JSON.stringify(ring), JSON.stringify(saved));
    assert.throws(() => new BucketRing({ buckets: 2, width: 1 }, saved), {
      code: 'FS_ERR_INVALID_ARGUMENT',
      message: 'Expected `state` to be a bucket ring state of 1 series of 2 buckets',
    });
  });

  it('validates its options with exact messages', () => {
    assert.throws(() => new BucketRing({ buckets: 0, width: 1 }), {
      message: 'Expected `buckets` to be a positive integer, got 0',
    });
    assert.throws(() => new BucketRing({ buckets: 1, width: 0 }), {
      message: 'Expected `width` to be a finite number > 0, got 0',
    });
    assert.throws(() => new BucketRing({ buckets: 1, width: 1, size: 3 } as never), {
      message: 'Expected `size` to be a known option, got "size"',
    });
  });

  it('advanceBuckets and ringSlot work on plain state', () => {
    assert.equal(ringSlot(-1, 4), 3);
    assert.equal(ringSlot(9, 4), 1);
    const state = emptyBuckets(4, 1);
    assert.equal(advanceBuckets(state, -3), 1);
    assert.equal(state.head, -3);
  });

  it('property: agrees with a naive list of events', () => {
    const op = fc.record({
      dt: fc.oneof(fc.integer({ min: -50, max: 400 }), fc.constant(NaN)),
      kind: fc.constantFrom('add', 'sum', 'count', 'hydrate'),
      series: fc.integer({ min: 0, max: 1 }),
      amount: fc.integer({ min: 1, max: 5 }),
      back: fc.integer({ min: 0, max: 12 }),
    });
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 50 }),
        fc.integer({ min: -1_000, max: 1_000 }),
        fc.array(op, { maxLength: 60 }),
        (buckets, width, start, ops) => {
          let ring = new BucketRing({ buckets, width, series: 2 });
          const oracle = new Oracle(buckets, width);
          let t = start;
          for (const o of ops) {
            const now = Number.isNaN(o.dt) ? NaN : (t += o.dt);
            switch (o.kind) {
              case 'add':
                ring.add(now, o.series, o.amount);
                oracle.add(now, o.series, o.amount);
                break;
              case 'sum':
                assert.equal(ring.sum(now, o.series), oracle.sum(now, o.series));
                break;
              case 'count': {
                const b = (oracle.head ?? 0) - o.back;
                assert.equal(ring.count(b, o.series), oracle.count(b, o.series));
                break;
              }
              case 'hydrate':
                ring = new BucketRing({ buckets, width, series: 2 }, JSON.parse(JSON.stringify(ring)));
                break;
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
