import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCost, Simulation } from './engine.js';

describe('Simulation', () => {
  it('handles events in time order and stops at until or maxEvents', () => {
    const sim = new Simulation({ seed: 1, until: 50 });
    const seen: [number, number][] = [];
    sim.schedule(30, 1, 3);
    sim.schedule(10, 1, 1);
    sim.schedule(80, 1, 8);
    const stats = sim.run((_kind, a) => {
      seen.push([sim.now, a]);
      if (a === 1) sim.schedule(5, 1, 2);
    });
    assert.deepEqual(seen, [
      [10, 1],
      [15, 2],
      [30, 3],
    ]);
    assert.equal(stats.stopped, 'until');
    assert.equal(stats.events, 3);
    const capped = new Simulation({ seed: 1, maxEvents: 10 });
    capped.schedule(0, 0);
    assert.equal(capped.run(() => capped.schedule(1, 0)).stopped, 'max-events');
  });

  it('adapts to a Clock: timers fire as events, a cancelled timer never fires', async () => {
    const sim = new Simulation({ seed: 1 });
    const clock = sim.clock();
    const fired: number[] = [];
    const cancel = clock.setTimer(() => fired.push(-1), 20);
    clock.setTimer(() => fired.push(clock.now()), 10);
    cancel();
    clock.setTimer(() => fired.push(clock.now()), 30); // reuses the cancelled slot
    sim.run(() => undefined);
    assert.deepEqual(fired, [10, 30]);
  });

  it('reports the cost of a run as events, events per wall-clock second and wall seconds', () => {
    assert.deepEqual(runCost({ events: 2_000_000, wall_s: 0.5 }), {
      events: 2_000_000,
      events_per_s: 4_000_000,
      wall_s: 0.5,
    });
    assert.deepEqual(runCost({ events: 3, wall_s: 0 }), { events: 3, events_per_s: 0, wall_s: 0 });
    const sim = new Simulation({ seed: 1 });
    sim.schedule(1, 0);
    const stats = sim.run(() => undefined);
    assert.deepEqual(Object.keys(stats), ['events', 'events_per_s', 'wall_s', 'simulated_ms', 'stopped']);
    assert.equal(stats.events_per_s, runCost(stats).events_per_s);
  });

  it('rejects bad options', () => {
    assert.throws(() => new Simulation({ seed: Number.NaN }), /Expected `seed` to be a finite number/);
    assert.throws(() => new Simulation({ seed: 1, max: 3 } as never), /Expected `max` to be a known option/);
  });
});
