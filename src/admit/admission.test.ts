import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import fc from 'fast-check';
import { VirtualClock } from '../core/clock.js';
import type { FailsmallError } from '../core/errors.js';
import { isFailsmallError } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { aimd } from '../policy/limit/aimd.js';
import { fixedLimit } from '../policy/limit/limit.js';
import { admission } from './admission.js';
import type { AdmissionOptions, Permit, ShedReason } from './admission.js';
import type { Criticality } from './criticality.js';

/** Tracks a promise's outcome without awaiting it. */
function track<T>(promise: Promise<T>): { value?: T; error?: unknown; settled: boolean } {
  const state: { value?: T; error?: unknown; settled: boolean } = { settled: false };
  promise.then(
    (value) => Object.assign(state, { value, settled: true }),
    (error: unknown) => Object.assign(state, { error, settled: true }),
  );
  return state;
}

const flush = (): Promise<void> => new Promise((r) => setImmediate(r));

function shedReason(error: unknown): ShedReason | undefined {
  return isFailsmallError(error) ? (error.details?.['reason'] as ShedReason) : undefined;
}

function gate(options: AdmissionOptions = {}): { clock: VirtualClock; admit: ReturnType<typeof admission> } {
  const clock = new VirtualClock();
  return { clock, admit: admission({ clock, random: seededRandom(1), ...options }) };
}

describe('admission', () => {
  it('admits up to the limit at once, queues the rest FIFO, hands a released slot to the oldest', async () => {
    const { clock, admit } = gate({ limit: fixedLimit(2) });
    const a = await admit.acquire();
    const b = await admit.acquire();
    const c = track(admit.acquire());
    clock.tick(1);
    const d = track(admit.acquire());
    await flush();
    assert.equal(admit.inflight, 2);
    assert.equal(admit.queued, 2);
    a.release();
    await flush();
    assert.equal(c.settled, true);
    assert.equal(d.settled, false);
    assert.equal((c.value as Permit).waited, 1);
    b.release();
    await flush();
    assert.equal(d.settled, true);
    (c.value as Permit).release();
    (d.value as Permit).release();
    (d.value as Permit).release(); // twice is a no-op
    assert.equal(admit.inflight, 0);
    assert.equal(admit.snapshot().admitted, 4);
    assert.equal(clock.pending, 0);
  });

  it('sheds work older than maxAge before it starts (FS_ERR_ADMIT_SHED, queue-delay)', async () => {
    const { clock, admit } = gate({ limit: fixedLimit(1), maxAge: 50 });
    const held = await admit.acquire();
    const waiting = track(admit.acquire());
    clock.tick(49);
    await flush();
    assert.equal(waiting.settled, false);
    clock.tick(1);
    await flush();
    assert.ok(isFailsmallError(waiting.error, 'FS_ERR_ADMIT_SHED'));
    assert.equal(shedReason(waiting.error), 'queue-delay');
    const details = (waiting.error as FailsmallError).details!;
    assert.equal(details['kind'], 'overload');
    assert.equal(details['neverSent'], true);
    assert.equal(details['doNotRetry'], true);
    assert.ok((details['retryAfter'] as number) >= 10);
    held.release();
  });

  it('a queue that stands for an interval turns LIFO and sheds work older than 5 ms', async () => {
    const { clock, admit } = gate({ limit: fixedLimit(1), maxAge: 1_000, maxQueue: 1_000 });
    const states: boolean[] = [];
    admit.onQueueState.on((e) => states.push(e.standing));
    const held = await admit.acquire();
    // a queue that never drains for 100 ms: one new piece of work every 2 ms
    const waiters: ReturnType<typeof track<Permit>>[] = [];
    for (let t = 0; t < 100; t += 2) {
      waiters.push(track(admit.acquire()));
      clock.tick(2);
    }
    await flush();
    assert.deepEqual(states, [true]);
    assert.equal(admit.snapshot().order, 'lifo');
    // everything older than 5 ms was shed at once; the two youngest still wait
    assert.ok(waiters.slice(0, -2).every((w) => w.settled && shedReason(w.error) === 'queue-delay'));
    assert.equal(admit.queued, 2);
    const fresh = track(admit.acquire());
    held.release();
    await flush();
    assert.ok(fresh.value !== undefined, 'LIFO: the freshest work goes first');
    assert.equal(fresh.value.waited, 0);
    clock.tick(5);
    await flush();
    assert.ok(waiters.slice(-2).every((w) => shedReason(w.error) === 'queue-delay'));
    assert.equal(admit.queued, 0);
    assert.equal(admit.snapshot().order, 'fifo');
    assert.deepEqual(states, [true, false]);
    fresh.value.release();
    assert.equal(clock.pending, 0);
  });

  it('refuses at once when the queue is full, evicting lower criticality first', async () => {
    const { admit } = gate({ limit: fixedLimit(1), maxQueue: 2, throttle: { start: 1 } });
    const held = await admit.acquire();
    const low = track(admit.acquire({ criticality: 'sheddable' }));
    const mid = track(admit.acquire({ criticality: 'critical' }));
    const full = track(admit.acquire({ criticality: 'sheddable' }));
    const high = track(admit.acquire({ criticality: 'critical-plus' }));
    await flush();
    assert.equal(shedReason(full.error), 'queue-full');
    assert.equal(shedReason(low.error), 'evicted');
    assert.equal(mid.settled, false);
    assert.equal(high.settled, false);
    held.release();
    await flush();
    // the most critical goes first
    assert.equal(high.settled, true);
    assert.equal(mid.settled, false);
    (high.value as Permit).release();
    await flush();
    (mid.value as Permit).release();
    assert.equal(admit.snapshot().shed['queue-full'], 1);
  });

  it('throttles by queue size: the acceptance rate falls as the queue grows, sheddable first', async () => {
    const { admit } = gate({ limit: fixedLimit(1), maxQueue: 100, maxAge: Infinity });
    await admit.acquire();
    let accepted = 0;
    let throttled = 0;
    const outcomes: ReturnType<typeof track<Permit>>[] = [];
    for (let i = 0; i < 400; i++) outcomes.push(track(admit.acquire({ criticality: 'critical-plus' })));
    await flush();
    for (const o of outcomes) {
      if (!o.settled) accepted++;
      else if (shedReason(o.error) === 'throttled') throttled++;
    }
    assert.ok(accepted >= 25 && accepted < 100, `accepted ${accepted}`);
    assert.ok(throttled > 0);
    const shed = track(admit.acquire({ criticality: 'sheddable' }));
    await flush();
    assert.equal(shedReason(shed.error), 'throttled'); // sheddable sees a queue four times as long
    assert.ok(isFailsmallError(shed.error, 'FS_ERR_ADMIT_SHED'));
  });

  it('drops work that cannot meet its deadline before starting it (FS_ERR_ADMIT_DEADLINE)', async () => {
    const { clock, admit } = gate({ limit: fixedLimit(1), maxAge: 1_000 });
    const first = await admit.acquire();
    clock.tick(100);
    first.release(); // the service time estimate is now 100 ms
    assert.equal(admit.snapshot().serviceTime, 100);
    const late = track(admit.acquire({ timeout: 50 }));
    await flush();
    assert.ok(isFailsmallError(late.error, 'FS_ERR_ADMIT_DEADLINE'));
    assert.equal((late.error as FailsmallError).details?.['kind'], 'timeout');
    assert.equal((late.error as FailsmallError).details?.['doNotRetry'], true);
    const held = await admit.acquire();
    const queued = track(admit.acquire({ deadline: clock.now() + 150 }));
    clock.tick(60); // 90 ms left < 100 ms of service
    held.release();
    await flush();
    assert.equal(shedReason(queued.error), 'deadline');
    const past = track(admit.acquire({ timeout: 0 }));
    await flush();
    assert.equal(shedReason(past.error), 'deadline');
  });

  it('guarantees each level its share under contention and lends idle capacity', async () => {
    const { admit } = gate({ limit: fixedLimit(10), maxQueue: 1_000, throttle: { start: 1 }, maxAge: Infinity });
    // sheddable alone takes every slot
    const solo: Permit[] = [];
    for (let i = 0; i < 10; i++) solo.push(await admit.acquire({ criticality: 'sheddable' }));
    assert.equal(admit.inflight, 10);
    const waiting: Record<Criticality, ReturnType<typeof track<Permit>>[]> = {
      'critical-plus': [],
      critical: [],
      'sheddable-plus': [],
      sheddable: [],
    };
    for (const level of Object.keys(waiting) as Criticality[]) {
      for (let i = 0; i < 20; i++) waiting[level].push(track(admit.acquire({ criticality: level })));
    }
    for (const p of solo) p.release();
    await flush();
    const partitions = admit.snapshot().partitions;
    assert.equal(partitions['critical-plus'].inflight, 4);
    assert.equal(partitions.critical.inflight, 3);
    assert.equal(partitions['sheddable-plus'].inflight, 2);
    assert.equal(partitions.sheddable.inflight, 1);
  });

  it('sheds the sheddable levels while the overload signal is on, and slow-starts when it clears', async () => {
    const signal = { overloaded: true };
    const { clock, admit } = gate({ limit: fixedLimit(10), signal, slowStart: { window: 1_000 } });
    clock.tick(1_000); // past the initial ramp
    const shed = track(admit.acquire({ criticality: 'sheddable-plus' }));
    const kept = track(admit.acquire({ criticality: 'critical' }));
    await flush();
    assert.equal(shedReason(shed.error), 'overload');
    assert.equal((shed.error as FailsmallError).details?.['doNotRetry'], true);
    assert.ok(kept.value !== undefined);
    assert.equal(admit.snapshot().overloaded, true);
    signal.overloaded = false;
    (kept.value as Permit).release();
    assert.equal(admit.currentLimit, 1); // minWeight 10 % of 10
    clock.tick(500);
    assert.equal(admit.currentLimit, 5);
    clock.tick(500);
    assert.equal(admit.currentLimit, 10);
  });

  it('hands out the slots a slow-start ramp frees to work already queued', async () => {
    const { clock, admit } = gate({ limit: fixedLimit(10), slowStart: { window: 100 }, maxAge: 2_000 });
    const first = await admit.acquire(); // the ramp starts at 10 %: one slot
    const second = track(admit.acquire());
    await flush();
    assert.equal(admit.queued, 1);
    clock.tick(100); // the ramp is over: the queue's next look (CoDel's interval) hands a slot over first
    await flush();
    assert.ok(second.value !== undefined);
    assert.equal(second.value.waited, 100);
    const third = await admit.acquire(); // and a newcomer gets a free one at once
    first.release();
    second.value.release();
    third.release();
    assert.equal(clock.pending, 0);
  });

  it('admits re-establishment work in waves and says when to come back', async () => {
    const { clock, admit } = gate({ limit: fixedLimit(100), waves: { size: 2, interval: 1_000 } });
    const a = await admit.acquire({ wave: true });
    const b = await admit.acquire({ wave: true });
    const c = track(admit.acquire({ wave: true }));
    const other = await admit.acquire(); // not wave work: not bounded by the wave
    await flush();
    assert.equal(shedReason(c.error), 'wave');
    assert.equal((c.error as FailsmallError).details?.['retryAfter'], 1_000);
    assert.equal((c.error as FailsmallError).details?.['doNotRetry'], false);
    a.release();
    b.release();
    other.release();
    clock.tick(1_000);
    const next = await admit.acquire({ wave: true });
    next.release();
    assert.equal(admit.snapshot().waves?.waves, 2);
  });

  it('leaves the queue when the caller aborts', async () => {
    const { admit } = gate({ limit: fixedLimit(1) });
    const held = await admit.acquire();
    const controller = new AbortController();
    const waiting = track(admit.acquire({}, controller.signal));
    await flush();
    assert.equal(admit.queued, 1);
    controller.abort(new Error('gone'));
    await flush();
    assert.equal((waiting.error as Error).message, 'gone');
    assert.equal(admit.queued, 0);
    held.release();
    await assert.rejects(admit.acquire({}, AbortSignal.abort()), { name: 'AbortError' });
  });

  it('feeds the limit: success samples grow AIMD, dropped ones shrink it', async () => {
    const { clock, admit } = gate({ limit: aimd({ initialLimit: 4 }) });
    const permits = await Promise.all([1, 2, 3, 4].map(() => admit.acquire()));
    clock.tick(10);
    permits[3]!.release('success'); // started with 4 in flight: at full use, +1
    assert.equal(admit.limit.limit, 5);
    permits[2]!.release('dropped');
    assert.equal(admit.limit.limit, 4); // ⌊5 × 0.9⌋
    permits[1]!.release('ignore');
    assert.equal(admit.limit.limit, 4);
    permits[0]!.release(); // started with 1 in flight: app-limited, no change
    assert.equal(admit.limit.limit, 4);
    const value = await admit.run(async (permit) => permit.criticality);
    assert.equal(value, 'critical');
  });

  it('rejects bad items and options with stable codes, and keeps working', async () => {
    const { admit } = gate();
    await assert.rejects(admit.acquire({ criticality: 'urgent' }), (e: unknown) =>
      isFailsmallError(e, 'FS_ERR_ADMIT_UNKNOWN_CRITICALITY'),
    );
    await assert.rejects(admit.acquire({ timeout: NaN }), (e: unknown) =>
      isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
    );
    await assert.rejects(admit.acquire(null as never), (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'));
    (await admit.acquire({ criticality: 'SHEDDABLE' })).release();
    const bad: unknown[] = [
      { maxQueue: -1 },
      { maxAge: -5 },
      { limit: {} },
      { shares: { urgent: 0.5 } },
      { criticality: 'urgent' },
      { shedOnSignal: 'x' },
      { noRetry: ['nope'] },
      { signal: 3 },
      { codel: { target: 0 } },
      { slowStart: { window: -1 } },
      { waves: { size: 0 } },
      { clock: {} },
      { name: '' },
      { maxQueu: 5 },
    ];
    for (const options of bad) {
      assert.throws(
        () => admission(options as AdmissionOptions),
        (e: unknown) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
        JSON.stringify(options),
      );
    }
  });

  it('publishes admissions and sheds on failsmall:admit:admission', async () => {
    const events: unknown[] = [];
    const sub = (m: unknown): void => void events.push(m);
    diagnostics.subscribe('failsmall:admit:admission', sub);
    const { admit } = gate({ limit: fixedLimit(1), maxQueue: 0, name: 'api' });
    const held = await admit.acquire();
    await admit.acquire().catch(() => undefined);
    diagnostics.unsubscribe('failsmall:admit:admission', sub);
    held.release();
    assert.equal(events.length, 2);
    assert.deepEqual(events[0], {
      type: 'admit',
      criticality: 'critical',
      queued: false,
      waited: 0,
      now: 0,
      inflight: 1,
      name: 'api',
    });
    assert.deepEqual(
      { ...(events[1] as object), now: 0 },
      {
        type: 'shed',
        reason: 'queue-full',
        criticality: 'critical',
        now: 0,
        inflight: 1,
        queued: 0,
        limit: 1,
        name: 'api',
      },
    );
  });

  it('property: never more running than the limit, never a longer queue than maxQueue, nothing waits past its bound', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.oneof(
            fc.record({ op: fc.constant('acquire' as const), level: fc.integer({ min: 0, max: 3 }) }),
            fc.record({ op: fc.constant('release' as const), index: fc.nat() }),
            fc.record({ op: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 60 }) }),
          ),
          { maxLength: 120 },
        ),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 0, max: 8 }),
        async (ops, limit, maxQueue) => {
          const clock = new VirtualClock();
          const admit = admission({ clock, limit: fixedLimit(limit), maxQueue, maxAge: 40, random: seededRandom(7) });
          const held: Permit[] = [];
          const levels: Criticality[] = ['critical-plus', 'critical', 'sheddable-plus', 'sheddable'];
          const grantsWhileStanding: { at: number; permit: Permit }[] = [];
          for (const step of ops) {
            if (step.op === 'acquire') {
              admit.acquire({ criticality: levels[step.level]! }).then(
                (p) => {
                  held.push(p);
                  if (admit.snapshot().codel.standing) grantsWhileStanding.push({ at: clock.now(), permit: p });
                },
                (e: unknown) => assert.ok(isFailsmallError(e), String(e)),
              );
            } else if (step.op === 'release') {
              if (held.length > 0) held.splice(step.index % held.length, 1)[0]!.release();
            } else clock.tick(step.ms);
            await flush();
            const s = admit.snapshot();
            assert.ok(s.inflight <= limit, `inflight ${s.inflight} > ${limit}`);
            assert.ok(s.queued <= maxQueue, `queued ${s.queued} > ${maxQueue}`);
            assert.equal(s.inflight, held.length);
            if (s.codel.standing) assert.equal(s.order, 'lifo');
          }
          // a standing queue grants only work younger than CoDel's target
          for (const g of grantsWhileStanding) assert.ok(g.permit.waited <= 40);
          // release everything, including what the releases hand slots to
          for (let round = 0; round < 20 && held.length > 0; round++) {
            for (const p of held.splice(0)) p.release();
            await flush();
          }
          clock.tick(1_000);
          await flush();
          assert.equal(admit.queued, 0);
          assert.equal(admit.inflight, 0);
        },
      ),
      { numRuns: 150 },
    );
  });
});
