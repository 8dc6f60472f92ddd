/**
 * LayerNorm and GroupNorm beyond the fixtures: hand-computed outputs, the
 * independence from batch composition and mode, state dicts, memory, errors.
 */
import '@nerve/backend-cpu';
import { memory, mul, noGrad, randn, sub, sum, tensor, tidy, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { GroupNorm, LayerNorm } from '../src/index.js';
import { expectClose } from './helpers.js';

/** (v − mean) / √(biased var + eps) over one group of values, in float64. */
function standardize(v: number[], eps = 1e-5): number[] {
  const m = v.reduce((s, a) => s + a, 0) / v.length;
  const s2 = v.reduce((s, a) => s + (a - m) ** 2, 0) / v.length;
  return v.map((a) => (a - m) / Math.sqrt(s2 + eps));
}

describe('LayerNorm', () => {
  it('normalizes each sample over its last dimensions, then scales and shifts', () => {
    const ln = new LayerNorm(4, { eps: 1e-3 });
    noGrad(() => {
      ln.weight!.assign(tensor([1, 2, 3, 4]));
      ln.bias!.assign(tensor([0, 1, 0, -1]));
    });
    const x = [
      [1, 2, 3, 4],
      [10, -10, 0, 5],
    ];
    const y = tidy(() => ln.call(tensor(x)));
    const expected = x.flatMap((r) =>
      standardize(r, 1e-3).map((v, j) => v * [1, 2, 3, 4][j] + [0, 1, 0, -1][j]),
    );
    expectClose(y, expected, 'LayerNorm output');
    // Same in eval mode and for a sample alone: no batch statistics.
    ln.eval();
    expectClose(
      tidy(() => ln.call(tensor([x[1]]))),
      expected.slice(4),
      'eval, one sample',
    );
  });

  it("has PyTorch's state dict and validates shapes", () => {
    const ln = new LayerNorm([3, 4]);
    expect(Object.entries(ln.stateDict()).map(([k, t]) => [k, t.shape])).toEqual([
      ['weight', [3, 4]],
      ['bias', [3, 4]],
    ]);
    expect(Object.keys(new LayerNorm(3, { elementwiseAffine: false }).stateDict())).toEqual([]);
    expect(() => ln.call(zeros([2, 4, 3]))).toThrow(
      'LayerNorm([3,4]): expected an input whose last dimensions are [3,4] (shape [*, 3, 4]), received [2,4,3]',
    );
    expect(() => ln.call(zeros([4]))).toThrow('received [4]');
    expect(() => new LayerNorm([])).toThrow('LayerNorm: expected normalizedShape');
    expect(() => new LayerNorm([3, 0])).toThrow('positive integer');
  });
});

describe('GroupNorm', () => {
  it('normalizes groups of channels with their positions, then scales per channel', () => {
    const gn = new GroupNorm(2, 4);
    noGrad(() => {
      gn.weight!.assign(tensor([1, -1, 2, 0.5]));
      gn.bias!.assign(tensor([0, 0.5, 1, 0]));
    });
    const x = randn([2, 4, 3], { seed: 4 });
    const xs = x.arraySync() as number[][][];
    const expected: number[] = [];
    for (const sample of xs) {
      for (const g of [0, 1]) {
        const z = standardize([...sample[2 * g], ...sample[2 * g + 1]]);
        for (const [k, c] of [2 * g, 2 * g + 1].entries()) {
          for (const v of z.slice(3 * k, 3 * k + 3))
            expected.push(v * [1, -1, 2, 0.5][c] + [0, 0.5, 1, 0][c]);
        }
      }
    }
    expectClose(
      tidy(() => gn.call(x)),
      expected,
      'GroupNorm output',
    );
    // A non-contiguous input (a transposed view) gives the same values.
    const xt = x.transpose(1, 2).contiguous().transpose(1, 2);
    expect(xt.isContiguous).toBe(false);
    expectClose(
      tidy(() => gn.call(xt)),
      expected,
      'GroupNorm on a strided view',
    );
  });

  it('validates groups and channels', () => {
    expect(() => new GroupNorm(4, 6)).toThrow(
      'GroupNorm: expected numChannels to be divisible by numGroups, received numChannels 6 and numGroups 4',
    );
    expect(() => new GroupNorm(0, 6)).toThrow('numGroups to be a positive integer');
    const gn = new GroupNorm(2, 6);
    expect(Object.keys(gn.stateDict())).toEqual(['weight', 'bias']);
    expect(() => gn.call(zeros([2, 4, 5]))).toThrow(
      'GroupNorm(2, 6): expected an input of shape [N, 6, *], received [2,4,5]',
    );
    expect(() => gn.call(zeros([6]))).toThrow('received [6]');
  });

  it('memory stays flat over 100 training steps (LayerNorm and GroupNorm)', () => {
    const mods = [new LayerNorm([5]), new GroupNorm(3, 6)];
    const xs = [randn([4, 6, 5], { seed: 1 }), randn([4, 6, 5], { seed: 2 })];
    const step = () => {
      for (const [i, m] of mods.entries()) {
        tidy(() => sum(mul(m.call(xs[i]), xs[i])).backward());
        noGrad(() =>
          tidy(() => {
            for (const p of m.parameters()) p.assign(sub(p, mul(p.grad!, 0.01)));
          }),
        );
        m.zeroGrad();
      }
    };
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 99; i++) step();
    expect(memory().numTensors).toBe(before);
  });
});
