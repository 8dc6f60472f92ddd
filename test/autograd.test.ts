/**
 * Autograd semantics: accumulation, noGrad, detach, graph errors, leaks.
 */
import '@nerve/backend-cpu';
import {
  add,
  backward,
  detach,
  exp,
  getBackend,
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

  it('refuses a second backward through one graph instead of doubling the gradients', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => {
      const loss = sum(mul(exp(x), 2));
      loss.backward();
      const first = vals(x.grad!);
      expect(() => loss.backward()).toThrow(
        /backward: trying to backward through the graph a second time \(through '\w+'\).*backward\(\{ retainGraph: true \}\)/,
      );
      // The refused pass changed nothing.
      expect(vals(x.grad!)).toEqual(first);
      // A new graph over the same leaves is fine (gradients accumulate, as in PyTorch).
      sum(mul(exp(x), 2)).backward();
      for (const [i, v] of vals(x.grad!).entries()) expect(v).toBeCloseTo(2 * first[i], 4);
    });
  });

  it('refuses a second pass that shares only part of the spent graph', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => {
      const h = mul(x, 3);
      sum(h).backward();
      expect(() => sum(exp(h)).backward()).toThrow(/second time \(through 'mul'\)/);
    });
  });

  it('backward({ retainGraph: true }) keeps the graph for another pass, as retain_graph=True', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    tidy(() => {
      const loss = sum(mul(x, x));
      loss.backward({ retainGraph: true });
      expect(vals(x.grad!)).toEqual([2, 4]);
      loss.backward({ retainGraph: true });
      expect(vals(x.grad!)).toEqual([4, 8]);
      // The last pass without the option spends it.
      backward(loss, tensor(1), {});
      expect(vals(x.grad!)).toEqual([6, 12]);
      expect(() => loss.backward()).toThrow(/second time/);
    });
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

describe('leaf gradients own their buffers', () => {
  it('two leaves handed the same gradient tensor get separate buffers', () => {
    const a = tensor([1, 2, 3], { requiresGrad: true });
    const b = tensor([4, 5, 6], { requiresGrad: true });
    // add's backward passes one tensor to both inputs.
    tidy(() => backward(add(a, b), tensor([1, 2, 3])));
    expect(a.grad!.storage).not.toBe(b.grad!.storage);
    a.grad!.dispose();
    expect(vals(b.grad!)).toEqual([1, 2, 3]);
  });

  it('a leaf given the caller gradient directly copies it', () => {
    const x = tensor([1, 2], { requiresGrad: true });
    const seed = tensor([7, 8]);
    backward(x, seed);
    expect(x.grad!.storage).not.toBe(seed.storage);
    seed.dispose();
    expect(vals(x.grad!)).toEqual([7, 8]);
  });

  it('a gradient that is a view of another buffer is copied, not adopted', () => {
    const x = tensor([1, 2, 3, 4, 5, 6], { requiresGrad: true });
    const y = reshape(x, [2, 3]);
    const g = tensor([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    tidy(() => backward(y, g));
    // reshape's backward returns a view of g: the leaf must not share g's buffer.
    expect(x.grad!.storage).not.toBe(g.storage);
    g.dispose();
    expect(vals(x.grad!)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('a fresh contiguous gradient is adopted without a copy', () => {
    const w = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const x = tensor([
      [1, 0],
      [2, 1],
    ]);
    const be = getBackend() as unknown as { copy: (...a: unknown[]) => unknown };
    const original = be.copy;
    let copies = 0;
    be.copy = function (this: unknown, ...a: unknown[]) {
      copies++;
      return original.apply(this, a);
    };
    try {
      // d/dw of x·w against G is xᵀ·G: a matmul result, contiguous and unshared.
      tidy(() =>
        backward(
          matmul(x, w),
          tensor([
            [1, 1],
            [1, 1],
          ]),
        ),
      );
    } finally {
      be.copy = original;
    }
    expect(copies).toBe(0);
    expect(vals(w.grad!)).toEqual([3, 3, 1, 1]);
  });

  it('the live tensor count is the same after repeated backward passes', () => {
    const w = tensor(
      [
        [1, 2],
        [3, 4],
      ],
      { requiresGrad: true },
    );
    const x = tensor([
      [1, 0],
      [0, 1],
    ]);
    const step = () => {
      w.grad?.dispose();
      w.grad = null;
      tidy(() => sum(exp(matmul(x, w))).backward());
    };
    step();
    const before = memory().numTensors;
    for (let i = 0; i < 20; i++) step();
    expect(memory().numTensors).toBe(before);
  });
});
