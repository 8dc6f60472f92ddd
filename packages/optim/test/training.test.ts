/** Each optimizer fits a tiny linear regression, with memory flat across steps. */
import '@nerve/backend-cpu';
import { type Tensor, matmul, memory, randn, tensor, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { type Optimizer, createOptimizer } from '../src/index.js';

const TRUE_W = [[1.5], [-2], [0.5]];
const TRUE_B = 0.3;

function problem() {
  const x = randn([64, 3], { seed: 7 }).keep();
  const y = tidy(() => matmul(x, tensor(TRUE_W)).add(TRUE_B)).keep();
  const w = zeros([3, 1], { requiresGrad: true }).keep();
  const b = zeros([1], { requiresGrad: true }).keep();
  return {
    x,
    y,
    w,
    b,
    dispose: () => {
      for (const t of [x, y, w, b]) t.dispose();
    },
  };
}

function trainStep(opt: Optimizer, x: Tensor, y: Tensor, w: Tensor, b: Tensor): number {
  const loss = tidy(() => {
    const l = matmul(x, w).add(b).sub(y).square().mean();
    l.backward();
    return l.itemSync();
  });
  opt.step();
  opt.zeroGrad();
  return loss;
}

const RUNS: [Parameters<typeof createOptimizer>[0], Record<string, unknown>, number][] = [
  ['sgd', { lr: 0.1 }, 300],
  ['momentum', { lr: 0.05 }, 300],
  ['nesterov', { lr: 0.05 }, 300],
  ['adagrad', { lr: 0.5 }, 300],
  ['rmsprop', { lr: 0.01 }, 600],
  ['adam', { lr: 0.05 }, 600],
  ['adamw', { lr: 0.05, weightDecay: 1e-4 }, 600],
];

describe('training a linear regression', () => {
  for (const [name, opts, steps] of RUNS) {
    it(`${name} converges`, () => {
      const { x, y, w, b, dispose } = problem();
      const opt = createOptimizer(name, [w, b], opts);
      const first = trainStep(opt, x, y, w, b);
      let last = first;
      for (let i = 1; i < steps; i++) last = trainStep(opt, x, y, w, b);
      expect(first).toBeGreaterThan(1);
      expect(last).toBeLessThan(1e-4);
      const wv = Array.from(w.dataSync());
      for (const [i, [v]] of TRUE_W.entries()) expect(Math.abs(wv[i] - v)).toBeLessThan(1e-2);
      expect(Math.abs(b.dataSync()[0] - TRUE_B)).toBeLessThan(1e-2);
      opt.disposeState();
      dispose();
    });
  }
});

const MEMORY: [Parameters<typeof createOptimizer>[0], Record<string, unknown>][] = [
  ['sgd', { lr: 0.01, weightDecay: 0.01 }],
  ['nesterov', { lr: 0.01, weightDecay: 0.01 }],
  ['momentum', { lr: 0.01, dampening: 0.5 }],
  ['adagrad', { lr: 0.01, weightDecay: 0.01, lrDecay: 0.01 }],
  ['rmsprop', { lr: 0.001, centered: true, momentum: 0.9, weightDecay: 0.01 }],
  ['adam', { lr: 0.001, amsgrad: true, weightDecay: 0.01 }],
  ['adamw', { lr: 0.001, amsgrad: true }],
];

describe('memory stays flat over 200 steps', () => {
  for (const [name, opts] of MEMORY) {
    it(name, () => {
      const { x, y, w, b, dispose } = problem();
      const start = memory().numTensors;
      const opt = createOptimizer(name, [w, b], opts);
      trainStep(opt, x, y, w, b);
      const after1 = memory();
      for (let i = 0; i < 200; i++) trainStep(opt, x, y, w, b);
      expect(memory().numTensors).toBe(after1.numTensors);
      expect(memory().numBytes).toBe(after1.numBytes);
      opt.disposeState();
      expect(memory().numTensors).toBe(start);
      dispose();
    });
  }
});
