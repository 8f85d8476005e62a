import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { isFailsmallError } from '../core/errors.js';
import { planBody } from '../test-support/plan-body.js';
import { EnactSteps, retryable, type EnactVariant } from './enact-steps.js';
import { MemoryDnsProvider } from './memory-provider.js';
import { MemoryPlanStore } from './memory-store.js';
import { Planner } from './planner.js';
import type { Plan } from './types.js';

const TARGET = 'api.example.com/A';

async function setUp(maxAttempts = 3) {
  const clock = new VirtualClock(1_000);
  const store = new MemoryPlanStore();
  const provider = new MemoryDnsProvider({ zones: [{ name: 'example.com' }] });
  const labels: string[] = [];
  const steps = new EnactSteps(
    'Test',
    {
      name: 'e1',
      store,
      provider,
      clock,
      targets: [TARGET],
      maxAttempts,
      gate: async (label) => void labels.push(label),
    },
    [],
  );
  const plan = (await new Planner({ store, clock }).publish(
    planBody([{ address: '10.0.0.1', weight: 1 }], { ttl: 30 }),
  )) as Plan;
  return { store, steps, plan, labels };
}

/** A variant whose attempts run `attempt`, counting them. */
function variant(attempt: (n: number) => Promise<Awaited<ReturnType<EnactVariant['attempt']>>>) {
  let n = 0;
  let cleanedUp = 0;
  const v: EnactVariant = {
    attempt: () => attempt(++n),
    failure: (error) => `failed: ${String(error)}`,
    reason: 'test',
    cleanup: async () => void cleanedUp++,
  };
  return { v, attempts: () => n, cleanups: () => cleanedUp };
}

describe('EnactSteps', () => {
  it('retries a retryable failure, then commits the pointer, journals and cleans up', async () => {
    const { store, steps, plan, labels } = await setUp();
    const run = variant(async (n) => {
      if (n < 3) await retryable(Promise.reject(new Error('provider down')));
      return { written: { version: 7 } };
    });
    assert.deepEqual(await steps.enact(plan, run.v), {
      target: TARGET,
      generation: 1,
      outcome: 'applied',
      reason: 'ok',
    });
    assert.equal(run.attempts(), 3);
    assert.equal(run.cleanups(), 1);
    assert.deepEqual(labels, ['apply', 'apply', 'apply', 'commit']);
    assert.equal((await store.getActive(TARGET))?.generation, 1);
    const [entry] = await store.readJournal({ decision: 'applied' });
    assert.deepEqual([entry?.actor, entry?.reason, entry?.details], ['e1', 'test', { version: 7 }]);
  });

  it('gives up after maxAttempts with the variant reason, and lets any other failure through', async () => {
    const { store, steps, plan } = await setUp(2);
    const failing = variant(() => retryable(Promise.reject(new Error('conflict'))));
    const outcome = await steps.enact(plan, failing.v);
    assert.deepEqual([outcome.outcome, outcome.reason], ['failed', 'failed: Error: conflict']);
    assert.equal(failing.attempts(), 2);
    assert.deepEqual((await store.readJournal({ decision: 'failed' }))[0]?.details, {
      attempts: 2,
      error: 'Error: conflict',
    });
    const storeDown = variant(() => Promise.reject(new Error('store down')));
    await assert.rejects(steps.enact(plan, storeDown.v), /store down/);
    assert.equal(storeDown.attempts(), 1, 'not retried');
    assert.equal(failing.cleanups() + storeDown.cleanups(), 0);
  });

  it('picks up a plan once, counts outcomes and refuses unknown options', async () => {
    const { steps, plan } = await setUp();
    const seen: number[] = [];
    const enact = async (p: Plan) => {
      seen.push(p.generation);
      return steps.drop(p.target, p.generation, 'test', {});
    };
    await steps.runOnce((target) => steps.pickUp(target, enact));
    await steps.runOnce((target) => steps.pickUp(target, enact));
    assert.deepEqual(seen, [plan.generation]);
    assert.deepEqual(steps.snapshot()['outcomes'], { idle: 1, applied: 0, refused: 0, dropped: 1, failed: 0 });
    const { store, provider } = steps;
    for (const bad of [{ mode: 'legacy' }, { name: '' }, { targets: 'x' }, { keep: -1 }, { maxAttempts: 0 }]) {
      assert.throws(
        () => new EnactSteps('Test', { name: 'e', store, provider, targets: [], ...bad } as never, []),
        (e) => isFailsmallError(e, 'FS_ERR_INVALID_ARGUMENT'),
      );
    }
    assert.doesNotThrow(
      () => new EnactSteps('Test', { name: 'e', store, provider, targets: [], mode: 1 } as never, ['mode']),
    );
  });
});
