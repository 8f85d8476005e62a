import assert from 'node:assert/strict';
import type net from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { systemClock } from '../../core/clock.js';
import { mathRandom } from '../../core/random.js';
import { until } from '../../test-support/poll.js';
import { Link, maxFreeReadBuffers, readInto } from './link.js';
import { parseToxic } from './toxic.js';

/** Drives an `onread` option as Node does: ask for a buffer, fill `n` bytes, call back. */
function reader(lend = true) {
  const delivered: Buffer[] = [];
  const r = readInto((data) => {
    delivered.push(data);
    return lend;
  });
  const gen = r.onread.buffer as () => Buffer;
  const read = (n: number): Buffer => {
    const buf = gen();
    buf.fill(delivered.length & 0xff, 0, n);
    r.onread.callback(n, buf);
    return buf;
  };
  return { read, delivered, next: gen, release: r.release };
}

describe('readInto', () => {
  it('serves the next read from a released buffer, and never from one still lent', () => {
    const r = reader();
    const a = r.read(40 << 10); // 64 KiB buffer, 40 KiB read: the size holds
    assert.equal(a.length, 64 << 10);
    assert.equal(r.delivered[0]!.length, 40 << 10);
    assert.equal(r.delivered[0]!.buffer, a.buffer);
    const b = r.read(40 << 10); // a is not released yet: a fresh buffer
    assert.notEqual(b.buffer, a.buffer);
    r.release(); // the oldest lent: a
    const c = r.read(40 << 10);
    assert.equal(c, a);
    assert.notEqual(r.next(), a);
  });

  it('releases in read order, and a release with nothing lent does nothing', () => {
    const r = reader();
    const a = r.read(40 << 10);
    const b = r.read(40 << 10);
    r.release();
    r.release();
    r.release();
    const again = new Set([r.next(), r.next()]);
    assert.ok(again.has(a) && again.has(b));
    assert.equal(r.next().length, 64 << 10); // a fresh one: the two were taken, nothing else was free
  });

  it('delivers the buffer itself when a read fills it', () => {
    const r = reader();
    const a = r.read(64 << 10);
    assert.equal(r.delivered[0], a);
  });

  it('never reuses a buffer that deliver kept (queued for a toxic)', () => {
    const r = reader(false);
    const a = r.read(40 << 10);
    r.release(); // nothing lent: no effect
    const bufs = Array.from({ length: 8 }, () => r.read(40 << 10));
    assert.ok(bufs.every((b) => b !== a));
  });

  it('grows while reads fill the buffer and drops the free list of the old size', () => {
    const r = reader();
    const a = r.read(64 << 10); // full: the next reads are 128 KiB
    r.release();
    const b = r.read(10 << 10);
    assert.equal(b.length, 128 << 10);
    assert.notEqual(b, a);
  });

  it('shrinks to 2 KiB for small reads', () => {
    const r = reader();
    for (let i = 0; i < 8; i++) {
      r.read(64);
      r.release();
    }
    assert.equal(r.next().length, 2 << 10);
  });

  it(`keeps at most ${maxFreeReadBuffers} buffers`, () => {
    const r = reader();
    const bufs = Array.from({ length: maxFreeReadBuffers + 2 }, () => r.read(40 << 10));
    for (let i = 0; i < bufs.length; i++) r.release();
    const again = new Set(Array.from({ length: maxFreeReadBuffers + 2 }, () => r.next()));
    assert.equal(bufs.filter((b) => again.has(b)).length, maxFreeReadBuffers);
  });
});

describe('Link', () => {
  /**
   * A link from a reader driven as Node drives `onread` to a destination whose writes complete one
   * at a time on later turns (so the link's writes back up). Each read is `size` bytes of the value
   * `i`; returns what the destination was handed, copied when it took each chunk.
   */
  function slowLink() {
    const written: Buffer[] = [];
    const destination = new Writable({
      highWaterMark: 1 << 20,
      write(chunk: Buffer, _encoding, done) {
        written.push(Buffer.from(chunk));
        setImmediate(done);
      },
    });
    const owner = { clock: systemClock, random: mathRandom, close: () => undefined, reset: () => undefined };
    const r = readInto((data) => link.push(data));
    const link: Link = new Link(
      new PassThrough() as unknown as net.Socket,
      destination as unknown as net.Socket,
      owner,
      [],
      r.release,
    );
    const read = (i: number, size: number): void => {
      const buf = (r.onread.buffer as () => Buffer)();
      buf.fill(i, 0, size);
      r.onread.callback(size, buf);
    };
    return { link, read, written };
  }

  it('with no toxic, a read buffer is reused only once the write of its chunk has flushed', async () => {
    const { read, written } = slowLink();
    for (let i = 0; i < 8; i++) read(i, 1000); // every write after the first waits in the destination
    await until(() => written.length === 8, 'all written');
    written.forEach((chunk, i) => assert.ok(chunk.equals(Buffer.alloc(1000, i)), `chunk ${i} intact`));
  });

  it('a toxic added to a live link takes the next chunks, whose buffers are never reused; removed, the fast path resumes', async () => {
    const { link, read, written } = slowLink();
    read(0, 1000);
    link.setToxics([parseToxic({ name: 'n', type: 'noop' })]);
    for (let i = 1; i < 5; i++) read(i, 1000);
    await until(() => written.length === 5, 'the chain wrote');
    link.setToxics([]);
    for (let i = 5; i < 9; i++) read(i, 1000);
    await until(() => written.length === 9, 'all written');
    written.forEach((chunk, i) => assert.ok(chunk.equals(Buffer.alloc(1000, i)), `chunk ${i} intact`));
  });
});
