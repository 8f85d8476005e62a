import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capacityFigures, maxWithinWindow, runHealthLink } from './health-link.js';
import { formatHealthSummary, healthSection, healthSummary } from './health-report.js';

describe('health link', () => {
  it('measures the least share and the degraded time within the phase', () => {
    const steps = [
      { atS: 0, size: 6 },
      { atS: 50, size: 2 },
      { atS: 120, size: 6 },
      { atS: 300, size: 4 },
    ];
    assert.deepEqual(capacityFigures(steps, 6, 100, 400), { minShare: 2 / 6, degradedS: 20 + 100 });
    assert.deepEqual(capacityFigures(steps, 6, 130, 290), { minShare: 1, degradedS: 0 });
    assert.deepEqual(capacityFigures([{ atS: 0, size: 3 }], 6, 10, 20), { minShare: 0.5, degradedS: 10 });
  });

  it('counts the most removals within a window', () => {
    assert.equal(maxWithinWindow([], 600), 0);
    assert.equal(maxWithinWindow([0, 100, 700, 710, 1200], 600), 3);
    assert.equal(maxWithinWindow([0, 600, 1200], 600), 1, 'a window is half-open');
  });

  it('baseline removes healthy capacity on one source; failsmall holds its floor and velocity, and escalates', async () => {
    const lines: string[] = [];
    const result = await runHealthLink({
      speed: 600,
      leadS: 60,
      flapS: 900,
      tailS: 60,
      seed: 3,
      onEvent: (l) => lines.push(l),
    });
    const { baseline, failsmall } = result;
    assert.ok(baseline.removals > 0 && baseline.min_capacity_share < 1, JSON.stringify(baseline));
    assert.equal(baseline.escalations, 0, 'nobody was asked');
    assert.ok(failsmall.min_capacity_share >= failsmall.floor_share, JSON.stringify(failsmall));
    assert.ok(failsmall.max_removed_per_window <= failsmall.velocity_limit);
    assert.ok(failsmall.escalations > 0, 'the sources disagree: a human decides');
    assert.ok(failsmall.requests_during_flap > 0);
    assert.ok(lines.some((l) => /health flap/.test(l)));
    assert.ok(result.timeline.every((p) => p.failsmall >= failsmall.floor_share * result.nodes));
    const text = formatHealthSummary(healthSummary(result));
    assert.match(text, /least capacity in the record set/);
    assert.ok(!('timeline' in healthSummary(result)));
    const html = healthSection(result);
    assert.match(html, /<canvas id="health-record">/);
    assert.ok(!html.includes('</script>"'), 'the data cannot close its script element');
    assert.equal(healthSection(undefined), '');
  });

  it('stops when aborted and closes its nodes', async () => {
    const controller = new AbortController();
    controller.abort();
    const result = await runHealthLink({ speed: 600, leadS: 60, flapS: 60, tailS: 60, signal: controller.signal });
    assert.ok(result.baseline.requests_during_flap === 0);
  });
});
