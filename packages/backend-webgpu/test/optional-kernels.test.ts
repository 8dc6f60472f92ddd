/**
 * Sizes of the fused kernels that the conformance suite's small cases do not
 * reach: cross-entropy over more rows than one workgroup block (the second,
 * summing pass), wide rows, and batch-norm statistics and updates over many
 * elements per channel; each against core's composed path on webgpu.
 */
import {
  type Tensor,
  adamUpdate,
  batchNormTrain,
  randint,
  randn,
  sgdUpdate,
  softmaxCrossEntropy,
  tidy,
  withoutOptionalKernels,
} from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { available, useWebGpu } from './gpu.js';

async function values(fn: () => Tensor[]): Promise<number[][]> {
  const outs = tidy(fn);
  const v = await Promise.all(outs.map(async (t) => Array.from(await t.data())));
  for (const t of outs) t.dispose();
  return v;
}

async function expectSame(fn: () => Tensor[], tol: number, label: string): Promise<void> {
  const fusedOut = await values(fn);
  const composed = await values(() => withoutOptionalKernels(fn));
  fusedOut.forEach((out, j) => {
    expect(out.length, `${label} output ${j} length`).toBe(composed[j].length);
    out.forEach((v, i) => {
      const w = composed[j][i];
      expect(
        Math.abs(v - w) <= tol * (1 + Math.abs(w)),
        `${label} [${j}][${i}]: ${v} vs ${w}`,
      ).toBe(true);
    });
  });
}

describe.runIf(available)('webgpu fused kernels at larger sizes', () => {
  it('cross-entropy over 5,000 rows (three blocks) and 1,000 classes, forward and gradient', async () => {
    await useWebGpu();
    for (const [n, c] of [
      [5000, 10],
      [64, 1000],
    ]) {
      const x = randn([n, c], { seed: n + c, std: 3 });
      const y = randint(0, c, [n], { seed: n });
      x.requiresGrad = true;
      for (const reduction of ['mean', 'sum', 'none'] as const) {
        await expectSame(
          () => [softmaxCrossEntropy(x, y, { reduction, labelSmoothing: 0.05 })],
          1e-4,
          `cross-entropy ${n}x${c} ${reduction}`,
        );
        await expectSame(
          () => {
            const l = softmaxCrossEntropy(x, y, { reduction });
            (reduction === 'none' ? l.sum() : l).backward();
            const g = x.grad!;
            x.grad = null;
            return [g];
          },
          1e-5,
          `cross-entropy gradient ${n}x${c} ${reduction}`,
        );
      }
      x.dispose();
      y.dispose();
    }
  });

  it('batch norm over [64, 8, 14, 14] with running averages, forward and gradients', async () => {
    await useWebGpu();
    const x = randn([64, 8, 14, 14], { seed: 1, mean: 2, std: 3 });
    const w = randn([8], { seed: 2 });
    const b = randn([8], { seed: 3 });
    const rm = randn([8], { seed: 4 });
    const rv = tidy(() => randn([8], { seed: 5 }).abs());
    for (const t of [x, w, b]) t.requiresGrad = true;
    await expectSame(
      () => {
        const r = batchNormTrain(x, w, b, 1e-5, { mean: rm, variance: rv, momentum: 0.1 });
        r.y.mul(r.y).sum().backward();
        const grads = [x.grad!, w.grad!, b.grad!];
        x.grad = w.grad = b.grad = null;
        return [r.y, r.mean, r.variance, r.runningMean!, r.runningVariance!, ...grads];
      },
      1e-3,
      'batchNormTrain',
    );
    for (const t of [x, w, b, rm, rv]) t.dispose();
  });

  it('optimizer updates over 100,000 elements, AMSGrad in two dispatches', async () => {
    await useWebGpu();
    const [p, g, m] = [1, 2, 3].map((seed) => randn([100_000], { seed }));
    const v = tidy(() => randn([100_000], { seed: 4 }).abs());
    await expectSame(
      () => {
        const s = sgdUpdate(p, g, m, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 0.01 });
        const a = adamUpdate(p, g, m, v, v, {
          lr: 1e-3,
          betas: [0.9, 0.999],
          eps: 1e-8,
          weightDecay: 0.01,
          decoupledWeightDecay: true,
          amsgrad: true,
          step: 5,
        });
        return [s.param, s.momentumBuffer!, a.param, a.expAvg, a.expAvgSq, a.maxExpAvgSq!];
      },
      1e-5,
      'sgd and adam',
    );
    for (const t of [p, g, m, v]) t.dispose();
  });
});
