/**
 * Elementwise unary ops. Semantics come from core's UNARY_SCALAR table; the
 * hottest ops get hand-written rows so V8 sees one monomorphic loop per op
 * instead of a megamorphic call through the table.
 */
import type { DType, StridedView, TypedArray, UnaryOp } from '@nerve/core';
import { typedArrayFor, UNARY_SCALAR } from '@nerve/core';
import { valuesOf } from './buffers.js';
import { denseView, RowIter, sizeOf } from './strided.js';

/** Writes `n` outputs at o[oi + t*os] from x[xi + t*xs]. */
type UnaryRow = (
  o: TypedArray,
  oi: number,
  os: number,
  x: TypedArray,
  xi: number,
  xs: number,
  n: number,
  p: number,
) => void;

const sigmoid = UNARY_SCALAR.sigmoid;

const ROWS: Partial<Record<UnaryOp, UnaryRow>> = {
  neg: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = -x[xi];
  },
  abs: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = Math.abs(x[xi]);
  },
  exp: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = Math.exp(x[xi]);
  },
  log: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = Math.log(x[xi]);
  },
  sqrt: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = Math.sqrt(x[xi]);
  },
  square: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) {
      const v = x[xi];
      o[oi] = v * v;
    }
  },
  relu: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) {
      const v = x[xi];
      o[oi] = v > 0 ? v : 0;
    }
  },
  tanh: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = Math.tanh(x[xi]);
  },
  sigmoid: (o, oi, os, x, xi, xs, n) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = sigmoid(x[xi], 0);
  },
};

/** int32 squares wrap modulo 2^32 exactly, like int32 multiplication (see binary.ts). */
const imulSquareRow: UnaryRow = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = Math.imul(x[xi], x[xi]);
};

function genericRow(f: (x: number, p: number) => number, toBool: boolean): UnaryRow {
  if (toBool) {
    return (o, oi, os, x, xi, xs, n, p) => {
      for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = f(x[xi], p) !== 0 ? 1 : 0;
    };
  }
  return (o, oi, os, x, xi, xs, n, p) => {
    for (let t = 0; t < n; t++, oi += os, xi += xs) o[oi] = f(x[xi], p);
  };
}

export function unary(
  op: UnaryOp,
  x: StridedView,
  shape: readonly number[],
  outDtype: DType,
  param = 0,
): TypedArray {
  const out = typedArrayFor(outDtype, sizeOf(shape));
  if (out.length === 0) return out;
  const xv = valuesOf(x.id, 'unary');
  const f = UNARY_SCALAR[op];
  if (f === undefined) throw new Error(`unary: unknown op '${op}'`);
  // Specialised rows assume the output dtype can hold the op's value as is.
  const ints = outDtype === 'int32' && xv instanceof Int32Array;
  const row =
    (ints && op === 'square' && imulSquareRow) ||
    (outDtype !== 'bool' && ROWS[op]) ||
    genericRow(f, outDtype === 'bool');
  const it = new RowIter(shape, [denseView(shape), x]);
  const { n, base, stride } = it;
  for (let r = 0; r < it.rows; r++) {
    row(out, base[0], stride[0], xv, base[1], stride[1], n, param);
    it.next();
  }
  return out;
}
