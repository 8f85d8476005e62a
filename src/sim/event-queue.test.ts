import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EventQueue } from './event-queue.js';

describe('EventQueue', () => {
  it('pops in time order, ties in push order, and grows', () => {
    const q = new EventQueue(16);
    for (let i = 0; i < 100; i++) q.push(100 - (i % 10), i, i, -i);
    const seen: [number, number][] = [];
    while (q.pop()) seen.push([q.time, q.a]);
    assert.equal(seen.length, 100);
    assert.deepEqual(seen.slice(0, 3), [
      [91, 9],
      [91, 19],
      [91, 29],
    ]);
    assert.equal(q.pop(), false);
    assert.equal(q.peekTime(), Infinity);
  });

  it('property: behaves like a stable sort of the pushed events, pops interleaved', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.boolean()), { maxLength: 400 }), (ops) => {
        const q = new EventQueue(16);
        const model: { t: number; id: number }[] = [];
        let id = 0;
        for (const [t, popToo] of ops) {
          q.push(t, 0, id, 0);
          model.push({ t, id: id++ });
          if (popToo) {
            model.sort((x, y) => x.t - y.t || x.id - y.id);
            const want = model.shift()!;
            assert.ok(q.pop());
            assert.deepEqual([q.time, q.a], [want.t, want.id]);
          }
        }
        model.sort((x, y) => x.t - y.t || x.id - y.id);
        for (const want of model) {
          assert.ok(q.pop());
          assert.deepEqual([q.time, q.a], [want.t, want.id]);
        }
        assert.equal(q.size, 0);
      }),
    );
  });
});
