/**
 * Autograd semantics: accumulation, noGrad, detach, graph errors, leaks.
 */
import '@nerve/backend-cpu';
import {
  add,
  backward,
  detach,
  exp,
  matmul,
  memory,
  mul,
  noGrad,
  reshape,
  sum,
  tensor,
  tidy,
  transpose,
} from '@nerve/core';
import { describe, expect, it } from 'vitest';

const vals = (t: { dataSync(): Iterable<number> }) =>
  [...t.dataSync()].map((v) => Math.round(v * 1e5) / 1e5);

describe('backward', () => {
  it('computes d/dx of x·x + 3x as 2x + 3', () => {
    const x = tensor([1, -2, 0.5], { requiresGrad: true });
    tidy(() => sum(add(mul(x, x), mul(x, 3))).backward());
    expect(vals(x.grad!)).toEqual([5, -1, 4]);
  });

  it('accumulates gradients over two backward passes, as PyTorch does', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => sum(mul(x, 2)).backward());
    tidy(() => sum(mul(x, 3)).backward());
    expect(vals(x.grad!)).toEqual([5, 5]);
  });

  it('flows through views: reshape, transpose and matmul', () => {
    const w = tensor(
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      { requiresGrad: true },
    );
    const x = tensor([[1, 1]]);
    tidy(() => sum(matmul(x, reshape(transpose(transpose(w)), [2, 3]))).backward());
    expect(vals(w.grad!)).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('needs a one-element output or an explicit gradient', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => {
      const y = mul(x, 2);
      expect(() => y.backward()).toThrow(
        /backward: expected a one-element output, or an explicit gradient of the same shape, received output of shape \[2\]/,
      );
      backward(y, tensor([1, 10]));
    });
    expect(vals(x.grad!)).toEqual([2, 20]);
  });

  it('refuses tensors that do not require grad', () => {
    const x = tensor([1, 2]);
    expect(() => sum(x).backward()).toThrow(/backward: the tensor does not require grad/);
  });
});

describe('noGrad and detach', () => {
  it('noGrad records nothing', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const y = noGrad(() => exp(x));
    expect(y.requiresGrad).toBe(false);
    expect(y.gradFn).toBeNull();
  });

  it('detach stops the gradient but shares values', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => sum(mul(x, detach(x))).backward());
    expect(vals(x.grad!)).toEqual([1, 2]);
  });
});

describe('memory over steps', () => {
  it('forward and backward inside tidy leave only the gradients alive', () => {
    const w = tensor(
      [
        [0.5, -0.5],
        [1, 2],
      ],
      { requiresGrad: true },
    );
    tidy(() => sum(exp(matmul(w, w))).backward());
    const afterFirst = memory().numTensors;
    for (let i = 0; i < 50; i++) {
      tidy(() => sum(exp(matmul(w, w))).backward());
    }
    expect(memory().numTensors).toBe(afterFirst);
    expect(w.grad).not.toBeNull();
  });
});
