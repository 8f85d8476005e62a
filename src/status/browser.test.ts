/**
 * The public page and the responder view in real headless Chromium (playwright-core with the system's
 * chromium, flags and launcher facts from lab/browser.ts, a fresh profile directory): sign in, open
 * an incident titled with a `<script>`, post an update, see the cadence reminder come due on the
 * service's virtual clock, resolve, and see the public page and the JSON change. Skipped with a
 * plain reason when no Chromium is installed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { VirtualClock } from '../core/clock.js';
import { chromiumFlags, chromiumPath } from '../lab/browser.js';
import { MemoryBackend } from './backend.js';
import { startStatusServer, type StatusServer } from './server.js';
import { StatusService } from './service.js';
import { createStatusStore } from './store.js';

const TOKEN = 'browser-token-0123456789';
const MIN = 60_000;
const executablePath = chromiumPath();
const TITLE = '<script>window.__xss = 1</script> Checkout errors';

describe(
  'status page in headless Chromium',
  { skip: executablePath === undefined ? 'no Chromium installed' : false },
  () => {
    let clock: VirtualClock;
    let server: StatusServer;
    let context: BrowserContext;
    let page: Page;
    let profile: string;

    before(async () => {
      clock = new VirtualClock(Date.UTC(2025, 9, 20, 7, 0));
      const service = new StatusService({
        store: createStatusStore(new MemoryBackend()),
        clock,
        page: { name: 'Example status' },
      });
      await service.putComponent({ id: 'api', name: 'Orders API', group: 'Checkout' });
      await service.putComponent({ id: 'login', name: 'Login', group: 'Sign-in' });
      server = await startStatusServer({ service, token: TOKEN });
      profile = mkdtempSync(join(tmpdir(), 'failsmall-chromium-'));
      const { chromium } = await import('playwright-core');
      context = await chromium.launchPersistentContext(profile, {
        executablePath: executablePath!,
        args: [...chromiumFlags],
        headless: true,
        timeout: 30_000,
      });
      // Nothing leaves loopback.
      await context.route('**/*', (route) =>
        new URL(route.request().url()).hostname === '127.0.0.1' ? route.continue() : route.abort(),
      );
      page = context.pages()[0] ?? (await context.newPage());
      page.setDefaultTimeout(30_000);
    });
    after(async () => {
      await context?.close();
      await server?.close();
      if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
    });

    const text = (selector: string) => page.locator(selector).first().innerText();

    it('a responder opens, updates and resolves an incident; the page and the JSON follow', async () => {
      await page.goto(`${server.url}/responder`);
      await page.fill('input[name="token"]', 'wrong');
      await page.click('#login button[type="submit"]');
      // Locator waits, not waitForFunction: the page's CSP forbids evaluating strings in it.
      await page.locator('.error[data-field="token"]').filter({ hasText: /\S/ }).waitFor();
      assert.equal(await text('.error[data-field="token"]'), 'wrong token');
      await page.fill('input[name="token"]', TOKEN);
      await Promise.all([page.waitForURL(`${server.url}/responder`), page.click('#login button[type="submit"]')]);
      await page.waitForSelector('#open-incident');

      // A blank title comes back as a field error beside the field.
      await page.fill('#open-incident input[name="name"]', '   ');
      await page.fill('#open-incident textarea[name="body"]', 'We are looking into it.');
      await page.click('#open-incident button[type="submit"]');
      await page.locator('#open-incident .error[data-field="name"]').filter({ hasText: /\S/ }).waitFor();
      assert.equal(await text('#open-incident .error[data-field="name"]'), 'must not be empty');

      await page.fill('#open-incident input[name="name"]', TITLE);
      await page.fill('#open-incident textarea[name="whatYouCanDo"]', 'Retry your order in a few minutes.');
      await page.selectOption('#open-incident select[name="impact"]', 'major');
      await page.selectOption('#open-incident select[name="component:api"]', 'major_outage');
      await Promise.all([page.waitForLoadState('load'), page.click('#open-incident button[type="submit"]')]);
      await page.waitForSelector('#open-incidents .incident');
      assert.equal(await text('#open-incidents .incident-name'), TITLE);
      assert.equal(await text('#open-incidents .cadence'), 'next update by 07:15 UTC');
      assert.equal(await page.evaluate('window.__xss'), undefined);

      // Ten minutes on: the reminder is due; five more: overdue.
      await clock.advance(10 * MIN);
      await page.reload();
      assert.equal(await page.getAttribute('#open-incidents .incident', 'data-cadence'), 'due');
      await clock.advance(6 * MIN);
      await page.reload();
      assert.equal(await page.getAttribute('#open-incidents .incident', 'data-cadence'), 'overdue');
      assert.equal(await text('#open-incidents .cadence'), 'update overdue by 1 min (was due 07:15 UTC)');

      // An update resets the cadence to 60 minutes.
      await page.selectOption('.update-form select[name="status"]', 'identified');
      await page.fill('.update-form textarea[name="body"]', 'A database node is overloaded.');
      await Promise.all([page.waitForLoadState('load'), page.click('.update-form button[type="submit"]')]);
      await page.locator('#open-incidents .incident-status', { hasText: /^identified$/ }).waitFor();
      assert.equal(await page.getAttribute('#open-incidents .incident', 'data-cadence'), 'ok');
      assert.equal(await text('#open-incidents .cadence'), 'next update by 08:16 UTC');

      // The public page, without JavaScript: the title is text, the promise of the next update shows.
      const publicPage = await context.newPage();
      await publicPage.goto(`${server.url}/`);
      assert.equal(await publicPage.locator('#incidents .incident-name').innerText(), TITLE);
      assert.equal(await publicPage.locator('#incidents .next-update').innerText(), 'Next update by 08:16 UTC');
      assert.equal(await publicPage.locator('#overall').innerText(), 'Major System Outage');
      assert.equal(await publicPage.locator('script').count(), 0, 'the public page has no script at all');
      assert.equal(await publicPage.evaluate('window.__xss'), undefined);
      assert.equal(await publicPage.locator('#component-api .day').count(), 90);
      const shot = await publicPage.screenshot({ fullPage: true });
      assert.ok(shot.length > 10_000, `a screenshot with content (${shot.length} bytes)`);
      writeFileSync(join(tmpdir(), 'failsmall-status-page.png'), shot);
      const summary = (await (await publicPage.request.get(`${server.url}/api/v2/summary.json`)).json()) as {
        incidents: { name: string; status: string }[];
        components: { id: string; status: string }[];
      };
      assert.deepEqual(
        summary.incidents.map((i) => [i.name, i.status]),
        [[TITLE, 'identified']],
      );
      assert.equal(summary.components.find((c) => c.id === 'api')!.status, 'major_outage');

      // Resolve: the components return to operational, the page and the JSON say so.
      await page.selectOption('.update-form select[name="status"]', 'resolved');
      await page.fill('.update-form textarea[name="body"]', 'Fixed; orders go through again.');
      await Promise.all([page.waitForLoadState('load'), page.click('.update-form button[type="submit"]')]);
      await page.locator('#open-incidents .incident').waitFor({ state: 'detached' });
      await publicPage.reload();
      assert.equal(await publicPage.locator('#overall').innerText(), 'All Systems Operational');
      assert.equal(await publicPage.locator('#incidents').count(), 0);
      assert.equal(await publicPage.locator('#past .incident-name').innerText(), TITLE);
      const unresolved = (await (
        await publicPage.request.get(`${server.url}/api/v2/incidents/unresolved.json`)
      ).json()) as {
        incidents: unknown[];
      };
      assert.deepEqual(unresolved.incidents, []);
      const status = (await (await publicPage.request.get(`${server.url}/api/v2/status.json`)).json()) as {
        status: { indicator: string };
      };
      assert.equal(status.status.indicator, 'none');
    });
  },
);
