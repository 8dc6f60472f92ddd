/**
 * What every browser test of the site shares: the built `dist` served on
 * 127.0.0.1 with cross-origin isolation, Debian's headless Chromium, a
 * watcher for console errors and failed requests, and the screenshot folder
 * (.test-results/site/, where a reviewer looks).
 */
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';
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

/**
 * Opens the site (served build and browser) before the tests of the
 * enclosing describe block and closes it after them; the getter returns the
 * session, or throws where it did not open.
 */
export function useSite(): () => SiteSession {
  let site: SiteSession | undefined;
  beforeAll(async () => {
    site = await openSite();
  }, 120_000);
  afterAll(async () => {
    await site?.close();
  });
  return () => {
    if (!site) throw new Error('no browser');
    return site;
  };
}

/** Every page of the build (404 aside), as URL paths relative to the site's root. */
export function builtPages(): string[] {
  const out: string[] = [];
  const walk = (dir: string, prefix: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory() && e.name !== 'assets') walk(join(dir, e.name), `${prefix}${e.name}/`);
      else if (e.isFile() && e.name.endsWith('.html') && e.name !== '404.html')
        out.push(prefix + e.name);
    }
  };
  walk(dist, '');
  return out.sort();
}

/**
 * The pages the page-level tests visit: every page of the build except the
 * API reference's ~660 generated ones, of which the index and each entry
 * point's page stand for the rest (TypeDoc makes them all from one template).
 */
export function sitePages(): string[] {
  const sampled = (p: string) =>
    !p.startsWith('api/') || p === 'api/index.html' || p.startsWith('api/modules/');
  return builtPages().filter(sampled);
}
