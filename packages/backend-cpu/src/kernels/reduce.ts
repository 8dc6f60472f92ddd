/**
 * Reductions over the middle axis of a contiguous [outer, size, inner] buffer.
 *
 * Results are computed in a float64 buffer (so float32 sums accumulate in
 * double precision and int32 sums stay exact below 2^53) and converted to the
 * output dtype once at the end. For inner > 1 the loops run across `inner`,
 * reading memory in order instead of striding down each column.
 */
import type { DType, ReduceOp, TypedArray } from '@nerve/core/backend';
import { alloc, allocF32, allocFrom } from '../alloc.js';
import { reduceSimdDisabled, sumF32Into } from './reduce-simd.js';

export function reduce(
  op: ReduceOp,
  x: TypedArray,
  dtype: DType,
  outer: number,
  size: number,
  inner: number,
): TypedArray {
  const count = outer * inner;
  // An empty output needs no identity (the core reduces e.g. [0, 0] along either axis).
  if (size === 0 && count > 0 && op !== 'sum' && op !== 'prod') {
    throw new Error(`reduce: ${op} over an axis of size 0 has no identity`);
  }
  if (op === 'sum' && x instanceof Float32Array && dtype === 'float32' && !reduceSimdDisabled()) {
    // SIMD on heap blocks (reduce-simd.ts); the JS path there adds in the same order.
    const out = allocF32(count, true);
    sumF32Into(x, out, outer, size, inner);
    return out;
  }
  const res = new Float64Array(count);
  switch (op) {
    case 'sum':
      if (x instanceof Float32Array) sumF32(x, outer, size, inner, res);
      else sum(x, outer, size, inner, res);
      return allocFrom(res, dtype);
    case 'prod':
      prod(x, outer, size, inner, res, dtype === 'int32');
      return allocFrom(res, dtype);
    case 'max':
    case 'min':
      extreme(x, outer, size, inner, op === 'max' ? 1 : -1, res, null);
      return allocFrom(res, dtype);
    case 'argmax':
    case 'argmin': {
      const idx = alloc('int32', count) as Int32Array;
      extreme(x, outer, size, inner, op === 'argmax' ? 1 : -1, res, idx);
      return idx;
    }
    default:
      throw new Error(`reduce: unknown op '${op as string}'`);
  }
}

function sum(x: TypedArray, outer: number, size: number, inner: number, res: Float64Array): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    if (inner === 1) {
      let s = 0;
      for (let j = 0; j < size; j++) s += x[base + j];
      res[o] = s;
      continue;
    }
    const r0 = o * inner;
    for (let j = 0; j < size; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) res[r0 + i] += x[row + i];
    }
  }
}

/**
 * `sum` again, only ever called with a Float32Array: bias gradients sum float32
 * every step, and sharing one function with int32/bool inputs makes its loads
 * polymorphic (see binary.ts).
 */
function sumF32(
  x: Float32Array,
  outer: number,
  size: number,
  inner: number,
  res: Float64Array,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    if (inner === 1) {
      let s = 0;
      for (let j = 0; j < size; j++) s += x[base + j];
      res[o] = s;
      continue;
    }
    const r0 = o * inner;
    for (let j = 0; j < size; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) res[r0 + i] += x[row + i];
    }
  }
}

/** int32 products wrap modulo 2^32 (Math.imul) like integer hardware, instead of rounding. */
function prod(
  x: TypedArray,
  outer: number,
  size: number,
  inner: number,
  res: Float64Array,
  wrapInt: boolean,
): void {
  res.fill(1);
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    const r0 = o * inner;
    for (let j = 0; j < size; j++) {
      const row = base + j * inner;
      if (wrapInt) {
        for (let i = 0; i < inner; i++) res[r0 + i] = Math.imul(res[r0 + i], x[row + i]);
      } else {
        for (let i = 0; i < inner; i++) res[r0 + i] *= x[row + i];
      }
    }
  }
}

/**
 * max/min and their arg versions. `sign` = -1 turns min into a max of negated
 * values (exact for every float, NaN included). NaN is the extreme, as in
 * PyTorch; ties and repeated NaNs keep the first index.
 */
function extreme(
  x: TypedArray,
  outer: number,
  size: number,
  inner: number,
  sign: number,
  res: Float64Array,
  idx: Int32Array | null,
): void {
  for (let o = 0; o < outer; o++) {
    const base = o * size * inner;
    if (inner === 1) {
      let m = sign * x[base];
      let at = 0;
      for (let j = 1; j < size && !Number.isNaN(m); j++) {
        const v = sign * x[base + j];
        if (v > m || Number.isNaN(v)) {
          m = v;
          at = j;
        }
      }
      res[o] = sign * m;
      if (idx !== null) idx[o] = at;
      continue;
    }
    const r0 = o * inner;
    for (let i = 0; i < inner; i++) res[r0 + i] = sign * x[base + i];
    for (let j = 1; j < size; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) {
        const m = res[r0 + i];
        const v = sign * x[row + i];
        // Once NaN is found it stays, with its first index.
        if (!Number.isNaN(m) && (v > m || Number.isNaN(v))) {
          res[r0 + i] = v;
          if (idx !== null) idx[r0 + i] = j;
        }
      }
    }
    for (let i = 0; i < inner; i++) res[r0 + i] *= sign;
  }
}
