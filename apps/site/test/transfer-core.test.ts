/**
 * The transfer page's computation in Node (no browser): the subset decoder
 * against @nerve/data's loadFashionMnist, the pretrained asset against the
 * lab's number, and the stored k = 5 selection learned three ways. The
 * browser test (transfer.test.ts) compares the page with `referenceRun`.
 */
import '@nerve/backend-cpu';
import { fileURLToPath } from 'node:url';
import { memory, setBackend } from '@nerve/core';
import { loadFashionMnist } from '@nerve/data';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeFashionSubset } from '../.vitepress/theme/fashion-subset.js';
import { loadPretrainedCnn, normalizeImages } from '../.vitepress/theme/transfer-core.js';
import { STORED_ROWS, cnnBytes, referenceRun, subsetFiles } from './transfer-reference.js';

const subsetDir = fileURLToPath(new URL('../assets/fashion-mnist-subset/', import.meta.url));

beforeAll(() => setBackend('cpu'));

describe('the Fashion-MNIST subset asset', () => {
  it('decodes like loadFashionMnist reads the same folder: 600 + 100 images per class', async () => {
    const mine = await decodeFashionSubset(subsetFiles());
    const ref = loadFashionMnist({ dataDir: subsetDir });
    try {
      for (const s of ['train', 'test'] as const) {
        const [x, y] = mine[s].tensors;
        const [rx, ry] = ref[s].tensors;
        expect(x.shape).toEqual(rx.shape);
        // Compared by hand: a deep toEqual of 4.7 million floats takes minutes.
        const [a, b] = [x.dataSync(), rx.dataSync()];
        let differ = 0;
        for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differ++;
        expect(differ).toBe(0);
        expect(Array.from(y.dataSync())).toEqual(Array.from(ry.dataSync()));
        const counts = new Array(10).fill(0);
        for (const l of y.dataSync()) counts[l]++;
        // scripts/site-assets.ts: the first 600 training and 100 test images of each class.
        expect(counts).toEqual(new Array(10).fill(s === 'train' ? 600 : 100));
      }
      // The stored selection's rows hold the classes they stand for.
      const labels = mine.train.tensors[1].dataSync();
      for (const [c, rows] of Object.entries(STORED_ROWS)) {
        for (const r of rows) expect(labels[r]).toBe(Number(c));
      }
    } finally {
      for (const d of [mine.train, mine.test, ref.train, ref.test]) d.dispose();
    }
  });
});

describe('the pretrained transfer CNN asset', () => {
  it('rebuilds from its metadata and reaches its stated accuracy on classes 0–4 of the subset', async () => {
    const pre = await loadPretrainedCnn(cnnBytes());
    const data = await decodeFashionSubset(subsetFiles());
    try {
      expect(pre.architecture).toEqual({
        model: 'transferCnn',
        channels: [8, 16, 32],
        classes: 5,
        head: 12,
        resolution: 28,
      });
      // docs/lab.md (transfer, seed 0): the pretrained network reaches 0.867
      // on the first 1,000 test images of classes 0–4; the asset says the same.
      expect(pre.pretrainAccuracy).toBeCloseTo(0.867, 3);
      // On the subset's 500 test images of classes 0–4 (the first 100 of
      // each class, other images than those 1,000 in part): within 3 binomial
      // standard errors of 0.867 at n = 500 (3 · sqrt(0.867 · 0.133 / 500) = 0.046).
      const [x, y] = data.test.tensors;
      const labels = y.dataSync() as Int32Array;
      const pixels = x.dataSync() as Float32Array;
      const rows = [...labels.keys()].filter((r) => labels[r] < 5);
      const px = new Float32Array(rows.length * 784);
      for (const [i, r] of rows.entries()) px.set(pixels.subarray(r * 784, (r + 1) * 784), i * 784);
      const input = normalizeImages(px, rows.length, pre.normalization);
      pre.model.eval();
      const out = pre.model.call(input);
      const pred = out.argmax(-1).dataSync();
      input.dispose();
      out.dispose();
      let right = 0;
      rows.forEach((r, i) => {
        if (pred[i] === labels[r]) right++;
      });
      console.log(`pretrained CNN on the subset's classes 0–4: ${right} / ${rows.length}`);
      expect(Math.abs(right / rows.length - 0.867)).toBeLessThan(0.046);
    } finally {
      pre.model.dispose();
      data.train.dispose();
      data.test.dispose();
    }
  });
});

describe('the stored k = 5 selection in Node', () => {
  it('learns classes 5–9 three ways, with no tensor left behind', async () => {
    const before = memory().numTensors;
    const t0 = performance.now();
    const r = await referenceRun();
    const seconds = (performance.now() - t0) / 1000;
    console.log(`transfer reference (Node, CPU): ${JSON.stringify(r)} in ${seconds.toFixed(1)} s`);
    expect(r.testImages).toBe(500);
    expect(memory().numTensors).toBe(before);
  }, 120_000);
});
