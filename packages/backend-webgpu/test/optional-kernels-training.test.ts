/**
 * Training through the fused paths on webgpu (cross-entropy, SGD/Adam/AdamW
 * updates, batch norm) gives the losses and weights of the CPU backend, which
 * runs core's composed fallbacks: the same model, seeds and batches, 8 steps.
 */
import '@nerve/backend-cpu';
import {
  type Tensor,
  keep,
  randint,
  randn,
  ready,
  setBackend,
  tidy,
  withoutOptionalKernels,
} from '@nerve/core';
import { Linear, ReLU, Sequential, crossEntropy } from '@nerve/layers';
import { BatchNorm1d } from '@nerve/norm';
import { Adam, AdamW, type Optimizer, SGD } from '@nerve/optim';
import { describe, expect, it } from 'vitest';
import { available, useWebGpu } from './gpu.js';

interface Trace {
  losses: number[];
  weights: number[][];
  runningStats: number[][];
}

const OPTIMIZERS: Record<string, (ps: Tensor[]) => Optimizer> = {
  'SGD nesterov + weight decay': (ps) =>
    new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
  Adam: (ps) => new Adam(ps, { lr: 1e-2 }),
  'AdamW amsgrad': (ps) => new AdamW(ps, { lr: 1e-2, amsgrad: true }),
};

async function train(
  backend: 'cpu' | 'webgpu',
  makeOpt: (ps: Tensor[]) => Optimizer,
  bn: boolean,
  smoothing: number,
  composed = false,
): Promise<Trace> {
  if (backend === 'webgpu') await useWebGpu();
  else {
    await ready('cpu');
    setBackend('cpu');
  }
  // No bias before BatchNorm: its gradient is zero up to rounding, and Adam
  // would amplify that rounding noise into ±lr steps that differ by backend.
  const model = new Sequential(
    new Linear(12, 16, { seed: 3, bias: !bn }),
    ...(bn ? [new BatchNorm1d(16)] : []),
    new ReLU(),
    new Linear(16, 5, { seed: 4 }),
  );
  const opt = makeOpt(model.parameters());
  const x = keep(randn([24, 12], { seed: 5 }));
  const y = keep(randint(0, 5, [24], { seed: 6 }));
  const losses: number[] = [];
  for (let i = 0; i < 8; i++) {
    const step = () =>
      tidy(() => {
        opt.zeroGrad();
        const l = crossEntropy(model.call(x), y, { labelSmoothing: smoothing });
        l.backward();
        opt.step();
        return l.detach();
      });
    const loss = composed ? withoutOptionalKernels(step) : step();
    losses.push(await loss.item());
    loss.dispose();
  }
  const weights = await Promise.all(
    model.parameters().map(async (p) => Array.from(await p.data())),
  );
  const runningStats = await Promise.all(
    model
      .buffers()
      .filter((b) => b.dtype === 'float32')
      .map(async (b) => Array.from(await b.data())),
  );
  opt.zeroGrad();
  if ('disposeState' in opt) opt.disposeState();
  model.dispose();
  x.dispose();
  y.dispose();
  return { losses, weights, runningStats };
}

function expectTraceClose(gpu: Trace, cpu: Trace, label: string): void {
  const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 + 1e-3 * Math.abs(b);
  gpu.losses.forEach((l, i) => {
    expect(close(l, cpu.losses[i]), `${label} loss ${i}: ${l} vs ${cpu.losses[i]}`).toBe(true);
  });
  for (const key of ['weights', 'runningStats'] as const) {
    gpu[key].forEach((w, j) => {
      w.forEach((v, i) => {
        const want = cpu[key][j][i];
        expect(close(v, want), `${label} ${key} ${j}[${i}]: ${v} vs ${want}`).toBe(true);
      });
    });
  }
  expect(cpu.losses[7], `${label}: the loss falls`).toBeLessThan(cpu.losses[0]);
}

describe.runIf(available)('webgpu fused training paths agree with cpu', () => {
  for (const [name, makeOpt] of Object.entries(OPTIMIZERS)) {
    for (const bn of [false, true]) {
      it(`${name}${bn ? ', BatchNorm1d' : ''}: 8 steps, same losses, weights and running stats`, async () => {
        const smoothing = bn ? 0.1 : 0;
        const cpu = await train('cpu', makeOpt, bn, smoothing);
        const gpu = await train('webgpu', makeOpt, bn, smoothing);
        expectTraceClose(gpu, cpu, name);
      });
    }
  }

  it('the composed fallbacks on webgpu give the fused results', async () => {
    const make = OPTIMIZERS['AdamW amsgrad'];
    const fusedRun = await train('webgpu', make, true, 0.1);
    const composed = await train('webgpu', make, true, 0.1, true);
    expectTraceClose(fusedRun, composed, 'fused vs composed on webgpu');
  });
});
