/**
 * core's optional `sumOuterInner` (a conv bias gradient: [N, C, H·W] → [C])
 * without the permuted copy the fallback makes: wasm on heap blocks
 * (../wasm/sum-outer-inner.ts), else the same sums in JavaScript. Each
 * output is one float64 sum in (outer, inner) order rounded once, as
 * reduce.ts sums a row of the fallback's copy, so the bits are the same.
 */
import { allocF32 } from '../alloc.js';
import { wasmHeap } from '../heap.js';
import { sumOuterInnerKernel } from '../wasm/sum-outer-inner.js';
import { poolFast } from './maxpool-fast.js';

export function sumOuterInner(
  x: Float32Array,
  outer: number,
  size: number,
  inner: number,
): Float32Array {
  const out = allocF32(size, true);
  const heap = wasmHeap();
  const k =
    heap && poolFast && heap.owns(x) && heap.owns(out) ? sumOuterInnerKernel(heap.memory) : null;
  if (k !== null && size > 0) {
    k.sumOI(x.byteOffset, out.byteOffset, outer, size, inner);
    return out;
  }
  for (let b = 0; b < size; b++) {
    let s = 0;
    for (let a = 0; a < outer; a++) {
      const base = (a * size + b) * inner;
      for (let c = 0; c < inner; c++) s += x[base + c];
    }
    out[b] = s;
  }
  return out;
}
