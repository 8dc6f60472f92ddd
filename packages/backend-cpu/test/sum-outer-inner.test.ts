/**
 * Issue 16: a conv bias gradient (sum over N, H, W of [N, C, H, W]) through
 * core's optional `sumOuterInner` (kernels/sum-outer-inner.ts, wasm on the
 * heap) gives the same bits as the fallback (permuted copy, then reduce),
 * for odd sizes, channel counts that are not a multiple of the kernel's
 * four chains, and NaN, ±0, ±∞ and cancelling terms.
 */
import '@nerve/backend-cpu';
import { getBackend, setBackend, sum, tensor, tidy, withoutOptionalKernels } from '@nerve/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { allocF32 } from '../src/alloc.js';
import { sumOuterInner } from '../src/kernels/sum-outer-inner.js';
import { randomF32 } from './helpers.js';

beforeAll(() => setBackend('cpu'));

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

function channelSums(x: Float32Array, shape: number[], axes: number[]): Float32Array {
  return tidy(() => sum(tensor(x, { shape }), axes).dataSync() as Float32Array);
}

/** Shape, reduced axes. */
const CASES: [number[], number[]][] = [
  [
    [64, 16, 28, 28],
    [0, 2, 3],
  ],
  [
    [3, 7, 5, 3],
    [0, 2, 3],
  ],
  [
    [2, 5, 1],
    [0, 2],
  ],
  [
    [1, 3, 2, 9],
    [0, 3],
  ],
  [
    [2, 3, 4, 5],
    [0, 1, 3],
  ],
  [
    [4, 1, 6],
    [0, 2],
  ],
];

describe('sumOuterInner', () => {
  for (const [shape, axes] of CASES) {
    it(`matches permute + copy + reduce bit for bit: sum over ${axes} of ${shape.join('×')}`, () => {
      const n = shape.reduce((a, b) => a * b, 1);
      // Large magnitudes so the float64 order shows in the float32 result.
      const x = randomF32(n, n, -1e4, 1e4);
      for (let i = 0; i < n; i += 13) x[i] = 1e-3;
      const backend = getBackend('cpu') as unknown as Record<string, (...a: unknown[]) => unknown>;
      const spy = vi.spyOn(backend, 'sumOuterInner');
      const fused = channelSums(x, shape, axes);
      expect(spy).toHaveBeenCalledTimes(1);
      spy.mockRestore();
      const reference = withoutOptionalKernels(
        () => channelSums(x, shape, axes),
        ['sumOuterInner'],
      );
      expect(bits(fused)).toEqual(bits(reference));
    });
  }

  it('keeps NaN, ±∞ and signed zeros as the fallback does', () => {
    const shape = [2, 6, 3];
    const x = new Float32Array(36).fill(-0);
    x[1] = Number.NaN; // channel 0
    x[4] = Number.POSITIVE_INFINITY; // channel 1
    x[7] = Number.POSITIVE_INFINITY; // channel 2: ∞ − ∞ = NaN
    x[8] = Number.NEGATIVE_INFINITY;
    x[9] = 3; // channel 3
    // channel 4: all −0 → +0 (the sum starts at +0); channel 5: 1e-45 twice
    x[15] = 1e-45;
    x[33] = 1e-45;
    const fused = channelSums(x, shape, [0, 2]);
    const reference = withoutOptionalKernels(
      () => channelSums(x, shape, [0, 2]),
      ['sumOuterInner'],
    );
    expect(bits(fused)).toEqual(bits(reference));
    expect(Object.is(fused[4], 0)).toBe(true);
    expect(fused[1]).toBe(Number.POSITIVE_INFINITY);
  });

  it('the JavaScript path (arrays outside the heap) gives the wasm path’s bits', () => {
    const [outer, size, inner] = [5, 7, 11];
    const x = randomF32(outer * size * inner, 3, -1e4, 1e4);
    const heapX = allocF32(x.length, true);
    heapX.set(x);
    const wasm = sumOuterInner(heapX, outer, size, inner);
    const js = sumOuterInner(new Float32Array(x), outer, size, inner);
    expect(bits(js)).toEqual(bits(wasm));
  });
});
