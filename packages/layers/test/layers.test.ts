import '@nerve/backend-cpu';
import {
  Generator,
  type Tensor,
  gradCheck,
  manualSeed,
  memory,
  ones,
  randn,
  tensor,
  tidy,
} from '@nerve/core';
import { constant, getInitializer, heUniform, uniform, zeros as zerosInit } from '@nerve/init';
import { describe, expect, it } from 'vitest';
import { AvgPool2d, Conv2d, Flatten, GlobalAvgPool2d, Linear, MaxPool2d } from '../src/index.js';

function values(t: Tensor): number[] {
  return Array.from(t.dataSync());
}

function std(v: number[]): number {
  const m = v.reduce((s, x) => s + x, 0) / v.length;
  return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
}

describe('default initialization is PyTorch’s: U(±1/√fanIn) for weight and bias', () => {
  it('Linear', () => {
    const l = new Linear(400, 300, { seed: 0 });
    const bound = 1 / Math.sqrt(400);
    const w = values(l.weight);
    expect(Math.max(...w)).toBeLessThanOrEqual(bound);
    expect(Math.min(...w)).toBeGreaterThanOrEqual(-bound);
    expect(Math.max(...w)).toBeGreaterThan(0.999 * bound);
    expect(Math.abs(std(w) / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    const b = values(l.bias!);
    expect(Math.max(...b.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...b.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    l.dispose();
  });

  it('Conv2d: fanIn = C·KH·KW', () => {
    const c = new Conv2d(8, 500, [3, 5], { seed: 1 });
    expect(c.weight.shape).toEqual([500, 8, 3, 5]);
    const bound = 1 / Math.sqrt(8 * 15);
    const w = values(c.weight);
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.abs(std(w) / (bound / Math.sqrt(3)) - 1)).toBeLessThan(0.02);
    expect(Math.max(...values(c.bias!).map(Math.abs))).toBeLessThanOrEqual(bound);
    c.dispose();
  });
});

describe('seeding and custom initializers', () => {
  it('the same seed gives the same layer; no seed draws from the global generator', () => {
    const a = new Linear(5, 3, { seed: 7 });
    const b = new Linear(5, 3, { seed: 7 });
    const c = new Linear(5, 3, { seed: 8 });
    expect(a.weight.arraySync()).toEqual(b.weight.arraySync());
    expect(a.bias!.arraySync()).toEqual(b.bias!.arraySync());
    expect(a.weight.arraySync()).not.toEqual(c.weight.arraySync());
    // Weight first, then bias, from one generator seeded with 7.
    const g = new Generator(7);
    const bound = 1 / Math.sqrt(5);
    expect(a.weight.arraySync()).toEqual(
      heUniform({ a: Math.sqrt(5) })([3, 5], { generator: g }).arraySync(),
    );
    expect(a.bias!.arraySync()).toEqual(uniform(-bound, bound)([3], { generator: g }).arraySync());
    manualSeed(3);
    const d = new Linear(5, 3);
    manualSeed(3);
    const e = new Linear(5, 3);
    expect(d.weight.arraySync()).toEqual(e.weight.arraySync());
    expect(d.weight.arraySync()).not.toEqual(new Linear(5, 3).weight.arraySync());
    for (const m of [a, b, c, d, e]) m.dispose();
  });

  it('takes init for weight and bias, and bias: false', () => {
    const l = new Linear(3, 2, { init: { weight: constant(0.5), bias: zerosInit } });
    expect(l.weight.arraySync()).toEqual([
      [0.5, 0.5, 0.5],
      [0.5, 0.5, 0.5],
    ]);
    expect(l.bias!.arraySync()).toEqual([0, 0]);
    const y = tidy(() => l.call(tensor([[1, 2, 3]])).arraySync());
    expect(y).toEqual([[3, 3]]);
    const nb = new Conv2d(2, 3, 3, { bias: false, init: { weight: getInitializer('xavier') } });
    expect(nb.bias).toBeNull();
    expect(nb.namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(() => new Linear(3, 2, { init: { weight: () => ones([2, 2]) } })).toThrow(
      /Linear: expected the weight initializer to return float32 \[2,3\], received a float32 tensor \[2,2\]/,
    );
    l.dispose();
    nb.dispose();
  });
});

describe('shapes and validation', () => {
  it('Linear works over leading dimensions and on a single vector', () => {
    const l = new Linear(4, 2, { seed: 0 });
    tidy(() => {
      expect(l.call(randn([2, 3, 4])).shape).toEqual([2, 3, 2]);
      expect(l.call(randn([4])).shape).toEqual([2]);
    });
    expect(() => l.call(randn([3, 5]))).toThrow(
      /Linear: expected a float32 input \[\.\.\., 4\], received a float32 tensor \[3,5\]/,
    );
    expect(() => new Linear(0, 2)).toThrow(
      /Linear: expected inFeatures as an integer ≥ 1, received 0/,
    );
    expect(() => new Linear(2, 2, { seed: -1 })).toThrow(
      /Linear: expected a non-negative integer seed/,
    );
    l.dispose();
  });

  it("Conv2d output sizes, 'same' and 'valid' padding", () => {
    tidy(() => {
      const x = randn([1, 2, 9, 8]);
      expect(new Conv2d(2, 3, 3, { padding: 'same', seed: 0 }).call(x).shape).toEqual([1, 3, 9, 8]);
      expect(
        new Conv2d(2, 3, [4, 2], { padding: 'same', dilation: [1, 3], seed: 0 }).call(x).shape,
      ).toEqual([1, 3, 9, 8]);
      expect(new Conv2d(2, 3, 3, { padding: 'valid', seed: 0 }).call(x).shape).toEqual([
        1, 3, 7, 6,
      ]);
      expect(new Conv2d(2, 3, 3, { stride: 2, padding: 1, seed: 0 }).call(x).shape).toEqual([
        1, 3, 5, 4,
      ]);
    });
    expect(() => new Conv2d(2, 3, 3, { padding: 'same', stride: 2 })).toThrow(
      /Conv2d: expected stride 1 with padding 'same'/,
    );
    expect(() => new Conv2d(2, 3, 0)).toThrow(/Conv2d: expected kernelSize as an integer ≥ 1/);
    const c = new Conv2d(2, 3, 3, { seed: 0 });
    expect(() => c.call(randn([1, 3, 5, 5]))).toThrow(
      /Conv2d: expected a float32 input \[N, 2, H, W\]/,
    );
    c.dispose();
  });

  it('pooling and flatten shapes and checks', () => {
    tidy(() => {
      const x = randn([2, 3, 8, 7]);
      expect(new MaxPool2d(2).call(x).shape).toEqual([2, 3, 4, 3]);
      expect(new MaxPool2d(3, { stride: 1, padding: 1 }).call(x).shape).toEqual([2, 3, 8, 7]);
      expect(new AvgPool2d([2, 3]).call(x).shape).toEqual([2, 3, 4, 2]);
      expect(new Flatten().call(x).shape).toEqual([2, 168]);
      expect(new Flatten(0, 1).call(x).shape).toEqual([6, 8, 7]);
    });
    expect(() => new MaxPool2d(2, { padding: 2 })).toThrow(
      /MaxPool2d: expected padding at most half/,
    );
    expect(() => new AvgPool2d(2).call(randn([3, 4]))).toThrow(
      /AvgPool2d: expected a float32 input \[N, C, H, W\]/,
    );
  });

  it('max pooling takes the window maximum, average pooling the mean (hand-computed)', () => {
    tidy(() => {
      const x = tensor([1, 5, 2, 0, 3, 4, -1, 8, 7, 6, 9, 2, 0, 1, 3, 4], { shape: [1, 1, 4, 4] });
      expect(new MaxPool2d(2).call(x).arraySync()).toEqual([
        [
          [
            [5, 8],
            [7, 9],
          ],
        ],
      ]);
      expect(new AvgPool2d(2).call(x).arraySync()).toEqual([
        [
          [
            [13 / 4, 9 / 4],
            [14 / 4, 18 / 4],
          ],
        ],
      ]);
    });
  });

  it('global average pooling: the mean of each channel plane, [N, C, H, W] → [N, C]', () => {
    tidy(() => {
      // Hand-computed: channel 0 holds 1..6 (mean 3.5), channel 1 holds 0, 0, 0, 0, 0, 12 (mean 2).
      const x = tensor([1, 2, 3, 4, 5, 6, 0, 0, 0, 0, 0, 12], { shape: [1, 2, 2, 3] });
      expect(new GlobalAvgPool2d().call(x).arraySync()).toEqual([[3.5, 2]]);
      // Any plane size gives one value per channel.
      expect(new GlobalAvgPool2d().call(randn([4, 5, 7, 3])).shape).toEqual([4, 5]);
      expect(new GlobalAvgPool2d().parameters()).toEqual([]);
    });
    expect(() => new GlobalAvgPool2d().call(randn([3, 4]))).toThrow(
      /GlobalAvgPool2d: expected a float32 input \[N, C, H, W\], received a float32 tensor \[3,4\]/,
    );
  });

  it('global average pooling: its gradient matches finite differences', async () => {
    const before = memory().numTensors;
    const x = randn([2, 3, 4, 5], { seed: 11 });
    // gradCheck's default tolerances (atol 1e-3, rtol 1e-2) suit float32 central
    // differences with eps 1e-2; the mean is linear, so only rounding remains.
    const r = await gradCheck((t) => new GlobalAvgPool2d().call(t), [x]);
    expect(r.ok, JSON.stringify(r.worst)).toBe(true);
    // Each input's gradient is 1/(H·W) times its output's weight: not all zero.
    expect(Math.max(...Array.from(r.analytic[0] ?? [], Math.abs))).toBeGreaterThan(0);
    x.dispose();
    expect(memory().numTensors).toBe(before);
  });
});

describe('grouped convolution, adaptive pooling and ReLU6 refuse bad input', () => {
  it('names groups that do not divide the channels, and a weight that does not fit', async () => {
    const { Conv2d, AdaptiveAvgPool2d } = await import('../src/index.js');
    const { conv2d, zeros } = await import('@nerve/core');
    expect(() => new Conv2d(4, 6, 3, { groups: 4 })).toThrow(
      /Conv2d: expected groups dividing inChannels \(4\) and outChannels \(6\), received 4/,
    );
    expect(new Conv2d(4, 8, 3, { groups: 4 }).weight.shape).toEqual([8, 1, 3, 3]);
    const x = zeros([1, 4, 5, 5]);
    expect(() => conv2d(x, zeros([6, 2, 3, 3]), { groups: 3 })).toThrow(
      /conv2d: groups 3 must divide the input channels \(4\) and the output channels \(6\)/,
    );
    expect(() => conv2d(x, zeros([6, 1, 3, 3]), { groups: 2 })).toThrow(/with groups 2 expects 2/);
    expect(() => new AdaptiveAvgPool2d(0)).toThrow(/AdaptiveAvgPool2d/);
    expect(() => new AdaptiveAvgPool2d(2).forward(zeros([2, 3]))).toThrow(/\[N, C, H, W\]/);
  });
});
