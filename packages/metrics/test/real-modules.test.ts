/**
 * The monitors with @nerve/layers' modules and @nerve/optim's optimizers,
 * in the loop `fit` runs: forward/backward, beforeStep, step, afterStep.
 */
import '@nerve/backend-cpu';
import { type Tensor, full, memory, randn, tensor, tidy } from '@nerve/core';
import { Linear, type Module, ReLU, Sequential, Sigmoid, Tanh, crossEntropy } from '@nerve/layers';
import { Adam, type Optimizer, SGD, clipGradNorm } from '@nerve/optim';
import { describe, expect, it } from 'vitest';
import {
  ActivationMonitor,
  type EpochRecord,
  GradNormMonitor,
  LossHistoryMonitor,
  type Monitor,
  UpdateRatioMonitor,
  diagnose,
} from '../src/index.js';

const x = randn([16, 4], { seed: 1 });
const y = tensor(Int32Array.from({ length: 16 }, (_, i) => i % 3));

function norm(t: Tensor): number {
  return Math.hypot(...t.dataSync());
}

/** One training step as fit runs it; returns the loss. */
function step(model: Module, opt: Optimizer, monitors: Monitor[]): number {
  opt.zeroGrad();
  const loss = tidy(() => {
    const l = crossEntropy(model.call(x), y);
    l.backward();
    return l.itemSync();
  });
  for (const m of monitors) m.beforeStep?.();
  opt.step();
  for (const m of monitors) m.afterStep?.(loss);
  return loss;
}

const mlp = (seed: number) =>
  new Sequential(new Linear(4, 8, { seed }), new ReLU(), new Linear(8, 3, { seed: seed + 1 }));

describe('monitors with real layers and optimizers', () => {
  it('UpdateRatioMonitor gives lr·‖g‖/‖w‖ for SGD, and GradNormMonitor matches clipGradNorm', () => {
    const model = mlp(0);
    const lr = 0.05;
    const opt = new SGD(model.parameters(), { lr });
    const ratio = new UpdateRatioMonitor();
    const grads = new GradNormMonitor();
    ratio.attach(model, opt);
    grads.attach(model, opt);
    opt.zeroGrad();
    tidy(() => crossEntropy(model.call(x), y).backward());
    const expected = model
      .namedParameters()
      .map(([n, p]) => [n, (lr * norm(p.grad!)) / norm(p)] as const);
    const perParam = model.namedParameters().map(([n, p]) => [n, norm(p.grad!)] as const);
    const total = clipGradNorm(model.parameters(), 1e30);
    ratio.beforeStep();
    grads.beforeStep();
    opt.step();
    ratio.afterStep();
    const r = ratio.endEpoch();
    const g = grads.endEpoch();
    for (const [n, v] of expected) {
      expect(Math.abs(r[`updateRatio/param/${n}`] - v)).toBeLessThanOrEqual(1e-4 * v);
    }
    for (const [n, v] of perParam) expect(g[`gradNorm/param/${n}`]).toBeCloseTo(v, 5);
    expect(g['gradNorm/total']).toBeCloseTo(total, 5);
    expect(Object.keys(r).filter((k) => k.startsWith('updateRatio/param/'))).toEqual([
      'updateRatio/param/0.weight',
      'updateRatio/param/0.bias',
      'updateRatio/param/2.weight',
      'updateRatio/param/2.bias',
    ]);
    ratio.detach();
    grads.detach();
  });

  it("Adam's first step moves every weight by lr, so the ratio is lr·√n/‖w‖", () => {
    const model = new Sequential(new Linear(4, 3, { seed: 3 }));
    const lr = 1e-3;
    const opt = new Adam(model.parameters(), { lr });
    const mon = new UpdateRatioMonitor();
    mon.attach(model, opt);
    const w = model
      .namedParameters()
      .map(([n, p]) => [n, (lr * Math.sqrt(p.size)) / norm(p)] as const);
    step(model, opt, [mon]);
    const r = mon.endEpoch();
    for (const [n, v] of w)
      expect(Math.abs(r[`updateRatio/param/${n}`] - v)).toBeLessThanOrEqual(1e-3 * v);
    mon.detach();
  });

  it('ReLU behind a bias of −100 is 100% dead; sigmoid and tanh behind huge weights saturate', () => {
    const big = (shape: readonly number[]) => full(shape, 100);
    const model = new Sequential(
      new Linear(4, 5, { seed: 0, init: { bias: (s) => full(s, -100) } }),
      new ReLU(),
      new Linear(5, 6, { init: { weight: big, bias: big } }),
      new Sigmoid(),
      new Linear(6, 3, { init: { weight: big } }),
      new Tanh(),
    );
    const mon = new ActivationMonitor();
    mon.attach(model);
    tidy(() => model.call(x));
    const r = mon.endEpoch();
    expect(r['activation/layer/1/dead']).toBe(1);
    expect(r['activation/layer/3/saturated']).toBe(1);
    expect(r['activation/layer/5/saturated']).toBe(1);
    expect(diagnose([{ epoch: 0, trainLoss: 1, monitors: r }]).map((f) => f.code)).toEqual([
      'dead-relu',
      'saturation',
    ]);
    mon.detach();
  });

  it('keeps memory flat over 50 steps with every monitor, and detach removes the hooks', () => {
    const model = mlp(5);
    const opt = new SGD(model.parameters(), { lr: 0.1, momentum: 0.9 });
    const monitors: Monitor[] = [
      new UpdateRatioMonitor(),
      new GradNormMonitor(),
      new ActivationMonitor(),
      new LossHistoryMonitor(),
    ];
    for (const m of monitors) m.attach(model, opt);
    step(model, opt, monitors);
    const n0 = memory().numTensors;
    const history: EpochRecord[] = [];
    for (let e = 0; e < 5; e++) {
      const losses: number[] = [];
      for (let i = 0; i < 10; i++) {
        losses.push(step(model, opt, monitors));
        expect(memory().numTensors).toBe(n0);
      }
      const rec: EpochRecord = {
        epoch: e,
        trainLoss: losses.reduce((a, b) => a + b) / 10,
        stepLosses: losses,
        monitors: {},
      };
      for (const m of monitors) Object.assign(rec.monitors!, m.endEpoch());
      history.push(rec);
    }
    const keys = Object.keys(history[4].monitors!);
    for (const k of [
      'updateRatio/median',
      'gradNorm/total',
      'activation/layer/1/dead',
      'loss/mean',
    ]) {
      expect(keys).toContain(k);
    }
    expect(history[4].monitors!['loss/mean']).toBeCloseTo(history[4].trainLoss, 12);
    // The loss falls on this easy problem, so the loss checks stay quiet.
    expect(
      diagnose(history)
        .map((f) => f.code)
        .filter((c) => c.startsWith('loss')),
    ).toEqual([]);
    for (const m of monitors) m.detach();
    expect(memory().numTensors).toBe(n0);
    const hooks = model
      .modules()
      .reduce((s, m) => s + (m as unknown as { _hooks: Set<unknown> })._hooks.size, 0);
    expect(hooks).toBe(0);
  });
});
