/**
 * @nerve/plot in a real browser: its browser entry (no linkedom) bundled by
 * esbuild for the browser, run in headless chromium, draws every figure kind
 * in the page's own `document`. Each SVG must be well-formed XML to the
 * browser's own parser and show the same words as the SVG Node draws from
 * the same figure through linkedom: one drawing code path for CLI reports
 * and the site.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { figureToSvg } from '../../packages/plot/src/index.js';
import { allFigures } from '../../packages/plot/test/figures.js';
import { parseXml, textOf } from '../../packages/plot/test/xml.js';
import { type Browser, haveChromium, launchChromium } from './chromium.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const required = process.env.NERVE_REQUIRE_BROWSER === '1';

/** The page script: draws every test figure and reports the SVGs and XML parse errors. */
const PAGE = `
import { figureToSvg } from '@nerve/plot';
import { allFigures } from './packages/plot/test/figures.ts';
const out = allFigures.map((fig) => {
  const svg = figureToSvg(fig);
  const doc = new DOMParser().parseFromString(svg, 'image/svg+xml');
  const error = doc.querySelector('parsererror')?.textContent ?? null;
  return { id: fig.id, svg, root: doc.documentElement.localName, error };
});
globalThis.__result = out;
`;

describe.runIf(haveChromium || required)('@nerve/plot in headless chromium', () => {
  let browser: Browser | undefined;
  let result: { id: string; svg: string; root: string; error: string | null }[] = [];
  let bundle = '';

  beforeAll(async () => {
    const out = await build({
      stdin: { contents: PAGE, resolveDir: root, loader: 'ts' },
      bundle: true,
      write: false,
      format: 'iife',
      platform: 'browser',
      conditions: ['@nerve/source'],
      logLevel: 'silent',
    });
    bundle = out.outputFiles.map((f) => f.text).join('\n');
    browser = await launchChromium();
    const page = await browser.context.newPage();
    await page.setContent('<!DOCTYPE html><html><body></body></html>');
    await page.addScriptTag({ content: bundle });
    result = await page.evaluate(
      () => (globalThis as unknown as { __result: typeof result }).__result,
    );
  }, 120_000);
  afterAll(async () => browser?.close());

  it('bundles the browser entry, without linkedom', () => {
    expect(bundle.length).toBeGreaterThan(0);
    expect(bundle).not.toMatch(/linkedom|htmlparser2/i);
  });

  it.each(
    allFigures.map((f) => [f.id] as const),
  )('%s: well-formed, and the same words as in Node', (id) => {
    const r = result.find((x) => x.id === id);
    expect(r?.error ?? null).toBeNull();
    expect(r?.root).toBe('svg');
    const fig = allFigures.find((f) => f.id === id);
    if (r === undefined || fig === undefined) throw new Error(`no result for ${id}`);
    expect(textOf(parseXml(r.svg))).toBe(textOf(parseXml(figureToSvg(fig))));
  });
});
