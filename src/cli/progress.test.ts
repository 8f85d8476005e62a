import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { progressWriter } from './progress.js';

function sink(isTTY: boolean): { write(text: string): void; isTTY: boolean; out: string[] } {
  const out: string[] = [];
  return { isTTY, out, write: (text) => void out.push(text) };
}

describe('progressWriter', () => {
  it('redraws in place on a TTY and clears before an event line', () => {
    const stream = sink(true);
    const progress = progressWriter(stream);
    progress.update('[ 10%]');
    progress.update('[ 20%]');
    progress.line('event');
    assert.deepEqual(stream.out, ['\r\x1b[2K[ 10%]', '\r\x1b[2K[ 20%]', '\r\x1b[2K', 'event\n']);
  });

  it('writes plain lines at most once per interval elsewhere, without escape codes', () => {
    const stream = sink(false);
    let now = 0;
    const progress = progressWriter(stream, { intervalMs: 5_000, now: () => now });
    progress.update('a');
    now = 4_999;
    progress.update('b');
    now = 5_000;
    progress.update('c');
    progress.line('event');
    progress.clear();
    assert.deepEqual(stream.out, ['a\n', 'c\n', 'event\n']);
  });

  it('writes nothing when quiet', () => {
    const stream = sink(true);
    const progress = progressWriter(stream, { quiet: true });
    progress.update('a');
    progress.line('b');
    assert.deepEqual(stream.out, []);
  });
});
