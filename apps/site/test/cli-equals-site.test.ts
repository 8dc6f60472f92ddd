/**
 * For the same seed and backend, a lab page's numbers equal the CLI's: the
 * page runs an experiment with `runExperiment` in its worker (CPU backend,
 * the digits fetched and decoded in the browser), and this test runs the
 * same experiment through `runExperiment` in Node, as `nerve lab run <id>
 * --quick` does (apps/cli/src/lab-command.ts: default backend, the
 * experiment's seed, nodeLabData). Findings, tables, figures' data and
 * notes must be equal exactly: the same float32 kernels run in the same
 * order (the CPU backend's wasm in both; its thread splits give
 * bit-identical sums, docs/performance.md "Threads").
 */
import '@nerve/backend-cpu';
import { type LabResult, getExperiment, runExperiment } from '@nerve/lab';
import { nodeLabData } from '@nerve/lab/node';
import { describe, expect, it } from 'vitest';
import { browserTests, useSite } from './browser.js';

/** What must agree: everything but the timing. */
function numbers(r: LabResult) {
  return {
    id: r.id,
    seed: r.seed,
    quick: r.quick,
    params: r.params,
    held: r.held,
    findings: r.findings,
    tables: r.tables,
    figures: r.figures,
    notes: r.notes ?? [],
  };
}

describe.runIf(browserTests)('a lab page computes what the CLI computes', () => {
  const session = useSite();

  // activations (a synthetic part and a digits part) and dead-relu (digits training).
  for (const id of ['activations', 'dead-relu']) {
    it(`${id} --quick: the page's findings, tables and figures equal the CLI's`, async () => {
      const site = session();
      const { page, problems } = await site.page();
      await page.goto(`${site.server.url}lab/${id}.html`, { waitUntil: 'networkidle' });
      await page.click('[data-test=run]');
      await page.waitForSelector('[data-test=result], [data-test=error]', { timeout: 150_000 });
      const error = await page.$('[data-test=error]');
      expect(error ? await error.textContent() : null).toBeNull();
      const inPage = await page.evaluate(
        () => (globalThis as unknown as { __labResult: LabResult }).__labResult,
      );
      const cli = await runExperiment(getExperiment(id), { quick: true, data: nodeLabData });
      console.log(
        `${id} --quick: page ${inPage.seconds.toFixed(1)} s, Node ${cli.seconds.toFixed(1)} s; ${cli.findings.length} findings, ${cli.tables.length} tables, ${cli.figures.length} figures compared`,
      );
      expect(cli.findings.length).toBeGreaterThan(0);
      expect(numbers(inPage)).toEqual(numbers(cli));
      expect(problems).toEqual([]);
      await page.close();
    }, 300_000);
  }
});
