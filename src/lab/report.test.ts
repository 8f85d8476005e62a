import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import type { Outcome } from './load.js';
import { openInChromium, chromiumPath } from './browser.js';
import { renderReport } from './report.js';
import { scenarioYaml, smallScenario } from '../test-support/short-scenario.js';
import { parseScenario } from './scenario.js';
import { buildTimeline, summarize } from './timeline.js';
import type { Sample } from './timeline.js';

const scenario = parseScenario(
  scenarioYaml({
    name: 'report </script> test & "quotes"',
    bucket: '5s',
    phases: [['steady', '20s', 'Oct 19 23:28 PDT'], ...smallScenario.phases.slice(1)],
  }),
);

function data(): Parameters<typeof renderReport>[0] {
  const outcomes: Outcome[] = [];
  for (let t = 0; t < 100; t++) {
    const failing = t >= 25 && t < 70;
    outcomes.push({
      group: 'baseline',
      index: t,
      kind: 'read',
      startS: t,
      latencyMs: failing ? 2 : 8,
      ok: !failing,
      attempts: failing ? 3 : 1,
      ...(failing ? { error: 'ENOTFOUND' } : {}),
    });
    outcomes.push({ group: 'failsmall', index: t, kind: 'read', startS: t, latencyMs: 7, ok: true, attempts: 1 });
  }
  const samples: Sample[] = Array.from({ length: 101 }, (_, s) => ({
    atS: s,
    dnsQueries: s * (s > 25 && s < 70 ? 30 : 5),
    dnsByGroup: { baseline: s * 3, failsmall: s },
    table: { requests: s * 10, rejected: 0, inService: 1, queued: 0 },
    recordAddresses: s >= 24 && s < 60 ? 0 : 3,
    safeRecordAddresses: 3,
  }));
  const input = { scenario, outcomes, samples, emptiedAtS: 24 };
  return {
    scenario,
    timeline: buildTimeline(input),
    summary: summarize(input),
    emptyWindow: { fromS: 24, toS: 60 },
    plans: { legacy: { record_emptied: true, stuck: true }, safe: { record_emptied: false } },
    notes: ['baseline: the AWS SDK with cacheable-lookup'],
    generatedAt: '2025-10-20T09:25:00Z',
  };
}

/** Opens the report of `input` in headless Chromium; skips `t` (undefined) when Chromium is not installed. */
async function inChromium(
  t: TestContext,
  input: Parameters<typeof renderReport>[0],
): Promise<Awaited<ReturnType<typeof openInChromium>> | undefined> {
  const executable = chromiumPath();
  if (executable === undefined) {
    t.skip('chromium is not installed (/usr/bin/chromium); apt-get install -y chromium to run this test');
    return undefined;
  }
  const dir = mkdtempSync(join(tmpdir(), 'failsmall-report-'));
  try {
    const file = join(dir, 'replay.html');
    writeFileSync(file, renderReport(input));
    return await openInChromium(file, { executablePath: executable });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('report', () => {
  it('is one self-contained HTML file: chart.js inlined, no external resource, the compression stated', () => {
    const html = renderReport(data());
    assert.ok(html.startsWith('<!doctype html>'));
    assert.ok(html.length > 150_000, 'chart.js is inlined');
    assert.ok(!/<script[^>]+src=/i.test(html), 'no external script');
    assert.ok(!/<link[^>]+href=/i.test(html), 'no external stylesheet');
    assert.ok(!/https?:\/\/(?!www\.w3\.org|github\.com|www\.chartjs\.org)[^\s"')]+\.(js|css)/i.test(html));
    assert.match(html, /Compressed 10×/);
    assert.match(html, /report &lt;\/script&gt; test &amp; &quot;quotes&quot;/, 'the title is escaped');
    assert.equal(html.split('</script>').length - 1, 3, 'exactly three script elements close');
  });

  it('renders every chart in headless Chromium without page errors', async (t) => {
    const result = await inChromium(t, data());
    if (result === undefined) return;
    assert.deepEqual(result.pageErrors, []);
    assert.deepEqual(result.externalRequests, []);
    assert.equal(result.charts, 6);
    assert.equal(result.canvases.length, 6);
    for (const c of result.canvases) {
      assert.ok(c.width > 100 && c.height > 100, `${c.id} has a size`);
      assert.ok(c.painted > 500, `${c.id} has ${c.painted} painted pixels`);
    }
    assert.match(result.compression, /Compressed 10×/);
  });

  it('finds chromium only where it is', () => {
    const path = chromiumPath();
    assert.ok(path === undefined || existsSync(path));
  });
});

describe('report with the health link', () => {
  const health = {
    phase: { from_s: 100, to_s: 200, day: 'Oct 20 05:30 PDT', speed: 10 },
    nodes: 6,
    baseline: {
      min_capacity_share: 1 / 3,
      degraded_s: 90,
      success_during_flap: 0.9,
      requests_during_flap: 100,
      overload_rejections: 10,
      escalations: 0,
      removals: 4,
      max_removed_per_window: 4,
    },
    failsmall: {
      min_capacity_share: 1,
      degraded_s: 0,
      success_during_flap: 1,
      requests_during_flap: 100,
      overload_rejections: 0,
      escalations: 9,
      removals: 0,
      max_removed_per_window: 0,
      velocity_limit: 1,
      window_s: 600,
      floor_share: 0.5,
    },
    targets: {},
    timeline: [
      { atS: 90, baseline: 6, failsmall: 6 },
      { atS: 110, baseline: 2, failsmall: 6 },
      { atS: 200, baseline: 6, failsmall: 6 },
    ],
    real_s: 1,
  };

  it('adds a section with the record set per group, its data unable to close the script', () => {
    const html = renderReport({ ...data(), health });
    assert.match(html, /Health checks that remove healthy capacity/);
    assert.match(html, /<canvas id="health-record"><\/canvas>/);
    assert.equal(html.split('</script>').length - 1, 5, 'two more script elements close');
  });

  it('renders the health chart in headless Chromium', async (t) => {
    const result = await inChromium(t, { ...data(), health });
    if (result === undefined) return;
    assert.deepEqual(result.pageErrors, []);
    assert.equal(result.charts, 7);
  });
});
