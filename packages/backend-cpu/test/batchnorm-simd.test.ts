/**
 * Batch normalization's SIMD passes (src/kernels/batchnorm-simd.ts) give the
 * bits of batchnorm.ts's JavaScript loops: the same arrays once as heap
 * blocks (SIMD) and once as plain arrays (JavaScript).
 */
import { describe, expect, it } from 'vitest';
import { wasmHeap } from '../src/heap.js';
import { batchNormBackward, batchNormForward } from '../src/kernels/batchnorm.js';
import { randomF32 } from './helpers.js';

/** A heap copy of a plain array (what the backend's tensors are in Node). */
function onHeap(v: Float32Array): Float32Array {
  const h = wasmHeap()!.allocF32(v.length);
  h.set(v);
  return h;
}

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.slice().buffer));

describe('batch norm SIMD passes', () => {
  for (const [outer, c, inner, affine] of [
    [4, 3, 16, true],
    [2, 5, 49, true],
    [3, 2, 9, false],
    [64, 16, 784, true],
    [2, 3, 4, true], // below MIN_INNER: JavaScript on both sides
  ] as const) {
    it(`[${outer}, ${c}, ${inner}]${affine ? '' : ' without weight and bias'}: the JavaScript loops' bits`, () => {
      const n = outer * c * inner;
      const x = randomF32(n, n + 1, -3, 5);
      const dy = randomF32(n, n + 2, -1, 1);
      const mean = randomF32(c, c + 3, -0.5, 0.5);
      const variance = randomF32(c, c + 4, 0.1, 4);
      const weight = affine ? randomF32(c, c + 5, 0.5, 1.5) : null;
      const bias = affine ? randomF32(c, c + 6, -1, 1) : null;
      // A NaN and an infinity travel the same way on both paths.
      x[7] = Number.NaN;
      dy[7] = Number.POSITIVE_INFINITY; // the same channel as the NaN: the others stay finite
      const p = { outer, channels: c, inner, eps: 1e-5 };
      const js = batchNormForward(x, mean, variance, weight, bias, p);
      const simd = batchNormForward(onHeap(x), mean, variance, weight, bias, p);
      expect(wasmHeap()!.owns(simd)).toBe(true);
      expect(bits(simd)).toEqual(bits(js));
      const jb = batchNormBackward(x, dy, mean, variance, weight, p);
      const sb = batchNormBackward(onHeap(x), onHeap(dy), mean, variance, weight, p);
      expect(bits(sb.dx)).toEqual(bits(jb.dx));
      expect(bits(sb.dweight)).toEqual(bits(jb.dweight));
      expect(bits(sb.dbias)).toEqual(bits(jb.dbias));
    });
  }
});
