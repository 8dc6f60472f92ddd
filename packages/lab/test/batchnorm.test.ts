import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import type { Figure, LineFigure } from '@nerve/plot';
import { describe, expect, it } from 'vitest';
import { batchnorm } from '../src/experiments/batchnorm.js';
import { medianOf } from '../src/experiments/batchnorm-report.js';
import { ladderRates } from '../src/experiments/preprocessing-stats.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';
import type { LabResult } from '../src/experiment.js';

function line(figures: Figure[], id: string): LineFigure {
  const f = figures.find((g) => g.id === id);
  if (f?.kind !== 'line') throw new Error(`no line figure '${id}'`);
  return f;
}
const series = (f: LineFigure, name: string) => {
  const s = f.series.find((t) => t.name === name);
  if (s === undefined) throw new Error(`no series '${name}' in '${f.id}'`);
  return s;
};
const last = (v: number[]) => v[v.length - 1];

/** The lr-3 rung's table: one row per seed, then the median row; accuracies as numbers. */
function rungTable(r: LabResult) {
  const t = r.tables.find((u) => u.title?.startsWith('The lr-3 rung at'));
  if (t === undefined) throw new Error('no lr-3 rung table');
  const rows = t.rows.map(([seed, plain, bn]) => ({ seed, plain: Number(plain), bn: Number(bn) }));
  return { seeds: rows.slice(0, -1), median: rows[rows.length - 1] };
}

/** Chance on 10 balanced classes, plus 3 binomial stds on 360 validation digits (3·√(0.09/360) = 0.047). */
const CHANCE_BOUND = 0.15;
/** "Trains": at least half the validation digits right (five times chance), as the experiment defines it. */
const TRAINS = 0.5;

describe('lab batchnorm', () => {
  it('is registered', () => {
    expect(getExperiment('batchnorm')).toBe(batchnorm);
  });

  it('ladder rungs are 1 and 3 times powers of ten', () => {
    expect(ladderRates(0.01, 10)).toEqual([0.01, 0.03, 0.1, 0.3, 1, 3, 10]);
    expect(ladderRates(0.3, 3)).toEqual([0.3, 1, 3]);
  });

  it('quick run: every finding holds, figures are complete, no tensor leaks', async () => {
    const before = memory().numTensors;
    const r = await runExperiment(batchnorm, { data: nodeLabData, quick: true });
    expect(memory().numTensors).toBe(before);
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(r.findings.length).toBe(6);
    expect(r.held).toBe(true);

    expect(r.figures.map((f) => f.id)).toEqual([
      'small-init',
      'lr-ladder',
      'running-stats',
      'channel-0',
    ]);
    const epochs = r.params.epochs as number;
    const small = line(r.figures, 'small-init');
    for (const s of small.series) expect(s.y.length).toBe(epochs);
    // Without BN the signal through 6 layers shrinks by ~0.01·√64 per layer: chance.
    expect(last(series(small, 'without BN').y)).toBeLessThanOrEqual(CHANCE_BOUND);
    expect(last(series(small, 'with BN').y)).toBeGreaterThanOrEqual(TRAINS);

    const ladder = line(r.figures, 'lr-ladder');
    expect(ladder.x.log).toBe(true);
    expect(series(ladder, 'with BN').x).toEqual([0.3, 1, 3]);
    // The issue: at lr 3, 10.3% without BN and 93.9% with it. One seed sits on
    // an edge there, so the finding takes the median of the rung's seeds.
    const at3 = series(ladder, 'with BN').x.indexOf(3);
    const rung = rungTable(r);
    expect(rung.seeds.map((s) => s.seed)).toEqual([0, 1000, 2000]);
    expect(rung.median.seed).toBe('median');
    // The figure's lr-3 point is the median of the seeds, as the findings' is.
    expect(rung.median.plain).toBe(Number(medianOf(rung.seeds.map((s) => s.plain)).toFixed(3)));
    expect(rung.median.bn).toBe(Number(medianOf(rung.seeds.map((s) => s.bn)).toFixed(3)));
    expect(rung.median.plain).toBe(Number(series(ladder, 'without BN').y[at3].toFixed(3)));
    expect(rung.median.bn).toBe(Number(series(ladder, 'with BN').y[at3].toFixed(3)));
    expect(rung.median.plain).toBeLessThan(TRAINS);
    expect(rung.median.bn).toBeGreaterThanOrEqual(TRAINS);
    // Other seeds, other runs.
    expect(new Set(rung.seeds.map((s) => s.bn)).size).toBeGreaterThan(1);

    const stats = line(r.figures, 'running-stats');
    const steps = epochs * Math.ceil(1437 / 32);
    for (const s of stats.series) expect(s.y.length).toBe(steps);
    expect(line(r.figures, 'channel-0').series[0].x.length).toBe(steps);
  }, 60_000);

  it("default small-init setup reaches the issue's 95.0% with BN and stays at chance without", async () => {
    // The small-init part at its default size; the ladder cut to the one rung the issue names.
    const before = memory().numTensors;
    const r = await runExperiment(batchnorm, {
      data: nodeLabData,
      params: { ladderMin: 3, ladderMax: 3 },
    });
    expect(memory().numTensors).toBe(before);
    const small = line(r.figures, 'small-init');
    // Reference 0.950 (issue); 3 binomial stds on 360 digits: 3·√(0.95·0.05/360) = 0.034.
    expect(last(series(small, 'with BN').y)).toBeGreaterThanOrEqual(0.95 - 0.034);
    // The issue measured 0.578 without BN with its own (unstated) setup; here
    // the signal vanishes completely and the net stays at chance.
    expect(last(series(small, 'without BN').y)).toBeLessThanOrEqual(CHANCE_BOUND);
    // lr 3, 5 epochs, median of 3 seeds: the 10.3% without BN is
    // chance; with BN it trains.
    const rung = rungTable(r);
    expect(rung.seeds.length).toBe(3);
    expect(rung.median.plain).toBeLessThan(TRAINS);
    expect(rung.median.bn).toBeGreaterThanOrEqual(TRAINS);
    for (const f of r.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
  }, 120_000);

  it('medianOf: the middle value, or the mean of the middle two', () => {
    expect(medianOf([0.9, 0.1, 0.5])).toBe(0.5);
    expect(medianOf([0.4, 0.1, 0.9, 0.6])).toBe(0.5);
    expect(medianOf([0.7])).toBe(0.7);
    expect(medianOf([])).toBeNaN();
  });

  it('without lr 3 in the ladder there is no lr-3 finding and no seeds table; rungSeeds 1 runs the rung once', async () => {
    const params = { epochs: 1, ladderMin: 1, ladderMax: 1, ladderEpochs: 1 };
    const a = await runExperiment(batchnorm, { data: nodeLabData, quick: true, params });
    expect(a.findings.some((f) => f.statement.startsWith('At lr 3'))).toBe(false);
    expect(a.tables.some((t) => t.title?.startsWith('The lr-3 rung at'))).toBe(false);
    const b = await runExperiment(batchnorm, {
      data: nodeLabData,
      quick: true,
      params: { ...params, ladderMin: 3, ladderMax: 3, rungSeeds: 1 },
    });
    expect(rungTable(b).seeds.map((s) => s.seed)).toEqual([0]);
    expect(b.findings.find((f) => f.statement.startsWith('At lr 3'))?.statement).toMatch(
      /\(seed 0\)$/,
    );
  }, 120_000);

  it('same seed, same result (a different seed, different batches)', async () => {
    const params = { epochs: 2, ladderMin: 3, ladderMax: 3, ladderEpochs: 1 };
    const a = await runExperiment(batchnorm, { data: nodeLabData, quick: true, params });
    const b = await runExperiment(batchnorm, { data: nodeLabData, quick: true, params });
    const c = await runExperiment(batchnorm, { data: nodeLabData, quick: true, params, seed: 1 });
    expect(b.figures).toEqual(a.figures);
    expect(b.findings).toEqual(a.findings);
    expect(c.figures).not.toEqual(a.figures);
  }, 120_000);

  it('stops at the next step when aborted', async () => {
    const ac = new AbortController();
    const before = memory().numTensors;
    const p = runExperiment(batchnorm, {
      data: nodeLabData,
      quick: true,
      signal: ac.signal,
      onProgress: () => ac.abort(),
    });
    await expect(p).rejects.toThrow(/abort/i);
    expect(memory().numTensors).toBe(before);
  }, 60_000);
});
