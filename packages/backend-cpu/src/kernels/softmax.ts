/**
 * Softmax and log-softmax over the last axis of a contiguous [outer, n] buffer.
 * Each row subtracts its maximum before exponentiating (so no exp overflows)
 * and sums in float64.
 */
import { allocF32 } from '../alloc.js';
import { softmaxSimd } from './softmax-simd.js';

export function softmax(x: Float32Array, outer: number, n: number, log: boolean): Float32Array {
  // Every row is written in full.
  const out = allocF32(outer * n, true);
  // Rows of ≥ 32 classes on the heap: SIMD with a polynomial exp (softmax-simd.ts, its bound).
  if (softmaxSimd(x, out, outer, n, log)) return out;
  // Unrounded exponentials of the current row, so the division sees float64 values.
  const e = new Float64Array(log ? 0 : n);
  for (let r = 0; r < outer; r++) {
    const base = r * n;
    let max = Number.NEGATIVE_INFINITY;
    for (let j = 0; j < n; j++) {
      const v = x[base + j];
      // NaN must win so the whole row becomes NaN, as in PyTorch.
      if (v > max || Number.isNaN(v)) max = v;
      if (Number.isNaN(max)) break;
    }
    let sum = 0;
    if (log) {
      for (let j = 0; j < n; j++) sum += Math.exp(x[base + j] - max);
      const lse = Math.log(sum);
      for (let j = 0; j < n; j++) out[base + j] = x[base + j] - max - lse;
    } else {
      for (let j = 0; j < n; j++) {
        const v = Math.exp(x[base + j] - max);
        e[j] = v;
        sum += v;
      }
      for (let j = 0; j < n; j++) out[base + j] = e[j] / sum;
    }
  }
  return out;
}
