/**
 * gather and its adjoint scatterAdd along the middle axis of
 * [outer, axisSize, inner] (see GatherParams). The index is an int32 view over
 * [outer, indexSize, inner] read through its strides,
 * so a broadcast or transposed index needs no copy.
 */
import type { GatherParams, StridedView, TypedArray } from '@nerve/core/backend';
import { alloc, allocFrom } from '../alloc.js';
import { valuesOf } from '../buffers.js';

function indexArray(view: StridedView, op: string): Int32Array {
  const v = valuesOf(view.id, op);
  if (!(v instanceof Int32Array)) {
    throw new Error(`${op}: the index must be an int32 buffer, received ${v.constructor.name}`);
  }
  if (view.strides.length !== 3) {
    throw new Error(
      `${op}: the index view needs 3 strides for [outer, m, inner], received ${view.strides.length}`,
    );
  }
  return v;
}

function outOfRange(op: string, k: number, n: number): Error {
  return new Error(`${op}: index ${k} is out of range [0, ${n})`);
}

/** out[o, j, i] = x[o, index[o, j, i], i]. */
export function gather(x: TypedArray, index: StridedView, p: GatherParams): TypedArray {
  const { dtype, outer, axisSize: n, indexSize: m, inner } = p;
  // Every element is written below (or the call throws).
  const out = alloc(dtype, outer * m * inner, true);
  if (out.length === 0) return out;
  const idx = indexArray(index, 'gather');
  const [s0, s1, s2] = index.strides;
  let o = 0;
  for (let a = 0; a < outer; a++) {
    const xb = a * n * inner;
    for (let j = 0; j < m; j++) {
      const ib = index.offset + a * s0 + j * s1;
      for (let i = 0; i < inner; i++, o++) {
        const k = idx[ib + i * s2];
        if (k < 0 || k >= n) throw outOfRange('gather', k, n);
        out[o] = x[xb + k * inner + i];
      }
    }
  }
  return out;
}

/** Sums in float64 so repeated indices do not round at every addition. */
export function scatterAdd(index: StridedView, src: TypedArray, p: GatherParams): TypedArray {
  const { dtype, outer, axisSize: n, indexSize: m, inner } = p;
  const size = outer * n * inner;
  // The float64 accumulator is scratch reused across calls: a fresh one
  // (6 MB for a max-pool gradient of [64,16,28,28]) cost more in page faults
  // than the scatter itself.
  if (accScratch.length < size) accScratch = new Float64Array(size);
  const acc = accScratch.subarray(0, size);
  acc.fill(0);
  if (outer * m * inner > 0) {
    const idx = indexArray(index, 'scatterAdd');
    scatterInto(acc, idx, index, src, outer, m, n, inner);
  }
  return allocFrom(acc, dtype);
}

let accScratch = new Float64Array(0);

/** acc[a, index[a, j, i], i] += src[a, j, i], with the index range checked. */
function scatterInto(
  acc: Float64Array,
  idx: Int32Array,
  index: StridedView,
  src: TypedArray,
  outer: number,
  m: number,
  n: number,
  inner: number,
): void {
  const [s0, s1, s2] = index.strides;
  let o = 0;
  for (let a = 0; a < outer; a++) {
    const db = a * n * inner;
    for (let j = 0; j < m; j++) {
      const ib = index.offset + a * s0 + j * s1;
      for (let i = 0; i < inner; i++, o++) {
        const k = idx[ib + i * s2];
        if (k < 0 || k >= n) throw outOfRange('scatterAdd', k, n);
        acc[db + k * inner + i] += src[o];
      }
    }
  }
}
