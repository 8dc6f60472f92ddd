/**
 * Every demo page on WebGPU (issue 13): with WebGPU picked explicitly in
 * the page's backend picker (Chromium's SwiftShader adapter, which
 * --enable-unsafe-webgpu hands out), each page's demo runs to completion
 * with small settings, the page reports the backend its worker used, the
 * result is sane, and the console shows no error. The CPU path of each page
 * is tested by the page's own test file (against Node).
 *
 * SwiftShader compiles kernels on the CPU and is many times slower than the
 * CPU backend (README, Backends), so every run here is short.
 */
import '@nerve/backend-cpu';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setBackend } from '@nerve/core';
import type { LabResult } from '@nerve/lab';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  PLAYGROUND_DEFAULTS,
  type PlaygroundSnapshot,
  PlaygroundRun,
  toyData,
} from '../.vitepress/theme/playground-core.js';
import { FASHION_CLASSES, decodeFashionSubset } from '../.vitepress/theme/fashion-subset.js';
import type { SiteBackend } from '../.vitepress/theme/site-backend.js';
import {
  type FewShotRequest,
  type Method,
  loadPretrainedCnn,
  runFewShot,
} from '../.vitepress/theme/transfer-core.js';
import { METRIC, defaultSettings } from '../.vitepress/theme/search-study.js';
import { splitExample } from '../../../examples/stated-output.js';
import { compareOutput } from '../../../test/example-output.js';
import { browserTests, useSite } from './browser.js';
import { runSearchInNode } from './search-node.js';
import { STORED_ROWS, cnnBytes, subsetFiles } from './transfer-reference.js';

async function pickWebGpu(page: Page): Promise<void> {
  // The WebGPU option is enabled once the page has asked for an adapter; click waits for it.
  await page.click('[data-test=backend-webgpu]', { timeout: 30_000 });
  expect(await page.isChecked('[data-test=backend-webgpu]')).toBe(true);
}

/** What every page's picker must say once its worker has started WebGPU. */
async function expectWebGpuShown(page: Page, used: SiteBackend | null | undefined): Promise<void> {
  expect(used?.name).toBe('webgpu');
  expect(used?.adapter).not.toBe('');
  expect(await page.textContent('[data-test=backend-used]')).toContain('WebGPU on');
}

function expectFinite(xs: number[]): void {
  expect(xs.length).toBeGreaterThan(0);
  for (const x of xs) expect(Number.isFinite(x)).toBe(true);
}

/** Playground epochs on WebGPU: 5 of the spiral's 15 steps each. */
const PLAYGROUND_EPOCHS = 5;

interface PlaygroundState {
  ready: boolean;
  running: boolean;
  epoch: number;
  status: string;
  backend: SiteBackend | null;
  curves: PlaygroundSnapshot['curves'] | null;
  boundaryClasses: number;
}

const playgroundState = (page: Page): Promise<PlaygroundState> =>
  page.evaluate(() =>
    (globalThis as unknown as { __playground: { state(): PlaygroundState } }).__playground.state(),
  );

interface TransferState {
  phase: string;
  status: string;
  backend: SiteBackend | null;
  request: FewShotRequest | null;
  result: { accuracy: Record<Method, number> | null; testImages: number } | null;
  prediction: { probs: Record<Method, number[]> } | null;
}

const transferState = (page: Page): Promise<TransferState> =>
  page.evaluate(() =>
    (globalThis as unknown as { __transfer: { state(): TransferState } }).__transfer.state(),
  );

/** A request learned in Node on the CPU backend: the test accuracy per method. */
async function nodeFewShot(req: FewShotRequest): Promise<Record<Method, number>> {
  setBackend('cpu');
  const data = await decodeFashionSubset(subsetFiles());
  const pre = await loadPretrainedCnn(cnnBytes());
  try {
    const r = await runFewShot(pre, data, req);
    r.dispose();
    if (r.accuracy === null) throw new Error('no test images');
    return r.accuracy;
  } finally {
    pre.model.dispose();
    data.train.dispose();
    data.test.dispose();
  }
}

interface SearchState {
  running: boolean;
  status: string;
  backend: SiteBackend | null;
  trials: { id: number; state: string; curve: { epoch: number; value: number }[] }[];
}

/** The search study on WebGPU: 3 trials of 2 epochs on one worker (ASHA's rung at epoch 1). */
const SEARCH = { trials: 3, epochs: 2, seed: 0, workers: 1 };

interface LabState {
  running: boolean;
  error: string | null;
  backend: SiteBackend | null;
  result: LabResult | null;
}

/**
 * Lab pages beyond init-depth (backends.test.ts runs that one on both
 * backends): activations (synthetic data and a gradient pass on the
 * digits) and two that train on the digits split and standardized on the
 * CPU, then moved (batchnorm, dead-relu). Far fewer steps than --quick for
 * SwiftShader's time: batches of 128 and one epoch (batchnorm at the quick
 * values with epochs 2 passed 240 s here on a loaded machine); on the CPU
 * these settings give finite findings in 5 s and 1.4 s.
 */
const LAB_RUNS: { id: string; params: Record<string, number> }[] = [
  { id: 'activations', params: {} },
  {
    id: 'batchnorm',
    params: { epochs: 1, ladderEpochs: 1, ladderMin: 1, ladderMax: 1, batchSize: 128 },
  },
  { id: 'dead-relu', params: { epochs: 1, batch: 128 } },
];

const examplesDir = fileURLToPath(new URL('../../../examples/getting-started/', import.meta.url));
const exampleNames = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => f.replace(/\.ts$/, ''))
  .sort();

interface ExampleState {
  done: boolean;
  error: string | null;
  output: string;
  backend: SiteBackend | null;
}

describe.runIf(browserTests)('every demo page on WebGPU (headless chromium, SwiftShader)', () => {
  const session = useSite();

  it('playground: the spiral trains on WebGPU and follows the CPU run', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}playground.html`, { waitUntil: 'networkidle' });
    await pickWebGpu(page);
    // The switch resets the run on the new backend.
    await page.waitForFunction(
      () => {
        const s = (
          globalThis as unknown as { __playground: { state(): PlaygroundState } }
        ).__playground.state();
        return (s.ready && s.backend?.name === 'webgpu') || s.status.startsWith('error');
      },
      null,
      { timeout: 120_000, polling: 100 },
    );
    for (let e = 1; e <= PLAYGROUND_EPOCHS; e++) {
      await page.click('[data-test=step]');
      await page.waitForFunction(
        (e) => {
          const s = (
            globalThis as unknown as { __playground: { state(): PlaygroundState } }
          ).__playground.state();
          return s.epoch >= e || s.status.startsWith('error');
        },
        e,
        { timeout: 120_000, polling: 100 },
      );
    }
    const s = await playgroundState(page);
    expect(s.status).not.toMatch(/^error/);
    await expectWebGpuShown(page, s.backend);
    expect(s.epoch).toBe(PLAYGROUND_EPOCHS);
    const c = s.curves;
    if (c === null) throw new Error('no curves');
    expectFinite([...c.trainLoss, ...c.valLoss, ...c.trainAcc, ...c.valAcc]);
    // The same run on the CPU in Node (playground-core, the same data, seeds
    // and batch order). Only float32 rounding differs between the backends
    // (summation order, ~1e-7 relative per op); over 75 Adam steps that
    // drift stays far below 0.02 in the loss, while a broken kernel moves
    // the loss by more than that (the spiral's loss falls ~0.1 per epoch
    // here: 1.1 at the start, ~0.2 after 7 epochs on the CPU).
    setBackend('cpu');
    const run = new PlaygroundRun({ ...PLAYGROUND_DEFAULTS }, toyData('spiral', 0));
    try {
      for (let e = 0; e < PLAYGROUND_EPOCHS; e++) await run.step();
      const ref = run.snapshot(false).curves;
      for (let e = 0; e < PLAYGROUND_EPOCHS; e++) {
        expect(Math.abs((c.trainLoss[e] as number) - (ref.trainLoss[e] as number))).toBeLessThan(
          0.02,
        );
        expect(Math.abs((c.valLoss[e] as number) - (ref.valLoss[e] as number))).toBeLessThan(0.02);
      }
    } finally {
      run.dispose();
    }
    // Above chance (1/3 for three classes) by a wide margin.
    expect(c.valAcc.at(-1)).toBeGreaterThan(2 / 3);
    // The boundary grid was read back from WebGPU (asynchronously) and shows every class.
    expect(s.boundaryClasses).toBe(3);
    await site.shot(page, 'webgpu-playground');
    expect(problems).toEqual([]);
  }, 300_000);

  it('transfer: one example per class learned on WebGPU, as on the CPU', async () => {
    const site = session();
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    await page.goto(`${site.server.url}transfer.html`);
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __transfer?: { state(): TransferState } }).__transfer?.state()
          .phase !== 'loading',
      null,
      { timeout: 60_000, polling: 200 },
    );
    expect((await transferState(page)).status).not.toMatch(/error/);
    await page.waitForSelector('img[data-row="0"]', { timeout: 60_000 });
    await pickWebGpu(page);
    // k = 1 (the first thumbnail of each class 5–9): the smallest task, for SwiftShader's time.
    await page.click('button:has-text("pick 1 of each")');
    const classes = [5, 6, 7, 8, 9];
    const picks = classes.map((c, cls) => ({ row: STORED_ROWS[c][0] as number, cls }));
    // The same request in Node on the CPU, run meanwhile: the reference.
    const nodeRun = nodeFewShot({
      classes: classes.map((c) => ({ name: FASHION_CLASSES[c] as string, fashion: c })),
      picks,
      drawn: [],
      seed: 0,
    });
    await page.click('[data-test=train]');
    await page.waitForFunction(
      () => {
        const p = (
          globalThis as unknown as { __transfer: { state(): TransferState } }
        ).__transfer.state().phase;
        return p === 'trained' || p === 'error';
      },
      null,
      { timeout: 240_000, polling: 200 },
    );
    const s = await transferState(page);
    expect(s.status).not.toMatch(/error/);
    expect(s.phase).toBe('trained');
    await expectWebGpuShown(page, s.backend);
    // The page sent the request the Node run learned.
    expect(s.request?.picks).toEqual(picks);
    expect(s.request?.classes.map((c) => c.fashion)).toEqual(classes);
    expect(s.request?.seed).toBe(0);
    const gpu = s.result?.accuracy;
    if (!gpu) throw new Error('no accuracy');
    expect(s.result?.testImages).toBe(500);
    const cpu = await nodeRun;
    console.log(`transfer k = 1: WebGPU ${JSON.stringify(gpu)}, Node CPU ${JSON.stringify(cpu)}`);
    for (const m of ['frozen', 'finetune', 'scratch'] as const) {
      // Same code, seed and batch order; only float32 rounding differs
      // (summation order in conv/matmul, ~1e-7 relative per op). After 60
      // Adam steps that moves a test image's prediction only near a decision
      // boundary: allow 3 points (15 of the 500 test images), far below what
      // a wrong kernel costs (chance is 20%).
      expect(Math.abs(gpu[m] - cpu[m]), m).toBeLessThanOrEqual(0.03);
      // And above chance (5 classes: 20%).
      expect(gpu[m], m).toBeGreaterThan(0.2);
    }
    // A test image classified by each method (probabilities read back from WebGPU).
    await page.click('img[data-test-row]:nth-child(9)');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { __transfer: { state(): { prediction: unknown } } }
        ).__transfer.state().prediction !== null,
      null,
      { timeout: 60_000 },
    );
    const pred = (await transferState(page)).prediction;
    for (const m of ['frozen', 'finetune', 'scratch'] as const) {
      const p = pred?.probs[m] ?? [];
      expect(p).toHaveLength(5);
      // A distribution: float32 softmax sums to 1 within ~1e-6.
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-4);
    }
    await site.shot(page, 'webgpu-transfer');
    expect(problems).toEqual([]);
  }, 300_000);

  it('search: a small study runs on a WebGPU worker, as in Node on the CPU', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}search.html`, { waitUntil: 'networkidle' });
    await page.waitForFunction(() => '__searchStudy' in globalThis);
    await pickWebGpu(page);
    await page.fill('[data-test=trials]', String(SEARCH.trials));
    await page.fill('[data-test=epochs]', String(SEARCH.epochs));
    await page.fill('[data-test=workers]', String(SEARCH.workers));
    await page.fill('[data-test=seed]', String(SEARCH.seed));
    // The same study in Node on the CPU, run meanwhile: the reference.
    const nodeRun = runSearchInNode({ ...defaultSettings(1), ...SEARCH });
    await page.click('[data-test=start]');
    await page.waitForFunction(
      () => {
        const s = (
          globalThis as unknown as { __searchStudy: { state(): SearchState } }
        ).__searchStudy.state();
        return !s.running && (s.trials.length > 0 || s.status.startsWith('error'));
      },
      null,
      { timeout: 240_000, polling: 200 },
    );
    const s = await page.evaluate(() =>
      (globalThis as unknown as { __searchStudy: { state(): SearchState } }).__searchStudy.state(),
    );
    expect(s.status).not.toMatch(/error|fail/);
    await expectWebGpuShown(page, s.backend);
    const node = await nodeRun;
    expect(s.trials.map((t) => t.id)).toEqual(node.trials.map((t) => t.id));
    for (const [i, t] of s.trials.entries()) {
      const n = node.trials[i];
      if (!n) throw new Error(`no Node trial ${t.id}`);
      expect(t.state, `trial ${t.id}`).toBe(n.status);
      const want = n.history.map((h) => h.metrics[METRIC] as number);
      expect(t.curve).toHaveLength(want.length);
      for (const [e, p] of t.curve.entries()) {
        // Same split, seeds and batch order as Node; only float32 rounding
        // differs. The validation set has 144 digits (10% of the 1,437
        // training ones), so one flipped prediction is 0.7 points: allow 3
        // points (4 digits) for predictions on a decision boundary; a wrong
        // kernel sends the accuracy towards chance (10%).
        expect(
          Math.abs(p.value - (want[e] as number)),
          `trial ${t.id} epoch ${e + 1}`,
        ).toBeLessThanOrEqual(0.03);
      }
    }
    console.log(
      `search on WebGPU: ${JSON.stringify(s.trials.map((t) => t.curve.map((p) => p.value)))}; Node CPU ${JSON.stringify(node.trials.map((t) => t.history.map((h) => h.metrics[METRIC])))}`,
    );
    await site.shot(page, 'webgpu-search');
    expect(problems).toEqual([]);
  }, 300_000);

  it('lab: activations, batchnorm and dead-relu run to the end on WebGPU', async () => {
    const site = session();
    const { page, problems } = await site.page();
    for (const { id, params } of LAB_RUNS) {
      await page.goto(`${site.server.url}lab/${id}.html`, { waitUntil: 'networkidle' });
      await pickWebGpu(page);
      for (const [name, v] of Object.entries(params)) await page.fill(`#p-${name}`, String(v));
      await page.click('[data-test=run]');
      await page.waitForFunction(
        () => {
          const s = (
            globalThis as unknown as { __labRunner: { state(): LabState } }
          ).__labRunner.state();
          return !s.running && (s.result !== null || s.error !== null);
        },
        null,
        { timeout: 300_000, polling: 200 },
      );
      // The drawn result can ask for a font: let it arrive before the next page.
      await page.evaluate(() => document.fonts.ready.then(() => undefined));
      const s = await page.evaluate(() =>
        (globalThis as unknown as { __labRunner: { state(): LabState } }).__labRunner.state(),
      );
      expect(s.error, id).toBeNull();
      await expectWebGpuShown(page, s.backend);
      const r = s.result;
      if (r === null) throw new Error(`${id}: no result`);
      expect(r.params, id).toMatchObject(params);
      expect(r.findings.length, id).toBeGreaterThan(0);
      // Every measured value a number: a NaN here is a broken read or kernel.
      for (const f of r.findings) expect(f.measured, `${id}: ${f.statement}`).not.toMatch(/NaN/);
      expect(await page.locator('[data-test=result] .figure').count(), id).toBe(r.figures.length);
      console.log(`lab ${id} on WebGPU (SwiftShader): ${r.seconds.toFixed(1)} s`);
      await site.shot(page, `webgpu-lab-${id}`);
    }
    expect(problems).toEqual([]);
  }, 900_000);

  it('examples: every example runs on WebGPU and prints its stated output', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}examples.html`, { waitUntil: 'networkidle' });
    await pickWebGpu(page);
    expect(exampleNames.length).toBeGreaterThan(0);
    for (const name of exampleNames) {
      const { expected } = splitExample(readFileSync(join(examplesDir, `${name}.ts`), 'utf8'));
      const block = `[data-example="${name}"]`;
      await page.click(`${block} [data-test=run-example]`);
      await page.waitForFunction(
        (n) => {
          const g = globalThis as unknown as { __runExamples: Record<string, () => ExampleState> };
          const s = g.__runExamples[n]?.();
          return s !== undefined && (s.done || s.error !== null);
        },
        name,
        { timeout: 120_000, polling: 100 },
      );
      const s = await page.evaluate(
        (n) =>
          (
            globalThis as unknown as { __runExamples: Record<string, () => ExampleState> }
          ).__runExamples[n](),
        name,
      );
      expect(s.error, name).toBeNull();
      expect(s.backend?.name, name).toBe('webgpu');
      expect(await page.textContent(`${block} .label[role=status]`), name).toContain('WebGPU on');
      // The file's stated output, as the Node test compares it (text exact up
      // to white space, numbers to float32 rounding: the backends sum in
      // different orders).
      expect(compareOutput(s.output, expected ?? ''), name).toBeNull();
    }
    await expectWebGpuShown(
      page,
      await page.evaluate(() => {
        const g = globalThis as unknown as { __runExamples: Record<string, () => ExampleState> };
        return Object.values(g.__runExamples)[0]?.().backend ?? null;
      }),
    );
    await site.shot(page, 'webgpu-examples');
    expect(problems).toEqual([]);
  }, 300_000);
});
