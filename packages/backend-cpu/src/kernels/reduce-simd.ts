/**
 * Float32 sums over [outer, size, inner] as WebAssembly SIMD on the wasm heap
 * (../wasm/reduce-simd.ts), with a JavaScript path in the same order for
 * arrays outside the heap (NERVE_CPU_HEAP=0, pages without
 * SharedArrayBuffer), so both give the same bits.
 *
 * - inner > 1 (a bias gradient: sum over the batch of [N, C]): the lanes run
 *   across columns, each column summed down the rows in order: the same
 *   float64 additions as before, bit-identical to the scalar loop.
 * - inner = 1 (a row sum, e.g. a conv bias gradient: core permutes
 *   [N, C, H, W] to [C, N·H·W]): eight float64 partial sums per row (see
 *   `sumRow8`). This changes the order of the float64 additions from the
 *   earlier one-accumulator loop. Both orders give the float64 sum within
 *   (n − 1)·2⁻⁵³·Σ|x| (Higham 2002, §4.2: any summation order), and the
 *   float32 result then rounds once more (2⁻²⁴·|s|), so the result is within
 *   2⁻²⁴·|s| + n·2⁻⁵³·Σ|x| ≤ (1 + n·2⁻²⁹)·2⁻²⁴·Σ|x| of the exact sum: K = 1
 *   (plus n·2⁻²⁹, under 10⁻³ for n < 5·10⁵) in the K·2⁻²⁴·Σ|term|.
 *   One sequential order on one thread: the same bits on every run and for
 *   every thread count.
 */
import { wasmHeap } from '../heap.js';
import { type ReduceKernels, reduceKernels } from '../wasm/reduce-simd.js';

/** Below this many elements in all the JavaScript loop is as fast as a call into wasm. */
const MIN_WASM = 256;

let kernels: ReduceKernels | null | undefined;
let disabled = false;

/**
 * For A/B timing in one process (scripts/simd-ab.ts): true sends float32
 * sums back to reduce.ts's earlier one-accumulator loop.
 */
export function setReduceSimdDisabled(off: boolean): void {
  disabled = off;
}

export function reduceSimdDisabled(): boolean {
  return disabled;
}

/** The wasm kernels when every array is a heap block and wasm SIMD exists, else null. */
export function heapKernels(...arrays: ArrayBufferView[]): ReduceKernels | null {
  const heap = wasmHeap();
  if (heap === undefined) return null;
  if (kernels === undefined) kernels = reduceKernels(heap.memory);
  if (kernels === null) return null;
  for (const a of arrays) if (!heap.owns(a)) return null;
  return kernels;
}

/**
 * Σ x[base .. base + n) in float64, in the order of the wasm `sumRows`: eight
 * partial sums over full blocks of eight, combined
 * ((p0+p2)+(p4+p6)) + ((p1+p3)+(p5+p7)), then the rest in order.
 */
export function sumRow8(x: Float32Array, base: number, n: number): number {
  let p0 = 0;
  let p1 = 0;
  let p2 = 0;
  let p3 = 0;
  let p4 = 0;
  let p5 = 0;
  let p6 = 0;
  let p7 = 0;
  let j = base;
  const end8 = base + (n & ~7);
  for (; j < end8; j += 8) {
    p0 += x[j];
    p1 += x[j + 1];
    p2 += x[j + 2];
    p3 += x[j + 3];
    p4 += x[j + 4];
    p5 += x[j + 5];
    p6 += x[j + 6];
    p7 += x[j + 7];
  }
  let s = p0 + p2 + (p4 + p6) + (p1 + p3 + (p5 + p7));
  for (const end = base + n; j < end; j++) s += x[j];
  return s;
}

/** out[o·inner + i] = Σ_j x[(o·size + j)·inner + i] for float32 x and out. */
export function sumF32Into(
  x: Float32Array,
  out: Float32Array,
  outer: number,
  size: number,
  inner: number,
): void {
  const k = outer * size * inner >= MIN_WASM ? heapKernels(x, out) : null;
  if (inner === 1) {
    if (k) k.sumRows(x.byteOffset, out.byteOffset, outer, size);
    else for (let o = 0; o < outer; o++) out[o] = sumRow8(x, o * size, size);
    return;
  }
  if (k) {
    k.sumCols(x.byteOffset, out.byteOffset, outer, size, inner);
    return;
  }
  const res = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    res.fill(0);
    for (let j = 0; j < size; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) res[i] += x[row + i];
    }
    out.set(res, o * inner);
  }
}
