/**
 * Elementwise unary ops. Semantics come from core's UNARY_SCALAR table; the
 * hottest ops get their own rows so V8 sees one monomorphic loop per op
 * instead of a megamorphic call through the table. Most rows are generated
 * from an op table (elementwise-rows.generated.ts); relu's float32 row (bit
 * tricks) and sigmoid's (two branches) are written here.
 */
import type { DType, StridedView, TypedArray, UnaryOp } from '@nerve/core/backend';
import { UNARY_SCALAR } from '@nerve/core/backend';
import { alloc } from '../alloc.js';
import { valuesOf } from '../buffers.js';
import {
  type F32UnaryRow,
  UNARY_F32_ROWS,
  UNARY_ROWS,
  type UnaryRow,
} from './elementwise-rows.generated.js';
import { reluRow, simdOperands } from './simd-rows.js';
import { denseView, RowIter, sizeOf } from './strided.js';

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

/**
 * ReLU on the float32 bit patterns, without a branch: `v > 0 ? v : 0` as a
 * ternary mispredicts on every other element of random-signed activations
 * (~1.3 ms instead of ~0.3 ms on [784, 256]). The bits i are kept when the
 * float is > 0 (i > 0 as an int32: sign clear, not ±0) or NaN of either sign
 * (|i| above the infinity pattern), as in PyTorch; the rest give +0, as
 * UNARY_SCALAR.relu does. `0x7f800000 − (i & 0x7fffffff)` stays within int32,
 * so its sign bit is exactly the NaN test.
 */
function reluBits(
  o: Int32Array,
  oi: number,
  os: number,
  x: Int32Array,
  xi: number,
  xs: number,
  n: number,
): void {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const i = x[xi];
    o[oi] = i & (((~i & -i) | (0x7f800000 - (i & 0x7fffffff))) >> 31);
  }
}

/** scalar-math's sigmoid inlined: neither branch overflows. */
const sigmoidF32: F32UnaryRow = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    if (v >= 0) {
      o[oi] = 1 / (1 + Math.exp(-v));
    } else {
      const e = Math.exp(v);
      o[oi] = e / (1 + e);
    }
  }
};

/** The float32 rows: generated ones, and sigmoid's two branches written here. */
const F32_ROWS: Partial<Record<UnaryOp, F32UnaryRow>> = { ...UNARY_F32_ROWS, sigmoid: sigmoidF32 };

export function unary(
  op: UnaryOp,
  x: StridedView,
  shape: readonly number[],
  outDtype: DType,
  param = 0,
): TypedArray {
  const size = sizeOf(shape);
  // Every row writes each output element once.
  const out = alloc(outDtype, size, true);
  if (size === 0) return out;
  const xv = valuesOf(x.id, 'unary');
  const f = UNARY_SCALAR[op];
  if (f === undefined) throw new Error(`unary: unknown op '${op}'`);
  const f32 = outDtype === 'float32' && xv instanceof Float32Array;
  if (f32 && op === 'relu') {
    const it = new RowIter(shape, [denseView(shape), x]);
    const { n, base, stride } = it;
    const o = new Int32Array(out.buffer, out.byteOffset, out.length);
    const xi = new Int32Array(xv.buffer, xv.byteOffset, xv.length);
    const simd = simdOperands(out, xv) && stride[0] === 1 && stride[1] === 1;
    for (let r = 0; r < it.rows; r++) {
      // WebAssembly SIMD for the bulk of a contiguous row, bit-identical to reluBits.
      const done = simd ? reluRow(out as Float32Array, base[0], xv, base[1], n) : 0;
      reluBits(o, base[0] + done, stride[0], xi, base[1] + done, stride[1], n - done);
      it.next();
    }
    return out;
  }
  const fast = f32 ? F32_ROWS[op] : undefined;
  if (fast !== undefined) {
    const it = new RowIter(shape, [denseView(shape), x]);
    const { n, base, stride } = it;
    const o = out as Float32Array;
    const xf = xv as Float32Array;
    for (let r = 0; r < it.rows; r++) {
      fast(o, base[0], stride[0], xf, base[1], stride[1], n, param);
      it.next();
    }
    return out;
  }
  // Specialised rows assume the output dtype can hold the op's value as is.
  const ints = outDtype === 'int32' && xv instanceof Int32Array;
  const row =
    (ints && op === 'square' && imulSquareRow) ||
    (outDtype !== 'bool' && UNARY_ROWS[op]) ||
    genericRow(f, outDtype === 'bool');
  const it = new RowIter(shape, [denseView(shape), x]);
  const { n, base, stride } = it;
  for (let r = 0; r < it.rows; r++) {
    row(out, base[0], stride[0], xv, base[1], stride[1], n, param);
    it.next();
  }
  return out;
}
