/**
 * The transfer page and the Fashion-MNIST pages in Debian's headless
 * Chromium: the assets are fetched only by the pages that need them; the
 * stored selection of k = 5 images per class of classes 5–9, clicked in the
 * page, learns to the same test accuracies as the same code in Node
 * (`referenceRun`, transfer-reference.ts) and to the lab's measured level;
 * a picked and a drawn image are classified; and the lab page runs
 * `transfer --quick` to the end on the subset. Screenshots go to
 * .test-results/site/.
 */
import '@nerve/backend-cpu';
import { setBackend } from '@nerve/core';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Method } from '../.vitepress/theme/transfer-core.js';
import { type SiteSession, browserTests, openSite } from './browser.js';
import { STORED_ROWS, referenceRun, storedSelection } from './transfer-reference.js';

/** Requests for the Fashion-MNIST subset or the pretrained network. */
const ASSET = /idx[13]-ubyte|\.safetensors/;

interface State {
  phase: string;
  status: string;
  pretrained: { accuracy: number; bytes: number } | null;
  result: {
    accuracy: Record<Method, number> | null;
    seconds: Record<Method, number>;
    testImages: number;
    examples: number;
  } | null;
  request: unknown;
  trainedClasses: string[];
  prediction: { probs: Record<Method, number[]>; what: string } | null;
}

const state = (page: Page): Promise<State> =>
  page.evaluate(() =>
    (globalThis as unknown as { __transfer: { state(): State } }).__transfer.state(),
  );

describe.runIf(browserTests)('the transfer page in headless chromium', () => {
  let site: SiteSession | undefined;

  beforeAll(async () => {
    setBackend('cpu');
    site = await openSite();
  }, 120_000);
  afterAll(async () => {
    await site?.close();
  });

  it('fetches the Fashion subset and the pretrained CNN only on the pages that need them', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    await page.goto(site.server.url, { waitUntil: 'networkidle' });
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((u) => ASSET.test(u))).toEqual([]);
    await page.goto(`${site.server.url}transfer.html`, { waitUntil: 'networkidle' });
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { __transfer?: { state(): { phase: string } } }
        ).__transfer?.state().phase !== 'loading',
      undefined,
      { timeout: 30_000 },
    );
    const s = await state(page);
    expect(s.status).not.toMatch(/error/);
    expect(s.phase).toBe('ready');
    // The two image files of the subset and the network, each once (the two
    // label files, under Vite's 4 KB inline limit, are data: URLs inside the
    // worker's chunk, which only these pages load).
    const fetched = requests.filter((u) => ASSET.test(u) && !u.startsWith('data:'));
    expect(
      fetched
        .map((u) => u.replace(/^.*\/assets\//, '').replace(/-[\w-]{8}\.(gz|safetensors)$/, '.$1'))
        .sort(),
    ).toEqual([
      't10k-images-idx3-ubyte.gz',
      'train-images-idx3-ubyte.gz',
      'transfer-cnn.safetensors',
    ]);
    // The asset's metadata: the lab's pretrained accuracy (docs/lab.md, seed 0: 0.867).
    expect(s.pretrained?.accuracy).toBeCloseTo(0.867, 3);
    await site.shot(page, 'transfer-ready');
    expect(problems).toEqual([]);
    await page.close();
  }, 60_000);

  it('learns the stored k = 5 selection as Node does, and classifies a picked and a drawn image', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    await page.goto(`${site.server.url}transfer.html`, { waitUntil: 'networkidle' });
    await page.waitForSelector('img[data-row="0"]', { timeout: 30_000 });
    for (const c of [5, 6, 7, 8, 9]) {
      for (const row of STORED_ROWS[c]) await page.click(`img[data-row="${row}"]`);
    }
    const t0 = Date.now();
    // The same code on the same files in Node (CPU backend), run meanwhile
    // (the machine has two cores): the reference for the page's numbers.
    const nodeRun = referenceRun();
    await page.click('[data-test=train]');
    // The page's thread stays free while the worker trains: a zero timeout
    // answers within 250 ms (the update period) at every sample.
    let worstDelay = 0;
    for (;;) {
      const t = await page.evaluate(
        () =>
          new Promise<number>((r) => {
            const t1 = performance.now();
            setTimeout(() => r(performance.now() - t1), 0);
          }),
      );
      worstDelay = Math.max(worstDelay, t);
      const p = (await state(page)).phase;
      if (p !== 'training') break;
      if (Date.now() - t0 > 60_000) throw new Error('training took over 60 s');
      await page.waitForTimeout(200);
    }
    const s = await state(page);
    expect(s.status).not.toMatch(/error/);
    expect(s.phase).toBe('trained');
    // The clicks made exactly the stored selection's request.
    expect(s.request).toEqual(storedSelection());
    const browser = s.result?.accuracy;
    if (!browser) throw new Error('no accuracy');
    expect(s.result?.testImages).toBe(500);

    // Same code, seed and deterministic kernels as in Node: equal, up to one
    // test image of 500 for a last-bit difference of Math.exp between this
    // Node's V8 and the browser's.
    const node = await nodeRun;
    console.log(
      `transfer k = 5 (CPU): browser ${JSON.stringify(browser)} (${JSON.stringify(s.result?.seconds)} s), node ${JSON.stringify(node.accuracy)}; worst main-thread delay ${worstDelay.toFixed(0)} ms`,
    );
    for (const m of ['frozen', 'finetune', 'scratch'] as const) {
      expect(Math.abs(browser[m] - node.accuracy[m]), m).toBeLessThanOrEqual(1 / 500);
    }
    // The lab's measurement at k = 5 (docs/lab.md, transfer, seed 0, 4 draws:
    // scratch 0.675 ± 0.046, frozen + new head 0.595 ± 0.023, finetune
    // 0.740 ± 0.037): one selection lies within 3 standard deviations of
    // each mean. (At k = 5 the lab's frozen head is below scratch, so the page
    // cannot claim it beats scratch; finetuning does on average.)
    const lab: Record<Method, [number, number]> = {
      scratch: [0.675, 0.046],
      frozen: [0.595, 0.023],
      finetune: [0.74, 0.037],
    };
    for (const [m, [mean, sd]] of Object.entries(lab) as [Method, [number, number]][]) {
      expect(Math.abs(browser[m] - mean), m).toBeLessThanOrEqual(3 * sd);
    }
    expect(worstDelay).toBeLessThan(250);
    await site.shot(page, 'transfer-trained');

    // A test image of a sneaker (label 7), not among the examples.
    await page.click('img[data-test-row]:nth-child(9)');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { __transfer: { state(): { prediction: unknown } } }
        ).__transfer.state().prediction !== null,
    );
    const picked = (await state(page)).prediction;
    for (const m of ['frozen', 'finetune', 'scratch'] as const) {
      const p = picked?.probs[m] ?? [];
      expect(p.length).toBe(5);
      // Softmax probabilities: they sum to 1 (float32, 5 terms).
      expect(Math.abs(p.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-5);
    }
    // A drawn bag: a box with a handle.
    await page.evaluate(() => {
      (
        globalThis as unknown as { __transfer: { drawStrokes(s: [number, number][][]): void } }
      ).__transfer.drawStrokes([
        [
          [40, 90],
          [184, 90],
          [184, 200],
          [40, 200],
          [40, 90],
        ],
        [
          [80, 90],
          [80, 40],
          [144, 40],
          [144, 90],
        ],
      ]);
    });
    await page.click('[data-test=classify]');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as {
            __transfer: { state(): { prediction: { what: string } | null } };
          }
        ).__transfer.state().prediction?.what === 'your drawing',
    );
    const drawn = (await state(page)).prediction;
    console.log(
      `picked ${picked?.what}: ${JSON.stringify(picked?.probs)}; drawn bag: ${JSON.stringify(drawn?.probs)}`,
    );
    expect(drawn?.probs.frozen.length).toBe(5);
    await site.shot(page, 'transfer-classified');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);

  it('learns two classes the user defines by drawing, and classifies a drawing', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page({ width: 1280, height: 900 });
    await page.goto(`${site.server.url}transfer.html`, { waitUntil: 'networkidle' });
    await page.waitForSelector('img[data-row="0"]', { timeout: 30_000 });
    const draw = (strokes: [number, number][][]) =>
      page.evaluate((s) => {
        const t = (
          globalThis as unknown as {
            __transfer: { drawStrokes(s: [number, number][][]): void };
          }
        ).__transfer;
        t.drawStrokes(s);
      }, strokes);
    // Crosses and rings, three of each, shifted by a few pixels.
    const cross = (d: number): [number, number][][] => [
      [
        [50 + d, 50],
        [170 + d, 170],
      ],
      [
        [170 + d, 50],
        [50 + d, 170],
      ],
    ];
    const ring = (d: number): [number, number][][] => [
      Array.from({ length: 25 }, (_, i): [number, number] => [
        112 + d + 60 * Math.cos((i / 24) * 2 * Math.PI),
        112 + 60 * Math.sin((i / 24) * 2 * Math.PI),
      ]),
    ];
    for (const [name, shape] of [
      ['cross', cross],
      ['ring', ring],
    ] as const) {
      await page.fill('input[aria-label="new class name"]', name);
      await page.click('[data-test=add-class]');
      for (const d of [-8, 0, 8]) {
        await draw(shape(d));
        await page.click('text=add drawing as example');
      }
    }
    await page.click('[data-test=train]');
    await page.waitForFunction(
      () =>
        (globalThis as unknown as { __transfer: { state(): { phase: string } } }).__transfer.state()
          .phase !== 'training',
      undefined,
      { timeout: 60_000 },
    );
    const s = await state(page);
    expect(s.status).not.toMatch(/error/);
    expect(s.trainedClasses).toEqual(['cross', 'ring']);
    // Only drawn classes: no held-out test images, so no accuracy.
    expect(s.result?.accuracy).toBeNull();
    expect(s.result?.examples).toBe(6);
    await draw(ring(4));
    await page.click('[data-test=classify]');
    await page.waitForFunction(
      () =>
        (
          globalThis as unknown as { __transfer: { state(): { prediction: unknown } } }
        ).__transfer.state().prediction !== null,
    );
    const p = (await state(page)).prediction;
    console.log(`drawn ring after learning cross and ring: ${JSON.stringify(p?.probs)}`);
    for (const m of ['frozen', 'finetune', 'scratch'] as const) expect(p?.probs[m].length).toBe(2);
    await site.shot(page, 'transfer-drawn-classes');
    expect(problems).toEqual([]);
    await page.close();
  }, 90_000);

  it('lab: runs transfer --quick to the end on the Fashion subset', async () => {
    if (!site) throw new Error('no browser');
    const { page, problems } = await site.page();
    await page.goto(`${site.server.url}lab/transfer.html`, { waitUntil: 'networkidle' });
    const t0 = Date.now();
    await page.click('[data-test=run]');
    await page.waitForSelector('[data-test=result], [data-test=error]', { timeout: 90_000 });
    const error = await page.$('[data-test=error]');
    expect(error ? await error.textContent() : null).toBeNull();
    const findings = await page.$$eval('[data-test=result] .findings li', (s) => s.length);
    // The transfer experiment states five findings.
    expect(findings).toBe(5);
    const notes = await page.$$eval('[data-test=result] .note', (s) => s.map((n) => n.textContent));
    expect(notes[0]).toMatch(/subset/);
    console.log(`lab transfer --quick in the browser: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await site.shot(page, 'lab-transfer-run');
    expect(problems).toEqual([]);
    await page.close();
  }, 120_000);
});
