/**
 * Exported graphs run in onnxruntime (CPU) and agree with nerve's own
 * evaluation-mode outputs within the 1e-4: every activation, dense
 * and convolutional stacks with BatchNorm, grouped and depthwise
 * convolutions, pooling variants, Maxout and LayerNorm.
 */
import '@nerve/backend-cpu';
import { memory } from '@nerve/core';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  Conv2d,
  Dropout,
  ELU,
  Flatten,
  GELU,
  GlobalAvgPool2d,
  Identity,
  LeakyReLU,
  Linear,
  MaxPool2d,
  Maxout,
  type Module,
  PReLU,
  ReLU,
  ReLU6,
  SELU,
  SiLU,
  Sequential,
  Sigmoid,
  Softplus,
  Tanh,
  activationModule,
  ACTIVATION_NAMES,
} from '@nerve/layers';
import { BatchNorm1d, BatchNorm2d, LayerNorm } from '@nerve/norm';
import { afterAll, describe, expect, it } from 'vitest';
import { ATOL, compare, randomInput, randomizeBatchNorm } from './helpers.js';

const models: Module[] = [];
afterAll(() => {
  for (const m of models) m.dispose();
});
const keep = <M extends Module>(m: M): M => {
  models.push(m);
  return m;
};

/** An MLP 12 → 16 → BN → act → dropout → 5, like the CLI's with --batchnorm --dropout. */
function mlp(act: Module, seed: number): Sequential {
  const m = new Sequential(
    new Flatten(),
    new Linear(12, 16, { seed }),
    new BatchNorm1d(16),
    act,
    new Dropout(0.3),
    new Linear(16, 5, { seed: seed + 1 }),
  );
  randomizeBatchNorm(m, seed);
  return keep(m);
}

describe('activations', () => {
  // Every name activationModule knows, with PyTorch's defaults (maxout below, with its sizes).
  const names = ACTIVATION_NAMES.filter((n) => n !== 'maxout');
  it('covers every activation name', () => {
    expect(names).toEqual(expect.arrayContaining(['relu', 'gelu', 'silu', 'softplus', 'prelu']));
  });
  for (const [i, name] of names.entries()) {
    it(`${name}: onnxruntime agrees with nerve`, async () => {
      const model = mlp(activationModule(name), 10 * i + 1);
      // Scale 3: inputs reach both branches of every piecewise activation.
      const x = randomInput([7, 3, 4], i, 3);
      const r = await compare(model, { inputShape: [7, 3, 4] }, x);
      expect(r.onnx.dims).toEqual(r.nerve.dims);
      expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
    });
  }
  const variants: [string, () => Module][] = [
    ['ReLU6', () => new ReLU6()],
    ['LeakyReLU(0.2)', () => new LeakyReLU(0.2)],
    ['ELU(0.5)', () => new ELU(0.5)],
    ["GELU('tanh')", () => new GELU('tanh')],
    ['Softplus(β = 2)', () => new Softplus(2)],
    ['PReLU(16 slopes)', () => new PReLU(16, 0.1)],
    ['Identity', () => new Identity()],
    ['SELU', () => new SELU()],
    ['SiLU', () => new SiLU()],
    ['Sigmoid', () => new Sigmoid()],
    ['Tanh', () => new Tanh()],
  ];
  for (const [i, [label, make]] of variants.entries()) {
    it(`${label}: onnxruntime agrees with nerve`, async () => {
      const x = randomInput([6, 12], 100 + i, 4);
      const r = await compare(mlp(make(), 200 + i), { inputShape: [6, 12] }, x);
      expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
    });
  }
  for (const opset of [13, 20]) {
    it(`GELU at opset ${opset} (${opset >= 20 ? 'the Gelu op' : 'built from Erf'})`, async () => {
      const x = randomInput([5, 12], 300 + opset, 3);
      const r = await compare(mlp(new GELU(), opset), { inputShape: [5, 12], opset }, x);
      expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
    });
  }
});

describe('convolutional networks', () => {
  it('a CNN with BatchNorm, padding, stride, bias or not, max and average pooling', async () => {
    const model = keep(
      new Sequential(
        new Conv2d(3, 8, 3, { padding: 1, seed: 1 }),
        new BatchNorm2d(8),
        new ReLU(),
        new MaxPool2d(2),
        new Conv2d(8, 6, [3, 2], { stride: [2, 1], padding: [1, 0], bias: false, seed: 2 }),
        new BatchNorm2d(6),
        new SiLU(),
        // An even kernel with 'same' pads one more at the bottom/right, as PyTorch does.
        new Conv2d(6, 6, 2, { padding: 'same', dilation: 1, seed: 3 }),
        new AvgPool2d(3, { stride: 1, padding: 1 }),
        new MaxPool2d(3, { stride: 2, padding: 1, dilation: 1 }),
        new Conv2d(6, 4, 3, { dilation: 2, padding: 2, seed: 4 }),
        new Flatten(),
        new Dropout(0.5),
        new Linear(4 * 2 * 4, 10, { seed: 5 }),
      ),
    );
    randomizeBatchNorm(model, 7);
    const shape = [2, 3, 17, 19];
    const r = await compare(model, { inputShape: shape }, randomInput(shape, 1));
    expect(r.onnx.dims).toEqual([2, 10]);
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
  });

  it('grouped and depthwise convolutions', async () => {
    const model = keep(
      new Sequential(
        new Conv2d(4, 8, 3, { padding: 1, groups: 2, seed: 11 }),
        new BatchNorm2d(8),
        new ReLU6(),
        // Depthwise (groups = channels), stride 2, no bias: MobileNet's pattern.
        new Conv2d(8, 8, 3, { padding: 1, stride: 2, groups: 8, bias: false, seed: 12 }),
        new BatchNorm2d(8),
        new ReLU6(),
        new Conv2d(8, 16, 1, { groups: 4, seed: 13 }),
        new AdaptiveAvgPool2d(1),
        new Flatten(),
        new Linear(16, 3, { seed: 14 }),
      ),
    );
    randomizeBatchNorm(model, 21);
    const shape = [3, 4, 10, 10];
    const r = await compare(model, { inputShape: shape }, randomInput(shape, 2));
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
  });

  it('AdaptiveAvgPool2d to 2×3 and GlobalAvgPool2d', async () => {
    const shape = [2, 5, 8, 9];
    for (const head of [new AdaptiveAvgPool2d([2, 3]), new GlobalAvgPool2d()]) {
      const model = keep(new Sequential(new Conv2d(5, 4, 1, { seed: 3 }), head, new Flatten()));
      const r = await compare(model, { inputShape: shape }, randomInput(shape, 3));
      expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
    }
  });
});

describe('other layers', () => {
  it('Maxout: Reshape and ReduceMax', async () => {
    const model = keep(
      new Sequential(
        new Flatten(),
        new Maxout(10, 6, 3, { seed: 4 }),
        new Linear(6, 2, { seed: 5 }),
      ),
    );
    const r = await compare(model, { inputShape: [4, 10] }, randomInput([4, 10], 4));
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
  });

  it('LayerNorm over the last dimension, on a rank-3 input (MatMul for Linear)', async () => {
    const model = keep(new Sequential(new Linear(6, 8, { seed: 6 }), new LayerNorm(8), new GELU()));
    const r = await compare(model, { inputShape: [2, 3, 6] }, randomInput([2, 3, 6], 5));
    expect(r.onnx.dims).toEqual([2, 3, 8]);
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
  });

  it('BatchNorm1d on [N, C, L]', async () => {
    const model = keep(new Sequential(new BatchNorm1d(3), new Flatten()));
    randomizeBatchNorm(model, 9);
    const r = await compare(model, { inputShape: [2, 3, 5] }, randomInput([2, 3, 5], 6));
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
  });
});

describe('the graph', () => {
  it('has a dynamic batch dimension: exported at batch 1, run at batch 9', async () => {
    const model = mlp(new ReLU(), 40);
    const r = await compare(model, { inputShape: [1, 12] }, randomInput([9, 12], 7), [9, 12]);
    expect(r.onnx.dims).toEqual([9, 5]);
    expect(r.maxAbs).toBeLessThanOrEqual(ATOL);
  });

  it('names its input and output as asked', async () => {
    const model = mlp(new Tanh(), 41);
    const opts = { inputShape: [2, 12], inputName: 'pixels', outputName: 'logits' };
    const r = await compare(model, opts, randomInput([2, 12], 8));
    expect(r.onnx.inputNames).toEqual(['pixels']);
    expect(r.onnx.outputNames).toEqual(['logits']);
  });

  it('folds a standardization into the graph, per feature and per channel', async () => {
    const model = mlp(new ReLU(), 42);
    const mean = Array.from({ length: 12 }, (_, i) => i / 3 - 1);
    const scale = Array.from({ length: 12 }, (_, i) => 0.5 + i / 10);
    const x = randomInput([3, 12], 9, 2);
    const r = await compare(model, { inputShape: [3, 12], standardize: { mean, scale } }, x);
    // nerve ran on x as given; onnxruntime on (x − mean)/scale: they must differ, and
    // nerve on the standardized x must match.
    expect(r.maxAbs).toBeGreaterThan(1e-2);
    const z = x.map((v, i) => (v - mean[i % 12]) / scale[i % 12]);
    const again = await compare(model, { inputShape: [3, 12], standardize: { mean, scale } }, x);
    const { runNerve, maxAbsDiff } = await import('./helpers.js');
    expect(maxAbsDiff(again.onnx.data, runNerve(model, z, [3, 12]).data)).toBeLessThanOrEqual(ATOL);

    const cnn = keep(new Sequential(new Conv2d(2, 3, 3, { seed: 8 }), new Flatten()));
    const shape = [2, 2, 5, 5];
    const xc = randomInput(shape, 10);
    const exported = await compare(
      cnn,
      { inputShape: shape, standardize: { mean: [0.5, -1], scale: [2, 0.25] } },
      xc,
    );
    const zc = xc.map((v, i) => {
      const c = Math.floor(i / 25) % 2;
      return (v - [0.5, -1][c]) / [2, 0.25][c];
    });
    expect(maxAbsDiff(exported.onnx.data, runNerve(cnn, zc, shape).data)).toBeLessThanOrEqual(ATOL);
  });

  it('de-standardizes the output (y · scale + mean), per output or one for all', async () => {
    const { exportOnnx } = await import('../src/index.js');
    const { runOnnx, runNerve, maxAbsDiff } = await import('./helpers.js');
    const model = mlp(new ReLU(), 44); // 12 → 5 outputs
    const x = randomInput([3, 12], 11);
    const y = runNerve(model, x, [3, 12]).data;
    const mean = Array.from({ length: 5 }, (_, i) => 20 - 3 * i);
    const scale = Array.from({ length: 5 }, (_, i) => 0.5 + i);
    const per = await runOnnx(
      await exportOnnx(model, { inputShape: [3, 12], destandardize: { mean, scale } }),
      x,
      [3, 12],
    );
    // Values up to ~|20| + 5·|y|: float32 rounding of the product and sum is ~1e-6, far below the limit.
    const expected = y.map((v, i) => v * scale[i % 5] + mean[i % 5]);
    expect(maxAbsDiff(per.data, expected)).toBeLessThanOrEqual(ATOL);
    const one = await runOnnx(
      await exportOnnx(model, { inputShape: [3, 12], destandardize: { mean: [7], scale: [2] } }),
      x,
      [3, 12],
    );
    expect(
      maxAbsDiff(
        one.data,
        y.map((v) => v * 2 + 7),
      ),
    ).toBeLessThanOrEqual(ATOL);
    await expect(
      exportOnnx(model, { inputShape: [3, 12], destandardize: { mean: [1, 2], scale: [1, 2] } }),
    ).rejects.toThrow(/destandardize with 1 value or 5 \(one per output\), received 2 values/);
    await expect(
      exportOnnx(model, { inputShape: [3, 12], destandardize: { mean: [Number.NaN], scale: [1] } }),
    ).rejects.toThrow(/destandardize \{ mean, scale \} of equal lengths, finite numbers/);
  });

  it('leaves no tensors behind and restores training mode', async () => {
    const model = mlp(new ELU(), 43);
    model.train();
    const { exportOnnx } = await import('../src/index.js');
    await exportOnnx(model, { inputShape: [2, 12] });
    const before = memory().numTensors;
    await exportOnnx(model, { inputShape: [2, 12] });
    expect(memory().numTensors).toBe(before);
    expect(model.modules().every((m) => m.training)).toBe(true);
  });
});
