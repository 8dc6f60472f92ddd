/**
 * The examples page (/examples): every runnable example shows its source
 * and stated output from its one file, runs in a worker in the page, and
 * prints what the file states, compared as the Node test compares it
 * (test/example-output.ts: text exact up to white space, numbers to float32
 * rounding).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { splitExample } from '../../../examples/stated-output.js';
import { compareOutput } from '../../../test/example-output.js';
import { browserTests, useSite } from './browser.js';

const dir = fileURLToPath(new URL('../../../examples/getting-started/', import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

interface ExampleState {
  running: boolean;
  done: boolean;
  error: string | null;
  output: string;
  expected: string | null;
  matches: boolean;
  seconds: number | null;
}

describe.runIf(browserTests)('examples page in headless chromium', () => {
  const session = useSite();

  it('runs every example in the page and prints its stated output', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}examples.html`, { waitUntil: 'networkidle' });
    // Every example file has its block on the page.
    const shown = await page.$$eval('[data-example]', (els) =>
      els.map((e) => e.getAttribute('data-example')).sort(),
    );
    expect(shown).toEqual(names);
    for (const name of names) {
      const { code, expected } = splitExample(readFileSync(join(dir, `${name}.ts`), 'utf8'));
      const block = `[data-example="${name}"]`;
      await page.waitForFunction(
        (b) => !document.querySelector(`${b} .source`)?.textContent?.includes('loading…'),
        block,
      );
      // The page shows the file's code and its stated output, from the one source.
      expect(await page.textContent(`${block} .source`)).toBe(code);
      expect(await page.textContent(`${block} [data-test=expected]`)).toBe(expected);
      await page.click(`${block} [data-test=run-example]`);
      await page.waitForFunction(
        (n) => {
          const g = globalThis as unknown as { __runExamples: Record<string, () => ExampleState> };
          const s = g.__runExamples[n]();
          return s.done || s.error !== null;
        },
        name,
        { timeout: 60_000 },
      );
      const s = await page.evaluate(
        (n) =>
          (
            globalThis as unknown as { __runExamples: Record<string, () => ExampleState> }
          ).__runExamples[n](),
        name,
      );
      expect(s.error, name).toBeNull();
      // What the page printed (also as displayed) is the file's stated output.
      expect(await page.textContent(`${block} [data-test=printed]`)).toBe(s.output);
      const difference = compareOutput(s.output, expected ?? '');
      expect(difference, `${name} in the page: ${difference}`).toBeNull();
      expect(s.matches).toBe(true);
      console.log(`example ${name}: ran in the page in ${s.seconds?.toFixed(2)} s`);
    }
    await site.shot(page, 'examples-run');
    expect(problems).toEqual([]);
    await page.close();
  }, 180_000);
});
