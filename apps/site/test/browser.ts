/**
 * What every browser test of the site shares: the built `dist` served on
 * 127.0.0.1 with cross-origin isolation, Debian's headless Chromium, a
 * watcher for console errors and failed requests, and the screenshot folder
 * (.test-results/site/, where a reviewer looks).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { type Browser, haveChromium, launchChromium } from '../../../test/browser/chromium.js';
import { type ServeOptions, type SiteServer, serveSite } from './serve.js';

const site = fileURLToPath(new URL('..', import.meta.url));
const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** The built site (written once per run by global-setup.ts). */
export const dist = join(site, '.vitepress', 'dist');
/** Where the screenshots go. */
export const shots = join(repo, '.test-results', 'site');
/** Whether the browser tests run: Chromium is here, or CI requires it. */
export const browserTests = haveChromium || process.env.NERVE_REQUIRE_BROWSER === '1';

/** A served build and a browser; `close` stops both. */
export interface SiteSession {
  browser: Browser;
  server: SiteServer;
  /** A new page with a problem watcher (see `watch`). */
  page(viewport?: { width: number; height: number }): Promise<{ page: Page; problems: string[] }>;
  /** Writes a screenshot of the page to .test-results/site/<name>.png. */
  shot(page: Page, name: string, fullPage?: boolean): Promise<void>;
  close(): Promise<void>;
}

export async function openSite(serve: ServeOptions = {}): Promise<SiteSession> {
  mkdirSync(shots, { recursive: true });
  const server = await serveSite(dist, serve);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (e) {
    await server.close();
    throw e;
  }
  return {
    browser,
    server,
    async page(viewport = { width: 1280, height: 1400 }) {
      const page = await browser.context.newPage();
      const problems = watch(page);
      await page.setViewportSize(viewport);
      return { page, problems };
    },
    async shot(page, name, fullPage = true) {
      await page.screenshot({ path: join(shots, `${name}.png`), fullPage });
    },
    async close() {
      try {
        await browser.close();
      } finally {
        await server.close();
      }
    },
  };
}

/** Records console errors, page errors and failed requests of a page. */
export function watch(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => {
    const why = r.failure()?.errorText;
    // Chromium aborts what is in flight when the page navigates away (VitePress
    // prefetches the chunks of linked pages while idle): not a failed request.
    // A missing file shows as an HTTP status (below), a refused one as another error.
    if (why === 'net::ERR_ABORTED') return;
    problems.push(`failed: ${r.url()} ${why}`);
  });
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  return problems;
}
