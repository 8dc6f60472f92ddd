/**
 * Elementwise binary ops. Semantics come from core's BINARY_SCALAR table; the
 * arithmetic ops get hand-written rows with a contiguous loop and a loop for
 * a broadcast scalar on either side (bias adds, `x * 0.5`), the most common
 * shapes in training.
 */
import type { BinaryOp, DType, StridedView, TypedArray } from '@nerve/core';
import { BINARY_SCALAR, typedArrayFor } from '@nerve/core';
import { valuesOf } from './buffers.js';
import { denseView, RowIter, sizeOf } from './strided.js';

/** Writes `n` outputs at o[oi + t*os] from a[ai + t*as] and b[bi + t*bs]. */
type BinaryRow = (
  o: TypedArray,
  oi: number,
  os: number,
  a: TypedArray,
  ai: number,
  as: number,
  b: TypedArray,
  bi: number,
  bs: number,
  n: number,
) => void;

const addRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = a[ai + t] + b[bi + t];
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = a[ai] + s;
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = s + b[bi];
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = a[ai] + b[bi];
  }
};

const subRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = a[ai + t] - b[bi + t];
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = a[ai] - s;
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = s - b[bi];
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = a[ai] - b[bi];
  }
};

const mulRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = a[ai + t] * b[bi + t];
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = a[ai] * s;
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = s * b[bi];
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = a[ai] * b[bi];
  }
};

const divRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = a[ai + t] / b[bi + t];
  } else if (bs === 0) {
    // Dividing (not multiplying by 1/s) keeps results bit-identical to BINARY_SCALAR.div.
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = a[ai] / s;
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = a[ai] / b[bi];
  }
};

/** int32 × int32: Math.imul wraps modulo 2^32 exactly where a float64 product would round. */
const imulRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = Math.imul(a[ai], b[bi]);
};

const ROWS: Partial<Record<BinaryOp, BinaryRow>> = {
  add: addRow,
  sub: subRow,
  mul: mulRow,
  div: divRow,
};

function genericRow(f: (a: number, b: number) => number, toBool: boolean): BinaryRow {
  if (toBool) {
    return (o, oi, os, a, ai, as, b, bi, bs, n) => {
      for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) {
        o[oi] = f(a[ai], b[bi]) !== 0 ? 1 : 0;
      }
    };
  }
  return (o, oi, os, a, ai, as, b, bi, bs, n) => {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = f(a[ai], b[bi]);
  };
}

export function binary(
  op: BinaryOp,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  outDtype: DType,
): TypedArray {
  const out = typedArrayFor(outDtype, sizeOf(shape));
  if (out.length === 0) return out;
  const av = valuesOf(a.id, 'binary');
  const bv = valuesOf(b.id, 'binary');
  const f = BINARY_SCALAR[op];
  if (f === undefined) throw new Error(`binary: unknown op '${op}'`);
  const ints = outDtype === 'int32' && av instanceof Int32Array && bv instanceof Int32Array;
  const row =
    (ints && op === 'mul' && imulRow) ||
    (outDtype !== 'bool' && ROWS[op]) ||
    genericRow(f, outDtype === 'bool');
  const it = new RowIter(shape, [denseView(shape), a, b]);
  const { n, base, stride } = it;
  for (let r = 0; r < it.rows; r++) {
    row(out, base[0], stride[0], av, base[1], stride[1], bv, base[2], stride[2], n);
    it.next();
  }
  return out;
}
