import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  initialOutliers,
  outlierSettings,
  outlierVote,
  recordTraffic,
  sweepOutliers,
  trafficOutcomeOf,
  type OutlierState,
  type TrafficOutcome,
} from './outlier.js';

describe('outlier detection', () => {
  it('ejects after consecutive 5xx, for longer each time, and lets the count decay', () => {
    const s = outlierSettings({ consecutive5xx: 3, baseEjectionTime: 1000, interval: 500, maxEjectedShare: 1 });
    let st = initialOutliers(['a', 'b'], 0);
    assert.equal(outlierVote(st, 'a', 0), 'unknown');
    for (let i = 0; i < 3; i++) st = recordTraffic(st, 'a', 'server-error', 10, s);
    assert.equal(outlierVote(st, 'a', 10), 'down');
    assert.equal(st.targets['a']!.ejectedUntil, 1010);
    assert.equal(outlierVote(st, 'a', 1010), 'up');
    for (let i = 0; i < 3; i++) st = recordTraffic(st, 'a', 'server-error', 1100, s);
    assert.equal(st.targets['a']!.ejectedUntil, 3100, 'second ejection lasts twice as long');
    st = sweepOutliers(st, 3200, s); // healthy interval after the ejection ended
    assert.equal(st.targets['a']!.ejections, 1);
  });

  it('counts gateway errors and connection failures separately from other 5xx', () => {
    assert.equal(trafficOutcomeOf(undefined), 'gateway-error');
    assert.equal(trafficOutcomeOf(503), 'gateway-error');
    assert.equal(trafficOutcomeOf(500), 'server-error');
    assert.equal(trafficOutcomeOf(404), 'success');
    const s = outlierSettings({ consecutive5xx: 100, consecutiveGatewayErrors: 2, maxEjectedShare: 1 });
    let st = initialOutliers(['a'], 0);
    st = recordTraffic(st, 'a', 'gateway-error', 1, s);
    st = recordTraffic(st, 'a', 'server-error', 1, s);
    st = recordTraffic(st, 'a', 'gateway-error', 1, s);
    assert.equal(outlierVote(st, 'a', 1), 'up', 'a plain 5xx breaks the gateway streak');
    st = recordTraffic(st, 'a', 'gateway-error', 1, s);
    assert.equal(outlierVote(st, 'a', 1), 'down');
  });

  it('ejects a success-rate outlier when enough targets carry enough traffic', () => {
    const s = outlierSettings({
      consecutive5xx: 1000,
      consecutiveGatewayErrors: 1000,
      successRateRequestVolume: 10,
      maxEjectedShare: 0.5,
    });
    let st = initialOutliers(['a', 'b', 'c', 'd', 'e', 'f'], 0);
    for (const id of ['a', 'b', 'c', 'd', 'e', 'f'])
      for (let i = 0; i < 20; i++)
        st = recordTraffic(st, id, id === 'f' && i % 2 === 0 ? 'server-error' : 'success', 1, s);
    st = sweepOutliers(st, 10_000, s);
    assert.equal(outlierVote(st, 'f', 10_000), 'down');
    assert.equal(outlierVote(st, 'a', 10_000), 'up');
  });

  it('rejects bad options', () => {
    assert.throws(() => outlierSettings({ interval: 0 }), /Expected `interval` to be a finite number > 0, got 0/);
    assert.throws(() => outlierSettings({ consecutive: 1 } as never), /Expected `consecutive` to be a known option/);
  });

  it('property: never more than maxEjectedShare of the targets ejected at once', () => {
    const outcome = fc.constantFrom<TrafficOutcome>('success', 'server-error', 'gateway-error');
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.nat(), outcome, fc.integer({ min: 0, max: 5000 })), { maxLength: 300 }),
        (n, share, events) => {
          const s = outlierSettings({
            consecutive5xx: 2,
            consecutiveGatewayErrors: 2,
            maxEjectedShare: share,
            interval: 2000,
            successRateRequestVolume: 3,
            successRateMinimumHosts: 2,
          });
          const ids = Array.from({ length: n }, (_, i) => `t${i}`);
          let st: OutlierState = initialOutliers(ids, 0);
          let now = 0;
          for (const [pick, o, dt] of events) {
            now += dt;
            st = sweepOutliers(recordTraffic(st, ids[pick % n]!, o, now, s), now, s);
            const ejected = ids.filter((id) => outlierVote(st, id, now) === 'down').length;
            assert.ok(ejected <= Math.max(1, Math.floor(share * n + 1e-9)));
          }
        },
      ),
    );
  });
});
