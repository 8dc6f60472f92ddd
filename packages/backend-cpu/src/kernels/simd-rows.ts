/**
 * Rows of the elementwise kernels that run as WebAssembly SIMD on the wasm
 * heap (../wasm/ew-simd.ts): taken when every operand of a row is a heap
 * block, the row is contiguous (a broadcast scalar has stride 0) and long
 * enough to pay for the call. Each returns false when it does not apply, and
 * the caller runs its JavaScript row instead.
 */
import { wasmHeap } from '../heap.js';
import { type ElementwiseKernels, elementwiseKernels } from '../wasm/ew-simd.js';

/** Below this many elements a row stays in JavaScript (a wasm call costs ~50 ns). */
const MIN_ROW = 32;

let kernels: ElementwiseKernels | null | undefined;

function get(): ElementwiseKernels | null {
  if (kernels === undefined) {
    const heap = wasmHeap();
    kernels = heap ? elementwiseKernels(heap.memory) : null;
  }
  return kernels;
}

/** Which arrays are heap blocks, checked once per kernel call. */
export function simdOperands(...arrays: ArrayBufferView[]): boolean {
  const heap = wasmHeap();
  if (heap === undefined || get() === null) return false;
  for (const a of arrays) if (!heap.owns(a)) return false;
  return true;
}

/** o[oi ..] = relu(x[xi ..]) for the first n - n mod 4 elements; returns how many were done. */
export function reluRow(
  o: Float32Array,
  oi: number,
  x: Float32Array,
  xi: number,
  n: number,
): number {
  if (n < MIN_ROW) return 0;
  const n4 = n & ~3;
  (kernels as ElementwiseKernels).relu(x.byteOffset + 4 * xi, o.byteOffset + 4 * oi, n4);
  return n4;
}

/**
 * o = x ≤ 0 ? +0 : dy over n elements (core's ReLU gradient,
 * where(le(x, 0), 0, dy), in one pass): SIMD on heap blocks, the tail and
 * non-heap arrays in JavaScript with the same comparison.
 */
export function reluGradient(x: Float32Array, dy: Float32Array, o: Float32Array, n: number): void {
  let i = 0;
  if (n >= MIN_ROW && simdOperands(x, dy, o)) {
    i = n & ~3;
    (kernels as ElementwiseKernels).reluGrad(x.byteOffset, dy.byteOffset, o.byteOffset, i);
  }
  for (; i < n; i++) o[i] = x[i] <= 0 ? 0 : dy[i];
}

export type SimdBinary = 'add' | 'sub' | 'mul';

/**
 * o[oi ..] = a[ai ..] op b[bi ..] with unit strides on o and a and b's
 * stride bs of 1 or 0 (a broadcast scalar); a stride-0 a with unit b is
 * swapped by the caller for add and mul. Returns how many elements were done
 * (a multiple of 4, or 0).
 */
export function binaryRow(
  op: SimdBinary,
  o: Float32Array,
  oi: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
): number {
  if (n < MIN_ROW) return 0;
  const k = kernels as ElementwiseKernels;
  const n4 = n & ~3;
  const oa = o.byteOffset + 4 * oi;
  if (as === 1 && bs === 1) {
    k[op](a.byteOffset + 4 * ai, b.byteOffset + 4 * bi, oa, n4);
  } else if (as === 1 && bs === 0) {
    k[`${op}S`](a.byteOffset + 4 * ai, b[bi], oa, n4);
  } else if (as === 0 && bs === 1) {
    const s = a[ai];
    if (op === 'sub') k.rsubS(b.byteOffset + 4 * bi, s, oa, n4);
    else k[`${op}S`](b.byteOffset + 4 * bi, s, oa, n4);
  } else {
    return 0;
  }
  return n4;
}
