import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { maxFreeReadBuffers, readInto } from './link.js';

/** Drives an `onread` option as Node does: ask for a buffer, fill `n` bytes, call back. */
function reader() {
  const delivered: { data: Buffer; release: () => void }[] = [];
  const opts = readInto((data, release) => delivered.push({ data, release }));
  const gen = opts.buffer as () => Buffer;
  const read = (n: number): Buffer => {
    const buf = gen();
    buf.fill(delivered.length & 0xff, 0, n);
    opts.callback(n, buf);
    return buf;
  };
  return { read, delivered, next: gen };
}

describe('readInto', () => {
  it('serves the next read from a released buffer, and never from one still held', () => {
    const r = reader();
    const a = r.read(40 << 10); // 64 KiB buffer, 40 KiB read: the size holds
    assert.equal(a.length, 64 << 10);
    assert.equal(r.delivered[0]!.data.length, 40 << 10);
    assert.equal(r.delivered[0]!.data.buffer, a.buffer);
    const b = r.read(40 << 10); // a is not released yet: a fresh buffer
    assert.notEqual(b.buffer, a.buffer);
    r.delivered[0]!.release();
    r.delivered[0]!.release(); // twice is once
    const c = r.read(40 << 10);
    assert.equal(c, a);
    assert.notEqual(r.next(), a);
  });

  it('grows while reads fill the buffer and drops the free list of the old size', () => {
    const r = reader();
    const a = r.read(64 << 10); // full: the next reads are 128 KiB
    r.delivered[0]!.release();
    const b = r.read(10 << 10);
    assert.equal(b.length, 128 << 10);
    assert.notEqual(b, a);
  });

  it(`keeps at most ${maxFreeReadBuffers} buffers`, () => {
    const r = reader();
    const bufs = Array.from({ length: maxFreeReadBuffers + 2 }, () => r.read(40 << 10));
    for (const d of r.delivered) d.release();
    const again = new Set(Array.from({ length: maxFreeReadBuffers + 2 }, () => r.next()));
    assert.equal(bufs.filter((b) => again.has(b)).length, maxFreeReadBuffers);
  });
});
