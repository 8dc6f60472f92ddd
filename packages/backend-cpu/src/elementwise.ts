/**
 * Selection and layout kernels: where, copy (with dtype conversion) and
 * copyInto. All of them walk strided views through RowIter.
 */
import type { DType, StridedView, TypedArray } from '@nerve/core';
import { typedArrayFor } from '@nerve/core';
import { valuesOf } from './buffers.js';
import { denseView, RowIter, sizeOf } from './strided.js';

export function where(
  cond: StridedView,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  dtype: DType,
): TypedArray {
  const out = typedArrayFor(dtype, sizeOf(shape));
  if (out.length === 0) return out;
  const cv = valuesOf(cond.id, 'where');
  const av = valuesOf(a.id, 'where');
  const bv = valuesOf(b.id, 'where');
  const it = new RowIter(shape, [denseView(shape), cond, a, b]);
  const { n, base, stride } = it;
  const [os, cs, as, bs] = stride;
  for (let r = 0; r < it.rows; r++) {
    let oi = base[0];
    let ci = base[1];
    let ai = base[2];
    let bi = base[3];
    for (let t = 0; t < n; t++, oi += os, ci += cs, ai += as, bi += bs) {
      out[oi] = cv[ci] !== 0 ? av[ai] : bv[bi];
    }
    it.next();
  }
  return out;
}

/** Copies src (strided) into dst (strided); a bool destination stores 0/1. */
function walkCopy(
  dst: TypedArray,
  dstView: { strides: readonly number[]; offset: number },
  src: TypedArray,
  srcView: { strides: readonly number[]; offset: number },
  shape: readonly number[],
  toBool: boolean,
): void {
  const it = new RowIter(shape, [dstView, srcView]);
  const { n, base, stride } = it;
  const ds = stride[0];
  const ss = stride[1];
  const sameType = dst.constructor === src.constructor;
  for (let r = 0; r < it.rows; r++) {
    let di = base[0];
    let si = base[1];
    if (toBool) {
      for (let t = 0; t < n; t++, di += ds, si += ss) dst[di] = src[si] !== 0 ? 1 : 0;
    } else if (ds === 1 && ss === 1) {
      // A memcpy pays off for long rows of one element type; subarray allocates.
      if (n >= 64 && sameType) dst.set(src.subarray(si, si + n), di);
      else for (let t = 0; t < n; t++) dst[di + t] = src[si + t];
    } else {
      for (let t = 0; t < n; t++, di += ds, si += ss) dst[di] = src[si];
    }
    it.next();
  }
}

/** Materialises a view as a new contiguous buffer, converting between dtypes. */
export function copy(
  x: StridedView,
  shape: readonly number[],
  inDtype: DType,
  outDtype: DType,
): TypedArray {
  const out = typedArrayFor(outDtype, sizeOf(shape));
  if (out.length === 0) return out;
  const xv = valuesOf(x.id, 'copy');
  // bool → bool is already 0/1; only a narrowing into bool needs the test.
  const toBool = outDtype === 'bool' && inDtype !== 'bool';
  walkCopy(out, denseView(shape), xv, x, shape, toBool);
  return out;
}

export function copyInto(
  dst: StridedView,
  src: StridedView,
  shape: readonly number[],
  _dtype: DType,
): void {
  if (sizeOf(shape) === 0) return;
  walkCopy(valuesOf(dst.id, 'copyInto'), dst, valuesOf(src.id, 'copyInto'), src, shape, false);
}
