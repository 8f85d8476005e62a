import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { loadAdmit, runLease } from './lease.js';

describe('runLease (the lease manager of 2025-10-20)', () => {
  it('without admission control the FIFO manager collapses: leases stop, almost all work is wasted', () => {
    const r = runLease({ hosts: 5_000, workers: 10, horizonS: 600 });
    assert.equal(r.recovered_s, null);
    assert.ok(r.established < 5_000 * 0.2, `established ${r.established}`);
    assert.ok(r.wasted_share > 0.9, `wasted ${r.wasted_share}`);
    const a = runLease({ hosts: 500, workers: 10, horizonS: 60, seed: 4 });
    const b = runLease({ hosts: 500, workers: 10, horizonS: 60, seed: 4 });
    assert.deepEqual(a.leases_per_min, b.leases_per_min);
    assert.equal(a.events, b.events);
  });

  it("with admit/'s CoDel/LIFO and queue-size throttle every lease comes back, with no wasted work", async (t) => {
    const admit = await loadAdmit();
    if (admit === undefined) {
      t.skip('admit/ is not in this build');
      return;
    }
    const r = runLease({ hosts: 5_000, workers: 10, horizonS: 600 }, admit);
    assert.ok(r.recovered_s !== null && r.recovered_s < 600, `recovered ${r.recovered_s}`);
    assert.equal(r.established, 5_000);
    assert.ok(r.wasted_share < 0.05);
  });

  it('validates its options', () => {
    assert.throws(() => runLease({ hosts: 0 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => runLease({ nope: 1 } as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });
});
