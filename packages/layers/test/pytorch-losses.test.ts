import '@nerve/backend-cpu';
import { type Tensor, memory, mul, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  MSELoss,
  MultiMarginLoss,
  NLLLoss,
  bceWithLogits,
  crossEntropy,
  l2Penalty,
  mseLoss,
  multiMarginLoss,
  nllLoss,
} from '../src/index.js';
import { type LossCase, expectClose, loadFixtures, toTensor } from './fixture-helpers.js';

const fx = loadFixtures();

function callLoss(c: LossCase, x: Tensor, y: Tensor, extra: Record<string, Tensor>): Tensor {
  const o = c.opts;
  switch (c.fn) {
    case 'crossEntropy':
      return crossEntropy(x, y, o);
    case 'nllLoss':
      return nllLoss(x, y, o);
    case 'mseLoss':
      return mseLoss(x, y, o);
    case 'multiMarginLoss':
      return multiMarginLoss(x, y, o);
    case 'bceWithLogits':
      return bceWithLogits(x, y, { ...o, ...extra });
    default:
      throw new Error(`unknown loss ${c.fn}`);
  }
}

function lossModule(c: LossCase, extra: Record<string, Tensor>) {
  switch (c.fn) {
    case 'crossEntropy':
      return new CrossEntropyLoss(c.opts);
    case 'nllLoss':
      return new NLLLoss(c.opts);
    case 'mseLoss':
      return new MSELoss(c.opts);
    case 'multiMarginLoss':
      return new MultiMarginLoss(c.opts);
    default:
      return new BCEWithLogitsLoss({ ...c.opts, ...extra });
  }
}

describe(`losses match PyTorch ${fx.torch} (value and input gradient)`, () => {
  for (const c of fx.losses) {
    for (const form of ['function', 'module'] as const) {
      it(`${c.name} (${form})`, () => {
        const before = memory().numTensors;
        tidy(() => {
          const x = toTensor(c.input);
          x.requiresGrad = true;
          const y = toTensor(c.target);
          const extra = Object.fromEntries(
            Object.entries(c.extra ?? {}).map(([k, v]) => [k, toTensor(v)]),
          );
          const mod = form === 'module' ? lossModule(c, extra) : null;
          const v = mod ? mod.call(x, y) : callLoss(c, x, y, extra);
          expectClose(v, c.value, `${c.name} value`);
          (c.r ? mul(v, toTensor(c.r)).sum() : v).backward();
          expectClose(x.grad!, c.grad, `${c.name} gradient`);
          x.dispose();
          mod?.dispose();
        });
        expect(memory().numTensors).toBe(before);
      });
    }
  }

  it('l2Penalty = ½·λ·Σ‖w‖² and its gradient λ·w', () => {
    const l2 = fx.l2Penalty;
    tidy(() => {
      const ps = l2.params.map((p) => {
        const t = toTensor(p);
        t.requiresGrad = true;
        return t;
      });
      const v = l2Penalty(ps, l2.strength);
      expectClose(v, l2.value, 'l2Penalty value');
      v.backward();
      ps.forEach((p, i) => {
        expectClose(p.grad!, l2.grads[i], `l2Penalty gradient ${i}`);
        p.dispose();
      });
    });
  });

  it('the comparison itself rejects values just outside the tolerance', () => {
    const b = 0.5;
    const off = tensor([b + 1e-6 + 1e-5 * b + 1e-7]);
    expect(() => expectClose(off, { shape: [1], data: [b] }, 'probe')).toThrow(/beyond tolerance/);
    const on = tensor([b + 1e-6 + 1e-5 * b - 1e-7]);
    expect(() => expectClose(on, { shape: [1], data: [b] }, 'probe')).not.toThrow();
    off.dispose();
    on.dispose();
  });
});
