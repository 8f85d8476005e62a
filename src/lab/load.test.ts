import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isFailsmallError, seededRandom, VirtualClock } from '../core/index.js';
import { runLoad } from './load.js';
import type { GroupFunction, LoadOptions, LoadResult } from './load.js';

/** Runs the load on a virtual clock, advancing it until the run ends. */
async function drive(clock: VirtualClock, options: Omit<LoadOptions, 'clock'>): Promise<LoadResult> {
  let done = false;
  const run = runLoad({ ...options, clock }).finally(() => (done = true));
  for (let i = 0; i < 100_000 && !done; i++) await clock.advance(10);
  return run;
}

const near = (x: number, y: number): boolean => Math.abs(x - y) < 1e-6;

const succeedAfter =
  (clock: VirtualClock, ms: number, attempts = 1): GroupFunction =>
  async (req) => {
    req.attempts += attempts;
    await clock.sleep(ms, req.signal);
  };

describe('runLoad', () => {
  it('issues Poisson arrivals at the rate, the same ones to every group', async () => {
    const clock = new VirtualClock();
    const result = await drive(clock, {
      rate: 100,
      durationMs: 20_000,
      timeoutMs: 1_000,
      random: seededRandom(1),
      readShare: 0.75,
      groups: { a: succeedAfter(clock, 5), b: succeedAfter(clock, 50, 2) },
    });
    assert.ok(Math.abs(result.arrivals - 2_000) < 150, `${result.arrivals} arrivals`);
    const a = result.outcomes.filter((o) => o.group === 'a');
    const b = result.outcomes.filter((o) => o.group === 'b');
    assert.equal(a.length, result.arrivals);
    assert.equal(b.length, result.arrivals);
    assert.ok(a.every((o) => o.ok && o.attempts === 1 && near(o.latencyMs, 5)));
    assert.ok(b.every((o) => o.ok && o.attempts === 2 && near(o.latencyMs, 50)));
    const byIndex = new Map(b.map((o) => [o.index, o]));
    assert.ok(a.every((o) => byIndex.get(o.index)!.startS === o.startS && byIndex.get(o.index)!.kind === o.kind));
    const reads = a.filter((o) => o.kind === 'read').length / a.length;
    assert.ok(Math.abs(reads - 0.75) < 0.05, `${reads} reads`);
    // gaps are exponential: their coefficient of variation is about 1
    const starts = a.map((o) => o.startS).sort((x, y) => x - y);
    const gaps = starts.slice(1).map((s, i) => s - starts[i]!);
    const mean = gaps.reduce((x, y) => x + y, 0) / gaps.length;
    const sd = Math.sqrt(gaps.reduce((x, g) => x + (g - mean) ** 2, 0) / gaps.length);
    assert.ok(Math.abs(sd / mean - 1) < 0.1, `cv ${sd / mean}`);
  });

  it('replays the same arrivals for the same seed', async () => {
    const run = async (seed: number): Promise<string> => {
      const clock = new VirtualClock();
      const r = await drive(clock, {
        rate: 50,
        durationMs: 2_000,
        timeoutMs: 100,
        random: seededRandom(seed),
        groups: { a: succeedAfter(clock, 1) },
      });
      return JSON.stringify(r.outcomes.map((o) => [o.index, o.startS, o.kind]));
    };
    assert.equal(await run(7), await run(7));
    assert.notEqual(await run(7), await run(8));
  });

  it('is open loop: arrivals keep coming while requests hang, and each ends by its deadline', async () => {
    const clock = new VirtualClock();
    let aborted = 0;
    const hang: GroupFunction = (req) =>
      new Promise((_resolve, reject) => {
        req.attempts++;
        req.signal.addEventListener('abort', () => {
          aborted++;
          reject(req.signal.reason as Error);
        });
      });
    const result = await drive(clock, {
      rate: 20,
      durationMs: 5_000,
      timeoutMs: 300,
      random: seededRandom(3),
      groups: { slow: hang },
    });
    assert.ok(result.arrivals > 70, `${result.arrivals}`);
    assert.ok(
      result.outcomes.every((o) => !o.ok && o.error === 'timeout' && near(o.latencyMs, 300) && o.attempts === 1),
    );
    assert.equal(aborted, result.arrivals);
  });

  it('records failures by their code, a thrown function, and the overflow bound', async () => {
    const clock = new VirtualClock();
    const fail: GroupFunction = async (req) => {
      req.attempts += 3;
      throw Object.assign(new Error('nope'), { code: 'ENOTFOUND' });
    };
    const throwsAtOnce: GroupFunction = () => {
      throw new TypeError('sync');
    };
    const stuck: GroupFunction = (req) => clock.sleep(10_000, req.signal);
    const result = await drive(clock, {
      rate: 10,
      durationMs: 1_000,
      maxRequests: 5,
      timeoutMs: 5_000,
      maxInFlight: 2,
      random: seededRandom(5),
      groups: { fail, throwsAtOnce, stuck },
    });
    assert.equal(result.arrivals, 5);
    const of = (g: string) => result.outcomes.filter((o) => o.group === g);
    assert.ok(of('fail').every((o) => o.error === 'ENOTFOUND' && o.attempts === 3));
    assert.ok(of('throwsAtOnce').every((o) => o.error === 'TypeError' && o.attempts === 0));
    assert.equal(of('stuck').filter((o) => o.error === 'overflow').length, 3);
    assert.equal(of('stuck').filter((o) => o.error === 'timeout').length, 2);
  });

  it('stops on its signal and aborts what is outstanding', async () => {
    const clock = new VirtualClock();
    const controller = new AbortController();
    clock.setTimer(() => controller.abort(), 1_000);
    const result = await drive(clock, {
      rate: 10,
      durationMs: 60_000,
      timeoutMs: 30_000,
      random: seededRandom(9),
      signal: controller.signal,
      groups: { a: (req) => clock.sleep(20_000, req.signal) },
    });
    assert.ok(result.arrivals > 0 && result.arrivals < 30);
    assert.ok(result.outcomes.every((o) => o.error === 'aborted'));
    assert.ok(result.elapsedMs < 2_000);
  });

  it('rejects bad options with the option named', async () => {
    const base = { rate: 1, durationMs: 1, timeoutMs: 1, random: seededRandom(1), groups: { a: async () => {} } };
    await assert.rejects(
      runLoad({ ...base, rate: 0 }),
      (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT') && /`rate`/.test(e.message),
    );
    await assert.rejects(runLoad({ ...base, groups: {} }), /`groups`/);
    await assert.rejects(runLoad({ ...base, readShare: 2 }), /`readShare`/);
    await assert.rejects(runLoad({ ...base, groups: { a: 1 as unknown as GroupFunction } }), /`groups.a`/);
  });
});
