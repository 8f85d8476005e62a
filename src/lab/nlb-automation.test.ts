import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VirtualClock } from '../core/clock.js';
import { providerSource, type HealthTarget } from '../health/index.js';
import { NlbAutomation } from './nlb-automation.js';

const targets: HealthTarget[] = [
  { id: 'a1', address: '127.0.0.2', zone: 'az1' },
  { id: 'a2', address: '127.0.0.3', zone: 'az1' },
  { id: 'b1', address: '127.0.0.4', zone: 'az2' },
  { id: 'b2', address: '127.0.0.5', zone: 'az2' },
];

function automation() {
  const down = new Set<string>();
  const sets: string[][] = [];
  const nlb = new NlbAutomation({
    targets,
    source: providerSource('nlb', (t) => {
      if (t.id === 'b2' && down.has('throw')) throw new Error('checker broke');
      return !down.has(t.id);
    }),
    riseFall: { rise: 2, fall: 2 },
    clock: new VirtualClock(0),
    onSet: (ids) => sets.push([...ids]),
  });
  return { nlb, down, sets };
}

describe('NlbAutomation (the day of 2025-10-20)', () => {
  it('fails a whole zone out of DNS when one of its targets falls, on one source', async () => {
    const { nlb, down, sets } = automation();
    down.add('a1');
    await nlb.round();
    assert.deepEqual(nlb.set, ['a1', 'a2', 'b1', 'b2'], 'one fail flips nothing');
    await nlb.round();
    assert.deepEqual(nlb.set, ['b1', 'b2'], 'a2 was healthy and left with its zone');
    assert.equal(nlb.removals, 2);
    down.clear();
    await nlb.round();
    await nlb.round();
    assert.deepEqual(nlb.set, ['a1', 'a2', 'b1', 'b2'], 'back after rise passes');
    assert.deepEqual(sets, [
      ['b1', 'b2'],
      ['a1', 'a2', 'b1', 'b2'],
    ]);
  });

  it('routes to every target when every zone fails, and takes a broken check as unhealthy', async () => {
    const { nlb, down } = automation();
    down.add('a1').add('throw');
    await nlb.round();
    await nlb.round();
    assert.deepEqual(nlb.set, ['a1', 'a2', 'b1', 'b2'], 'nothing would be left: route to all');
    down.delete('throw');
    await nlb.round();
    await nlb.round();
    assert.deepEqual(nlb.set, ['b1', 'b2']);
  });

  it('runs rounds on its clock until stopped', async () => {
    const clock = new VirtualClock(0);
    let checks = 0;
    const nlb = new NlbAutomation({
      targets,
      source: providerSource('nlb', () => (checks++, true)),
      interval: 1_000,
      clock,
    });
    nlb.start();
    await clock.advance(3_500);
    nlb.stop();
    const seen = checks;
    await clock.advance(5_000);
    assert.equal(checks, seen);
    assert.ok(seen >= 3 * targets.length, `${seen} checks`);
  });
});
