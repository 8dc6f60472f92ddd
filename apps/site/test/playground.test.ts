/**
 * The playground page (/playground) in headless Chromium, checked against
 * the same run in Node: playground-core.ts is the code of both (the worker
 * imports it, this file imports it), so for the same knobs, seed and CPU
 * backend the page's curves must equal Node's number for number. Then the
 * lecture's failure case (sigmoid, small random init, six layers) must show
 * in the monitors and in the diagnosis, the circles and digits must run,
 * and the boundary must be drawn. Screenshots go to .test-results/site/.
 */
import '@nerve/backend-cpu';
import { type Tensor, memory, setBackend } from '@nerve/core';
import { loadDigits } from '@nerve/data';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  PLAYGROUND_DEFAULTS,
  type PlaygroundConfig,
  PlaygroundRun,
  type PlaygroundSnapshot,
  toyData,
  digitsData,
} from '../.vitepress/theme/playground-core.js';
import { browserTests, useSite } from './browser.js';

/** Epochs compared between the page and Node (the spiral is separated well before). */
const EPOCHS = 30;

interface PageState {
  ready: boolean;
  running: boolean;
  epoch: number;
  status: string;
  snapshots: number;
  boundaryClasses: number;
  longestDrawMs: number;
  drawMs: Record<string, number>;
  config: PlaygroundConfig;
  curves: PlaygroundSnapshot['curves'] | null;
  layers: PlaygroundSnapshot['layers'];
  findings: { code: string; message: string }[];
}

const state = (page: Page): Promise<PageState> =>
  page.evaluate(() =>
    (globalThis as unknown as { __playground: { state(): PageState } }).__playground.state(),
  );

async function waitReady(page: Page): Promise<void> {
  await page.waitForFunction(
    () =>
      (
        globalThis as unknown as { __playground?: { state(): { ready: boolean } } }
      ).__playground?.state().ready === true,
    null,
    { timeout: 30_000 },
  );
}

/**
 * Presses play, waits until the page has shown at least `epochs` epochs,
 * presses pause. Meanwhile samples the delay of a zero timeout on the
 * page's thread (the worst is returned): training in the worker must leave
 * the page's thread free.
 */
/** The worst delay of a zero timeout on the page's thread over `ms` of sampling. */
async function worstTimeoutDelay(page: Page, ms: number): Promise<number> {
  return page.evaluate(async (ms) => {
    let worst = 0;
    const end = performance.now() + ms;
    while (performance.now() < end) {
      const t = performance.now();
      await new Promise((r) => setTimeout(r, 0));
      worst = Math.max(worst, performance.now() - t);
      await new Promise((r) => setTimeout(r, 50));
    }
    return worst;
  }, ms);
}

async function playUntil(
  page: Page,
  epochs: number,
): Promise<PageState & { worstDelay: number; samples: number[] }> {
  await page.click('[data-test=play]');
  let worstDelay = 0;
  const delays: string[] = [];
  const samples: number[] = [];
  const t0 = Date.now();
  for (;;) {
    const delay = await page.evaluate(
      () =>
        new Promise<number>((r) => {
          const t = performance.now();
          setTimeout(() => r(performance.now() - t), 0);
        }),
    );
    worstDelay = Math.max(worstDelay, delay);
    samples.push(delay);
    const e = (await state(page)).epoch;
    if (delay > 100) delays.push(`${delay.toFixed(0)} ms at epoch ${e}`);
    if (e >= epochs) break;
    if (Date.now() - t0 > 60_000)
      throw new Error(`playground: ${epochs} epochs not reached in 60 s`);
    await page.waitForTimeout(100);
  }
  if (delays.length > 0) console.log(`page-thread delays over 100 ms: ${delays.join(', ')}`);
  await page.click('[data-test=play]');
  await page.waitForFunction(
    () =>
      !(
        globalThis as unknown as { __playground: { state(): { running: boolean } } }
      ).__playground.state().running,
  );
  // One redraw period (250 ms) and a margin, so the figures show the last snapshot.
  await page.waitForTimeout(600);
  return { ...(await state(page)), worstDelay, samples };
}

/** The same run in Node: `epochs` epochs of playground-core for the knobs. */
async function nodeRun(cfg: PlaygroundConfig, epochs: number): Promise<PlaygroundSnapshot> {
  setBackend('cpu');
  let data: ReturnType<typeof toyData>;
  if (cfg.dataset === 'digits') {
    const d = loadDigits();
    data = digitsData(d.x as Tensor, d.y as Tensor, cfg.seed);
    d.x.dispose();
    d.y.dispose();
  } else data = toyData(cfg.dataset, cfg.seed);
  const run = new PlaygroundRun(cfg, data);
  try {
    for (let e = 0; e < epochs; e++) await run.step();
    return run.snapshot();
  } finally {
    run.dispose();
  }
}

describe('the playground run in Node', () => {
  it('frees every tensor it made, monitors, boundary grid and data included', async () => {
    setBackend('cpu');
    const before = memory().numTensors;
    const cfg = { ...PLAYGROUND_DEFAULTS, batchNorm: true, dropout: 0.2, depth: 3 };
    const run = new PlaygroundRun(cfg, toyData('circles', 1));
    for (let e = 0; e < 3; e++) await run.step();
    const during = memory().numTensors;
    await run.step();
    const s = run.snapshot();
    // An epoch leaves nothing behind: the count after four epochs equals the count after three.
    expect(memory().numTensors - 1).toBe(during); // + the boundary grid, made by snapshot()
    expect(s.layers).toHaveLength(3);
    expect(s.boundary?.cls).toHaveLength(64 * 64);
    run.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe.runIf(browserTests)('the playground page', () => {
  const session = useSite();

  it('spiral with the default knobs: the page trains, equals the Node run, and draws the boundary', async () => {
    const site = session();
    const ref = await nodeRun(PLAYGROUND_DEFAULTS, EPOCHS);
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}playground.html`, { waitUntil: 'networkidle' });
    await waitReady(page);
    // The same sampling while the page is idle: what this (shared, loaded)
    // machine does to a zero timeout with no training at all.
    const idleDelay = await worstTimeoutDelay(page, 2000);
    const s = await playUntil(page, EPOCHS);
    await site.shot(page, 'playground-spiral');
    expect(s.status).not.toMatch(/error/);
    expect(s.config).toEqual(PLAYGROUND_DEFAULTS);
    const c = s.curves;
    if (!c) throw new Error('no curves');
    // The same code, seed and backend: the same numbers, epoch for epoch.
    expect(c.trainLoss.slice(0, EPOCHS)).toEqual(ref.curves.trainLoss);
    expect(c.trainAcc.slice(0, EPOCHS)).toEqual(ref.curves.trainAcc);
    expect(c.valAcc.slice(0, EPOCHS)).toEqual(ref.curves.valAcc);
    const acc = ref.curves.trainAcc[EPOCHS - 1] as number;
    console.log(
      `playground spiral (defaults, seed 0): train accuracy ${(100 * acc).toFixed(1)}% after ${EPOCHS} epochs in Node and in the page; page: ${s.status}, page-thread delay median ${[...s.samples].sort((a, b) => a - b)[s.samples.length >> 1]?.toFixed(0)} ms, worst ${s.worstDelay.toFixed(0)} ms over ${s.samples.length} samples (idle: ${idleDelay.toFixed(0)} ms), longest drawing task ${s.longestDrawMs.toFixed(0)} ms (${Object.entries(
        s.drawMs,
      )
        .map(([k, v]) => `${k} ${v.toFixed(0)}`)
        .join(', ')})`,
    );
    // A linear softmax classifier gets about 50% of the spiral (CS231n's
    // case study: 49%), its 2-layer net 98%: 90% means the net has bent its
    // boundary around the arms (Node measured 96.7% at epoch 10, 99.2% at 40 and 50).
    expect(acc).toBeGreaterThanOrEqual(0.9);
    // Snapshots while playing, not only at the end (≥ one per 250 ms is the
    // worker's pace; at least a few over a run of several seconds).
    expect(s.snapshots).toBeGreaterThan(3);
    // The page's thread stayed free while the worker trained: at most one
    // sample in ten above the issue's 250 ms update period. This shared
    // machine gives isolated scheduling spikes (the idle page's worst is
    // reported, and the page's own longest drawing task, one figure); a
    // page thread that trained would hold most samples for an epoch or the
    // whole run.
    const slow = s.samples.filter((d) => d > 250).length;
    expect(slow).toBeLessThanOrEqual(Math.floor(s.samples.length / 10));
    // The boundary covers all three classes, and the canvas shows them.
    expect(s.boundaryClasses).toBe(3);
    const colours = await page.$eval('[data-test=boundary]', (el) => {
      const cv = el as HTMLCanvasElement;
      const d = cv.getContext('2d')?.getImageData(0, 0, cv.width, cv.height).data;
      const seen = new Set<string>();
      if (d) for (let i = 0; i < d.length; i += 4) seen.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
      return seen.size;
    });
    // Three tints at several confidences, plus points: far more than one colour.
    expect(colours).toBeGreaterThan(3);
    // The monitors are drawn: loss, accuracy, update ratio, gradients, dead units, histograms.
    const svgs = await page.$$eval(
      '.playground .plot',
      (els) => els.filter((e) => e.querySelector('svg') !== null).length,
    );
    expect(svgs).toBe(6);
    // Two hidden layers, each with an update ratio per epoch and a histogram.
    expect(s.layers.map((l) => l.updateRatio.length)).toEqual([s.epoch, s.epoch]);
    expect(s.findings.map((f) => f.code)).toContain('initial-loss');
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('sigmoid with small random init on six layers: saturation and vanishing gradients, and the diagnosis says so', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}playground.html`, { waitUntil: 'networkidle' });
    await waitReady(page);
    await page.selectOption('[data-test=activation]', 'sigmoid');
    await page.selectOption('[data-test=init]', 'small');
    // A range input: set its value and send the input event, as a drag does.
    await page.$eval('[data-test=depth]', (el) => {
      (el as HTMLInputElement).value = '6';
      el.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await waitReady(page);
    const s0 = await state(page);
    expect(s0.config).toMatchObject({ activation: 'sigmoid', init: 'small', depth: 6 });
    // Eight epochs by the step button.
    for (let i = 1; i <= 8; i++) {
      await page.click('[data-test=step]');
      await page.waitForFunction(
        (n) =>
          (
            globalThis as unknown as { __playground: { state(): { epoch: number } } }
          ).__playground.state().epoch >= n,
        i,
      );
    }
    await page.waitForTimeout(600);
    const s = await state(page);
    expect(s.epoch).toBe(8);
    const last = s.layers.at(-1);
    if (!last) throw new Error('no layers');
    // Saturation: diagnose's own threshold (more than half of a layer's outputs
    // within 0.02 of 0 or 1) in the last hidden layer, which Adam's first
    // steps push out of the linear range while the loss stays at ln 3.
    expect(last.saturated).toBeGreaterThan(0.5);
    expect(s.findings.map((f) => f.code)).toContain('saturation');
    expect(await page.textContent('[data-test=diagnosis]')).toMatch(/Saturated sigmoid/);
    // Nothing learned: at chance on three balanced classes (1/3), far from the ReLU net's 99%.
    expect(s.curves?.trainAcc.at(-1)).toBeLessThan(0.5);
    // Vanishing: the first layer's weight gradient is far below the last's.
    // Backprop multiplies by σ′ ≤ 1/4 and by weights of std 0.01 over √32
    // inputs per layer, ≈ 0.25·0.01·√32 ≈ 0.014 per layer: five layers give
    // about 5e-10, so 1e-3 is a very safe bound.
    const first = s.layers[0]?.gradNorm as number;
    console.log(
      `sigmoid/small/6 layers, 8 epochs: saturated ${s.layers.map((l) => (l.saturated ?? 0).toFixed(2)).join(' ')}, grad norms ${s.layers.map((l) => l.gradNorm.toExponential(1)).join(' ')}; findings ${s.findings.map((f) => f.code).join(', ')}`,
    );
    expect(first / last.gradNorm).toBeLessThan(1e-3);
    await site.shot(page, 'playground-sigmoid-deep');
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('circles and digits run, with the seed shown and changeable', async () => {
    const site = session();
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}playground.html`, { waitUntil: 'networkidle' });
    await waitReady(page);
    await page.selectOption('[data-test=dataset]', 'circles');
    await page.fill('[data-test=seed]', '7');
    await waitReady(page);
    let s: PageState = await playUntil(page, 10);
    expect(s.config).toMatchObject({ dataset: 'circles', seed: 7 });
    expect(await page.textContent('[data-test=numbers]')).toMatch(/seed\s+7/);
    // Two circles, both coloured; one curved boundary separates them, so a
    // net of two ReLU layers fits them (Node: 100% by epoch 10 at seed 0).
    expect(s.boundaryClasses).toBe(2);
    expect(s.curves?.trainAcc.at(-1)).toBeGreaterThan(0.9);
    await site.shot(page, 'playground-circles');

    await page.selectOption('[data-test=dataset]', 'digits');
    await page.fill('[data-test=seed]', '0');
    await waitReady(page);
    for (let i = 1; i <= 3; i++) {
      await page.click('[data-test=step]');
      await page.waitForFunction(
        (n) =>
          (
            globalThis as unknown as { __playground: { state(): { epoch: number } } }
          ).__playground.state().epoch >= n,
        i,
        { timeout: 30_000 },
      );
    }
    await page.waitForTimeout(600);
    s = await state(page);
    expect(s.status).not.toMatch(/error/);
    // The home demo's MLP passes 90% validation accuracy within its first
    // epochs; this one (two layers of 32) measured 94.7% after one epoch in Node.
    expect(s.curves?.valAcc.at(-1)).toBeGreaterThan(0.9);
    expect(await page.$('[data-test=boundary]')).toBeNull();
    await site.shot(page, 'playground-digits');
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);
});
