import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { drive, settle } from './virtual-time.js';

describe('drive and settle', () => {
  it('runs timers in order until the promise settles, without real time', async () => {
    const clock = new VirtualClock();
    const late = clock.sleep(30_000).then(() => clock.now());
    assert.deepEqual(await drive(clock, late), { ok: true, value: 30_000 });
    assert.equal(
      await settle(
        clock,
        clock.sleep(5).then(() => 'done'),
      ),
      'done',
    );
  });

  it('reports a rejection, and settle rethrows it', async () => {
    const clock = new VirtualClock();
    const failing = clock.sleep(10).then(() => Promise.reject(new Error('boom')));
    const result = await drive(clock, failing);
    assert.equal(result.ok, false);
    await assert.rejects(
      settle(
        clock,
        clock.sleep(1).then(() => Promise.reject(new Error('again'))),
      ),
      /again/,
    );
  });

  it('throws FS_ERR_TESTING_NOT_SETTLED when nothing can settle the promise', async () => {
    const clock = new VirtualClock();
    await assert.rejects(drive(clock, new Promise(() => {}), 5), (error) =>
      isFailsmallError(error, 'FS_ERR_TESTING_NOT_SETTLED'),
    );
  });
});
