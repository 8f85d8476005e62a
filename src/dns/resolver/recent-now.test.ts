import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock, systemClock } from '../../core/clock.js';
import { READS_PER_REFRESH, recentNow } from './recent-now.js';

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('recentNow', () => {
  it('reads any clock but the system clock every time', async () => {
    const clock = new VirtualClock(1_000);
    assert.equal(recentNow(clock), 1_000);
    await clock.advance(5);
    assert.equal(recentNow(clock), 1_005);
  });

  it('never runs ahead of the system clock, and catches up after a turn of the event loop', async () => {
    await turn();
    const before = Date.now();
    const a = recentNow(systemClock);
    assert.ok(a >= before && a <= Date.now());
    const spin = Date.now() + 5;
    while (Date.now() < spin); // time passes within the turn
    await turn();
    const b = recentNow(systemClock);
    assert.ok(b >= spin, `${b} >= ${spin}`);
  });

  it('reads the clock again after READS_PER_REFRESH reads within one turn', async () => {
    await turn();
    recentNow(systemClock);
    const spin = Date.now() + 3;
    while (Date.now() < spin);
    let last = 0;
    for (let i = 0; i < READS_PER_REFRESH; i++) last = recentNow(systemClock);
    assert.ok(last >= spin, `${last} >= ${spin}`);
  });
});
