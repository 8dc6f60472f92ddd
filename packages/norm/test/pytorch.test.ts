/**
 * Against PyTorch (fixtures/make_fixtures.py): training passes with running
 * statistics, gradients through the batch statistics, evaluation, and the
 * LayerNorm / GroupNorm forward and backward passes.
 */
import '@nerve/backend-cpu';
import { type Tensor, mul, sum, tensor, tidy } from '@nerve/core';
import type { Module } from '@nerve/layers';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d, GroupNorm, LayerNorm } from '../src/index.js';
import { type Recorded, expectClose, fromRecord, loadFixtures } from './helpers.js';

interface BnStep {
  x: Recorded;
  out: Recorded;
  running_mean?: number[];
  running_var?: number[];
  num_batches_tracked?: number;
  r?: Recorded;
  grad_x?: Recorded;
  grad_weight?: number[];
  grad_bias?: number[];
}

interface BnCase {
  name: string;
  numFeatures: number;
  momentum: number | null;
  affine: boolean;
  trackRunningStats: boolean;
  weight?: number[];
  bias?: number[];
  steps: BnStep[];
  eval: { x: Recorded; out: Recorded };
}

interface AffineCase {
  x: Recorded;
  r: Recorded;
  out: Recorded;
  grad_x: Recorded;
  weight?: number[];
  bias?: number[];
  grad_weight?: number[];
  grad_bias?: number[];
}

interface Fixtures {
  batchnorm: BnCase[];
  layernorm: (AffineCase & { normalizedShape: number[]; elementwiseAffine: boolean })[];
  groupnorm: (AffineCase & { numGroups: number; numChannels: number; affine: boolean })[];
}

const fx = loadFixtures<Fixtures>();

/** Sets weight and bias to the fixture's values (they are not trained here). */
function setAffine(m: { weight: Tensor | null; bias: Tensor | null }, c: AffineCase | BnCase) {
  if (!c.weight || !c.bias || !m.weight || !m.bias) return;
  m.weight.assign(tensor(c.weight, { shape: m.weight.shape }));
  m.bias.assign(tensor(c.bias, { shape: m.bias.shape }));
}

/** Forward, then backward of sum(out · R); checks the output and all gradients. */
function checkForwardBackward(
  m: Module & { weight: Tensor | null; bias: Tensor | null },
  c: AffineCase | BnStep,
  label: string,
) {
  const x = fromRecord(c.x, true);
  tidy(() => {
    const out = m.call(x);
    expectClose(out, c.out.data, `${label} output`);
    expect(out.shape).toEqual(c.out.shape);
    sum(mul(out, fromRecord(c.r!))).backward();
  });
  expectClose(x.grad!, c.grad_x!.data, `${label} dL/dx`);
  if (c.grad_weight && c.grad_bias) {
    expectClose(m.weight!.grad!, c.grad_weight, `${label} dL/dweight`);
    expectClose(m.bias!.grad!, c.grad_bias, `${label} dL/dbias`);
  } else {
    expect(m.weight).toBeNull();
  }
  x.dispose();
  m.zeroGrad();
}

describe('BatchNorm against PyTorch', () => {
  for (const c of fx.batchnorm) {
    it(c.name, () => {
      const Cls = c.name.startsWith('bn2d') ? BatchNorm2d : BatchNorm1d;
      const bn = new Cls(c.numFeatures, {
        momentum: c.momentum,
        affine: c.affine,
        trackRunningStats: c.trackRunningStats,
      });
      setAffine(bn, c);
      bn.train();
      for (const [i, step] of c.steps.entries()) {
        const label = `${c.name} pass ${i + 1}`;
        if (step.grad_x) {
          checkForwardBackward(bn, step, label);
        } else {
          const out = tidy(() => bn.call(fromRecord(step.x)));
          expectClose(out, step.out.data, `${label} output`);
          out.dispose();
        }
        if (c.trackRunningStats) {
          expectClose(bn.runningMean!, step.running_mean!, `${label} running_mean`);
          expectClose(bn.runningVar!, step.running_var!, `${label} running_var`);
          expect(bn.numBatchesTracked?.itemSync()).toBe(step.num_batches_tracked);
        } else {
          expect(bn.runningMean).toBeNull();
        }
      }
      bn.eval();
      const out = tidy(() => bn.call(fromRecord(c.eval.x)));
      expectClose(out, c.eval.out.data, `${c.name} eval output`);
      out.dispose();
      bn.dispose();
    });
  }
});

describe('PyTorch state dicts', () => {
  it("load into a fresh BatchNorm2d and reproduce PyTorch's eval output", () => {
    const c = fx.batchnorm.find((b) => b.name === 'bn2d');
    if (!c?.weight || !c.bias) throw new Error('fixture bn2d missing');
    const last = c.steps[c.steps.length - 1];
    const bn = new BatchNorm2d(c.numFeatures);
    bn.loadStateDict({
      weight: tensor(c.weight),
      bias: tensor(c.bias),
      running_mean: tensor(last.running_mean ?? []),
      running_var: tensor(last.running_var ?? []),
      num_batches_tracked: tensor([last.num_batches_tracked ?? 0], { dtype: 'int32' }).reshape([]),
    });
    bn.eval();
    const out = tidy(() => bn.call(fromRecord(c.eval.x)));
    expectClose(out, c.eval.out.data, 'eval output after loading');
    expect(bn.numBatchesTracked?.itemSync()).toBe(3);
    bn.dispose();
  });
});

describe('LayerNorm against PyTorch', () => {
  for (const c of fx.layernorm) {
    it(`[${c.x.shape}] over [${c.normalizedShape}], affine ${c.elementwiseAffine}`, () => {
      const ln = new LayerNorm(c.normalizedShape, { elementwiseAffine: c.elementwiseAffine });
      setAffine(ln, c);
      checkForwardBackward(ln, c, 'LayerNorm');
      ln.dispose();
    });
  }
});

describe('GroupNorm against PyTorch', () => {
  for (const c of fx.groupnorm) {
    it(`${c.numGroups} groups of [${c.x.shape}], affine ${c.affine}`, () => {
      const gn = new GroupNorm(c.numGroups, c.numChannels, { affine: c.affine });
      setAffine(gn, c);
      checkForwardBackward(gn, c, 'GroupNorm');
      gn.dispose();
    });
  }
});
