import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { VirtualClock, isFailsmallError } from '../core/index.js';
import type { Address } from './address-order.js';
import { raceAddresses, type RaceOptions } from './happy-eyeballs.js';

const v4 = (address: string): Address => ({ address, family: 4 });
const refused = (address: string): Error =>
  Object.assign(new Error(`connect ECONNREFUSED ${address}`), { code: 'ECONNREFUSED' });

/** A fake attempt per address, settled by hand, that records when it started and whether it was cancelled. */
function fakes(clock: VirtualClock) {
  const started: { address: string; at: number }[] = [];
  const cancelled: string[] = [];
  const pending = new Map<string, { resolve: (v: string) => void; reject: (e: unknown) => void }>();
  const attempt = (a: Address, signal: AbortSignal): Promise<string> =>
    new Promise<string>((resolve, reject) => {
      started.push({ address: a.address, at: clock.now() });
      pending.set(a.address, { resolve, reject });
      signal.addEventListener('abort', () => {
        cancelled.push(a.address);
        reject(signal.reason);
      });
    });
  return { started, cancelled, pending, attempt };
}

/**
 * A race over `addresses` on a fresh virtual clock, each attempt a {@link fakes} one; the attempt
 * delay is 250 ms and the timeout 10 s unless `options` says otherwise.
 */
function fakeRace(addresses: readonly string[], options: Partial<Omit<RaceOptions<string>, 'clock'>> = {}) {
  const clock = new VirtualClock();
  const f = fakes(clock);
  const race = raceAddresses(addresses.map(v4), f.attempt, { clock, attemptDelay: 250, timeout: 10_000, ...options });
  return { clock, f, race };
}

describe('raceAddresses', () => {
  it('moves to the next address at once when one is refused', async () => {
    const { clock, f, race } = fakeRace(['127.0.0.201', '127.0.0.1']);
    await clock.advance(0);
    f.pending.get('127.0.0.201')!.reject(refused('127.0.0.201'));
    await clock.advance(0);
    assert.deepEqual(f.started, [
      { address: '127.0.0.201', at: 0 },
      { address: '127.0.0.1', at: 0 },
    ]);
    f.pending.get('127.0.0.1')!.resolve('socket-1');
    const result = await race;
    assert.equal(result.value, 'socket-1');
    assert.equal(result.address.address, '127.0.0.1');
    assert.deepEqual(
      result.attempts.map((a) => [a.address, a.outcome, a.code]),
      [
        ['127.0.0.201', 'failed', 'ECONNREFUSED'],
        ['127.0.0.1', 'connected', undefined],
      ],
    );
    assert.equal(clock.pending, 0, 'no timer left behind');
  });

  it('starts the next address after the attempt delay while a slow one keeps running; the first to connect wins', async () => {
    const { clock, f, race } = fakeRace(['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    await clock.advance(249);
    assert.equal(f.started.length, 1);
    await clock.advance(1);
    assert.deepEqual(
      f.started.map((s) => [s.address, s.at]),
      [
        ['10.0.0.1', 0],
        ['10.0.0.2', 250],
      ],
    );
    // The slow first attempt still wins if it connects first (Node's autoSelectFamily would have killed it).
    f.pending.get('10.0.0.1')!.resolve('slow-but-alive');
    const result = await race;
    assert.equal(result.value, 'slow-but-alive');
    assert.deepEqual(f.cancelled, ['10.0.0.2']);
    assert.deepEqual(
      result.attempts.map((a) => a.outcome),
      ['connected', 'cancelled'],
    );
    await clock.advance(1_000);
    assert.equal(f.started.length, 2, 'the third address never starts');
  });

  it('disposes of an attempt that succeeds after the race was decided', async () => {
    const clock = new VirtualClock();
    const disposed: string[] = [];
    const late = new Map<string, (v: string) => void>();
    const race = raceAddresses(
      [v4('10.0.0.1'), v4('10.0.0.2')],
      // These attempts ignore their signal, like a socket that connects in the same tick it is cancelled.
      (a) => new Promise<string>((resolve) => late.set(a.address, resolve)),
      { clock, attemptDelay: 100, timeout: Infinity, dispose: (v) => disposed.push(v) },
    );
    await clock.advance(100);
    late.get('10.0.0.2')!('second');
    assert.equal((await race).value, 'second');
    late.get('10.0.0.1')!('first-too-late');
    await clock.advance(0);
    assert.deepEqual(disposed, ['first-too-late']);
  });

  it('tries strictly in turn with an infinite attempt delay', async () => {
    const { clock, f, race } = fakeRace(['10.0.0.1', '10.0.0.2'], { attemptDelay: Infinity, timeout: Infinity });
    await clock.advance(60_000);
    assert.equal(f.started.length, 1);
    f.pending.get('10.0.0.1')!.reject(refused('10.0.0.1'));
    await clock.advance(0);
    f.pending.get('10.0.0.2')!.resolve('ok');
    assert.equal((await race).value, 'ok');
  });

  it('fails with FS_ERR_CLIENT_CONNECT_FAILED, the last error as cause, when every address fails', async () => {
    const clock = new VirtualClock();
    const race = raceAddresses([v4('10.0.0.1'), v4('10.0.0.2')], (a) => Promise.reject(refused(a.address)), {
      clock,
      attemptDelay: 250,
      timeout: 10_000,
      target: 'db.test:80',
    });
    await assert.rejects(race, (e) => {
      assert.ok(isFailsmallError(e, 'FS_ERR_CLIENT_CONNECT_FAILED'));
      assert.equal((e.cause as { code: string }).code, 'ECONNREFUSED');
      assert.equal((e.details!.attempts as unknown[]).length, 2);
      assert.match(e.message, /db\.test:80/);
      return true;
    });
    assert.equal(clock.pending, 0);
  });

  it('times out with FS_ERR_CLIENT_CONNECT_TIMEOUT and an ETIMEDOUT cause, cancelling every attempt', async () => {
    const { clock, f, race } = fakeRace(['10.0.0.1', '10.0.0.2'], { timeout: 1_000 });
    const outcome = assert.rejects(race, (e) => {
      assert.ok(isFailsmallError(e, 'FS_ERR_CLIENT_CONNECT_TIMEOUT'));
      assert.equal((e.cause as { code: string }).code, 'ETIMEDOUT');
      assert.deepEqual(
        (e.details!.attempts as { outcome: string }[]).map((a) => a.outcome),
        ['timeout', 'timeout'],
      );
      return true;
    });
    await clock.advance(1_000);
    await outcome;
    assert.deepEqual(f.cancelled.sort(), ['10.0.0.1', '10.0.0.2']);
    assert.equal(clock.pending, 0);
  });

  it("rejects with the caller's abort reason and cancels the attempts", async () => {
    const controller = new AbortController();
    const { clock, f, race } = fakeRace(['10.0.0.1'], { timeout: 1_000, signal: controller.signal });
    await clock.advance(10);
    controller.abort(new Error('caller gave up'));
    await assert.rejects(race, /caller gave up/);
    assert.deepEqual(f.cancelled, ['10.0.0.1']);
    assert.equal(clock.pending, 0);
    await assert.rejects(
      raceAddresses([v4('10.0.0.1')], f.attempt, { clock, attemptDelay: 0, timeout: 0, signal: AbortSignal.abort() }),
      { name: 'AbortError' },
    );
  });

  it('rejects an empty set with FS_ERR_CLIENT_NO_ADDRESSES, and survives an attempt that throws', async () => {
    const clock = new VirtualClock();
    await assert.rejects(
      raceAddresses([], () => Promise.resolve(1), { clock, attemptDelay: 0, timeout: 0 }),
      (e) => isFailsmallError(e, 'FS_ERR_CLIENT_NO_ADDRESSES'),
    );
    await assert.rejects(
      raceAddresses(
        [v4('10.0.0.1')],
        () => {
          throw new Error('sync throw');
        },
        { clock, attemptDelay: 0, timeout: Infinity },
      ),
      (e) => isFailsmallError(e, 'FS_ERR_CLIENT_CONNECT_FAILED'),
    );
  });

  it('always settles exactly once, with one winner at most, whatever the attempts do', async () => {
    // Each address either connects, fails or hangs after a delay; the race must settle by the timeout,
    // choose the earliest success if any address succeeds before it, and dispose every other success.
    const behaviour = fc.record({
      kind: fc.constantFrom('ok', 'fail', 'hang'),
      after: fc.integer({ min: 0, max: 2_000 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.array(behaviour, { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 600 }),
        async (plan, delay) => {
          const clock = new VirtualClock();
          const disposed: number[] = [];
          const startedAt: number[] = [];
          const addresses = plan.map((_, i) => v4(`10.0.0.${i + 1}`));
          const race = raceAddresses(
            addresses,
            (a) => {
              const i = Number(a.address.split('.')[3]) - 1;
              startedAt[i] = clock.now();
              const b = plan[i]!;
              return new Promise<number>((resolve, reject) => {
                if (b.kind === 'hang') return;
                clock.setTimer(() => (b.kind === 'ok' ? resolve(i) : reject(refused(a.address))), b.after);
              });
            },
            { clock, attemptDelay: delay, timeout: 5_000, dispose: (v) => disposed.push(v) },
          );
          let result: { value: number } | undefined;
          let error: unknown;
          race.then(
            (r) => (result = r),
            (e: unknown) => (error = e),
          );
          await clock.advance(20_000);
          assert.ok((result === undefined) !== (error === undefined), 'settled exactly once');
          if (result !== undefined) {
            assert.equal(plan[result.value]!.kind, 'ok');
            const finish = startedAt[result.value]! + plan[result.value]!.after;
            for (const [i, b] of plan.entries()) {
              if (b.kind === 'ok' && startedAt[i] !== undefined && i !== result.value) {
                assert.ok(startedAt[i]! + b.after >= finish, 'the earliest success wins');
              }
            }
          } else {
            assert.ok(
              isFailsmallError(error, 'FS_ERR_CLIENT_CONNECT_FAILED') ||
                isFailsmallError(error, 'FS_ERR_CLIENT_CONNECT_TIMEOUT'),
            );
          }
          // Every other attempt that connected was handed to dispose (no leaked socket).
          const lateSuccesses = plan
            .map((b, i) => (b.kind === 'ok' && startedAt[i] !== undefined && i !== result?.value ? i : -1))
            .filter((i) => i >= 0);
          assert.deepEqual([...disposed].sort(), lateSuccesses.sort());
        },
      ),
      { numRuns: 150 },
    );
  });
});
