import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { MemoryBackend } from './backend.js';
import { StatusService } from './service.js';
import { createStatusStore } from './store.js';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function service(clock: VirtualClock): StatusService {
  return new StatusService({ store: createStatusStore(new MemoryBackend()), clock, cacheTtlMs: 2_000 });
}

describe('StatusService document cache', () => {
  it('serves a rendered document for the TTL, as bytes encoded once, with an ETag of those bytes', async () => {
    const clock = new VirtualClock(1_000_000);
    const s = service(clock);
    const doc = await s.document('summary.json');
    assert.equal(doc.body.toString('utf8'), doc.text);
    assert.match(doc.etag, /^"[\w-]+"$/);
    clock.tick(2_000);
    assert.equal(s.cached('summary.json'), doc);
  });

  it('past the TTL serves the previous document while it renders again, up to twice the TTL', async () => {
    const clock = new VirtualClock(1_000_000);
    const s = service(clock);
    const first = await s.document('summary.json');
    clock.tick(2_001);
    assert.equal(s.cached('summary.json'), first, 'stale-while-revalidate: no reader waits');
    assert.equal(s.cached('summary.json'), first, 'while the render is in flight, too');
    await flush();
    const second = s.cached('summary.json');
    assert.ok(second !== undefined && second !== first, 'the new render replaced it');
    clock.tick(4_001);
    assert.equal(s.cached('summary.json'), undefined, 'older than twice the TTL: render before serving');
    assert.notEqual(await s.document('summary.json'), second);
  });

  it('a write empties the cache at once: nothing stale is served after it', async () => {
    const clock = new VirtualClock(1_000_000);
    const s = service(clock);
    await s.document('summary.json');
    await s.putComponent({ id: 'c1', name: 'API', group: 'Checkout' });
    assert.equal(s.cached('summary.json'), undefined);
    const after = await s.document('summary.json');
    assert.match(after.text, /"API"/);
  });
});
