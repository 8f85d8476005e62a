import assert from 'node:assert/strict';
import diagnostics from 'node:diagnostics_channel';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { FailsmallError, isFailsmallError } from '../core/errors.js';
import { planBody } from '../test-support/plan-body.js';
import { Enactor, type EnactorEvent, type EnactorOptions } from './enactor.js';
import { MemoryDnsProvider } from './memory-provider.js';
import { MemoryPlanStore } from './memory-store.js';
import { readAddresses, readFence } from './plan-body.js';
import { Planner } from './planner.js';
import type { Plan, WeightedAddress } from './types.js';

const TARGET = 'api.example.com/A';
const KEY = { name: 'api.example.com', type: 'A' as const };
const set = (...weights: number[]): WeightedAddress[] =>
  weights.map((weight, i) => ({ address: `10.0.0.${i + 1}`, weight }));

function world(all: Partial<EnactorOptions> & { fault?: (zone: string) => Error | undefined } = {}) {
  const { fault, ...options } = all;
  const clock = new VirtualClock(1_000);
  const store = new MemoryPlanStore();
  const provider = new MemoryDnsProvider({
    zones: [{ name: 'example.com' }],
    ...(fault ? { fault } : {}),
  });
  const planner = new Planner({ store, clock });
  const make = (name: string, extra: Partial<EnactorOptions> = {}) =>
    new Enactor({ name, store, provider, clock, targets: [TARGET], keep: 2, ...options, ...extra });
  const publish = (records: WeightedAddress[], force = false) =>
    planner.publish(planBody(records, { ttl: 30, ...(force ? { force } : {}) }));
  const served = async () => {
    const zone = await provider.readZone('example.com');
    return { addresses: readAddresses(zone.records, KEY), fence: readFence(zone.records, KEY), version: zone.version };
  };
  return { clock, store, provider, planner, make, publish, served };
}

describe('Enactor, safe mode', () => {
  it('applies the newest plan with its fence in one batch, and journals it', async () => {
    const w = world();
    await w.publish(set(10, 20));
    const p2 = await w.publish(set(10, 20, 30));
    const e = w.make('e1');
    const events: EnactorEvent[] = [];
    e.events.on((ev) => events.push(ev));
    assert.deepEqual(await e.runOnce(), [{ target: TARGET, generation: 2, outcome: 'applied', reason: 'ok' }]);
    const served = await w.served();
    assert.equal(served.fence, 2);
    assert.equal(served.version, 2, 'records and fence written in one atomic batch');
    assert.deepEqual(served.addresses, p2.body.records);
    assert.equal((await w.store.getActive(TARGET))?.generation, 2);
    assert.deepEqual(await e.runOnce(), [{ target: TARGET, generation: 0, outcome: 'idle', reason: 'nothing-new' }]);
    const journal = await w.store.readJournal({ target: TARGET });
    assert.deepEqual(
      journal.map((j) => [j.actor, j.decision, j.generation, j.reason]),
      [
        ['planner', 'created', 1, 'planned'],
        ['planner', 'created', 2, 'planned'],
        ['e1', 'applied', 2, 'fenced'],
      ],
    );
    assert.equal(events.length, 1);
    assert.deepEqual(e.snapshot().outcomes, { idle: 1, applied: 1, refused: 0, dropped: 0, failed: 0 });
  });

  it('a lagging enactor drops its plan: superseded in the store, or stale against the fence', async () => {
    const w = world();
    const p1 = (await w.publish(set(10, 20))) as Plan;
    await w.publish(set(10, 30));
    assert.equal((await w.make('e2').runOnce())[0]!.generation, 2);
    const late = w.make('e1');
    assert.deepEqual(await late.apply(p1), { target: TARGET, generation: 1, outcome: 'dropped', reason: 'superseded' });
    // The provider is ahead of the store (another store, a restore from backup): the fence decides.
    const w2 = world();
    const plan = (await w2.publish(set(5))) as Plan;
    await w2.provider.change('example.com', {
      changes: [
        {
          action: 'UPSERT',
          recordSet: { name: '_fence-a-api.example.com', type: 'TXT', ttl: 30, records: [{ value: 'generation=9' }] },
        },
      ],
    });
    assert.equal((await w2.make('e1').apply(plan)).reason, 'stale');
    const journal = await w2.store.readJournal({ decision: 'dropped' });
    assert.deepEqual(journal[0]?.details, { fence: 9 });
  });

  it('refuses an empty plan and a too-large cut, escalates, and applies them when forced', async () => {
    const w = world();
    await w.publish(set(50, 50, 100));
    const e = w.make('e1');
    await e.runOnce();
    const escalations: EnactorEvent[] = [];
    e.events.on((ev) => ev.type === 'escalation' && escalations.push(ev));
    await w.publish([]);
    assert.equal((await e.runOnce())[0]!.reason, 'guard-empty');
    await w.publish([{ address: '10.0.0.1', weight: 1 }]);
    assert.equal((await e.runOnce())[0]!.reason, 'guard-velocity');
    assert.deepEqual(
      escalations.map((x) => x.type === 'escalation' && [x.reason, x.generation, x.share]),
      [
        ['guard-empty', 2, 1],
        ['guard-velocity', 3, 0.75],
      ],
    );
    assert.deepEqual((await w.served()).addresses, set(50, 50, 100), 'still the last good set');
    assert.equal((await w.store.readJournal({ decision: 'escalated' })).length, 2);
    await w.publish([{ address: '10.0.0.1', weight: 1 }], true);
    assert.equal((await e.runOnce())[0]!.outcome, 'applied');
    assert.deepEqual((await w.served()).addresses, [{ address: '10.0.0.1', weight: 1 }]);
    const custom = world({ maxRemovedShare: 0.9 });
    await custom.publish(set(50, 50, 100));
    await custom.make('e').runOnce();
    await custom.publish([{ address: '10.0.0.1', weight: 1 }]);
    assert.equal((await custom.make('e').runOnce())[0]!.outcome, 'applied');
  });

  it('clean-up keeps the active plan, the K before it and the last known-good one', async () => {
    const w = world();
    const e = w.make('e1');
    await w.publish(set(10, 10));
    await e.runOnce(); // 1 applied: known good
    for (let i = 0; i < 6; i++) await w.publish(set(10, 10 + i));
    await e.runOnce(); // 7 applied; 2..6 never were
    const left = (await w.store.listPlans(TARGET)).map((p) => p.generation);
    assert.deepEqual(left, [1, 5, 6, 7]);
    const deleted = await w.store.readJournal({ decision: 'deleted' });
    assert.deepEqual(deleted[0]?.details, { generations: [2, 3, 4], kept: [7, 1] });
  });

  it('retries a version conflict and decides again; journals a failure after maxAttempts', async () => {
    let conflicts = 1;
    const w = world({
      fault: () =>
        conflicts-- > 0
          ? new FailsmallError('FS_ERR_PLAN_VERSION_CONFLICT', 'raced', { details: { currentVersion: 9 } })
          : undefined,
    });
    await w.publish(set(10));
    assert.equal((await w.make('e1').runOnce())[0]!.outcome, 'applied');
    const broken = world({ fault: () => new FailsmallError('FS_ERR_PLAN_PROVIDER', 'down'), maxAttempts: 2 });
    await broken.publish(set(10));
    assert.deepEqual((await broken.make('e1').runOnce())[0], {
      target: TARGET,
      generation: 1,
      outcome: 'failed',
      reason: 'provider-error',
    });
    assert.equal((await broken.store.readJournal({ decision: 'failed' }))[0]?.details?.['attempts' as never], 2);
  });

  it('rolls back to the last known-good plan in one call, as a new generation', async () => {
    const w = world();
    const e = w.make('e1');
    await assert.rejects(e.rollback(TARGET), (err) => isFailsmallError(err, 'FS_ERR_PLAN_NO_KNOWN_GOOD'));
    const good = await w.publish(set(40, 40, 40));
    await e.runOnce();
    await assert.rejects(e.rollback(TARGET), (err) => isFailsmallError(err, 'FS_ERR_PLAN_NO_KNOWN_GOOD'));
    await w.publish(set(40, 41, 42));
    await e.runOnce();
    const result = await e.rollback(TARGET);
    assert.equal(result.outcome, 'applied');
    assert.equal(result.plan.generation, 3);
    assert.deepEqual(result.plan.body.records, good.body.records);
    assert.deepEqual((await w.served()).addresses, good.body.records);
    assert.equal((await w.served()).fence, 3, 'the fence moved forward, never back');
    const rolled = await w.store.readJournal({ decision: 'rolled-back' });
    assert.deepEqual(rolled[0]?.details, { from: 2, to: 1 });
    const explicit = await e.rollback(TARGET, { to: 2 });
    assert.deepEqual(explicit.plan.body.records, set(40, 41, 42));
  });

  it('publishes decisions and escalations on diagnostics channels', async () => {
    const w = world();
    const seen: string[] = [];
    const onDecision = (m: unknown): void => void seen.push(`decision:${(m as { decision: string }).decision}`);
    const onEscalation = (m: unknown): void => void seen.push(`escalation:${(m as { reason: string }).reason}`);
    diagnostics.subscribe('failsmall:plan:decision', onDecision);
    diagnostics.subscribe('failsmall:plan:escalation', onEscalation);
    try {
      await w.publish(set(10, 10));
      await w.make('e1').runOnce();
      await w.publish([]);
      await w.make('e1').runOnce();
    } finally {
      diagnostics.unsubscribe('failsmall:plan:decision', onDecision);
      diagnostics.unsubscribe('failsmall:plan:escalation', onEscalation);
    }
    assert.deepEqual(seen, ['decision:applied', 'decision:refused', 'escalation:guard-empty', 'decision:escalated']);
  });

  it('run() loops on its clock until aborted', async () => {
    const w = world();
    const e = w.make('e1');
    const controller = new AbortController();
    const running = e.run(controller.signal, 1_000);
    await w.publish(set(10));
    await w.clock.advance(1_000);
    assert.equal((await w.served()).fence, 1);
    controller.abort();
    await w.clock.advance(1_000);
    await running;
  });

  it('validates its options', () => {
    const w = world();
    const base = { store: w.store, provider: w.provider, targets: [TARGET] };
    for (const bad of [
      { ...base, name: '' },
      { ...base, name: 'e', mode: 'legacy' }, // the 2025-10-20 enactor lives in the lab
      { ...base, name: 'e', keep: -1 },
      { ...base, name: 'e', maxRemovedShare: 2 },
      { ...base, name: 'e', maxAttempts: 0 },
      { ...base, name: 'e', removal: 'gone' },
      { ...base, name: 'e', targets: 'x' },
    ]) {
      assert.throws(
        () => new Enactor(bad as unknown as EnactorOptions),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});

describe('Enactor, several targets', () => {
  it('enacts each target with its own generations and fence (A and AAAA of one name)', async () => {
    const w = world();
    await w.publish(set(10, 20));
    await w.planner.publish(planBody([{ address: '2001:db8::1', weight: 5 }], { type: 'AAAA', ttl: 30 }));
    await w.publish(set(10, 30));
    const e = w.make('e1', { targets: [TARGET, 'api.example.com/AAAA'] });
    const outcomes = await e.runOnce();
    assert.deepEqual(
      outcomes.map((o) => [o.target, o.generation, o.outcome]),
      [
        [TARGET, 2, 'applied'],
        ['api.example.com/AAAA', 1, 'applied'],
      ],
    );
    const zone = await w.provider.readZone('example.com');
    assert.equal(readFence(zone.records, KEY), 2);
    assert.equal(readFence(zone.records, { name: 'api.example.com', type: 'AAAA' }), 1);
    assert.deepEqual(readAddresses(zone.records, { name: 'api.example.com', type: 'AAAA' }), [
      { address: '2001:db8::1', weight: 5 },
    ]);
  });
});
