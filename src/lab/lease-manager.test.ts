import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { admission } from '../admit/index.js';
import { isFailsmallError, seededRandom, VirtualClock } from '../core/index.js';
import { fixedLimit } from '../policy/index.js';
import { LeaseManager, lowerBoundMs } from './lease-manager.js';
import { fixedPause, retryAfterJitter, runHosts } from './lease-hosts.js';
import type { AskOutcome } from './lease-hosts.js';

const HOSTS = Array.from({ length: 400 }, (_, i) => `h${i}`);
const WORKERS = 4;
const WORK_MS = 20;
const TIMEOUT_MS = 500;
const BOUND = lowerBoundMs(HOSTS.length, WORK_MS, WORKERS); // 2,000 ms

/** Runs the fleet against `manager` on `clock` until every lease is held or `untilMs` passes. */
async function recover(
  clock: VirtualClock,
  manager: LeaseManager,
  failsmall: boolean,
  untilMs: number,
  at?: { ms: number; then: () => void },
): Promise<number | undefined> {
  const stop = new AbortController();
  const random = seededRandom(7);
  const ask = async (host: string, signal: AbortSignal): Promise<AskOutcome> => {
    try {
      const item = failsmall ? { timeout: TIMEOUT_MS, wave: true, criticality: 'critical' as const } : {};
      const answer = await manager.establish(host, item, signal);
      if (answer.kind === 'held') return { held: true };
      return answer.kind === 'throttled' ? { held: false, retryAfterMs: answer.retryAfterMs } : { held: false };
    } catch (error) {
      const retryAfter = isFailsmallError(error) ? error.details?.['retryAfter'] : undefined;
      return typeof retryAfter === 'number' ? { held: false, retryAfterMs: retryAfter } : { held: false };
    }
  };
  let doneAt: number | undefined;
  const fleet = runHosts({
    hosts: HOSTS,
    ask,
    pacing: failsmall ? retryAfterJitter({ base: 100, cap: 400, random }) : fixedPause(100),
    random,
    clock,
    signal: stop.signal,
    onHeld: () => {
      if (manager.held.size === HOSTS.length) doneAt = clock.now();
    },
  });
  if (at !== undefined) clock.setTimer(at.then, at.ms);
  for (let t = 0; t < untilMs && doneAt === undefined; t += 50) await clock.advance(50);
  stop.abort();
  manager.close();
  await clock.advance(TIMEOUT_MS * 4);
  await fleet;
  return doneAt;
}

describe('LeaseManager', () => {
  it('holds a lease when the work finishes within the timeout, and stores it', async () => {
    const clock = new VirtualClock();
    const stored: string[] = [];
    const manager = new LeaseManager({
      concurrency: 1,
      workMs: 10,
      workTimeoutMs: 25,
      clock,
      store: async (h) => void stored.push(h),
    });
    const answers = [manager.establish('a'), manager.establish('b'), manager.establish('c')];
    await clock.advance(40);
    assert.deepEqual(
      (await Promise.all(answers)).map((a) => a.kind),
      ['held', 'held', 'timed-out'], // c waited 20 ms, finished at 30 > 25: wasted
    );
    assert.deepEqual(stored, ['a', 'b']);
    const s = manager.snapshot();
    assert.equal(s.started, 3);
    assert.equal(s.wasted, 1);
    assert.equal(s.held, 2);
    assert.equal(s.peakQueue, 2);
  });

  it('intervening bounds the queue and drops what waits (restart)', async () => {
    const clock = new VirtualClock();
    const manager = new LeaseManager({ concurrency: 1, workMs: 10, workTimeoutMs: 1_000, clock });
    const first = manager.establish('a');
    const queued = [manager.establish('b'), manager.establish('c')];
    assert.equal(manager.intervene(1), 2);
    const kept = manager.establish('d');
    const throttled = await manager.establish('e');
    assert.equal(throttled.kind, 'throttled');
    await clock.advance(30);
    assert.deepEqual(
      (await Promise.all(queued)).map((a) => a.kind),
      ['restarted', 'restarted'],
    );
    assert.equal((await first).kind, 'held');
    assert.equal((await kept).kind, 'held');
    assert.equal(manager.snapshot().interventions, 1);
  });

  it('rejects bad options with stable codes', () => {
    assert.throws(() => new LeaseManager({ concurrency: 0 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new LeaseManager({ workMs: -1 }), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.throws(() => new LeaseManager().intervene(-1), { code: 'FS_ERR_INVALID_ARGUMENT' });
    assert.equal(lowerBoundMs(2_000, 20, 8), 5_000);
  });

  it('as usually written (FIFO without bound), collapses when every lease timed out at once', async () => {
    const clock = new VirtualClock();
    const manager = new LeaseManager({ concurrency: WORKERS, workMs: WORK_MS, workTimeoutMs: TIMEOUT_MS, clock });
    const done = await recover(clock, manager, false, BOUND * 5);
    assert.equal(done, undefined, 'not every lease within 5x the lower bound');
    const s = manager.snapshot();
    assert.ok(s.held < HOSTS.length / 2, `held ${s.held}`);
    assert.ok(s.wasted > s.held * 3, `wasted ${s.wasted} for ${s.held} held`);
  });

  it('recovers once the operators throttle and restart', async () => {
    const clock = new VirtualClock();
    const manager = new LeaseManager({ concurrency: WORKERS, workMs: WORK_MS, workTimeoutMs: TIMEOUT_MS, clock });
    const at = BOUND * 2;
    const bound = Math.floor(((WORKERS / WORK_MS) * TIMEOUT_MS) / 2);
    const done = await recover(clock, manager, false, BOUND * 6, { ms: at, then: () => manager.intervene(bound) });
    assert.ok(done !== undefined && done > at, `all held after the intervention (${done})`);
  });

  it('behind admit/ (queue-size throttle, CoDel/LIFO, deadline, waves) holds every lease near the lower bound', async () => {
    const clock = new VirtualClock();
    const admit = admission({
      limit: fixedLimit(WORKERS),
      maxQueue: 50,
      waves: { size: 100 },
      clock,
      random: seededRandom(3),
    });
    const manager = new LeaseManager({
      concurrency: WORKERS,
      workMs: WORK_MS,
      workTimeoutMs: TIMEOUT_MS,
      admission: admit,
      clock,
    });
    const done = await recover(clock, manager, true, BOUND * 3);
    assert.ok(done !== undefined, 'every lease held');
    assert.ok(done <= BOUND * 1.5, `within 1.5x the lower bound: ${done} ms vs ${BOUND}`);
    assert.equal(manager.snapshot().wasted, 0);
    assert.ok(manager.snapshot().peakQueue <= 50);
  });
});
