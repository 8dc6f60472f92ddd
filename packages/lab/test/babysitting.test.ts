import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import type { LineFigure } from '@nerve/plot';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LabResult } from '../src/experiment.js';
import { babysitting } from '../src/experiments/babysitting.js';
import { LADDER } from '../src/experiments/babysitting-training.js';
import { nodeLabData } from '../src/node.js';
import { getExperiment } from '../src/registry.js';
import { runExperiment } from '../src/run.js';

const LN10 = Math.log(10);
let result: LabResult;
let liveBefore = 0;
let liveAfter = 0;

/** The rows of the table whose title starts with `prefix`. */
function rows(prefix: string): (string | number | null)[][] {
  const t = result.tables.find((x) => x.title?.startsWith(prefix));
  if (!t) throw new Error(`no table '${prefix}'`);
  return t.rows;
}

function line(id: string): LineFigure {
  const f = result.figures.find((x) => x.id === id);
  if (!f || f.kind !== 'line') throw new Error(`no line figure '${id}'`);
  return f;
}

describe('lab babysitting (quick, default seed)', () => {
  beforeAll(async () => {
    liveBefore = memory().numTensors;
    result = await runExperiment(babysitting, { data: nodeLabData, quick: true });
    liveAfter = memory().numTensors;
  }, 120_000);

  it('is registered and every finding held', () => {
    expect(getExperiment('babysitting')).toBe(babysitting);
    for (const f of result.findings) expect(f.held, `${f.statement}: ${f.measured}`).toBe(true);
    expect(result.held).toBe(true);
    expect(result.findings.length).toBe(11);
  });

  it('frees every tensor it made', () => {
    expect(liveAfter).toBe(liveBefore);
  });

  it('measures the loss at init: ln 10 with small weights, + λ/2·Σw² with L2', () => {
    const small = rows('Loss at init').filter((r) => String(r[0]).startsWith('0.01'));
    const [, lambda0, data0, ss, total0, logitStd] = small[0] as number[];
    expect(lambda0).toBe(0);
    // loss = logsumexp(z) − z_y = ln C + (z̄ − z_y) + O(σ²): the first-order term is the
    // mean of z̄ − z_y, whose spread per example is at most √2·σ (σ the logit std); 3σ bounds it.
    expect(logitStd).toBeLessThan(0.01);
    expect(Math.abs(data0 - LN10)).toBeLessThan(3 * logitStd);
    expect(total0).toBeCloseTo(data0, 6);
    // Σw² of 0.01·N(0,1) weights over 64·100 + 100·10 entries: 1e-4·7,400 = 0.74,
    // within 3 relative standard errors √(2/7400) ≈ 1.6% (χ² spread).
    expect(Math.abs(ss - 0.74) / 0.74).toBeLessThan(3 * Math.sqrt(2 / 7400));
    for (const r of small) {
      const [, lambda, data, s, total] = r as number[];
      // float32 sums: relative 1e-5.
      expect(Math.abs(total - (data + (lambda / 2) * s))).toBeLessThan(1e-5 * total);
    }
  });

  it('overfits 20 examples to 100% training accuracy', () => {
    const [steps, first, loss, acc] = rows('Overfitting')[0] as number[];
    expect(steps).toBe(60);
    expect(acc).toBe(1);
    expect(first).toBeLessThanOrEqual(steps);
    expect(loss).toBeLessThan(0.01 * LN10);
  });

  it('reads the ladder: flat at the bottom, NaN at the top, ratio ∝ lr for SGD', () => {
    const ladder = rows('Learning-rate ladder');
    expect(ladder.map((r) => r[0])).toEqual([...LADDER]);
    for (const r of ladder.slice(0, 2)) expect(String(r[5])).toMatch(/loss-flat|update-ratio-low/);
    for (const r of ladder.slice(-2)) expect(String(r[5])).toMatch(/loss-nan|loss-exploding/);
    // SGD's ratio is lr·‖g‖/‖w‖ and the weights hardly move below 1e-4
    // (ratio × steps ≤ 3e-5 × 120 steps): ten times the rate, ten times the ratio, to 5%.
    const [r6, r5, r4] = ladder.slice(0, 3).map((r) => r[4] as number);
    expect((r5 as number) / (r6 as number)).toBeGreaterThan(9.5);
    expect((r5 as number) / (r6 as number)).toBeLessThan(10.5);
    expect((r4 as number) / (r5 as number)).toBeGreaterThan(9.5);
    expect((r4 as number) / (r5 as number)).toBeLessThan(10.5);
  });

  it('shows the gap: memorized 100 examples, regularization leaves most of it, 8× data closes it', () => {
    const gap = rows('Train/val gap');
    const none = gap[0] as number[];
    const more = gap[4] as number[];
    expect(none[1]).toBe(1);
    expect(none[3]).toBeGreaterThan(0.1); // diagnose's maxGap
    for (const r of gap.slice(1, 4))
      expect(r[3] as number).toBeGreaterThan((none[3] as number) / 2);
    expect(more[3]).toBeLessThan(Math.min(...gap.slice(1, 4).map((r) => r[3] as number)));
  });

  it('returns the figures as data', () => {
    expect(result.figures.map((f) => f.id)).toEqual([
      'initial-loss',
      'overfit',
      'lr-ladder',
      'lr-ladder-curves',
      'update-ratio-layers',
      'update-ratio-lr',
      'gap',
      'gap-curves',
    ]);
    expect(line('overfit').series[0]?.y.length).toBe(60);
    expect(line('lr-ladder-curves').series.length).toBe(LADDER.length);
    const layers = line('update-ratio-layers');
    expect(layers.y.log).toBe(true);
    expect(layers.bands?.[0]).toMatchObject({ y1: 1e-4, y2: 1e-2 });
    expect(layers.series.map((s) => s.name)).toEqual(['0.weight', '0.bias', '2.weight', '2.bias']);
    for (const s of layers.series) expect(s.y.length).toBe(3); // quick: 3 epochs
    for (const f of result.figures) {
      if (f.kind !== 'line') continue;
      for (const s of f.series) {
        expect(s.x.length).toBe(s.y.length);
        if (f.y.log) for (const v of s.y) expect(v).toBeGreaterThan(0);
      }
    }
  });
});
