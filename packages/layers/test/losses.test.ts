import '@nerve/backend-cpu';
import { memory, randn, tensor, tidy } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import {
  BCEWithLogitsLoss,
  CrossEntropyLoss,
  bceWithLogits,
  crossEntropy,
  l2Penalty,
  mseLoss,
  multiMarginLoss,
  nllLoss,
} from '../src/index.js';

const int = (v: number[]) => tensor(v, { dtype: 'int32' });

describe('loss values (hand-computed)', () => {
  it('crossEntropy of uniform logits is log C; label smoothing leaves it unchanged', () => {
    tidy(() => {
      const x = tensor([
        [0, 0, 0, 0],
        [1, 1, 1, 1],
      ]);
      expect(crossEntropy(x, int([0, 3])).itemSync()).toBeCloseTo(Math.log(4), 6);
      expect(crossEntropy(x, int([0, 3]), { labelSmoothing: 0.3 }).itemSync()).toBeCloseTo(
        Math.log(4),
        6,
      );
      expect(crossEntropy(x, int([0, 3]), { reduction: 'sum' }).itemSync()).toBeCloseTo(
        2 * Math.log(4),
        6,
      );
    });
  });

  it('multiMarginLoss: Σ_{j≠y} max(0, 1 − x_y + x_j) / C', () => {
    tidy(() => {
      // Sample 0: y = 0, x = [2, 1.5, -1] → (0.5 + 0) / 3; sample 1: y = 2, x = [0, 0, 0] → (1 + 1) / 3.
      const v = multiMarginLoss(
        tensor([
          [2, 1.5, -1],
          [0, 0, 0],
        ]),
        int([0, 2]),
        { reduction: 'none' },
      );
      const [a, b] = v.dataSync();
      expect(a).toBeCloseTo(0.5 / 3, 6);
      expect(b).toBeCloseTo(2 / 3, 6);
    });
  });

  it('bceWithLogits stays finite for huge logits', () => {
    tidy(() => {
      const v = bceWithLogits(tensor([1000, -1000, 1000]), tensor([1, 0, 0]), {
        reduction: 'none',
      }).dataSync();
      expect(v[0]).toBe(0);
      expect(v[1]).toBe(0);
      expect(v[2]).toBe(1000);
    });
  });

  it('l2Penalty of no parameters is 0', () => {
    expect(l2Penalty([], 0.1).itemSync()).toBe(0);
  });
});

describe('loss validation names the op', () => {
  const x = randn([3, 4], { seed: 0 });
  it('crossEntropy', () => {
    expect(() => crossEntropy(x, int([0, 1]))).toThrow(
      /crossEntropy: expected target as int32 class indices \[3\], received a int32 tensor \[2\]/,
    );
    expect(() => crossEntropy(x, int([0, 1, 4]))).toThrow(
      /crossEntropy: expected class indices in \[0, 4\), received 4 at position 2/,
    );
    expect(() => crossEntropy(x, int([0, -1, 2]))).toThrow(/received -1 at position 1/);
    expect(() => crossEntropy(x, randn([3, 5]))).toThrow(
      /crossEntropy: expected float32 class probabilities of the logits' shape \[3,4\]/,
    );
    expect(() => crossEntropy(randn([3]), int([0, 1, 2]))).toThrow(
      /crossEntropy: expected logits as a float32 \[N, C\] tensor, received a float32 tensor \[3\]/,
    );
    expect(() => crossEntropy(x, int([0, 1, 2]), { labelSmoothing: 1.5 })).toThrow(
      /crossEntropy: expected labelSmoothing in \[0, 1\], received 1.5/,
    );
    expect(() => crossEntropy(x, int([0, 1, 2]), { reduction: 'avg' as never })).toThrow(
      /crossEntropy: expected reduction 'mean', 'sum' or 'none', received "avg"/,
    );
    expect(() => new CrossEntropyLoss({ labelSmoothing: -1 })).toThrow(/CrossEntropyLoss/);
  });
  it('nllLoss, mseLoss, multiMarginLoss, bceWithLogits', () => {
    expect(() => nllLoss(x, tensor([0, 1, 2]))).toThrow(
      /nllLoss: expected target as int32 class indices \[3\], received a float32 tensor \[3\]/,
    );
    expect(() => mseLoss(x, randn([4, 3]))).toThrow(
      /mseLoss: expected a float32 target of the input's shape \[3,4\], received a float32 tensor \[4,3\]/,
    );
    expect(() => multiMarginLoss(x, int([0, 1, 2]), { p: 3 as never })).toThrow(
      /multiMarginLoss: expected p = 1 or 2/,
    );
    expect(() => bceWithLogits(x, randn([3, 4]), { posWeight: randn([3]) })).toThrow(
      /bceWithLogits: expected posWeight broadcastable to the input's shape \[3,4\], received \[3\]/,
    );
    expect(() => bceWithLogits(x, int([0, 1, 2]))).toThrow(
      /bceWithLogits: expected a float32 target/,
    );
  });
  it('failed validation creates no tensors', () => {
    const before = memory().numTensors;
    expect(() => crossEntropy(x, int([0, 1, 9]))).toThrow();
    // the int target itself is the only new tensor
    expect(memory().numTensors).toBe(before + 1);
  });
});

describe('loss modules', () => {
  it('BCEWithLogitsLoss keeps pos_weight and weight as buffers (PyTorch keys)', () => {
    const pw = tensor([2, 3]);
    const m = new BCEWithLogitsLoss({ posWeight: pw, weight: tensor([1, 0.5]) });
    expect(Object.keys(m.stateDict())).toEqual(['pos_weight', 'weight']);
    pw.dispose();
    // A private copy: the caller's tensor can go away.
    const v = tidy(() => m.call(tensor([[0.5, -1]]), tensor([[1, 0]])).itemSync());
    const expected =
      (2 * Math.log1p(Math.exp(-0.5)) + 0.5 * (-1 * (1 - 0) + 1 * Math.log1p(Math.exp(1)))) / 2;
    expect(v).toBeCloseTo(expected, 6);
    m.dispose();
  });
});
