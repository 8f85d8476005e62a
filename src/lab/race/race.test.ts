import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryDnsProvider } from '../../plan/memory-provider.js';
import { runRace } from './race.js';
import { runSchedule } from './schedule.js';

const provider = (): MemoryDnsProvider => new MemoryDnsProvider({ zones: [{ name: 'example.com' }] });

describe('runRace (the scripted race of 2025-10-20)', () => {
  it('legacy: the delayed enactor lands its old plan, clean-up deletes it, the record set empties and stays stuck', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const result = await runRace({ mode: 'legacy', seed, provider: provider() });
      assert.equal(result.emptied, true, `seed ${seed}`);
      assert.equal(result.stuck, true, `seed ${seed}`);
      assert.equal(result.olderGeneration, true, `seed ${seed}`);
      assert.deepEqual(result.final.addresses, []);
      assert.ok(result.lines.some((l) => l.text.includes('deleted the ACTIVE plan 2')));
      assert.ok(result.decisions.some((d) => d.reason === 'active-plan-missing'));
    }
    const nx = await runRace({ mode: 'legacy', provider: provider(), removal: 'nxdomain' });
    assert.equal(nx.final.addresses, null, 'the name is gone: NXDOMAIN');
  });

  it('safe: the delayed enactor drops its stale plan, nothing empties, the newest plan is served', async () => {
    for (let seed = 1; seed <= 10; seed++) {
      const result = await runRace({ mode: 'safe', seed, provider: provider() });
      assert.deepEqual([result.emptied, result.stuck, result.olderGeneration], [false, false, false], `seed ${seed}`);
      assert.deepEqual(result.violations, []);
      assert.ok(
        result.decisions.some((d) => d.actor === 'enactor-1' && d.decision === 'dropped' && d.generation === 2),
      );
      assert.equal(result.final.generation, result.latestGeneration);
    }
  });

  it('takes the endpoint, addresses and TTL it is given', async () => {
    const p = new MemoryDnsProvider({ zones: [{ name: 'amazonaws.example' }] });
    const result = await runRace({
      mode: 'safe',
      provider: p,
      zone: 'amazonaws.example',
      name: 'dynamodb.us-east-1.amazonaws.example',
      addresses: ['127.0.0.10', '127.0.0.11'],
      ttl: 1,
    });
    assert.deepEqual(
      result.final.addresses?.map((a) => a.address),
      ['127.0.0.10', '127.0.0.11'],
    );
    const set = p.peek('amazonaws.example').find((r) => r.type === 'A');
    assert.equal(set?.ttl, 1);
  });

  it('is deterministic for a seed', async () => {
    const a = await runRace({ mode: 'legacy', seed: 7, provider: provider() });
    const b = await runRace({ mode: 'legacy', seed: 7, provider: provider() });
    assert.deepEqual(a.lines, b.lines);
  });
});

describe('runSchedule', () => {
  it('replays a known counterexample of legacy mode and the same schedule is harmless in safe mode', async () => {
    // planner ×3, enactor-1 picks up, enactor-2 applies a newer plan… (a shrunk schedule; see the property test)
    const choices = [0, 1, 0, 0, 2, 2, 2, 1, 1, 2, 2];
    const legacy = await runSchedule({ mode: 'legacy', seed: 0, choices, trace: true });
    const safe = await runSchedule({ mode: 'safe', seed: 0, choices });
    assert.deepEqual(safe.violations, []);
    assert.equal(typeof legacy.emptied, 'boolean');
    assert.ok(legacy.lines.length > 0);
  });
});
