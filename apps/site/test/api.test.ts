/**
 * The API reference (TypeDoc's HTML, copied to dist/api/ by the site build):
 * the nav reaches it, its index lists every published entry point, each
 * entry point's page and a class page load with no console error, no failed
 * request and no request leaving 127.0.0.1, and the Tensor class page shows
 * its documented methods. Screenshots: api-index.png, api-class-tensor.png.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { entries } from '../api/options.mjs';
import { browserTests, dist, useSite } from './browser.js';

describe.runIf(browserTests)('the API reference in headless chromium', () => {
  const session = useSite();

  it('is built into dist/api with a page per entry point', () => {
    expect(existsSync(join(dist, 'api', 'index.html'))).toBe(true);
    const modules = readdirSync(join(dist, 'api', 'modules')).sort();
    // TypeDoc names a module page after the module (@module tag), '@' and '/' as '_'.
    const expected = entries.map(([s]) => `${s.replace(/[@/]/g, '_')}.html`).sort();
    expect(modules).toEqual(expected);
  });

  it('is reached from the nav, lists every entry point, and loads offline', async () => {
    const site = session();
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    const origin = new URL(site.server.url).origin;
    const outside: string[] = [];
    page.on('request', (r) => {
      const u = r.url();
      // data: and blob: URLs (the home demo's worker) are made in the page.
      if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:'))
        outside.push(u);
    });
    await page.goto(site.server.url, { waitUntil: 'networkidle' });
    await Promise.all([
      page.waitForURL('**/api/index.html'),
      page.click('.VPNavBar a:has-text("API")'),
    ]);
    await page.waitForLoadState('networkidle');
    const listed = await page.$$eval('.tsd-index-link, .tsd-member-summary-name a, a', (as) =>
      as.map((a) => a.textContent?.trim() ?? ''),
    );
    for (const [specifier] of entries) expect(listed, specifier).toContain(specifier);
    await site.shot(page, 'api-index', false);
    for (const [specifier] of entries) {
      const file = `${specifier.replace(/[@/]/g, '_')}.html`;
      await page.goto(`${site.server.url}api/modules/${file}`, { waitUntil: 'networkidle' });
      expect(await page.title(), specifier).toContain(specifier);
    }
    await page.goto(`${site.server.url}api/classes/_nerve_core.Tensor.html`, {
      waitUntil: 'networkidle',
    });
    // Methods of Tensor that the reference documents (from ops/methods.ts and tensor.ts).
    const text = (await page.textContent('.col-content')) ?? '';
    for (const m of ['matmul', 'backward', 'dispose', 'dataSync']) expect(text).toContain(m);
    await site.shot(page, 'api-class-tensor', false);
    // A documented method: its signature and comment, as a reader lands on it.
    await page.goto(`${site.server.url}api/classes/_nerve_core.Tensor.html#matmul`, {
      waitUntil: 'networkidle',
    });
    expect(await page.textContent('#matmul')).toContain('matmul');
    // TypeDoc's script shows the page and then scrolls smoothly to the anchor: let it settle.
    await page.waitForTimeout(1500);
    await site.shot(page, 'api-class-tensor-matmul', false);
    await page.close();
    expect(outside).toEqual([]);
    expect(problems).toEqual([]);
  }, 120_000);
});
