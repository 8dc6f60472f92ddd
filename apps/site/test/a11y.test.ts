/**
 * Accessibility: axe-core (pinned exactly, its source injected into the
 * page) over every page of the built site finds no serious or critical
 * violation, in the light and the dark theme, and over the demos' content
 * after they ran (the home demo's trained curves and drawn digit, a lab
 * result, the examples' output). Minor and moderate findings are printed,
 * not failed.
 */
import axeCore from 'axe-core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { browserTests, sitePages, useSite } from './browser.js';

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
    const list = sitePages();
    expect(list.length).toBeGreaterThanOrEqual(20);
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    const found: string[] = [];
    for (const scheme of ['light', 'dark'] as const) {
      // VitePress follows prefers-color-scheme until the visitor picks one.
      await page.emulateMedia({ colorScheme: scheme });
      for (const p of list) {
        await page.goto(site.server.url + p, { waitUntil: 'networkidle' });
        found.push(...report(`${p} (${scheme})`, await axe(page)));
      }
    }
    await page.close();
    // TypeDoc's generated pages put links (permalinks, the navigation's module
    // links) inside <summary> elements: axe's nested-interactive. That markup is
    // TypeDoc's, reported here, not failed; any other finding on them fails.
    const typedoc = (f: string) => f.startsWith('api/') && / nested-interactive /.test(f);
    const known = found.filter(typedoc);
    if (known.length > 0) {
      console.log(
        `a11y: ${known.length} nested-interactive findings in TypeDoc's markup (api/), known`,
      );
    }
    expect(
      found.filter((f) => !typedoc(f)),
      found.join('\n'),
    ).toEqual([]);
    expect(problems).toEqual([]);
  }, 600_000);

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
