/**
 * The drill's HTML report as a person reads it: in real headless Chromium (playwright-core with the
 * system's chromium and lab/browser.ts's flags, network cut off), the figures (RTO, RPO, steady state
 * before and after, deviation, the failback's), the rollbacks and the timeline's marks, and text from
 * the experiment (title, step names, errors) shown as text, never run or parsed as markup.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { chromiumFlags, chromiumPath } from '../lab/browser.js';
import { renderDrillReport } from './report.js';
import type { DrillRun } from './runner.js';

const t0 = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number): string => new Date(t0 + ms).toISOString();
const hostileTitle = `Drill <script>window.__pwned = 1</script> & "quotes" 'too'`;
const hostileStep = '<img src=x onerror="window.__pwned = 2">';
const hostileError = '</li></ul><b id="injected">bold</b>';

/** A run that lost the steady state, recovered it, failed back, and had one rollback fail. */
function run(): DrillRun {
  const samples = Array.from({ length: 40 }, (_, i) => ({ at: t0 + 1_000 + i * 100, ok: i < 5 || i >= 26 }));
  return {
    result: {
      title: hostileTitle,
      status: 'deviated',
      steady_state_before: true,
      steady_state_after: false,
      deviated: true,
      steady_state_lost: true,
      fault_at: iso(1_450),
      detected_at: iso(1_500),
      recovered_at: iso(3_600),
      time_to_detect_s: 0.05,
      rto_s: 2.15,
      rpo_writes_lost: 3,
      writes_acknowledged: 41,
      failback: {
        at: iso(4_000),
        detected_at: null,
        recovered_at: null,
        time_to_detect_s: null,
        rto_s: 0,
        rpo_writes_lost: 0,
      },
      rollbacks: [
        { name: 'clear-the-faults', type: 'action', status: 'succeeded' },
        { name: hostileStep, type: 'action', status: 'failed', error: hostileError },
      ],
      activities: [],
      errors: [],
      started_at: iso(0),
      ended_at: iso(5_500),
      duration_s: 5.5,
    },
    samples,
    steps: [
      { at: t0, phase: 'setup', kind: 'service', name: 'services', status: 'ok' },
      { at: t0 + 900, phase: 'steady-state-before', kind: 'probe', name: 'get-item', status: 'ok' },
      { at: t0 + 1_450, phase: 'method', kind: 'action', name: hostileStep, status: 'ok' },
      { at: t0 + 1_500, phase: 'method', kind: 'poll', name: 'hypothesis', status: 'deviated' },
      { at: t0 + 5_000, phase: 'rollbacks', kind: 'action', name: hostileStep, status: 'failed', error: hostileError },
    ],
    writes: [],
    startedAt: t0,
    faultAt: t0 + 1_450,
    failbackAt: t0 + 4_000,
  };
}

/** Runs in the page (a string: this file is type-checked without the DOM library). */
const readPage = `(() => {
  const text = (el) => (el?.textContent ?? '').trim();
  const figures = {};
  for (const row of document.querySelectorAll('#figures tr')) figures[text(row.querySelector('th'))] = text(row.querySelector('td'));
  const box = document.getElementById('figures').getBoundingClientRect();
  const marks = [...document.querySelectorAll('#timeline .mark')].map((g) => ({
    mark: g.getAttribute('data-mark'),
    x: Number(g.querySelector('line').getAttribute('x1')),
    label: text(g.querySelector('text')),
  }));
  return {
    title: document.title,
    h1: text(document.querySelector('h1')),
    status: text(document.getElementById('status')),
    figures,
    figuresVisible: box.width > 0 && box.height > 0,
    rollbacks: [...document.querySelectorAll('#rollbacks > li')].map((li) => ({ text: text(li), cls: li.className })),
    journalNames: [...document.querySelectorAll('#journal tr')].slice(1).map((tr) => text(tr.children[3])),
    journalErrors: [...document.querySelectorAll('#journal tr')].slice(1).map((tr) => text(tr.children[5])),
    bad: document.querySelectorAll('#timeline rect.sample.bad').length,
    ok: document.querySelectorAll('#timeline rect.sample.ok').length,
    marks,
    scripts: document.scripts.length,
    images: document.images.length,
    injected: document.getElementById('injected') !== null,
    pwned: window.__pwned ?? null,
  };
})()`;

describe('the drill report in headless Chromium', () => {
  const executablePath = chromiumPath();
  it('shows the figures, rollbacks and timeline a person reads, and the experiment text as text', async (t) => {
    if (executablePath === undefined) {
      t.skip('chromium is not installed (/usr/bin/chromium); apt-get install -y chromium to run this test');
      return;
    }
    const dir = mkdtempSync(join(tmpdir(), 'drill-report-'));
    const file = join(dir, 'report.html');
    writeFileSync(file, renderDrillReport(run()));
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
      executablePath,
      args: [...chromiumFlags],
      headless: true,
      timeout: 30_000,
    });
    try {
      const context = await browser.newContext({ viewport: { width: 1200, height: 900 }, javaScriptEnabled: true });
      const url = pathToFileURL(file).href;
      const external: string[] = [];
      await context.route('**/*', (route) => {
        if (route.request().url() === url) return route.continue();
        external.push(route.request().url());
        return route.abort();
      });
      const page = await context.newPage();
      const errors: string[] = [];
      let dialogs = 0;
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('dialog', (d) => {
        dialogs++;
        void d.dismiss();
      });
      await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
      const seen = (await page.evaluate(readPage)) as {
        title: string;
        h1: string;
        status: string;
        figures: Record<string, string>;
        figuresVisible: boolean;
        rollbacks: { text: string; cls: string }[];
        journalNames: string[];
        journalErrors: string[];
        bad: number;
        ok: number;
        marks: { mark: string; x: number; label: string }[];
        scripts: number;
        images: number;
        injected: boolean;
        pwned: number | null;
      };

      // The figures, as the table reads.
      assert.equal(seen.figuresVisible, true);
      assert.equal(seen.figures['RTO (s)'], '2.15');
      assert.equal(seen.figures['writes lost (RPO)'], '3');
      assert.equal(seen.figures['writes acknowledged'], '41');
      assert.equal(seen.figures['time to detect (s)'], '0.05');
      assert.equal(seen.figures['steady state before'], 'true');
      assert.equal(seen.figures['steady state after'], 'false');
      assert.equal(seen.figures['deviated'], 'true');
      assert.equal(seen.figures['status'], 'deviated');
      assert.equal(seen.figures['failback: RTO (s)'], '0');
      assert.equal(seen.figures['failback: writes lost'], '0');
      assert.equal(seen.figures['failback: time to detect (s)'], '–');
      assert.match(seen.status, /^deviated: started 2026-01-01T00:00:00.000Z, 5.5 s$/);

      // The rollbacks: the failed one says so, with its error as text.
      assert.deepEqual(seen.rollbacks, [
        { text: 'clear-the-faults: succeeded', cls: 'succeeded' },
        { text: `${hostileStep}: failed (${hostileError})`, cls: 'failed' },
      ]);

      // The timeline: red where the hypothesis failed, the marks in time order.
      assert.equal(seen.bad, 21);
      assert.equal(seen.ok, 19);
      assert.deepEqual(
        seen.marks.map((m) => m.mark),
        ['fault', 'detected', 'recovered', 'failback'],
      );
      const xs = seen.marks.map((m) => m.x);
      assert.deepEqual(
        xs,
        [...xs].sort((a, b) => a - b),
      );

      // Text from the experiment is text: nothing ran, no element was injected.
      assert.equal(seen.title, `Drill: ${hostileTitle}`);
      assert.equal(seen.h1, hostileTitle);
      assert.ok(seen.journalNames.includes(hostileStep));
      assert.ok(seen.journalErrors.includes(hostileError));
      assert.equal(seen.scripts, 0);
      assert.equal(seen.images, 0);
      assert.equal(seen.injected, false);
      assert.equal(seen.pwned, null);
      assert.equal(dialogs, 0);
      assert.deepEqual(errors, []);
      assert.deepEqual(external, []);
    } finally {
      await browser.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
