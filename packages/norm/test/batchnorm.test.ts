/**
 * BatchNorm behaviour beyond the PyTorch fixtures: train vs eval, frozen
 * layers, state dicts, memory over many steps and error messages. Expected
 * values are computed here on the host from the definitions.
 */
import '@nerve/backend-cpu';
import {
  type Tensor,
  memory,
  mul,
  noGrad,
  randn,
  sub,
  sum,
  tensor,
  tidy,
  zeros,
} from '@nerve/core';
import { Module, Sequential } from '@nerve/layers';
import { describe, expect, it } from 'vitest';
import { BatchNorm1d, BatchNorm2d } from '../src/index.js';
import { expectClose } from './helpers.js';

/** Rows of an [N, C] tensor as arrays. */
const rows = (t: Tensor) => t.arraySync() as number[][];

/** Per-column mean and biased / unbiased variance, in float64. */
function columnStats(x: number[][]) {
  const n = x.length;
  const c = x[0].length;
  const mean = Array.from({ length: c }, (_, j) => x.reduce((s, r) => s + r[j], 0) / n);
  const ss = mean.map((m, j) => x.reduce((s, r) => s + (r[j] - m) ** 2, 0));
  return { mean, biased: ss.map((v) => v / n), unbiased: ss.map((v) => v / (n - 1)) };
}

/** An [N, C] batch with a different mean and scale per channel. */
function batch(n: number, c: number, seed: number): Tensor {
  return tidy(() =>
    randn([n, c], { seed })
      .mul(tensor(Array.from({ length: c }, (_, j) => 0.5 + j)))
      .add(tensor(Array.from({ length: c }, (_, j) => j - 1))),
  );
}

function withParams(bn: BatchNorm1d, w: number[], b: number[]): BatchNorm1d {
  bn.weight?.assign(tensor(w));
  bn.bias?.assign(tensor(b));
  return bn;
}

describe('training mode', () => {
  it('normalizes with the batch statistics and updates the running ones', () => {
    const bn = withParams(new BatchNorm1d(3), [2, 0.5, -1], [0.1, 0, 3]);
    const x = batch(16, 3, 1);
    const xs = rows(x);
    const { mean, biased, unbiased } = columnStats(xs);
    const y = tidy(() => bn.call(x));
    const w = [2, 0.5, -1];
    const b = [0.1, 0, 3];
    const expected = xs.flatMap((r) =>
      r.map((v, j) => ((v - mean[j]) / Math.sqrt(biased[j] + 1e-5)) * w[j] + b[j]),
    );
    expectClose(y, expected, 'output');
    // running = 0.9·init + 0.1·batch, with the unbiased variance.
    expectClose(
      bn.runningMean!,
      mean.map((m) => 0.1 * m),
      'running_mean',
    );
    expectClose(
      bn.runningVar!,
      unbiased.map((v) => 0.9 + 0.1 * v),
      'running_var',
    );
    expect(bn.numBatchesTracked!.itemSync()).toBe(1);
    expect(bn.numBatchesTracked!.dtype).toBe('int32');
    expect(bn.numBatchesTracked!.shape).toEqual([]);
  });

  it('momentum null averages all batches so far; momentum 0 keeps the start values', () => {
    const cma = new BatchNorm1d(2, { momentum: null });
    const frozenStats = new BatchNorm1d(2, { momentum: 0 });
    const seen: number[][][] = [];
    for (let i = 0; i < 4; i++) {
      const x = batch(5 + i, 2, 10 + i);
      seen.push(rows(x));
      tidy(() => {
        cma.call(x);
        frozenStats.call(x);
      });
      x.dispose();
    }
    const means = seen.map((s) => columnStats(s).mean);
    const vars = seen.map((s) => columnStats(s).unbiased);
    const avg = (v: number[][]) => [0, 1].map((j) => v.reduce((s, r) => s + r[j], 0) / v.length);
    expectClose(cma.runningMean!, avg(means), 'cumulative running_mean');
    expectClose(cma.runningVar!, avg(vars), 'cumulative running_var');
    expect(cma.numBatchesTracked!.itemSync()).toBe(4);
    expectClose(frozenStats.runningMean!, [0, 0], 'momentum 0 running_mean');
    expectClose(frozenStats.runningVar!, [1, 1], 'momentum 0 running_var');
    expect(frozenStats.numBatchesTracked!.itemSync()).toBe(4);
  });

  it('the same sample gives different outputs in different batches', () => {
    const bn = new BatchNorm1d(2);
    const a = tensor([
      [1, 2],
      [3, 5],
      [0, 0],
    ]);
    const b = tensor([
      [1, 2],
      [21, 7],
      [31, 1],
    ]);
    const ya = tidy(() => bn.call(a)).arraySync() as number[][];
    const yb = tidy(() => bn.call(b)).arraySync() as number[][];
    expect(Math.abs(ya[0][0] - yb[0][0])).toBeGreaterThan(0.1);
  });
});

describe('evaluation mode', () => {
  it('uses the running statistics, per sample, and leaves them unchanged', () => {
    const bn = withParams(new BatchNorm1d(3), [2, 0.5, -1], [0.1, 0, 3]);
    bn.loadStateDict({
      weight: tensor([2, 0.5, -1]),
      bias: tensor([0.1, 0, 3]),
      running_mean: tensor([1, -2, 0.5]),
      running_var: tensor([4, 0.25, 9]),
      num_batches_tracked: tensor([7], { dtype: 'int32' }).reshape([]),
    });
    bn.eval();
    expect(bn.training).toBe(false);
    const x = batch(5, 3, 3);
    const y = tidy(() => bn.call(x));
    const rm = [1, -2, 0.5];
    const rv = [4, 0.25, 9];
    const w = [2, 0.5, -1];
    const b = [0.1, 0, 3];
    const expected = rows(x).flatMap((r) =>
      r.map((v, j) => ((v - rm[j]) / Math.sqrt(rv[j] + 1e-5)) * w[j] + b[j]),
    );
    expectClose(y, expected, 'eval output');
    // One sample alone gives the same row: no batch dependence.
    const single = tidy(() => bn.call(x.slice([2, 0], [3, 3])));
    expectClose(single, expected.slice(6, 9), 'single-sample eval output');
    expectClose(bn.runningMean!, rm, 'running_mean unchanged');
    expect(bn.numBatchesTracked!.itemSync()).toBe(7);
  });

  it('gradients in eval mode treat the running statistics as constants', () => {
    const bn = withParams(new BatchNorm1d(2), [3, -0.5], [1, 2]).eval();
    noGrad(() => bn.runningVar!.assign(tensor([0.25, 4])));
    const x = tensor(
      [
        [1, 2],
        [3, 4],
        [5, 6],
      ],
      { requiresGrad: true },
    );
    const r = [
      [1, -1],
      [2, 0.5],
      [-3, 1],
    ];
    tidy(() => sum(mul(bn.call(x), tensor(r))).backward());
    const scale = [3 / Math.sqrt(0.25 + 1e-5), -0.5 / Math.sqrt(4 + 1e-5)];
    expectClose(
      x.grad!,
      r.flatMap((row) => row.map((v, j) => v * scale[j])),
      'dL/dx',
    );
    const xhat = [
      [1, 2],
      [3, 4],
      [5, 6],
    ].map((row) => row.map((v, j) => v / Math.sqrt([0.25, 4][j] + 1e-5)));
    expectClose(
      bn.weight!.grad!,
      [0, 1].map((j) => r.reduce((s, row, i) => s + row[j] * xhat[i][j], 0)),
      'dL/dweight',
    );
    expectClose(
      bn.bias!.grad!,
      [0, 1].map((j) => r.reduce((s, row) => s + row[j], 0)),
      'dL/dbias',
    );
  });

  it('trackRunningStats false: batch statistics in eval too, and no buffers', () => {
    const bn = new BatchNorm1d(2, { trackRunningStats: false }).eval();
    expect(Object.keys(bn.stateDict())).toEqual(['weight', 'bias']);
    expect(bn.runningMean).toBeNull();
    const x = batch(6, 2, 4);
    const { mean, biased } = columnStats(rows(x));
    const y = tidy(() => bn.call(x));
    expectClose(
      y,
      rows(x).flatMap((r) => r.map((v, j) => (v - mean[j]) / Math.sqrt(biased[j] + 1e-5))),
      'output',
    );
  });
});

class Affine extends Module {
  readonly w: Tensor;
  constructor(n: number) {
    super();
    this.w = this.registerParameter('weight', randn([n, n], { seed: 5 }));
  }
  forward(x: Tensor): Tensor {
    return x.matmul(this.w);
  }
}

describe('freezing', () => {
  it('a frozen BatchNorm stays in eval mode after train() and keeps its statistics', () => {
    const model = new Sequential(new Affine(3), new BatchNorm1d(3));
    const bn = model.at(1) as BatchNorm1d;
    model.freeze('1');
    expect(bn.frozen).toBe(true);
    expect(bn.training).toBe(false);
    model.train();
    expect(model.training).toBe(true);
    expect(model.at(0).training).toBe(true);
    expect(bn.training).toBe(false);
    const x = batch(4, 3, 6);
    tidy(() => model.call(x));
    expectClose(bn.runningMean!, [0, 0, 0], 'running_mean after a frozen step');
    expect(bn.numBatchesTracked!.itemSync()).toBe(0);
    // Unfrozen, it trains again once train() is called.
    model.unfreeze();
    model.train();
    expect(bn.training).toBe(true);
    tidy(() => model.call(x));
    expect(bn.numBatchesTracked!.itemSync()).toBe(1);
  });

  it('freezing the whole model freezes its BatchNorm layers too', () => {
    const model = new Sequential(new Affine(3), new BatchNorm1d(3)).freeze().train();
    expect(model.at(1).training).toBe(false);
    expect(model.at(0).training).toBe(true);
  });
});

describe('state dict', () => {
  it("uses PyTorch's keys, shapes and dtypes", () => {
    const model = new Sequential(new BatchNorm2d(4));
    const sd = model.stateDict();
    expect(Object.keys(sd)).toEqual([
      '0.weight',
      '0.bias',
      '0.running_mean',
      '0.running_var',
      '0.num_batches_tracked',
    ]);
    expect(Object.values(sd).map((t) => [t.shape, t.dtype])).toEqual([
      [[4], 'float32'],
      [[4], 'float32'],
      [[4], 'float32'],
      [[4], 'float32'],
      [[], 'int32'],
    ]);
    expect(model.parameters()).toHaveLength(2);
    expect(model.buffers()).toHaveLength(3);
    expect(Object.keys(new BatchNorm1d(2, { affine: false }).stateDict())).toEqual([
      'running_mean',
      'running_var',
      'num_batches_tracked',
    ]);
  });

  it('tensors from stateDict() stay valid and current across training steps', () => {
    const bn = new BatchNorm1d(2);
    const sd = bn.stateDict();
    const x = batch(4, 2, 7);
    tidy(() => bn.call(x));
    expect(sd.running_mean.isDisposed).toBe(false);
    expectClose(
      sd.running_mean,
      columnStats(rows(x)).mean.map((m) => 0.1 * m),
      'running_mean via stateDict',
    );
    expect(sd.num_batches_tracked.itemSync()).toBe(1);
  });

  it('loads a state dict from another BatchNorm and reproduces its eval outputs', () => {
    const a = new BatchNorm2d(3);
    for (let i = 0; i < 3; i++) {
      const x = tidy(() =>
        randn([2, 3, 4, 4], { seed: 20 + i })
          .mul(2)
          .add(1),
      );
      tidy(() => a.call(x));
      x.dispose();
    }
    noGrad(() => a.weight!.assign(tensor([0.5, 1, 2])));
    const b = new BatchNorm2d(3);
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    expect(b.numBatchesTracked!.itemSync()).toBe(3);
    a.eval();
    b.eval();
    const x = randn([2, 3, 4, 4], { seed: 99 });
    expect(Array.from(b.call(x).dataSync())).toEqual(Array.from(a.call(x).dataSync()));
  });
});

describe('memory', () => {
  for (const momentum of [0.1, null]) {
    it(`stays flat over 100 training steps (momentum ${momentum})`, () => {
      const bn = new BatchNorm2d(3, { momentum });
      const x = randn([4, 3, 5, 5], { seed: 1 });
      const r = randn([4, 3, 5, 5], { seed: 2 });
      const step = () => {
        tidy(() => sum(mul(bn.call(x), r)).backward());
        noGrad(() =>
          tidy(() => {
            for (const p of bn.parameters()) p.assign(sub(p, mul(p.grad!, 0.01)));
          }),
        );
        bn.zeroGrad();
      };
      step();
      const before = memory();
      for (let i = 0; i < 99; i++) step();
      const after = memory();
      expect(after.numTensors).toBe(before.numTensors);
      expect(after.numBytes).toBe(before.numBytes);
      expect(bn.numBatchesTracked!.itemSync()).toBe(100);
      bn.dispose();
      x.dispose();
      r.dispose();
    });
  }

  it('a forward pass outside tidy without gradients leaves only its output', () => {
    const bn = new BatchNorm2d(3);
    const x = randn([2, 3, 4, 4], { seed: 3 });
    for (const mode of ['train', 'eval'] as const) {
      bn[mode]();
      const before = memory().numTensors;
      const y = noGrad(() => bn.call(x));
      expect(memory().numTensors).toBe(before + 1);
      y.dispose();
    }
  });
});

describe('errors', () => {
  it('names the layer, the expected and the received shapes', () => {
    const bn1 = new BatchNorm1d(4);
    expect(() => bn1.call(zeros([8, 3]))).toThrow(
      'BatchNorm1d(4): expected an input of shape [N, 4] or [N, 4, L], received [8,3]',
    );
    expect(() => bn1.call(zeros([2, 4, 3, 3]))).toThrow('received [2,4,3,3]');
    const bn2 = new BatchNorm2d(3);
    expect(() => bn2.call(zeros([2, 3, 5]))).toThrow(
      'BatchNorm2d(3): expected an input of shape [N, 3, H, W], received [2,3,5]',
    );
    expect(() => bn2.call(zeros([2, 3, 4, 4], { dtype: 'int32' }))).toThrow(
      'BatchNorm2d(3): expected a float32 input, received a int32 tensor of shape [2,3,4,4]',
    );
  });

  it('refuses one value per channel in training, as PyTorch does, and changes nothing', () => {
    const bn = new BatchNorm1d(4);
    expect(() => bn.call(zeros([1, 4]))).toThrow(
      'BatchNorm1d(4): expected more than 1 value per channel when training, received an input of shape [1,4]',
    );
    expect(() => new BatchNorm2d(2).call(zeros([1, 2, 1, 1]))).toThrow(
      'more than 1 value per channel',
    );
    expect(bn.numBatchesTracked!.itemSync()).toBe(0);
    // A batch of one is fine in eval mode, and in training with a length > 1.
    expect(bn.eval().call(zeros([1, 4])).shape).toEqual([1, 4]);
    expect(bn.train().call(zeros([1, 4, 3])).shape).toEqual([1, 4, 3]);
  });

  it('validates the constructor arguments', () => {
    expect(() => new BatchNorm1d(0)).toThrow(
      'BatchNorm1d: expected numFeatures to be a positive integer, received 0',
    );
    expect(() => new BatchNorm2d(2.5)).toThrow('positive integer');
    expect(() => new BatchNorm1d(3, { momentum: 1.5 })).toThrow('momentum in [0, 1] or null');
    expect(() => new BatchNorm1d(3, { eps: -1 })).toThrow('eps');
  });
});
