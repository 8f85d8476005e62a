import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { runOutageFleet } from './outage.js';

describe('runOutageFleet (the fleet of 2025-10-20)', () => {
  const options = { clients: 5_000, seed: 3 };

  it("the SDK's defaults: nothing succeeds while the record is empty, and every call makes 3 attempts", () => {
    const r = runOutageFleet('sdk', options);
    assert.equal(r.success_during_empty, 0);
    assert.ok(r.load > 2.8 && r.load <= 3, `load ${r.load}`);
    assert.ok(r.success > 0 && r.success < 0.2, 'only calls after the negative cache expired succeed');
  });

  it('failsmall: the last-known-good guard keeps the addresses, so calls succeed at about one attempt each', () => {
    const r = runOutageFleet('failsmall', options);
    assert.equal(r.success_during_empty, 1);
    assert.ok(r.load < 1.2, `load ${r.load}`);
  });

  it('failsmall against a failing server: at most 3 attempts per call (a client calling once an hour stays within its budget floor)', () => {
    const r = runOutageFleet('failsmall', { ...options, serverFailure: 0.9 });
    assert.ok(r.load > 2 && r.load <= 3, `load ${r.load}`);
    assert.ok(r.success < 0.5);
  });

  it('is reproducible from the seed and validates its options', () => {
    const a = runOutageFleet('sdk', { clients: 500, seed: 9 });
    const b = runOutageFleet('sdk', { clients: 500, seed: 9 });
    assert.deepEqual(a.attempts_per_min, b.attempts_per_min);
    assert.throws(() => runOutageFleet('sdk', { clients: 0 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => runOutageFleet('x' as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => runOutageFleet('sdk', { nope: 1 } as never), { code: 'FS_ERR_INVALID_ARGUMENT' });
  });
});
