import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import type { HistogramFigure, LineFigure, ScatterFigure } from '@nerve/plot';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabResult } from '../src/experiment.js';
import { search } from '../src/experiments/search.js';
import {
  expectedGridBest,
  expectedNearestSquare,
  lrSampling,
} from '../src/experiments/search-sampling.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

let result: LabResult;
let liveBefore = 0;
let liveAfter = 0;

function rows(prefix: string): (string | number | null)[][] {
  const t = result.tables.find((x) => x.title?.startsWith(prefix));
  if (!t) throw new Error(`no table '${prefix}'`);
  return t.rows;
}

describe('search math', () => {
  it('integrates the nearest-point distance correctly', () => {
    // One point: E[(x − x*)²] for two independent uniforms is 1/6; midpoint rule on 400² cells: 1e-4.
    expect(Math.abs(expectedNearestSquare(1) - 1 / 6)).toBeLessThan(1e-4);
    // Many points: away from the edges P(D > t) ≈ (1 − 2t)ⁿ, so E[D²] ≈ 1/(2(n+1)(n+2))
    // (Beta integral); the edges add at most a factor 2 (one-sided gaps there).
    const n = 50;
    const interior = 1 / (2 * (n + 1) * (n + 2));
    expect(expectedNearestSquare(n)).toBeGreaterThan(interior);
    expect(expectedNearestSquare(n)).toBeLessThan(2 * interior);
    // A 3×3 grid: half-cells of 1/4, E[d²] = (1/4)²/3 for each axis, weighted 1 + 0.01.
    expect(expectedGridBest(3)).toBeCloseTo((1.01 * 0.0625) / 3, 12);
  });

  it('samples learning rates per decade as tune draws them', () => {
    const s = lrSampling(2000, 3);
    expect(s.linear.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(s.log.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // Four binomial standard errors at n = 2000.
    expect(Math.abs((s.linear[5] as number) - 0.9)).toBeLessThan(4 * Math.sqrt(0.09 / 2000));
    for (const f of s.log) expect(Math.abs(f - 1 / 6)).toBeLessThan(4 * Math.sqrt(5 / 36 / 2000));
  });
});

describe('lab search (quick, default seed)', () => {
  beforeAll(async () => {
    liveBefore = memory().numTensors;
    result = await runExperiment(search, { data: nodeLabData, quick: true });
    liveAfter = memory().numTensors;
  }, 120_000);

  it('is registered and every finding held', () => {
    expect(getExperiment('search')).toBe(search);
    for (const f of result.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(result.findings.length).toBe(8);
  });

  it('frees every tensor it made', () => {
    expect(liveAfter).toBe(liveBefore);
  });

  it('compares random and grid search over at least 20 seeds', () => {
    const [grid, random] = rows('Random vs grid');
    expect(grid?.[1]).toBe(3); // √9 values on a 3×3 grid
    expect(random?.[1]).toBe(9);
    expect((grid?.[4] as number) + (random?.[4] as number)).toBe(20);
    expect(random?.[2] as number).toBeLessThan(grid?.[2] as number);
    expect(grid?.[3]).toBeCloseTo(expectedGridBest(3), 12);
  });

  it('narrows the ranges stage by stage and keeps them inside the first', () => {
    const stages = rows('Coarse-to-fine');
    expect(stages.length).toBe(3);
    const lr = stages.map((r) => String(r[2]).split('…').map(Number));
    expect(lr[0]).toEqual([1e-5, 10]);
    for (let i = 1; i < lr.length; i++) {
      const [lo, hi] = lr[i] as number[];
      const [plo, phi] = lr[i - 1] as number[];
      // Printed to two significant digits: allow 5% on each bound.
      expect(lo as number).toBeGreaterThanOrEqual((plo as number) * 0.95);
      expect(hi as number).toBeLessThanOrEqual((phi as number) * 1.05);
    }
  });

  it('shows the k-fold spread', () => {
    const cv = rows('5-fold cross-validation');
    expect(cv.length).toBe(3);
    for (const r of cv) expect(String(r[1]).split(' ').length).toBe(5);
    // Five folds of 60 digits: each accuracy is a multiple of 1/60 (printed to 3 digits).
    for (const r of cv) {
      for (const s of String(r[1]).split(' ').map(Number)) {
        expect(Math.abs(s * 60 - Math.round(s * 60))).toBeLessThan(0.05);
      }
    }
  });

  it('returns the figures as data', () => {
    expect(result.figures.map((f) => f.id)).toEqual([
      'random-vs-grid-layout',
      'random-vs-grid-best',
      'coarse-to-fine',
      'lr-sampling',
      'cv-spread',
    ]);
    const layout = result.figures[0] as ScatterFigure;
    expect(layout.groups.map((g) => g.x.length)).toEqual([9, 9]);
    const best = result.figures[1] as LineFigure;
    expect(best.series.map((s) => s.y.length)).toEqual([20, 20]);
    const c2f = result.figures[2] as ScatterFigure;
    expect(c2f.x.log).toBe(true);
    expect(c2f.groups.map((g) => g.x.length)).toEqual([6, 6, 6]);
    const cv = result.figures[4] as HistogramFigure;
    // 3 shuffles × 5 folds, and 3 means; every value lands in a bin.
    expect(cv.panels.map((p) => p.counts.reduce((a, b) => a + b, 0))).toEqual([15, 3]);
    for (const p of cv.panels) expect(p.edges.length).toBe(p.counts.length + 1);
  });
});
