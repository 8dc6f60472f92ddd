import '@nerve/backend-cpu';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { memory } from '@nerve/core';
import { FASHION_MNIST_SYSTEM_DIR } from '@nerve/data';
import type { Figure, HeatmapFigure, LineFigure, Table } from '@nerve/plot';
import { describe, expect, it } from 'vitest';
import { preprocessing } from '../src/experiments/preprocessing.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

function byId<K extends Figure['kind']>(figures: Figure[], id: string, kind: K) {
  const f = figures.find((g) => g.id === id);
  if (f?.kind !== kind) throw new Error(`no ${kind} figure '${id}'`);
  return f as Extract<Figure, { kind: K }>;
}
function panel(f: HeatmapFigure, name: string) {
  const p = f.panels.find((q) => q.name === name);
  if (p === undefined) throw new Error(`no panel '${name}' in '${f.id}'`);
  return p;
}
function cell(tables: Table[], titleStart: string, key: string): number {
  const t = tables.find((u) => u.title?.startsWith(titleStart));
  const row = t?.rows.find((r) => r[0] === key);
  if (row === undefined) throw new Error(`no row '${key}' in '${titleStart}'`);
  return Number(row[1]);
}

/** The SNR before/after that the training spectrum predicts, from a whitening table. */
function predictedSnr(tables: Table[], titleStart: string): number[] {
  const t = tables.find((u) => u.title?.startsWith(titleStart));
  const row = t?.rows.find((r) => String(r[0]).startsWith('predicted'));
  if (row === undefined) throw new Error(`no prediction in '${titleStart}'`);
  return String(row[1]).split('/').map(Number);
}

describe('lab preprocessing', () => {
  it('is registered', () => {
    expect(getExperiment('preprocessing')).toBe(preprocessing);
  });

  it('quick run: every finding holds, the numbers match the math, no tensor leaks', async () => {
    const before = memory().numTensors;
    const r = await runExperiment(preprocessing, { data: nodeLabData, quick: true });
    expect(memory().numTensors).toBe(before);
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(r.findings.length).toBe(9);
    expect(r.held).toBe(true);
    expect(r.notes?.some((n) => n.includes('Fashion-MNIST whitening skipped'))).toBe(true);

    expect(r.figures.map((f) => f.id)).toEqual([
      'cloud',
      'cloud-covariance',
      'mean-image',
      'centring-residual',
      'centring-speed',
      'centring-ladder',
      'digits-whitened',
      'digits-spectrum',
    ]);

    // The 2-D figure: six steps, 400 training points each, square panels.
    const cloud = byId(r.figures, 'cloud', 'scatter');
    expect(cloud.square).toBe(true);
    expect(cloud.groups.map((g) => g.name)).toEqual([
      'original',
      'zero-centred',
      'normalized',
      'decorrelated (PCA)',
      'whitened (PCA)',
      'whitened (ZCA)',
    ]);
    for (const g of cloud.groups) expect(g.x.length).toBe(400);
    const cov = byId(r.figures, 'cloud-covariance', 'heatmap');
    const orig = panel(cov, 'original').values;
    // The sample covariance of 400 draws from [[4, 2.4], [2.4, 2]]: each entry
    // within 4 standard errors, about 4·√(2/400)·4 = 1.1 for the largest.
    expect(Math.abs(orig[0] - 4)).toBeLessThan(1.2);
    expect(Math.abs(orig[1] - 2.4)).toBeLessThan(0.9);
    expect(Math.abs(orig[3] - 2)).toBeLessThan(0.6);
    // PCA: diagonal; whitening: identity up to ε/λ = 1e-5/0.37 and float32 rounding.
    const dec = panel(cov, 'decorrelated (PCA)').values;
    expect(Math.abs(dec[1])).toBeLessThan(1e-4 * dec[0]);
    expect(dec[0]).toBeGreaterThan(dec[3]);
    for (const name of ['whitened (PCA)', 'whitened (ZCA)']) {
      const w = panel(cov, name).values;
      for (const [i, v] of [1, 0, 0, 1].entries()) expect(Math.abs(w[i] - v)).toBeLessThan(1e-3);
    }

    // Mean image: 8×8 in 0..16; after mean-image centring every pixel mean is 0.
    const meanImage = panel(byId(r.figures, 'mean-image', 'heatmap'), 'mean image').values;
    expect(meanImage.length).toBe(64);
    expect(Math.min(...meanImage)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...meanImage)).toBeLessThanOrEqual(16);
    const residual = byId(r.figures, 'centring-residual', 'heatmap');
    for (const v of panel(residual, 'after mean-image centring').values)
      expect(Math.abs(v)).toBeLessThan(1e-4);
    // Per-channel centring subtracts the mean of the mean image: the residual is
    // the mean image shifted. Figure values carry 3 significant digits, so
    // each is off by up to 0.05 below 100: two of them, 0.1.
    const avg = meanImage.reduce((a, b) => a + b, 0) / 64;
    for (const [i, v] of panel(residual, 'after per-channel centring').values.entries()) {
      expect(Math.abs(v - (meanImage[i] - avg))).toBeLessThan(0.1);
    }

    // Training speed at the shared lr: one loss per epoch per preprocessing; centred ends lower than raw.
    const speed = byId(r.figures, 'centring-speed', 'line') as LineFigure;
    expect(speed.series.map((s) => s.name)).toEqual(['raw 0..16', 'centred', 'standardized']);
    for (const s of speed.series) expect(s.y.length).toBe(r.params.epochs);
    expect(speed.series[1].y.at(-1)!).toBeLessThan(speed.series[0].y.at(-1)!);
    // The curvature ratio: ‖μ‖² of raw digits over λ₁ of their covariance (measured 2640 / 176 = 15).
    expect(cell(r.tables, 'Why', 'ratio')).toBeGreaterThan(5);

    // Whitening digits: the SNR agrees with the eigenvalue prediction. Before
    // whitening it needs only the total variance Σλ, which 360 held-out images
    // estimate to a few percent: within 1 dB (±26%). After, it assumes the
    // held-out images share the training spectrum in every direction, which
    // holds roughly for 1,437 images in 64 dimensions: within a factor of 2 (3 dB).
    const snrBefore = cell(r.tables, 'digits: whitening', 'SNR before (dB)');
    const snrAfter = cell(r.tables, 'digits: whitening', 'SNR after ZCA (dB)');
    const predicted = predictedSnr(r.tables, 'digits: whitening');
    expect(Math.abs(snrBefore - predicted[0])).toBeLessThan(1);
    expect(Math.abs(snrAfter - predicted[1])).toBeLessThan(3);
    expect(snrAfter).toBeLessThan(snrBefore);
    const spectrum = byId(r.figures, 'digits-spectrum', 'line') as LineFigure;
    expect(spectrum.y.log).toBe(true);
    // One point per direction; image variance is absent where it is 0 (constant pixels).
    for (const s of spectrum.series) {
      expect(s.y.length).toBe(s.x.length);
      expect(s.x.length).toBeLessThanOrEqual(64);
    }
    expect(spectrum.series.find((s) => s.name === 'noise')?.x.length).toBe(64);
    // 4 digits: the original and ZCA-whitened with ε = 1e-5 and with ε = 1.
    expect(byId(r.figures, 'digits-whitened', 'heatmap').panels.length).toBe(12);
  }, 60_000);

  it('same seed, same result', async () => {
    const a = await runExperiment(preprocessing, { data: nodeLabData, quick: true });
    const b = await runExperiment(preprocessing, { data: nodeLabData, quick: true });
    expect(b.findings).toEqual(a.findings);
    expect(b.figures).toEqual(a.figures);
  }, 60_000);
});

describe('lab preprocessing with Fashion-MNIST', () => {
  it('whitens Fashion images where the data set is installed, else says why it skipped', async () => {
    const live = memory().numTensors;
    const r = await runExperiment(preprocessing, {
      data: nodeLabData,
      quick: true,
      params: { fashion: true, fashionImages: 1000 },
    });
    expect(memory().numTensors).toBe(live);
    // Where nodeLabData reads Fashion-MNIST (Debian's dataset-fashion-mnist).
    const installed = existsSync(join(FASHION_MNIST_SYSTEM_DIR, 'train-images-idx3-ubyte.gz'));
    if (!installed) {
      expect(
        r.notes?.some((n) =>
          n.startsWith('Fashion-MNIST whitening skipped: the data set could not be loaded'),
        ),
      ).toBe(true);
      return;
    }
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    const images = byId(r.figures, 'fashion-whitened', 'heatmap');
    expect(images.panels.length).toBe(9);
    for (const p of images.panels) expect(p.values.length).toBe(784);
    const spectrum = byId(r.figures, 'fashion-spectrum', 'line') as LineFigure;
    for (const s of spectrum.series) expect(s.x.length).toBeLessThanOrEqual(784);
    expect(spectrum.series.find((s) => s.name === 'noise')?.x.length).toBe(784);
    // Before whitening the prediction needs only the total variance Σλ, which
    // 200 held-out images estimate to a few percent: within 1 dB (±26%).
    // After whitening it assumes the held-out images share the spectrum of
    // the 1,000 training images, which fails in 784 dimensions (the small
    // eigenvalues are underestimated), so only the fall itself is checked.
    const before = cell(r.tables, 'fashion: whitening', 'SNR before (dB)');
    const after = cell(r.tables, 'fashion: whitening', 'SNR after ZCA (dB)');
    const predicted = predictedSnr(r.tables, 'fashion: whitening');
    expect(Math.abs(before - predicted[0])).toBeLessThan(1);
    expect(after).toBeLessThan(before);
  }, 120_000);
});
