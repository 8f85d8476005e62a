/**
 * End to end: a short replay feeds a status server on a loopback port (`runReplay({ status })`, what
 * `failsmall replay --status-url` does); the day's signals wait there as suggested incidents and the
 * region's dependency map shows on the public page, checked in headless Chromium (DOM and a
 * screenshot), where a responder publishes one suggestion. The JSON and the store are checked
 * without Chromium too, so the feed is tested where no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { MemoryBackend } from '../status/backend.js';
import type { DependencyMap } from '../status/dependency-map.js';
import { startStatusServer, type StatusServer } from '../status/server.js';
import { StatusService } from '../status/service.js';
import { createStatusStore } from '../status/store.js';
import { chromiumFlags, chromiumPath } from './browser.js';
import { runReplay, type ReplaySummary } from './replay.js';
import { parseScenario } from './scenario.js';
import { shortReplayScenarioYaml } from '../test-support/short-scenario.js';

const TOKEN = 'replay-feed-token-0123456789';

describe('replay → status service', () => {
  let server: StatusServer;
  let service: StatusService;
  let summary: ReplaySummary;

  before(async () => {
    service = new StatusService({ store: createStatusStore(new MemoryBackend()), page: { name: 'Lab status' } });
    server = await startStatusServer({ service, token: TOKEN });
    ({ summary } = await runReplay({
      scenario: parseScenario(shortReplayScenarioYaml),
      health: { speed: 600, leadS: 60, flapS: 900, tailS: 60 },
      lease: false,
      status: { url: server.url, token: TOKEN },
    }));
  });
  after(async () => {
    await server?.close();
  });

  it("posts the day's suggested incidents and the region's dependency map", async () => {
    const fed = summary.status;
    assert.ok(fed !== undefined);
    assert.equal(fed.setup_ok, true, fed.setup_error);
    const { failsmall, baseline } = fed.reporters;
    assert.equal(failsmall!.dropped.batches + baseline!.dropped.batches, 0, JSON.stringify(fed));
    assert.ok(baseline!.callsSent > 0 && failsmall!.callsSent > 0, JSON.stringify(fed));
    const suggestions = await service.store.listSuggestions();
    const kinds = new Set(suggestions.map((s) => s.kind));
    assert.ok(kinds.has('health-escalation'), 'the health link escalated to a human');
    if (summary.failsmall_guard.engagements > 0) assert.ok(kinds.has('dns-guard'), 'the guard engaged');
    for (const s of suggestions) {
      assert.equal(s.status, 'suggested', 'nothing published without a human or a rule');
      assert.equal(s.service, 'failsmall');
      assert.deepEqual(s.componentIds, ['dynamodb'], 'the catalog ties DNS, NLB and table to one component');
    }
    assert.equal((await service.store.listIncidents()).length, 0);
    const map = (await (await fetch(`${server.url}/api/dependencies.json`)).json()) as DependencyMap;
    const edge = (from: string, to: string) => map.edges.find((e) => e.from === from && e.to === to);
    assert.ok(edge('baseline', 'dynamodb')?.observed && edge('baseline', 'dynamodb')!.calls > 0);
    assert.ok(edge('failsmall', 'dynamodb')?.observed && edge('failsmall', 'dynamodb')!.calls > 0);
    assert.equal(edge('dynamodb', 'dynamodb-dns')?.declared, true);
    assert.equal(edge('dynamodb', 'dynamodb-nlb')?.declared, true);
    assert.deepEqual(
      map.systems.map((s) => s.title),
      ['Orders'],
    );
    assert.equal(edge('failsmall', 'dynamodb')!.region, 'us-east-1');
  });

  const executablePath = chromiumPath();
  it(
    'shows the map and the suggestions in headless Chromium; a responder publishes one',
    { skip: executablePath === undefined ? 'no Chromium installed' : false },
    async () => {
      const profile = mkdtempSync(join(tmpdir(), 'failsmall-chromium-'));
      const { chromium } = await import('playwright-core');
      const context = await chromium.launchPersistentContext(profile, {
        executablePath: executablePath!,
        args: [...chromiumFlags],
        headless: true,
        timeout: 30_000,
      });
      try {
        await context.route('**/*', (route) =>
          new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
        );
        const page = context.pages()[0] ?? (await context.newPage());
        page.setDefaultTimeout(30_000);
        await page.goto(`${server.url}/`);
        const map = page.locator('#dependencies svg.dependency-map');
        await map.waitFor();
        for (const id of ['baseline', 'failsmall', 'dynamodb', 'dynamodb-dns', 'dynamodb-nlb'])
          assert.equal(await map.locator(`.map-node[data-id="${id}"]`).count(), 1, id);
        assert.equal(await map.locator('.map-edge[data-from="baseline"][data-to="dynamodb"]').count(), 1);
        assert.equal(await map.locator('.map-edge[data-from="failsmall"][data-to="dynamodb"]').count(), 1);
        assert.match((await map.locator('.map-node[data-id="dynamodb"]').textContent()) ?? '', /DynamoDB us-east-1/);
        assert.equal(await page.locator('script').count(), 0, 'the public page has no script');
        const box = await map.boundingBox();
        assert.ok(box !== null && box.width > 300 && box.height > 40, JSON.stringify(box));
        const shot = await page.screenshot({ fullPage: true });
        assert.ok(shot.length > 10_000, `a screenshot with content (${shot.length} bytes)`);
        writeFileSync(join(tmpdir(), 'failsmall-status-map.png'), shot);
        const mapShot = await map.screenshot();
        assert.ok(mapShot.length > 3_000, `the map drawn (${mapShot.length} bytes)`);

        // The responder sees the suggestions and publishes the health escalation.
        await page.goto(`${server.url}/responder`);
        await page.fill('input[name="token"]', TOKEN);
        await Promise.all([page.waitForURL(`${server.url}/responder`), page.click('#login button[type="submit"]')]);
        const escalation = page.locator('#suggestions .suggestion[data-kind="health-escalation"]').first();
        await escalation.waitFor();
        assert.match(
          await escalation.locator('.suggestion-name').innerText(),
          /Health checks disagree about DynamoDB load balancer/,
        );
        assert.match(await escalation.locator('.suggestion-components').innerText(), /Affects DynamoDB \(us-east-1\)/);
        await escalation.locator('textarea[name="whatYouCanDo"]').fill('Nothing: orders go through.');
        await Promise.all([
          page.waitForLoadState('load'),
          escalation.locator('.publish-form button[type="submit"]').click(),
        ]);
        await page.locator('#open-incidents .incident').first().waitFor();
        await page.goto(`${server.url}/`);
        assert.match(await page.locator('#incidents .incident-name').first().innerText(), /Health checks disagree/);
        assert.match(await page.locator('#component-dynamodb .component-status').innerText(), /Degraded performance/);
        const published = await service.store.listSuggestions({ status: 'published' });
        assert.equal(published.length, 1);
        assert.equal(published[0]!.decidedBy, 'responder');
      } finally {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      }
    },
  );
});
