/**
 * Selection and layout kernels: where, copy (with dtype conversion) and
 * copyInto. All of them walk strided views through RowIter.
 */
import type { DType, StridedView, TypedArray } from '@nerve/core/backend';
import { alloc } from '../alloc.js';
import { valuesOf } from '../buffers.js';
import { denseView, RowIter, sizeOf } from './strided.js';
import { copyF32 } from '../heap.js';

export function where(
  cond: StridedView,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  dtype: DType,
): TypedArray {
  const size = sizeOf(shape);
  const out = alloc(dtype, size, true);
  if (size === 0) return out;
  const cv = valuesOf(cond.id, 'where');
  const av = valuesOf(a.id, 'where');
  const bv = valuesOf(b.id, 'where');
  const it = new RowIter(shape, [denseView(shape), cond, a, b]);
  const { n, base, stride } = it;
  const [os, cs, as, bs] = stride;
  if (cv instanceof Uint8Array && av instanceof Float32Array && bv instanceof Float32Array) {
    const o = bitsOf(out);
    const ab = bitsOf(av);
    const bb = bitsOf(bv);
    for (let r = 0; r < it.rows; r++) {
      whereBits(o, base[0], os, cv, base[1], cs, ab, base[2], as, bb, base[3], bs, n);
      it.next();
    }
    return out;
  }
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

/** The bit patterns of a float32 array (same memory). */
function bitsOf(v: TypedArray): Int32Array {
  return new Int32Array(v.buffer, v.byteOffset, v.length);
}

/**
 * A float32 where row with a bool condition, selecting bit patterns with a
 * mask: a `c ? a : b` ternary compiles to a branch that mispredicts on random
 * masks (ReLU's backward `where(x > 0, dy, 0)`), about 5× slower. The mask is
 * −1 for any nonzero byte. A branch of stride 0 is a broadcast scalar.
 */
function whereBits(
  o: Int32Array,
  oi: number,
  os: number,
  c: Uint8Array,
  ci: number,
  cs: number,
  a: Int32Array,
  ai: number,
  as: number,
  b: Int32Array,
  bi: number,
  bs: number,
  n: number,
): void {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ci += cs, ai += as) {
      const m = (c[ci] | -c[ci]) >> 31;
      o[oi] = (a[ai] & m) | (s & ~m);
    }
  } else {
    for (let t = 0; t < n; t++, oi += os, ci += cs, ai += as, bi += bs) {
      const m = (c[ci] | -c[ci]) >> 31;
      o[oi] = (a[ai] & m) | (b[bi] & ~m);
    }
  }
}

/** A float32 → float32 strided row: its own function so the accesses stay monomorphic. */
function copyRowF32(
  dst: Float32Array,
  di: number,
  ds: number,
  src: Float32Array,
  si: number,
  ss: number,
  n: number,
): void {
  if (ds === 1 && ss === 1) {
    copyF32(dst, di, src, si, n);
  } else {
    for (let t = 0; t < n; t++, di += ds, si += ss) dst[di] = src[si];
  }
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
  if (dst instanceof Float32Array && src instanceof Float32Array) {
    for (let r = 0; r < it.rows; r++) {
      copyRowF32(dst, base[0], ds, src, base[1], ss, n);
      it.next();
    }
    return;
  }
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
  const size = sizeOf(shape);
  const out = alloc(outDtype, size, true);
  if (size === 0) return out;
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
