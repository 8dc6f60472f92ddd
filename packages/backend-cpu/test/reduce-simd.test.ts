/**
 * Float32 sums as wasm SIMD on the heap (src/kernels/reduce-simd.ts): the
 * column sums (inner > 1) give the bits of the earlier one-accumulator loop,
 * the row sums (inner = 1) the bits of their JavaScript twin, and both stay
 * within the float64 reference's bound.
 */
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/cpu-backend.js';
import { wasmHeap } from '../src/heap.js';
import { heapKernels, sumF32Into } from '../src/kernels/reduce-simd.js';
import { randomF32 } from './helpers.js';

/** The JavaScript path: plain arrays are not heap blocks. */
function sumJs(hx: Float32Array, outer: number, size: number, inner: number): Float32Array {
  const out = new Float32Array(outer * inner);
  sumF32Into(hx, out, outer, size, inner);
  return out;
}

/** The loop reduce.ts ran before: one float64 accumulator per output, j in order, rounded once. */
function oneAccumulator(x: Float32Array, outer: number, size: number, inner: number): Float32Array {
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let s = 0;
      for (let j = 0; j < size; j++) s += x[(o * size + j) * inner + i];
      out[o * inner + i] = s;
    }
  }
  return out;
}

function sumOn(
  b: CpuBackend,
  hx: Float32Array,
  outer: number,
  size: number,
  inner: number,
): Float32Array {
  const x = b.upload(hx, 'float32');
  const r = b.reduce('sum', x, { dtype: 'float32', outer, size, inner });
  const out = b.readSync(r, 'float32', outer * inner) as Float32Array;
  b.free(x);
  b.free(r);
  return out;
}

const bits = (v: Float32Array) => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

describe('float32 sums on the wasm heap', () => {
  it('run in wasm here (the heap and wasm SIMD exist in Node)', () => {
    const heap = wasmHeap();
    expect(heap).toBeDefined();
    const a = heap!.allocF32(8);
    expect(heapKernels(a)).not.toBeNull();
    expect(heapKernels(new Float32Array(8))).toBeNull();
    heap!.freeF32(a);
  });

  for (const [outer, size, inner] of [
    [1, 128, 256],
    [1, 32, 10],
    [3, 7, 13],
    [2, 40, 64],
    [1, 1, 300],
    [5, 0, 9],
  ] as const) {
    it(`columns [${outer}, ${size}, ${inner}]: the one-accumulator loop's bits, SIMD and JS`, () => {
      const hx = randomF32(outer * size * inner, outer * 31 + size * 7 + inner, -100, 100);
      const want = bits(oneAccumulator(hx, outer, size, inner));
      const b = new CpuBackend();
      expect(bits(sumOn(b, hx, outer, size, inner))).toEqual(want);
      expect(bits(sumJs(hx, outer, size, inner))).toEqual(want);
    });
  }

  for (const [outer, size] of [
    [16, 50176],
    [32, 12544],
    [3, 1001],
    [64, 7],
    [2, 8],
    [9, 17],
  ] as const) {
    it(`rows [${outer}, ${size}]: SIMD and JS give the same bits, within 2⁻²⁴·|s| + n·2⁻⁵³·Σ|x| of float64`, () => {
      // Mixed signs and magnitudes, so the order of the additions matters.
      const hx = randomF32(outer * size, outer + size, -1, 1);
      for (let i = 0; i < hx.length; i += 5) hx[i] *= 1e4;
      const b = new CpuBackend();
      const simd = sumOn(b, hx, outer, size, 1);
      const js = sumJs(hx, outer, size, 1);
      expect(bits(simd)).toEqual(bits(js));
      for (let o = 0; o < outer; o++) {
        // Float64 reference; its own error is at most (n − 1)·2⁻⁵³·Σ|x| (Higham §4.2).
        let ref = 0;
        let abs = 0;
        for (let j = 0; j < size; j++) {
          ref += hx[o * size + j];
          abs += Math.abs(hx[o * size + j]);
        }
        // Derivation in reduce-simd.ts: both float64 sums err by ≤ (n − 1)·2⁻⁵³·Σ|x|, the
        // float32 rounding by 2⁻²⁴·|s|.
        const bound = 2 ** -24 * Math.abs(ref) + 2 * size * 2 ** -53 * abs;
        expect(Math.abs(simd[o] - ref)).toBeLessThanOrEqual(bound);
      }
    });
  }

  it('keeps NaN and ±Infinity as the scalar sum does', () => {
    const hx = randomF32(4 * 64, 3);
    hx[5] = Number.NaN;
    hx[64 + 9] = Number.POSITIVE_INFINITY;
    hx[128 + 1] = Number.POSITIVE_INFINITY;
    hx[128 + 40] = Number.NEGATIVE_INFINITY;
    const out = sumOn(new CpuBackend(), hx, 4, 64, 1);
    expect(Number.isNaN(out[0])).toBe(true);
    expect(out[1]).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(out[2])).toBe(true);
    expect(Number.isFinite(out[3])).toBe(true);
  });
});
