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
import { setBackend } from '@nerve/core';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import {
  PLAYGROUND_DEFAULTS,
  type PlaygroundSnapshot,
  PlaygroundRun,
  toyData,
} from '../.vitepress/theme/playground-core.js';
import type { SiteBackend } from '../.vitepress/theme/site-backend.js';
import { browserTests, useSite } from './browser.js';

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
});
