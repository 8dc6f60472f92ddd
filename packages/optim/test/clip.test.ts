/** clipGradNorm and clipGradValue against torch.nn.utils. */
import '@nerve/backend-cpu';
import { memory, tensor, zeros } from '@nerve/core';
import { describe, expect, it } from 'vitest';
import { clipGradNorm, clipGradValue } from '../src/index.js';
import { expectClose, fixtures } from './helpers.js';

describe('clipGradNorm matches PyTorch', () => {
  for (const c of fixtures.clip) {
    it(`maxNorm ${c.maxNorm}, normType ${c.normType}`, () => {
      const params = c.shapes.map((s, i) => {
        const p = zeros(s, { requiresGrad: true });
        p.grad = tensor(c.grads[i], { shape: s });
        return p;
      });
      const before = params.map((p) => p.grad!);
      const normType = c.normType === 'Infinity' ? Infinity : c.normType;
      const total = clipGradNorm(params, c.maxNorm, normType);
      expectClose([total], [c.totalNorm], 'total norm');
      params.forEach((p, i) => {
        expect(p.grad, 'the gradient tensor is updated in place').toBe(before[i]);
        expectClose(p.grad!.dataSync(), c.clipped[i], `clipped grad ${i}`);
      });
      for (const p of params) p.dispose();
    });
  }

  it('returns 0 and changes nothing when no parameter has a gradient', () => {
    const p = zeros([3], { requiresGrad: true });
    expect(clipGradNorm([p], 1)).toBe(0);
    expect(p.grad).toBeNull();
    p.dispose();
  });

  it('skips parameters without gradients and accepts a single tensor', () => {
    const a = zeros([2], { requiresGrad: true });
    const b = zeros([2], { requiresGrad: true });
    a.grad = tensor([3, 4]);
    expect(clipGradNorm([a, b], 1)).toBeCloseTo(5, 6);
    expectClose(a.grad.dataSync(), [0.6, 0.8], 'clipped');
    expect(b.grad).toBeNull();
    expect(clipGradNorm(a, 10)).toBeCloseTo(1, 5);
    a.dispose();
    b.dispose();
  });

  it('leaves no tensors behind', () => {
    const a = zeros([4], { requiresGrad: true });
    a.grad = tensor([1, -2, 3, -4]);
    const before = memory().numTensors;
    for (let i = 0; i < 20; i++) clipGradNorm([a], 0.5, i % 2 === 0 ? 2 : Infinity);
    expect(memory().numTensors).toBe(before);
    a.dispose();
  });

  it('throws on a non-finite norm only when asked', () => {
    const a = zeros([2], { requiresGrad: true });
    a.grad = tensor([Number.NaN, 1]);
    expect(Number.isNaN(clipGradNorm([a], 1))).toBe(true);
    a.grad.dispose();
    a.grad = tensor([Infinity, 1]);
    expect(() => clipGradNorm([a], 1, 2, { errorIfNonfinite: true })).toThrow(/Infinity/);
    expect(a.grad.dataSync()[0]).toBe(Infinity);
    a.dispose();
  });

  it('rejects bad arguments', () => {
    const a = zeros([2], { requiresGrad: true });
    expect(() => clipGradNorm([a], -1)).toThrow(/maxNorm/);
    expect(() => clipGradNorm([a], Number.NaN)).toThrow(/maxNorm/);
    expect(() => clipGradNorm([a], 1, 0)).toThrow(/normType/);
    expect(() => clipGradNorm([a], 1, -Infinity)).toThrow(/normType/);
    expect(() => clipGradNorm(42 as never, 1)).toThrow(/iterable/);
    expect(() => clipGradNorm([a, 'x' as never], 1)).toThrow(/tensors/);
    a.dispose();
  });
});

describe('clipGradValue', () => {
  it('clamps every element into [-clip, clip] in place', () => {
    const a = zeros([5], { requiresGrad: true });
    a.grad = tensor([-3, -0.5, 0, 0.7, 2]);
    const g = a.grad;
    clipGradValue([a], 0.6);
    expect(a.grad).toBe(g);
    expectClose(a.grad.dataSync(), [-0.6, -0.5, 0, 0.6, 0.6], 'clamped');
    expect(() => clipGradValue([a], -1)).toThrow(/clipValue/);
    a.dispose();
  });

  it('replaces a gradient that is a strided view', () => {
    const a = zeros([2, 2], { requiresGrad: true });
    a.grad = tensor([
      [1, -5],
      [7, 0.5],
    ]).transpose();
    clipGradValue([a], 2);
    expectClose(a.grad.dataSync(), [1, 2, -2, 0.5], 'clamped');
    a.dispose();
  });
});
