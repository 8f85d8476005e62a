import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../../core/clock.js';
import { MemoryDnsProvider } from '../../plan/memory-provider.js';
import { MemoryPlanStore } from '../../plan/memory-store.js';
import { readAddresses, readFence } from '../../plan/plan-body.js';
import { Planner } from '../../plan/planner.js';
import type { WeightedAddress } from '../../plan/types.js';
import { isFailsmallError } from '../../core/errors.js';
import { planBody } from '../../test-support/plan-body.js';
import { LegacyEnactor, type LegacyEnactorOptions } from './legacy-enactor.js';

const TARGET = 'api.example.com/A';
const KEY = { name: 'api.example.com', type: 'A' as const };
const set = (...weights: number[]): WeightedAddress[] =>
  weights.map((weight, i) => ({ address: `10.0.0.${i + 1}`, weight }));

function world(options: Partial<LegacyEnactorOptions> = {}) {
  const clock = new VirtualClock(1_000);
  const store = new MemoryPlanStore();
  const provider = new MemoryDnsProvider({ zones: [{ name: 'example.com' }] });
  const planner = new Planner({ store, clock });
  const make = (name: string, extra: Partial<LegacyEnactorOptions> = {}) =>
    new LegacyEnactor({ name, store, provider, clock, targets: [TARGET], keep: 2, ...options, ...extra });
  const publish = (records: WeightedAddress[]) => planner.publish(planBody(records, { ttl: 30 }));
  const served = async () => {
    const zone = await provider.readZone('example.com');
    return { addresses: readAddresses(zone.records, KEY), fence: readFence(zone.records, KEY) };
  };
  return { store, make, publish, served };
}

describe('LegacyEnactor (2025-10-20)', () => {
  it('overwrites a newer plan with an older one: the freshness check was made once, at pick-up', async () => {
    const w = world();
    await w.publish(set(10, 10));
    let release!: () => void;
    const delayed = new Promise<void>((resolve) => (release = resolve));
    const e1 = w.make('e1', { gate: (label) => (label === 'apply' ? delayed : Promise.resolve()) });
    const e1Done = e1.runOnce(); // picks up 1, checks once, then waits
    await new Promise((resolve) => setImmediate(resolve));
    await w.publish(set(20, 20));
    await w.make('e2').runOnce();
    assert.equal((await w.served()).fence, 2);
    release();
    await e1Done;
    assert.equal((await w.served()).fence, 1, 'the stale plan landed');
  });

  it('clean-up deletes the active plan with its records, then every later plan fails (stuck)', async () => {
    for (const removal of ['noerror', 'nxdomain'] as const) {
      const w = world({ removal, keep: 1 });
      await w.publish(set(10, 10));
      // e1 picks up generation 1 (its one-time check passes) and is then delayed before it applies.
      let release!: () => void;
      const delayed = new Promise<void>((resolve) => (release = resolve));
      const e1 = w.make('e1', { gate: (label) => (label === 'apply' ? delayed : Promise.resolve()) });
      const e1Done = e1.runOnce();
      await new Promise((resolve) => setImmediate(resolve));
      await w.publish(set(20, 20));
      await w.publish(set(30, 30));
      // e2 applies 3; between its clean-up scan and its delete, e1's old plan lands and becomes active;
      // the delete (plans < 3 - 1) takes the active plan 1 and its records with it.
      const e2 = w.make('e2', {
        gate: async (label) => {
          if (label === 'delete') {
            release();
            await e1Done;
          }
        },
      });
      await e2.runOnce();
      const served = await w.served();
      assert.equal(served.addresses === undefined || served.addresses.length === 0, true, removal);
      if (removal === 'nxdomain') assert.equal(served.addresses, undefined);
      await w.publish(set(40, 40));
      const outcome = (await w.make('e3').runOnce())[0]!;
      assert.deepEqual([outcome.outcome, outcome.reason], ['failed', 'active-plan-missing']);
      assert.equal((await w.store.readJournal({ decision: 'failed' }))[0]?.reason, 'active-plan-missing');
    }
  });

  it('drops a plan that is not newer than the active one', async () => {
    const w = world();
    await w.publish(set(10));
    await w.make('e1').runOnce();
    assert.equal((await w.make('e2').runOnce())[0]!.reason, 'not-newer');
  });
});

describe('LegacyEnactor options', () => {
  it('validates them', () => {
    const w = world();
    for (const bad of [
      { name: '' },
      { name: 'e', keep: -1 },
      { name: 'e', removal: 'gone' },
      { name: 'e', maxAttempts: 0 },
    ]) {
      assert.throws(
        () => w.make('x', bad as unknown as Partial<LegacyEnactorOptions>),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
  });
});
