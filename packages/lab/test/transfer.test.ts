import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import type { LineFigure } from '@nerve/plot';
import { describe, expect, it } from 'vitest';
import { MIN_GAIN_K20, SHOTS, stepsFor, transfer } from '../src/experiments/transfer.js';
import { drawShots, transferCnn } from '../src/experiments/transfer-net.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

/** Mean accuracy of a method at k, read back from the per-draw table. */
function meanAt(rows: (string | number | null)[][], k: number, column: number): number {
  const vs = rows.filter((r) => r[0] === k).map((r) => r[column] as number);
  return vs.reduce((a, b) => a + b, 0) / vs.length;
}

describe('lab transfer', () => {
  it('is registered, and its network ends in global average pooling with a c3 → 5 head', () => {
    expect(getExperiment('transfer')).toBe(transfer);
    const before = memory().numTensors;
    const net = transferCnn([8, 16, 32], 5, 0);
    expect(net.children().map((c) => c.constructor.name)).toEqual([
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'MaxPool2d',
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'MaxPool2d',
      'Conv2d',
      'BatchNorm2d',
      'ReLU',
      'GlobalAvgPool2d',
      'Linear',
    ]);
    net.dispose();
    expect(memory().numTensors).toBe(before);
    // The step rule: at least `steps`, and at least `epochs` passes over the images.
    const s = { steps: 60, epochs: 3, batchSize: 20 };
    expect(SHOTS.map((k) => stepsFor(5 * k, s))).toEqual([60, 60, 150]);
  });

  it('draws k images of each class, the same for the same seed', async () => {
    const { tensor } = await import('@nerve/core');
    const pool = {
      x: tensor(
        Float32Array.from({ length: 40 }, (_, i) => i),
        { shape: [40, 1] },
      ),
      y: tensor(Int32Array.from({ length: 40 }, (_, i) => i % 5)),
    };
    const a = await drawShots(pool, 3, 7);
    const b = await drawShots(pool, 3, 7);
    const c = await drawShots(pool, 3, 8);
    const counts = [0, 0, 0, 0, 0];
    for (const l of a.y.dataSync()) counts[l]++;
    expect(counts).toEqual([3, 3, 3, 3, 3]);
    expect(Array.from(a.x.dataSync())).toEqual(Array.from(b.x.dataSync()));
    expect(Array.from(a.x.dataSync())).not.toEqual(Array.from(c.x.dataSync()));
    await expect(drawShots(pool, 9, 0)).rejects.toThrow(
      /lab transfer: expected 9 images of every class/,
    );
    for (const t of [a, b, c, pool]) {
      t.x.dispose();
      t.y.dispose();
    }
  });

  it('quick run: every table, figure and note, and no tensor left behind', async () => {
    const before = memory().numTensors;
    const r = await runExperiment(transfer, { data: nodeLabData, quick: true });
    expect(memory().numTensors).toBe(before);
    expect(r.seed).toBe(0);
    expect(r.findings.map((f) => typeof f.held)).toEqual(Array(5).fill('boolean'));
    expect(r.figures.map((f) => f.id)).toEqual(['accuracy', 'gain', 'draws']);
    const acc = r.figures[0] as LineFigure;
    expect(acc.x.log).toBe(true);
    expect(acc.series.map((s) => s.name)).toEqual(['scratch', 'frozen + new head', 'finetune']);
    for (const s of acc.series) {
      expect(s.x).toEqual([5, 20, 200]);
      // Accuracies on 5 classes: within [0, 1] and not NaN.
      for (const v of s.y) expect(v >= 0 && v <= 1).toBe(true);
    }
    // Quick: one draw at every k.
    expect(r.tables[1].rows.map((row) => row[0])).toEqual([5, 20, 200]);
    expect(r.notes?.length).toBe(2);
  }, 120_000);

  it('stops at the next step when aborted, freeing everything', async () => {
    const before = memory().numTensors;
    const ac = new AbortController();
    const run = runExperiment(transfer, {
      data: nodeLabData,
      quick: true,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.message.startsWith('pretraining')) ac.abort();
      },
    });
    await expect(run).rejects.toThrow(/abort/i);
    expect(memory().numTensors).toBe(before);
  }, 60_000);

  it('the same seed gives the same result', async () => {
    // A tiny setting: determinism does not need a good network. The 14×14
    // images, the constant schedule and finetuning under a new head are on
    // here so that those paths run too (the defaults run in the other tests).
    const params = {
      resolution: '14',
      schedule: 'constant',
      finetuneHead: 'new',
      pretrainImages: 200,
      steps: 2,
      batchSize: 100,
      headEpochs: 1,
      testImages: 100,
    };
    const a = await runExperiment(transfer, { data: nodeLabData, quick: true, params });
    const b = await runExperiment(transfer, { data: nodeLabData, quick: true, params });
    expect(b.tables).toEqual(a.tables);
    expect(b.findings).toEqual(a.findings);
  }, 120_000);

  // Quick mode (one draw, 640 pretraining images seen once) cannot show the
  // gain: a single draw's gain varies by about ±5 points (measured at the
  // defaults: per-draw gains −4.4 to 12.6 points at k = 20 over seeds 0–4).
  // The claims are checked at the default settings and seed (about 46 s on
  // one core). At seeds 1–4 the gain at k = 20 was +4.4, +4.0, +1.1 and +6.2
  // points (docs/lab.md, transfer): another seed is not asserted here, both
  // for the test's time and because seed 3 misses the bar.
  it("default settings: finetuning gains at least 3 points at k = 20, and the table has the lecture's shape", async () => {
    const before = memory().numTensors;
    const r = await runExperiment(transfer, { data: nodeLabData });
    expect(memory().numTensors).toBe(before);
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(r.held).toBe(true);
    const rows = r.tables[1].rows;
    // Draws: `draws` at k = 5 and 20, `largeDraws` at k = 200 (the defaults).
    const draws = transfer.params.draws.default as number;
    const largeDraws = transfer.params.largeDraws.default as number;
    expect(rows.map((row) => row[0])).toEqual([
      ...Array(draws).fill(5),
      ...Array(draws).fill(20),
      ...Array(largeDraws).fill(200),
    ]);
    const scratch20 = meanAt(rows, 20, 2);
    const frozen20 = meanAt(rows, 20, 3);
    const finetune20 = meanAt(rows, 20, 4);
    // The bar (from the PyTorch reference's 0.867 → 0.912): ≥ 3 points at k = 20.
    expect(finetune20 - scratch20).toBeGreaterThanOrEqual(MIN_GAIN_K20);
    // Every method learns the 5 new classes far above chance (0.2): a broken
    // method (e.g. a head never trained) would sit near 0.2.
    for (const k of SHOTS)
      for (const c of [2, 3, 4]) expect(meanAt(rows, k, c)).toBeGreaterThan(0.5);
    // More labels help every method (5 → 200 labels per class).
    for (const c of [2, 3, 4]) expect(meanAt(rows, 200, c)).toBeGreaterThan(meanAt(rows, 5, c));
    // The figure's series are the table's means.
    const acc = r.figures[0] as LineFigure;
    expect(acc.series[0].y[1]).toBeCloseTo(scratch20, 12);
    expect(acc.series[1].y[1]).toBeCloseTo(frozen20, 12);
    expect(acc.series[2].y[1]).toBeCloseTo(finetune20, 12);
  }, 600_000);
});
