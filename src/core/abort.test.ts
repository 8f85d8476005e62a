import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { raceAbort } from './abort.js';
import { deferred } from '../test-support/deferred.js';

/** Collects unhandled rejections while `fn` runs and a few turns after. */
async function unhandledDuring(fn: () => Promise<void>): Promise<unknown[]> {
  const seen: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void seen.push(reason);
  process.on('unhandledRejection', onUnhandled);
  try {
    await fn();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
  return seen;
}

describe('raceAbort', () => {
  it('returns the promise itself without a signal', () => {
    const p = Promise.resolve(1);
    assert.equal(raceAbort(p, undefined), p);
  });

  it('settles with the promise and removes its abort listener', async () => {
    const controller = new AbortController();
    const ok = deferred<string>();
    const waiting = raceAbort(ok.promise, controller.signal);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    ok.resolve('done');
    assert.equal(await waiting, 'done');
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);

    const failing = deferred<string>();
    const boom = new Error('boom');
    const waitingFail = raceAbort(failing.promise, controller.signal);
    failing.reject(boom);
    await assert.rejects(waitingFail, (error) => error === boom);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  it('rejects with the reason as soon as the signal aborts; the late outcome is handled', async () => {
    const unhandled = await unhandledDuring(async () => {
      const controller = new AbortController();
      const work = deferred<string>();
      const waiting = raceAbort(work.promise, controller.signal);
      const reason = new Error('caller gave up');
      controller.abort(reason);
      await assert.rejects(waiting, (error) => error === reason);
      work.reject(new Error('late failure'));
    });
    assert.deepEqual(unhandled, []);
  });

  it('rejects at once when the signal already aborted, and handles the promise', async () => {
    const unhandled = await unhandledDuring(async () => {
      const work = deferred<string>();
      const reason = new Error('already');
      await assert.rejects(raceAbort(work.promise, AbortSignal.abort(reason)), (error) => error === reason);
      work.reject(new Error('late failure'));
    });
    assert.deepEqual(unhandled, []);
  });
});
