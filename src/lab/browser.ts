/**
 * Test support: opens a report in headless Chromium (through playwright-core, a devDependency loaded
 * dynamically) with the network cut off, and reads back what rendered: page errors, requests that
 * tried to leave the file, and how many pixels each canvas painted. Not exported from the lab's index.
 */
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

/** The flags Chromium runs with: headless, no sandbox (containers), and nothing that phones home. */
export const chromiumFlags = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** `/usr/bin/chromium` (or `$CHROMIUM_PATH`) when it exists, else `undefined`. */
export function chromiumPath(): string | undefined {
  for (const candidate of [process.env['CHROMIUM_PATH'], '/usr/bin/chromium', '/usr/bin/chromium-browser']) {
    if (candidate !== undefined && candidate !== '' && existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** What {@link openInChromium} saw. */
export interface RenderCheck {
  /** Uncaught errors of the page, and console errors. */
  readonly pageErrors: string[];
  /** URLs the page tried to fetch beyond the file itself (all blocked). */
  readonly externalRequests: string[];
  /** `window.__replayCharts`: how many charts the page built. */
  readonly charts: number;
  /** Each canvas with its size and the number of pixels that are not transparent. */
  readonly canvases: { id: string; width: number; height: number; painted: number }[];
  /** The text of the compression statement. */
  readonly compression: string;
}

/** Runs in the page: counts the painted pixels of each canvas. */
const inspectPage = `(() => {
  const canvases = [...document.querySelectorAll('canvas')].map((canvas) => {
    const ctx = canvas.getContext('2d');
    let painted = 0;
    if (ctx !== null && canvas.width > 0 && canvas.height > 0) {
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) painted++;
    }
    return { id: canvas.id, width: canvas.width, height: canvas.height, painted };
  });
  return {
    charts: window.__replayCharts ?? 0,
    canvases,
    compression: document.getElementById('compression')?.textContent ?? '',
  };
})()`;

/**
 * Opens `file` in headless Chromium and checks the report rendered. Bounded: 30 s to launch, 30 s to
 * load, 15 s for the charts.
 */
export async function openInChromium(file: string, options: { executablePath: string }): Promise<RenderCheck> {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: options.executablePath,
    args: [...chromiumFlags],
    headless: true,
    timeout: 30_000,
  });
  try {
    const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
    const url = pathToFileURL(file).href;
    const externalRequests: string[] = [];
    await context.route('**/*', (route) => {
      const target = route.request().url();
      if (target === url || target.startsWith('data:')) return route.continue();
      externalRequests.push(target);
      return route.abort();
    });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(String(error)));
    page.on('console', (message) => {
      if (message.type() === 'error') pageErrors.push(message.text());
    });
    await page.goto(url, { waitUntil: 'load', timeout: 30_000 });
    // Strings, not functions: this file is type-checked without the DOM library.
    await page
      .waitForFunction('window.__replayCharts !== undefined', undefined, { timeout: 15_000 })
      .catch(() => undefined);
    const result = (await page.evaluate(inspectPage)) as Omit<RenderCheck, 'pageErrors' | 'externalRequests'>;
    return { pageErrors, externalRequests, ...result };
  } finally {
    await browser.close();
  }
}
