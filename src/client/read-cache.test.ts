import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import { readCache } from './read-cache.js';

describe('readCache', () => {
  it('serves fresh, then cached within the TTL, then the last known good value with its age while the source fails', async () => {
    const clock = new VirtualClock(0);
    const cache = readCache({ clock, ttl: 1_000, maxStale: 60_000 });
    let calls = 0;
    let fail = false;
    const load = (): Promise<string> => {
      calls++;
      return fail ? Promise.reject(new Error('control API down')) : Promise.resolve(`v${calls}`);
    };
    assert.deepEqual(await cache.get('flags', load), { value: 'v1', source: 'fresh', age: 0 });
    await clock.advance(500);
    assert.deepEqual(await cache.get('flags', load), { value: 'v1', source: 'cache', age: 500 });
    assert.equal(calls, 1);
    fail = true;
    await clock.advance(10_000);
    const stale = await cache.get('flags', load);
    assert.equal(stale.source, 'last-known-good');
    assert.equal(stale.value, 'v1');
    assert.equal(stale.age, 10_500);
    assert.match(String((stale.error as Error).message), /control API down/);
    await clock.advance(60_000); // past maxStale: the error is the answer
    await assert.rejects(cache.get('flags', load), /control API down/);
    await assert.rejects(cache.get('never', load), /control API down/);
    const snapshot = cache.snapshot();
    assert.equal(snapshot.lastKnownGood, 1);
    assert.equal(snapshot.cache, 1);
  });

  it('shares one load between concurrent reads of a key', async () => {
    const cache = readCache({ clock: new VirtualClock(0) });
    let calls = 0;
    const load = async (): Promise<number> => ++calls;
    const [a, b] = await Promise.all([cache.get('k', load), cache.get('k', load)]);
    assert.equal(a.value, 1);
    assert.equal(b.value, 1);
    assert.equal(calls, 1);
  });

  it('persists its values, so a restart in the middle of an outage still has them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'failsmall-read-cache-'));
    const file = join(dir, 'cache.json');
    try {
      const clock = new VirtualClock(1_000);
      const first = readCache({ clock, file });
      await first.get('routing', async () => ({ shards: 4 }));
      await first.flush();
      await clock.advance(5_000);
      const restarted = readCache({ clock, file, ttl: 1_000 }); // the source is down from here on
      assert.equal(restarted.loadProblem, undefined);
      const read = await restarted.get('routing', () => Promise.reject(new Error('down')));
      assert.deepEqual([read.source, read.value, read.age], ['last-known-good', { shards: 4 }, 5_000]);
      writeFileSync(file, '{ not json');
      assert.equal(readCache({ clock, file }).loadProblem, 'the file is not valid JSON');
      writeFileSync(file, JSON.stringify({ format: 'other', version: 1, entries: [] }));
      assert.equal(readCache({ clock, file }).loadProblem, 'the file is not a failsmall read cache of version 1');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports a failed write as a problem, never throws', async () => {
    const cache = readCache({ clock: new VirtualClock(0), file: '/nonexistent-dir/cache.json' });
    const problems: string[] = [];
    cache.events.on((p) => problems.push(`${p.code} ${p.reason}`));
    await cache.get('k', async () => 1);
    await cache.flush();
    assert.deepEqual(problems, ['FS_ERR_READ_CACHE_FILE a write failed (ENOENT)']);
  });

  it('validates its options', () => {
    assert.throws(
      () => readCache({ ttl: -1 }),
      (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && /`ttl`/.test((e as Error).message),
    );
    assert.throws(() => readCache({ tll: 1 } as never), /Unknown option `tll`/);
  });
});
