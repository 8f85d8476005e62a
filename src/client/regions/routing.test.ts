import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { initialRouting, pickDuringRamp, stepRouting, type RegionSignal, type RoutingConfig } from './routing.js';

const config: RoutingConfig = {
  failoverMinInterval: 1_000,
  dwell: 60_000,
  stableFor: 30_000,
  probes: 3,
  failbackMinInterval: 300_000,
};
const BREAKER_WINDOW = 30_000; // the default breaker's open duration

const up: RegionSignal = { up: true, strict: true, probes: 3, caughtUp: true };
const down: RegionSignal = { up: false, reason: 'breaker-open', strict: false, probes: 0, caughtUp: true };

const signalArb: fc.Arbitrary<RegionSignal> = fc.record({
  up: fc.boolean(),
  reason: fc.constantFrom('breaker-open', 'unreachable', 'health'),
  strict: fc.boolean(),
  probes: fc.integer({ min: 0, max: 5 }),
  caughtUp: fc.boolean(),
});
/** A trace: a sequence of (time step, signals of 3 candidates). */
const traceArb = fc.array(
  fc.tuple(fc.integer({ min: 0, max: 20_000 }), fc.array(signalArb, { minLength: 3, maxLength: 3 })),
  { minLength: 1, maxLength: 200 },
);

describe('stepRouting', () => {
  it('fails over to the best candidate that is up, with the down one’s reason', () => {
    const step = stepRouting(initialRouting(3, 0), config, 5_000, [down, down, up]);
    assert.deepEqual(step.switched, { direction: 'failover', from: 0, to: 2, at: 5_000, reason: 'breaker-open' });
    assert.equal(step.state.active, 2);
  });

  it('stays when no other candidate is up', () => {
    const step = stepRouting(initialRouting(2, 0), config, 5_000, [down, down]);
    assert.equal(step.switched, undefined);
    assert.equal(step.state.active, 0);
  });

  it('fails back only after the dwell, the stable period, the probes and the replication check', () => {
    let state = stepRouting(initialRouting(2, 0), config, 1_000, [down, up]).state;
    assert.equal(state.active, 1);
    const failback = (now: number, s: RegionSignal): boolean => {
      const step = stepRouting(state, config, now, [s, up]);
      state = step.state;
      return step.switched?.direction === 'failback';
    };
    assert.equal(failback(2_000, up), false); // strict since 2 s
    assert.equal(failback(40_000, up), false); // stable 38 s, but the dwell (60 s) is not over
    assert.equal(failback(61_000, { ...up, probes: 2 }), false); // probes missing
    assert.equal(failback(61_000, { ...up, caughtUp: false }), false); // replication behind
    assert.equal(failback(61_000, { ...up, strict: false }), false); // a break of the strict criterion…
    assert.equal(failback(62_000, up), false); // …restarts the stable period
    assert.equal(failback(92_000, up), true);
    assert.equal(state.active, 0);
  });

  it('property: a failback never happens within the dwell of the previous switch, nor within failbackMinInterval of another failback', () => {
    fc.assert(
      fc.property(traceArb, (trace) => {
        let state = initialRouting(3, 0);
        let now = 0;
        let lastSwitch = 0;
        let lastFailback: number | undefined;
        for (const [dt, signals] of trace) {
          now += dt;
          const step = stepRouting(state, config, now, signals);
          const s = step.switched;
          if (s !== undefined) {
            assert.notEqual(s.from, s.to);
            if (s.direction === 'failback') {
              assert.ok(now - lastSwitch >= config.dwell, `failback ${now - lastSwitch} ms after a switch`);
              if (lastFailback !== undefined) assert.ok(now - lastFailback >= config.failbackMinInterval);
              assert.ok(s.to < s.from);
              assert.ok(signals[s.to]!.strict && signals[s.to]!.probes >= config.probes && signals[s.to]!.caughtUp);
              lastFailback = now;
            } else {
              assert.ok(now - lastSwitch >= config.failoverMinInterval, 'failover rate limited');
              assert.equal(signals[s.from]!.up, false);
              assert.equal(signals[s.to]!.up, true);
            }
            lastSwitch = now;
          }
          state = step.state;
        }
      }),
      { numRuns: 300 },
    );
  });

  it('property: once the active candidate is down and another is up, the failover happens within one breaker window', () => {
    fc.assert(
      fc.property(
        traceArb,
        fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 1, maxLength: 50 }),
        (history, steps) => {
          // any history first, then the active candidate goes down for good while the others stay up
          let state = initialRouting(3, 0);
          let now = 0;
          for (const [dt, signals] of history) {
            now += dt;
            state = stepRouting(state, config, now, signals).state;
          }
          const downAt = now;
          const signals = [0, 1, 2].map((i) => (i === state.active ? down : up));
          for (const dt of steps) {
            now += dt;
            const step = stepRouting(state, config, now, signals);
            state = step.state;
            if (step.switched !== undefined) {
              assert.equal(step.switched.direction, 'failover');
              // the first evaluation at or after the rate limit: never later than one breaker window
              assert.ok(now - downAt <= Math.max(config.failoverMinInterval, 0) + dt);
              assert.ok(now - downAt <= BREAKER_WINDOW);
              return;
            }
            assert.ok(now - downAt < config.failoverMinInterval, `no failover ${now - downAt} ms after the signal`);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: no flap under a flickering primary: at most one failback per failbackMinInterval', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 100, max: 10_000 }), fc.boolean()), { maxLength: 300 }),
        (flicker) => {
          let state = initialRouting(2, 0);
          let now = 0;
          const failbacks: number[] = [];
          for (const [dt, primaryUp] of flicker) {
            now += dt;
            const step = stepRouting(state, config, now, [primaryUp ? up : down, up]);
            if (step.switched?.direction === 'failback') failbacks.push(now);
            state = step.state;
          }
          for (let i = 1; i < failbacks.length; i++) {
            assert.ok(failbacks[i]! - failbacks[i - 1]! >= config.failbackMinInterval);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('pickDuringRamp', () => {
  it('sends the ramp’s share to the active candidate, the rest to the previous one', () => {
    assert.equal(pickDuringRamp(0, 1, 0.3, 0.29), 0);
    assert.equal(pickDuringRamp(0, 1, 0.3, 0.31), 1);
    assert.equal(pickDuringRamp(0, undefined, 0, 0.99), 0);
  });
});
