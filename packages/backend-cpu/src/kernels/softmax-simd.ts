/**
 * Softmax and log-softmax rows of at least MIN_ROW classes as wasm SIMD on
 * the heap (../wasm/softmax-simd.ts), exp by a float64 polynomial. Shorter
 * rows (every classifier head with ten classes) and arrays outside the heap
 * keep softmax.ts's scalar loop and its bits.
 *
 * Against softmax.ts (Math.exp, one float64 sum in order), derived from the
 * polynomial's relative error ≤ 2⁻⁵⁰ (wasm/softmax-simd.ts) and the two
 * summation orders (each within (n − 1)·2⁻⁵³·s of the exact sum of its
 * terms, all positive): the float64 values before the final rounding differ
 * by a relative δ ≤ (2n + 16)·2⁻⁵³ (softmax: e/s) or an absolute δ ≤
 * (2n + 16)·2⁻⁵³ (log-softmax: the difference of the two log s, plus the
 * same exp-free x − m). Rounding two float64 values that close to float32
 * gives the same float32 or neighbours: |Δ| ≤ 1 ulp_f32 for softmax, and
 * ≤ 1 ulp_f32 + (2n + 16)·2⁻⁵³ for log-softmax (the absolute part matters
 * only where the output is near 0). In practice nearly every element is
 * bit-identical (test/softmax-simd.test.ts counts them). One order on one
 * thread: the same bits on every run and thread count.
 */
import { wasmHeap } from '../heap.js';
import { type SoftmaxKernels, softmaxKernels } from '../wasm/softmax-simd.js';

/** Rows shorter than this keep the scalar loop (and its bits). */
export const MIN_ROW = 32;

let kernels: SoftmaxKernels | null | undefined;
let disabled = false;

/** For A/B timing in one process (scripts/simd-ab.ts): true keeps the scalar loop. */
export function setSoftmaxSimdDisabled(off: boolean): void {
  disabled = off;
}

/** out = softmax or log-softmax of x's rows; false when the SIMD path does not apply. */
export function softmaxSimd(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  n: number,
  log: boolean,
): boolean {
  if (disabled || n < MIN_ROW || outer === 0) return false;
  const heap = wasmHeap();
  if (heap === undefined || !heap.owns(x) || !heap.owns(out)) return false;
  if (kernels === undefined) kernels = softmaxKernels(heap.memory);
  if (kernels === null) return false;
  const bytes = 16 * outer;
  const at = heap.allocBytes(bytes);
  try {
    const mAt = at;
    const sAt = at + 8 * outer;
    kernels.stats(x.byteOffset, outer, n, mAt, sAt);
    if (log) {
      const s = new Float64Array(heap.buffer(), sAt, outer);
      for (let r = 0; r < outer; r++) s[r] = Math.log(s[r]);
      kernels.logSoftmaxOut(x.byteOffset, out.byteOffset, outer, n, mAt, sAt);
    } else {
      kernels.softmaxOut(x.byteOffset, out.byteOffset, outer, n, mAt, sAt);
    }
  } finally {
    heap.freeBytes(at, bytes);
  }
  return true;
}

/**
 * Per-row maximum and Σ exp(x − m) (float64) of x's rows, from the SIMD
 * `stats` pass, for the fused cross-entropy (cross-entropy.ts); null when
 * the SIMD path does not apply. The arrays are fresh copies.
 */
export function rowStatsSimd(
  x: Float32Array,
  outer: number,
  n: number,
): { m: Float64Array; s: Float64Array } | null {
  if (disabled || n < MIN_ROW || outer === 0) return null;
  const heap = wasmHeap();
  if (heap === undefined || !heap.owns(x)) return null;
  if (kernels === undefined) kernels = softmaxKernels(heap.memory);
  if (kernels === null) return null;
  const bytes = 16 * outer;
  const at = heap.allocBytes(bytes);
  try {
    kernels.stats(x.byteOffset, outer, n, at, at + 8 * outer);
    const buf = heap.buffer();
    return {
      m: new Float64Array(buf, at, outer).slice(),
      s: new Float64Array(buf, at + 8 * outer, outer).slice(),
    };
  } finally {
    heap.freeBytes(at, bytes);
  }
}
