import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aimd } from './aimd.js';

const ok = (inflight: number, rtt = 10, now = 0) => ({ now, rtt, inflight, dropped: false });
const drop = (inflight: number, now = 0) => ({ now, rtt: 10, inflight, dropped: true });

describe('aimd (Netflix AIMDLimit)', () => {
  it('adds 1 per sample while at least half the limit is in use', () => {
    const limit = aimd({ initialLimit: 20 });
    for (let i = 0; i < 5; i++) limit.onSample(ok(limit.limit));
    assert.equal(limit.limit, 25);
    assert.equal(limit.onSample(ok(13)), 26); // 13 · 2 ≥ 25
  });

  it('holds while app-limited (fewer than half the limit in flight)', () => {
    const limit = aimd({ initialLimit: 20 });
    assert.equal(limit.onSample(ok(9)), 20);
    assert.equal(limit.onSample(ok(0)), 20);
  });

  it('multiplies by backoffRatio on a drop, and on a call slower than timeout', () => {
    const limit = aimd({ initialLimit: 25 });
    assert.equal(limit.onSample(drop(1)), 22); // ⌊25 · 0.9⌋
    assert.equal(limit.onSample(ok(22, 5_001)), 19); // slower than 5 s: ⌊22 · 0.9⌋
    assert.equal(limit.onSample(ok(19, 5_000)), 20); // exactly 5 s is in time
    const halving = aimd({ initialLimit: 64, backoffRatio: 0.5, timeout: Infinity });
    assert.equal(halving.onSample(ok(64, 1e9)), 65);
    assert.equal(halving.onSample(drop(1)), 32);
  });

  it('stays within [minLimit, maxLimit]', () => {
    const limit = aimd({ initialLimit: 4, minLimit: 3, maxLimit: 5 });
    for (let i = 0; i < 10; i++) limit.onSample(ok(100));
    assert.equal(limit.limit, 5);
    for (let i = 0; i < 10; i++) limit.onSample(drop(100));
    assert.equal(limit.limit, 3);
    const floor = aimd({ initialLimit: 1 });
    assert.equal(floor.onSample(drop(1)), 1); // never below 1
  });

  it('has Netflix defaults except a floor of 1, and a JSON snapshot', () => {
    const limit = aimd();
    assert.deepEqual(limit.snapshot(), {
      kind: 'aimd',
      limit: 20,
      minLimit: 1,
      maxLimit: 200,
      backoffRatio: 0.9,
      timeout: 5_000,
    });
    assert.equal(aimd({ timeout: Infinity }).snapshot().timeout, null);
  });

  it('validates its options with exact messages', () => {
    const cases: [unknown, string][] = [
      [{ backoffRatio: 0.4 }, 'Expected `backoffRatio` to be a number in [0.5, 1), got 0.4'],
      [{ backoffRatio: 1 }, 'Expected `backoffRatio` to be a number in [0.5, 1), got 1'],
      [{ backoffRatio: '0.9' }, 'Expected `backoffRatio` to be a number in [0.5, 1), got "0.9"'],
      [{ timeout: -1 }, 'Expected `timeout` to be a finite number >= 0, got -1'],
      [{ minLimit: 0 }, 'Expected `minLimit` to be a positive integer, got 0'],
      [{ minLimit: 10, maxLimit: 5 }, 'Expected `maxLimit` to be an integer >= minLimit (10), got 5'],
      ['fast', 'Expected `options` to be an object, got "fast"'],
    ];
    for (const [options, message] of cases) {
      assert.throws(() => aimd(options as never), { code: 'FS_ERR_INVALID_ARGUMENT', message });
    }
  });
});
