/**
 * Accessibility: axe-core (pinned exactly, its source injected into the
 * page) over every page of the built site finds no serious or critical
 * violation, in the light and the dark theme, and over the demos' content
 * after they ran (the home demo's trained curves and drawn digit, a lab
 * result, the examples' output). Minor and moderate findings are printed,
 * not failed.
 *
 * The API reference's ~690 TypeDoc pages are sampled for axe (the index, the
 * hierarchy, every entry point's page and pages of each kind: `apiSample`):
 * one page took 23 s to load and check here under a load of 19, so all of
 * them would take far over a minute. TypeDoc renders every page of a
 * kind from one template; what varies is checked on every page without axe:
 * no page has an interactive element inside a `<summary>` (axe's
 * nested-interactive, which TypeDoc's own markup had; api/a11y.mjs), parsed
 * by the browser from the served HTML. The navigation tree, rendered in the
 * page from the same data on every page, is checked by axe on the sample,
 * and the keyboard still reaches and toggles what moved.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import axeCore from 'axe-core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserTests, builtPages, dist, sitePages, useSite } from './browser.js';

// axe-core's own script, as the package exports it for injection into a page.
const axeSource = axeCore.source;

interface Violation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[]; html: string; failureSummary?: string }[];
}

/** axe's violations on the page as it is now. */
async function axe(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate(() => 'axe' in globalThis)))
    await page.addScriptTag({ content: axeSource });
  return page.evaluate(async () => {
    const a = (
      globalThis as unknown as {
        axe: { run(c: unknown, o: unknown): Promise<{ violations: Violation[] }> };
      }
    ).axe;
    const r = await a.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => ({
        target: n.target,
        html: n.html.slice(0, 200),
        failureSummary: n.failureSummary,
      })),
    }));
  });
}

/**
 * The API pages axe checks besides sitePages()' (the index and the entry
 * points' pages): the hierarchy, the Tensor class (the most sections), and
 * the first page of each kind's folder, with the first class that has a
 * hierarchy panel (its "View Summary" link).
 */
function apiSample(): string[] {
  const api = join(dist, 'api');
  const first = (dir: string) => `api/${dir}/${readdirSync(join(api, dir)).sort()[0]}`;
  return [
    'api/hierarchy.html',
    'api/classes/_nerve_core.Tensor.html',
    'api/classes/_nerve_data.PCA.html',
    ...['classes', 'interfaces', 'functions', 'types', 'variables'].map(first),
  ];
}

/** Waits for TypeDoc's navigation tree, which its script renders after the page loads. */
async function navigationRendered(page: Page): Promise<void> {
  await page.waitForSelector('#tsd-nav-container a', { state: 'attached' });
}

const serious = (v: Violation) => v.impact === 'serious' || v.impact === 'critical';

/** Serious and critical violations as readable lines; the rest printed. */
function report(where: string, vs: Violation[]): string[] {
  for (const v of vs.filter((x) => !serious(x)))
    console.log(`a11y (${v.impact}) ${where}: ${v.id}: ${v.help} (${v.nodes.length} nodes)`);
  return vs
    .filter(serious)
    .flatMap((v) =>
      v.nodes.map(
        (n) =>
          `${where}: ${v.impact} ${v.id} (${v.help}) at ${n.target.join(' ')}: ${n.html}\n    ${n.failureSummary ?? ''}`,
      ),
    );
}

describe.runIf(browserTests)('accessibility (axe-core) in headless chromium', () => {
  const session = useSite();

  it('finds no serious or critical violation on any page, light or dark', async () => {
    const site = session();
    const list = [...new Set([...sitePages(), ...apiSample()])];
    expect(list.length).toBeGreaterThanOrEqual(20);
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      // VitePress follows prefers-color-scheme until the visitor picks one.
      await page.emulateMedia({ colorScheme: scheme });
      for (const p of list) {
        await page.goto(site.server.url + p, { waitUntil: 'networkidle' });
        if (p.startsWith('api/')) await navigationRendered(page);
        const here = report(`${p} (${scheme})`, await axe(page));
        // Printed as found too: a run cut off by the timeout still says what it saw.
        for (const f of here) console.log(`a11y (serious) ${f}`);
        found.push(...here);
      }
    }
    await page.close();
    expect(found, found.join('\n')).toEqual([]);
    expect(problems).toEqual([]);
    // ~55 pages, twice: 600 s ran out under a load of 20 on the 2 shared cores
    // (the light pass alone took 8 min there); a guard, not a budget.
  }, 1_500_000);

  it('finds no interactive element inside a <summary> on any of the API pages', async () => {
    const site = session();
    const api = builtPages().filter((p) => p.startsWith('api/'));
    // The entry points' pages and at least one page per member (TypeDoc wrote ~690 here).
    expect(api.length).toBeGreaterThan(100);
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    await page.goto(`${site.server.url}api/index.html`, { waitUntil: 'networkidle' });
    // Each page's HTML as served, parsed by the browser (no scripts run): the
    // summaries holding a link, button, form control, nested details or tabindex.
    const nested = await page.evaluate(async (paths) => {
      const interactive =
        'a[href], button, input, select, textarea, details, iframe, [tabindex], audio[controls], video[controls]';
      const out: string[] = [];
      const parser = new DOMParser();
      for (const p of paths) {
        const html = await (await fetch(`/${p}`)).text();
        const doc = parser.parseFromString(html, 'text/html');
        for (const s of doc.querySelectorAll('summary'))
          if (s.querySelector(interactive)) out.push(`${p}: ${s.outerHTML.slice(0, 160)}`);
      }
      return out;
    }, api);
    await page.close();
    expect(nested, nested.slice(0, 20).join('\n')).toEqual([]);
    expect(problems).toEqual([]);
  }, 300_000);

  it('keeps the moved links reachable and the summaries toggling by keyboard', async () => {
    const site = session();
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    for (const scheme of ['light', 'dark'] as const) {
      await page.emulateMedia({ colorScheme: scheme });
      await page.goto(`${site.server.url}api/classes/_nerve_core.Tensor.html`, {
        waitUntil: 'networkidle',
      });
      await navigationRendered(page);
      const focused = () =>
        page.evaluate(() => {
          const e = document.activeElement;
          return {
            tag: e?.tagName.toLowerCase(),
            text: e?.textContent?.trim(),
            label: e?.getAttribute('aria-label'),
            cls: e?.getAttribute('class'),
          };
        });
      // The navigation: the module's link, then its summary, the chevron named by the module.
      const core = page.locator('li.nerve-nav-branch > a[href$="modules/_nerve_core.html"]');
      await core.focus();
      expect(await focused()).toMatchObject({ tag: 'a', text: 'core' });
      await page.keyboard.press('Tab');
      expect(await focused()).toMatchObject({ tag: 'summary', label: 'core' });
      const coreOpen = () =>
        page.$eval(
          'li.nerve-nav-branch:has(> a[href$="modules/_nerve_core.html"]) > details',
          (d) => (d as HTMLDetailsElement).open,
        );
      // The current page's module is opened by TypeDoc's script; Enter closes and opens it.
      expect(await coreOpen()).toBe(true);
      await page.keyboard.press('Enter');
      expect(await coreOpen()).toBe(false);
      await page.keyboard.press('Enter');
      expect(await coreOpen()).toBe(true);
      // A section: its summary toggles with Space; the next Tab stop is its permalink.
      const methods = page.locator('.col-content summary[data-key="section-Methods"]');
      await methods.focus();
      const methodsOpen = () =>
        page.$eval(
          '.col-content details:has(> summary[data-key="section-Methods"])',
          (d) => (d as HTMLDetailsElement).open,
        );
      await page.keyboard.press('Space');
      expect(await methodsOpen()).toBe(false);
      await page.keyboard.press('Space');
      expect(await methodsOpen()).toBe(true);
      await page.keyboard.press('Tab');
      expect(await focused()).toMatchObject({
        tag: 'a',
        label: 'Permalink: Methods',
        cls: 'tsd-anchor-icon nerve-section-permalink',
      });
      // Shown while focused, beside the heading (same row, right of its text).
      const icon = await page.$eval('a.nerve-section-permalink[href="#methods-1"]', (a) => {
        const h = document.getElementById('methods-1') as HTMLElement;
        const r = a.getBoundingClientRect();
        const hr = h.getBoundingClientRect();
        const range = document.createRange();
        range.selectNodeContents(h);
        const text = range.getBoundingClientRect();
        return {
          visible: getComputedStyle(a.querySelector('svg') as Element).visibility,
          sameRow: r.top < hr.bottom && r.bottom > hr.top,
          rightOfText: r.left >= text.right,
        };
      });
      expect(icon).toEqual({ visible: 'visible', sameRow: true, rightOfText: true });
      // The focused link was scrolled into view: let the scroll settle before the picture.
      await page.waitForTimeout(1000);
      await site.shot(page, `api-keyboard-permalink-${scheme}`, false);
      await page.keyboard.press('Enter');
      await page.waitForFunction(() => location.hash === '#methods-1');
      // The module link, followed from the keyboard.
      await core.focus();
      await Promise.all([
        page.waitForURL('**/api/modules/_nerve_core.html'),
        page.keyboard.press('Enter'),
      ]);
    }
    await page.close();
    expect(problems).toEqual([]);
  }, 120_000);

  it('finds none over the demos after they ran', async () => {
    const site = session();
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    const found: string[] = [];
    // Home: trained (curves drawn), then a drawn digit (preview and probabilities).
    await page.goto(site.server.url, { waitUntil: 'networkidle' });
    await page.click('[data-test=train]');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { __digitsDemo: { state(): { trained: boolean } } }
        ).__digitsDemo.state().trained,
      undefined,
      { timeout: 120_000 },
    );
    await page.click('text=draw a 7');
    await page.waitForSelector('[data-test=probs] .bar-row');
    found.push(...report('home after training', await axe(page)));
    // A lab page with its result.
    await page.goto(`${site.server.url}lab/activations.html`, { waitUntil: 'networkidle' });
    await page.click('[data-test=run]');
    await page.waitForSelector('[data-test=result], [data-test=error]', { timeout: 120_000 });
    found.push(...report('lab/activations after a run', await axe(page)));
    // The examples page with an example's output.
    await page.goto(`${site.server.url}examples.html`, { waitUntil: 'networkidle' });
    await page.click('[data-example=tensors] [data-test=run-example]');
    await page.waitForSelector('[data-example=tensors] [data-test=printed]:not(:empty)');
    found.push(...report('examples after a run', await axe(page)));
    await page.close();
    expect(found, found.join('\n')).toEqual([]);
    expect(problems).toEqual([]);
  }, 400_000);
});
