/**
 * /search in Debian's headless Chromium: the page loads clean, a study of
 * 12 trials × 4 epochs runs to the end on 2 Web Workers, ASHA prunes by its
 * rule, and the results equal a Node run of the same code (the page's
 * coordinator and trial, in-process on one lane). The study is
 * deterministic: trial i's configuration and seed come from (seed, i), and
 * ASHA compares a trial only with trials of smaller id once they have
 * reached the rung, so two workers and one make the same decisions. The
 * best trial's `nerve train` command retrains it epoch for epoch.
 * Screenshots: .test-results/site/search-*.png.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LiveTrial } from '../.vitepress/theme/search-plots.js';
import {
  METRIC,
  type SearchResult,
  type SearchSettings,
  defaultSettings,
  studyPruner,
  trainCommand,
} from '../.vitepress/theme/search-study.js';
import { type SiteSession, browserTests, openSite } from './browser.js';
import { runSearchInNode } from './search-node.js';

interface PageState {
  running: boolean;
  finished: boolean;
  status: string;
  seconds: number | null;
  cores: number;
  settings: SearchSettings;
  workersUsed: number;
  rungs: number[];
  trials: LiveTrial[];
  best: LiveTrial | null;
  commands: { train: string; tune: string } | null;
}

const state = (page: Page): Promise<PageState> =>
  page.evaluate(() =>
    (globalThis as unknown as { __searchStudy: { state(): PageState } }).__searchStudy.state(),
  );

/** The study of the test: small enough for ~10 s here, big enough that ASHA cuts. */
const STUDY = { trials: 12, epochs: 4, seed: 0 };

/** Sets the controls and runs the study to the end; `midShot` is written once trials have finished while others run. */
async function runOnPage(
  site: SiteSession,
  page: Page,
  workers: number,
  midShot?: string,
): Promise<PageState> {
  await page.fill('[data-test=trials]', String(STUDY.trials));
  await page.fill('[data-test=epochs]', String(STUDY.epochs));
  await page.fill('[data-test=workers]', String(workers));
  await page.fill('[data-test=seed]', String(STUDY.seed));
  await page.click('[data-test=start]');
  let shot = midShot === undefined;
  for (;;) {
    const s = await state(page);
    if (!s.running && s.trials.length > 0) return s;
    const done = s.trials.filter((t) => t.state !== 'running').length;
    if (!shot && done >= 3 && done < STUDY.trials && s.running) {
      // Wait for a redraw (every 200 ms) so the plots show the trials so far.
      await page.waitForTimeout(300);
      await site.shot(page, midShot as string);
      shot = true;
    }
    await page.waitForTimeout(100);
  }
}

/** The trials as the page and the Node run both describe them. */
interface Summary {
  id: number;
  status: string;
  curve: number[];
  config: Record<string, number>;
}
const fromPage = (s: PageState): Summary[] =>
  s.trials.map((t) => ({
    id: t.id,
    status: t.state,
    curve: t.curve.map((p) => p.value),
    config: { ...t.config },
  }));
const fromNode = (r: SearchResult): Summary[] =>
  r.trials.map((t) => ({
    id: t.id,
    status: t.status,
    curve: t.history.map((h) => h.metrics[METRIC] as number),
    config: { ...t.config } as Record<string, number>,
  }));

/**
 * Page (Chromium's V8) against Node (Node 20's V8): statuses and validation
 * accuracy curves exactly equal; sampled values equal to within 4 ulps.
 * Measured here: tune's log-uniform draw (Math.exp of Math.log) differs in
 * the last bit between the two engines for 2 of the 12 trials (e.g. lr
 * 0.00633491118152911 in Node, 0.006334911181529111 in Chromium), which
 * changes no accuracy of this study.
 */
function expectSameStudy(page: Summary[], node: Summary[]): void {
  expect(page.map((t) => t.id)).toEqual(node.map((t) => t.id));
  for (const [i, p] of page.entries()) {
    const n = node[i] as Summary;
    expect(p.status, `trial ${p.id}`).toBe(n.status);
    expect(p.curve, `trial ${p.id}`).toEqual(n.curve);
    expect(Object.keys(p.config).sort()).toEqual(Object.keys(n.config).sort());
    for (const [k, v] of Object.entries(n.config)) {
      const got = p.config[k] as number;
      expect(Math.abs(got - v), `trial ${p.id} ${k}: ${got} vs ${v}`).toBeLessThanOrEqual(
        4 * Number.EPSILON * Math.abs(v),
      );
    }
  }
}

describe.runIf(browserTests)('/search in headless chromium', () => {
  let site: SiteSession | undefined;
  let node: SearchResult;
  let twoWorkers: PageState | undefined;

  beforeAll(async () => {
    site = await openSite();
    const t0 = performance.now();
    node = await runSearchInNode({ ...defaultSettings(1), ...STUDY });
    console.log(
      `node: ${STUDY.trials} trials in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }, 120_000);
  afterAll(async () => {
    await site?.close();
  });

  it('runs a study on 2 workers with ASHA, equal to the Node run of the same code', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}search.html`, { waitUntil: 'networkidle' });
    expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
    await page.waitForFunction(() => '__searchStudy' in globalThis);
    await site.shot(page, 'search-loaded');
    const s = await runOnPage(site, page, 2, 'search-running');
    await page.waitForTimeout(300);
    await site.shot(page, 'search-finished');
    console.log(
      `page: ${s.status}; ${s.cores} cores reported; trials ${s.trials.map((t) => `#${t.id}:${t.state}@w${t.worker}`).join(' ')}`,
    );
    expect(s.status).not.toMatch(/error/);
    expect(s.finished).toBe(true);
    expect(s.trials.map((t) => t.id)).toEqual([...Array(STUDY.trials).keys()]);
    // Both workers trained trials (ids recorded per trial).
    expect(new Set(s.trials.map((t) => t.worker))).toEqual(new Set([0, 1]));
    expect(s.workersUsed).toBe(2);

    // ASHA's rule, checked from the recorded values: at rung r, trial t
    // continues only if its value is in the top max(1, ⌊n/η⌋) of the n
    // values at r of trials 0..t (each trial's first report at or after r).
    const pruner = studyPruner(STUDY.epochs);
    if (!pruner) throw new Error('no pruner');
    expect(s.rungs).toEqual([1, 3]);
    const at = (t: LiveTrial, r: number) => t.curve.find((p) => p.epoch >= r)?.value;
    const cut = (t: LiveTrial, r: number): number => {
      const values = s.trials
        .filter((o) => o.id <= t.id)
        .map((o) => at(o, r))
        .filter((v): v is number => v !== undefined)
        .sort((a, b) => b - a);
      const keep = Math.max(1, Math.floor(values.length / pruner.reductionFactor));
      return values[keep - 1] as number;
    };
    const prunedTrials = s.trials.filter((t) => t.state === 'pruned');
    expect(prunedTrials.length).toBeGreaterThan(0);
    for (const t of s.trials) {
      const last = t.curve[t.curve.length - 1];
      if (!last) throw new Error(`trial ${t.id} reported nothing`);
      for (const r of s.rungs.filter((r) => r <= last.epoch)) {
        const v = at(t, r) as number;
        if (t.state === 'pruned' && r === last.epoch) {
          // Pruned at its last rung: strictly below that rung's cut.
          expect(v, `trial ${t.id} at rung ${r}`).toBeLessThan(cut(t, r));
        } else {
          // Every rung it passed: at or above the cut.
          expect(v, `trial ${t.id} at rung ${r}`).toBeGreaterThanOrEqual(cut(t, r));
        }
      }
      if (t.state === 'pruned') expect(s.rungs).toContain(last.epoch);
      else {
        expect(t.state, `trial ${t.id}`).toBe('completed');
        expect(last.epoch).toBe(STUDY.epochs);
      }
    }

    // The same study in Node, serially in-process: every configuration,
    // status and validation-accuracy curve is equal, so the best is too.
    expectSameStudy(fromPage(s), fromNode(node));
    twoWorkers = s;
    expect(s.best?.id).toBe(node.best?.id);
    expect(s.best?.best).toBe(node.best?.objective);
    // The digits MLP reaches ≥ 95% on its held-out split in 40 epochs (the
    // home demo's bar); 4 epochs of the best of 12 random configurations
    // should be no worse than that.
    expect(s.best?.best).toBeGreaterThanOrEqual(0.95);

    // The commands shown are those of the best trial.
    expect(s.commands?.train).toBe(
      trainCommand({ config: s.best?.config as never, seed: s.best?.seed as number }),
    );
    expect(s.best?.seed).toBe(node.best?.seed);
    expect(await page.textContent('[data-test=train-command]')).toBe(s.commands?.train);
    expect(await page.$$eval('[data-test=best-table] tbody tr', (r) => r.length)).toBe(8);
    expect(await page.$('[data-test=accuracy-plot] svg')).not.toBeNull();
    expect(await page.$('[data-test=curves-plot] svg')).not.toBeNull();
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('with one worker, the page equals the Node run too', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}search.html`, { waitUntil: 'networkidle' });
    await page.waitForFunction(() => '__searchStudy' in globalThis);
    const s = await runOnPage(site, page, 1);
    console.log(`page, 1 worker: ${s.status}`);
    expect(s.finished).toBe(true);
    expect(new Set(s.trials.map((t) => t.worker))).toEqual(new Set([0]));
    expectSameStudy(fromPage(s), fromNode(node));
    // In the same engine, one worker and two give exactly the same study.
    if (twoWorkers) expect(fromPage(s)).toEqual(fromPage(twoWorkers));
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('Stop ends the study: no trial left running, the page ready for another', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}search.html`, { waitUntil: 'networkidle' });
    await page.waitForFunction(() => '__searchStudy' in globalThis);
    await page.fill('[data-test=trials]', '50');
    await page.fill('[data-test=workers]', '2');
    await page.click('[data-test=start]');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __searchStudy: { state(): PageState } }).__searchStudy
          .state()
          .trials.some((t) => t.state !== 'running'),
      undefined,
      { timeout: 30_000 },
    );
    await page.click('[data-test=stop]');
    await page.waitForFunction(
      () =>
        !(globalThis as unknown as { __searchStudy: { state(): PageState } }).__searchStudy.state()
          .running,
    );
    const s = await state(page);
    expect(s.status).toMatch(/^stopped/);
    expect(s.finished).toBe(false);
    expect(s.trials.length).toBeLessThan(50);
    expect(s.trials.filter((t) => t.state === 'running')).toEqual([]);
    expect(s.trials.filter((t) => t.state === 'failed')).toEqual([]);
    expect(await page.isEnabled('[data-test=start]')).toBe(true);
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it("the best trial's nerve train command retrains it epoch for epoch", async () => {
    const best = node.best;
    if (!best) throw new Error('no best trial');
    const argv = trainCommand(best).split(' ').slice(1);
    expect(argv[0]).toBe('train');
    // The command as a user runs it (`pnpm nerve …` from the repository root).
    const out = execFileSync('pnpm', ['-s', 'nerve', ...argv, '--json'], {
      cwd: fileURLToPath(new URL('../../..', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const epochs = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { event: string; valAccuracy?: number; valLoss?: number })
      .filter((e) => e.event === 'epoch');
    expect(epochs.map((e) => e.valAccuracy)).toEqual(best.history.map((h) => h.metrics[METRIC]));
    expect(epochs.map((e) => e.valLoss)).toEqual(best.history.map((h) => h.metrics.valLoss));
  }, 60_000);
});
