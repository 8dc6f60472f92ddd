/**
 * Batch normalization's normalize (forward) and input-gradient (backward)
 * passes as wasm SIMD on the heap (../wasm/batchnorm-simd.ts): bit-identical
 * to batchnorm.ts's JavaScript loops (same float64 operations in the same
 * order, two lanes at a time). Taken when x, dy and the output are heap
 * blocks and the planes are long enough to pay for the call (a conv
 * network's [N, C, H, W]); BatchNorm1d's [N, C] (inner = 1) stays in
 * JavaScript. The per-channel coefficients go to the kernel in a float64
 * block of the heap, freed on return.
 */
import { wasmHeap } from '../heap.js';
import { type BatchNormKernels, batchNormKernels } from '../wasm/batchnorm-simd.js';

/** Planes shorter than this stay in JavaScript (one wasm call covers them all, but inner = 1 runs scalar there). */
const MIN_INNER = 8;

let kernels: BatchNormKernels | null | undefined;
let disabled = false;

/** For A/B timing in one process (scripts/simd-ab.ts): true keeps the JavaScript loops. */
export function setBatchNormSimdDisabled(off: boolean): void {
  disabled = off;
}

function get(inner: number, arrays: ArrayBufferView[]): BatchNormKernels | null {
  if (disabled || inner < MIN_INNER) return null;
  const heap = wasmHeap();
  if (heap === undefined) return null;
  if (kernels === undefined) kernels = batchNormKernels(heap.memory);
  if (kernels === null) return null;
  for (const a of arrays) if (!heap.owns(a)) return null;
  return kernels;
}

/** Runs `call` with the coefficients (fill(view)) in a heap block of `n` float64s. */
function withCoefficients(n: number, fill: (v: Float64Array) => void, call: (at: number) => void) {
  const heap = wasmHeap()!;
  const at = heap.allocBytes(8 * n);
  try {
    fill(new Float64Array(heap.buffer(), at, n));
    call(at);
  } finally {
    heap.freeBytes(at, 8 * n);
  }
}

/**
 * out = (x − mean)·scale + shift per plane, as batchNormForward computes it;
 * false when the SIMD path does not apply.
 */
export function forwardSimd(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  c: number,
  inner: number,
  mean: Float32Array,
  scale: (ch: number) => number,
  shift: (ch: number) => number,
): boolean {
  const k = get(inner, [x, out]);
  if (k === null) return false;
  withCoefficients(
    3 * c,
    (v) => {
      for (let ch = 0; ch < c; ch++) {
        v[3 * ch] = mean[ch];
        v[3 * ch + 1] = scale(ch);
        v[3 * ch + 2] = shift(ch);
      }
    },
    (at) => k.forward(x.byteOffset, out.byteOffset, outer, c, inner, at),
  );
  return true;
}

/**
 * dx = k·((count·dy − sumDy) − (x − mean)·proj) per plane, as
 * batchNormBackward computes it; false when the SIMD path does not apply.
 */
export function backwardSimd(
  x: Float32Array,
  dy: Float32Array,
  dx: Float32Array,
  outer: number,
  c: number,
  inner: number,
  count: number,
  coef: (ch: number) => [m: number, proj: number, sumDy: number, k: number],
): boolean {
  const k = get(inner, [x, dy, dx]);
  if (k === null) return false;
  withCoefficients(
    4 * c,
    (v) => {
      for (let ch = 0; ch < c; ch++) v.set(coef(ch), 4 * ch);
    },
    (at) => k.backward(x.byteOffset, dy.byteOffset, dx.byteOffset, outer, c, inner, at, count),
  );
  return true;
}
