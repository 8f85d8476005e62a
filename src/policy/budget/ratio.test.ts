import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { ratioBudget } from './ratio.js';
import { assertInvalidOptions } from '../../test-support/invalid-options.js';

describe('ratioBudget (Finagle / Envoy)', () => {
  it('defaults: 10 % of requests over 10 s plus 10 retries per second', () => {
    const b = ratioBudget();
    assert.equal(b.kind, 'ratio');
    assert.deepEqual(
      { ratio: b.ratio, window: b.window, min: b.minRetriesPerSecond },
      { ratio: 0.1, window: 10_000, min: 10 },
    );
    // No traffic: the reserve alone, 10/s x 10 s.
    let granted = 0;
    for (let i = 0; i < 500; i++) if (b.tryAcquire(0)) granted++;
    assert.equal(granted, 100);
  });

  it('caps retries at ratio x requests when there is no reserve', () => {
    const b = ratioBudget({ ratio: 0.2, minRetriesPerSecond: 0 });
    for (let i = 0; i < 1_000; i++) b.recordRequest(i);
    let granted = 0;
    for (let i = 0; i < 1_000; i++) if (b.tryAcquire(1_000)) granted++;
    assert.equal(granted, 200);
    assert.equal(b.available(1_000), 0);
    assert.equal(b.snapshot().denied, 800);
  });

  it('forgets requests and retries that left the window', () => {
    const b = ratioBudget({ ratio: 0.5, window: 1_000, minRetriesPerSecond: 0, slots: 10 });
    for (let i = 0; i < 10; i++) b.recordRequest(0);
    for (let i = 0; i < 5; i++) assert.equal(b.tryAcquire(50), true);
    assert.equal(b.tryAcquire(50), false);
    assert.equal(b.tryAcquire(999), false); // still inside
    assert.equal(b.available(1_000), 0); // requests of slot 0 aged out with the retries
    b.recordRequest(1_000);
    b.recordRequest(1_000);
    assert.equal(b.tryAcquire(1_050), true);
    assert.equal(b.tryAcquire(1_050), false);
    assert.equal(b.snapshot().requests, 2);
    // A jump longer than the window clears everything.
    assert.equal(b.available(1_000_000), 0);
    assert.deepEqual([b.snapshot().requests, b.snapshot().retries], [0, 0]);
  });

  it('does not break when the clock steps back or is not finite', () => {
    const b = ratioBudget({ ratio: 1, minRetriesPerSecond: 0 });
    b.recordRequest(5_000);
    assert.equal(b.tryAcquire(1_000), true); // counted in the newest slot
    assert.equal(b.tryAcquire(NaN), false);
    b.recordRequest(Infinity);
    assert.equal(b.snapshot().requests, 1);
  });

  it('validates its options', () => {
    assertInvalidOptions(ratioBudget, [
      [{ ratio: 1.5 }, 'Expected `ratio` to be a number between 0 and 1, got 1.5'],
      [{ window: 0 }, 'Expected `window` to be a finite number > 0, got 0'],
      [{ minRetriesPerSecond: -1 }],
      [{ slots: 0 }, 'Expected `slots` to be a positive integer, got 0'],
      [{ slots: 5_000 }, 'Expected `slots` to be an integer between 1 and 1000, got 5000'],
      ['x'],
    ]);
  });

  it('property: retries never exceed ratio x requests + reserve over the window', () => {
    const event = fc.record({
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 }), fc.integer({ min: 0, max: 5_000 })),
      type: fc.constantFrom('request', 'request', 'acquire'),
    });
    const config = fc.record({
      ratio: fc.constantFrom(0, 0.05, 0.1, 0.2, 0.5, 1),
      window: fc.constantFrom(1_000, 10_000),
      minRetriesPerSecond: fc.constantFrom(0, 0.5, 1, 10),
      slots: fc.constantFrom(1, 4, 10),
    });
    fc.assert(
      fc.property(config, fc.array(event, { maxLength: 300 }), (options, events) => {
        const b = ratioBudget(options);
        const width = options.window / options.slots;
        const reserve = (options.minRetriesPerSecond * options.window) / 1000;
        const requests: number[] = [];
        const grants: number[] = [];
        let now = 1_000_000;
        for (const e of events) {
          now += e.dt;
          if (e.type === 'request') {
            b.recordRequest(now);
            requests.push(now);
            continue;
          }
          if (!b.tryAcquire(now)) continue;
          grants.push(now);
          // Every retry granted in the last (window - one slot) ms ...
          const recent = grants.filter((t) => t > now - (options.window - width)).length;
          // ... is covered by the requests of the last window ms, times the ratio, plus the reserve.
          const base = requests.filter((t) => t > now - options.window).length;
          assert.ok(
            recent <= options.ratio * base + reserve + 1e-9,
            `${recent} retries > ${options.ratio} x ${base} + ${reserve}`,
          );
        }
      }),
    );
  });

  it('property: a retry is granted when the window holds enough requests and no retries', () => {
    fc.assert(
      fc.property(fc.constantFrom(0.1, 0.25, 1), fc.integer({ min: 0, max: 100_000 }), (ratio, start) => {
        const b = ratioBudget({ ratio, minRetriesPerSecond: 0 });
        for (let i = 0; i < Math.ceil(1 / ratio); i++) b.recordRequest(start);
        assert.equal(b.tryAcquire(start + 1), true);
      }),
    );
  });
});
