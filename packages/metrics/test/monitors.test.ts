import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { GradNormMonitor, LossHistoryMonitor, UpdateRatioMonitor } from '../src/index.js';
import { Lin, sgdStep, sumLossBackward } from './helpers.js';

const LR = 2 ** -10; // w − lr·g is exact in float32 for the small integers used here

describe('UpdateRatioMonitor', () => {
  it('measures lr·‖g‖/‖w‖ per parameter for SGD', () => {
    // Loss = Σ(x·wᵀ + b) with x = [1, 0]: g_w = [1, 0], g_b = [1].
    const model = new Lin([[3, 4]], [2]);
    const mon = new UpdateRatioMonitor();
    mon.attach(model);
    sumLossBackward(model, [[1, 0]]);
    mon.beforeStep();
    sgdStep(model.parameters(), LR);
    mon.afterStep();
    const r = mon.endEpoch();
    const rw = LR / 5; // ‖g_w‖ = 1, ‖w‖ = 5
    const rb = LR / 2; // ‖g_b‖ = 1, ‖b‖ = 2
    expect(r['updateRatio/param/weight']).toBeCloseTo(rw, 12);
    expect(r['updateRatio/param/bias']).toBeCloseTo(rb, 12);
    expect(r['updateRatio/median']).toBeCloseTo((rw + rb) / 2, 12);
    expect(r['updateRatio/max']).toBeCloseTo(rb, 12);
    expect(Object.keys(r).sort()).toEqual([
      'updateRatio/max',
      'updateRatio/median',
      'updateRatio/param/bias',
      'updateRatio/param/weight',
    ]);
    mon.detach();
  });

  it('averages over the epoch, samples every k steps and resets per epoch', () => {
    const model = new Lin([[3, 4]], [2]);
    const mon = new UpdateRatioMonitor({ every: 2 });
    mon.attach(model);
    // Independent reference: w₀ = [3, 4], each step w[0] −= lr (x = [1, 0]).
    const expected: number[] = [];
    for (let s = 0; s < 5; s++) {
      sumLossBackward(model, [[1, 0]]);
      if (s % 2 === 0) expected.push(LR / Math.hypot(3 - s * LR, 4));
      mon.beforeStep();
      sgdStep(model.parameters(), LR);
      mon.afterStep();
    }
    const mean = expected.reduce((a, b) => a + b) / expected.length;
    expect(mon.endEpoch()['updateRatio/param/weight']).toBeCloseTo(mean, 10);
    expect(mon.endEpoch()).toEqual({});
    mon.detach();
  });

  it("follows the optimizer's param groups and skips parameters without gradient or norm", () => {
    const model = new Lin([[3, 4]], [0]);
    const mon = new UpdateRatioMonitor();
    mon.attach(model, { paramGroups: [{ params: [model.bias, model.weight], lr: LR }] });
    sumLossBackward(model, [[0, 2]]);
    mon.beforeStep();
    sgdStep(model.parameters(), LR);
    mon.afterStep();
    const r = mon.endEpoch();
    // The bias starts at 0: ‖Δb‖/‖b‖ is undefined, so it is not reported.
    expect(r).toEqual({
      'updateRatio/median': expect.closeTo((2 * LR) / 5, 12),
      'updateRatio/max': expect.closeTo((2 * LR) / 5, 12),
      'updateRatio/param/weight': expect.closeTo((2 * LR) / 5, 12),
    });
    model.zeroGrad();
    mon.beforeStep();
    mon.afterStep();
    expect(mon.endEpoch()).toEqual({});
    mon.detach();
  });

  it('leaves out a step whose update is not finite (the epoch mean is over the finite steps)', () => {
    const model = new Lin([[3, 4]], [2]);
    const mon = new UpdateRatioMonitor();
    mon.attach(model);
    // A finite step: ratio lr/5 for the weight, lr/2 for the bias (as in the first test).
    sumLossBackward(model, [[1, 0]]);
    mon.beforeStep();
    sgdStep(model.parameters(), LR);
    mon.afterStep();
    // A step by an infinite rate: every parameter becomes ±Inf or NaN, so ‖Δw‖/‖w‖ is NaN.
    sumLossBackward(model, [[1, 0]]);
    mon.beforeStep();
    sgdStep(model.parameters(), Number.POSITIVE_INFINITY);
    mon.afterStep();
    const r = mon.endEpoch();
    expect(r['updateRatio/param/weight']).toBeCloseTo(LR / 5, 12);
    expect(r['updateRatio/param/bias']).toBeCloseTo(LR / 2, 12);
    expect(Number.isFinite(r['updateRatio/median'])).toBe(true);
    mon.detach();
  });

  it('keeps memory flat, also when afterStep never comes, and frees on detach', () => {
    const model = new Lin([[3, 4]], [2]);
    const mon = new UpdateRatioMonitor();
    mon.attach(model);
    sumLossBackward(model, [[1, 0]]);
    const n0 = memory().numTensors;
    for (let i = 0; i < 50; i++) {
      sumLossBackward(model, [[1, 0]]);
      mon.beforeStep();
      sgdStep(model.parameters(), LR);
      mon.afterStep();
      expect(memory().numTensors).toBe(n0);
    }
    mon.beforeStep();
    mon.beforeStep(); // the first snapshot is dropped, not leaked
    expect(memory().numTensors).toBe(n0 + 2);
    mon.detach();
    expect(memory().numTensors).toBe(n0);
    expect(() => {
      mon.attach(model);
      mon.attach(model);
    }).toThrow(/already attached/);
    mon.detach();
  });
});

describe('GradNormMonitor', () => {
  it('reports per-parameter and total L2 norms, averaged over steps', () => {
    const model = new Lin([[1, 1]], [0]);
    const mon = new GradNormMonitor();
    mon.attach(model);
    // x = [3, 4] → g_w = [3, 4] (5), g_b = [1]; x = [6, 8] → g_w norm 10.
    for (const x of [[[3, 4]], [[6, 8]]]) {
      sumLossBackward(model, x);
      mon.beforeStep();
    }
    const r = mon.endEpoch();
    expect(r['gradNorm/param/weight']).toBeCloseTo(7.5, 5);
    expect(r['gradNorm/param/bias']).toBeCloseTo(1, 6);
    expect(r['gradNorm/total']).toBeCloseTo((Math.sqrt(26) + Math.sqrt(101)) / 2, 5);
    expect(r['gradNorm/totalMax']).toBeCloseTo(Math.sqrt(101), 5);
    expect(mon.endEpoch()).toEqual({});
    mon.detach();
  });

  it('samples every k steps and keeps memory flat', () => {
    const model = new Lin([[1, 1]], [0]);
    const mon = new GradNormMonitor({ every: 3 });
    mon.attach(model);
    sumLossBackward(model, [[1, 0]]);
    const n0 = memory().numTensors;
    const measured: number[] = [];
    for (let i = 0; i < 50; i++) {
      sumLossBackward(model, [[i, 0]]);
      if (i % 3 === 0) measured.push(Math.hypot(i, 1));
      mon.beforeStep();
      expect(memory().numTensors).toBe(n0);
    }
    expect(mon.endEpoch()['gradNorm/total']).toBeCloseTo(
      measured.reduce((a, b) => a + b) / measured.length,
      4,
    );
    mon.detach();
    expect(() => new GradNormMonitor({ every: 0 })).toThrow(/every/);
  });
});

describe('LossHistoryMonitor', () => {
  it('records step losses and per-epoch statistics', () => {
    const mon = new LossHistoryMonitor();
    mon.attach();
    for (const l of [3, 1, 2]) mon.afterStep(l);
    expect(mon.endEpoch()).toEqual({
      'loss/mean': 2,
      'loss/last': 2,
      'loss/min': 1,
      'loss/max': 3,
      'loss/steps': 3,
      'loss/nonFinite': 0,
    });
    mon.afterStep(1);
    mon.afterStep(Number.NaN);
    const r = mon.endEpoch();
    expect(r['loss/nonFinite']).toBe(1);
    expect(r['loss/min']).toBe(1);
    expect(Number.isNaN(r['loss/mean'])).toBe(true);
    expect(mon.endEpoch()).toEqual({ 'loss/steps': 0 });
    expect(mon.epochs).toEqual([
      [3, 1, 2],
      [1, Number.NaN],
    ]);
    expect(mon.epochMeans[0]).toBe(2);
    mon.afterStep(5);
    expect(mon.steps).toEqual([3, 1, 2, 1, Number.NaN, 5]);
    mon.detach();
  });
});
