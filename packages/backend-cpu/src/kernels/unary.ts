/**
 * Elementwise unary ops. Semantics come from core's UNARY_SCALAR table; the
 * hottest ops get hand-written rows so V8 sees one monomorphic loop per op
 * instead of a megamorphic call through the table.
 */
import type { DType, StridedView, TypedArray, UnaryOp } from '@nerve/core/backend';
import { UNARY_SCALAR } from '@nerve/core/backend';
import { alloc } from '../alloc.js';
import { valuesOf } from '../buffers.js';
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
      o[oi] = v > 0 || Number.isNaN(v) ? v : 0;
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

// ---- float32 rows ------------------------------------------------------------
// One function per op, used only for float32 → float32, so every element
// access stays monomorphic (see binary.ts). Each expression is UNARY_SCALAR's,
// computed in float64 and stored to float32.

type F32Row = (
  o: Float32Array,
  oi: number,
  os: number,
  x: Float32Array,
  xi: number,
  xs: number,
  n: number,
  p: number,
) => void;

const negF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = -v;
  }
};

const absF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = Math.abs(v);
  }
};

const expF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = Math.exp(v);
  }
};

const logF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = Math.log(v);
  }
};

const sqrtF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = Math.sqrt(v);
  }
};

const squareF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = v * v;
  }
};

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

const leakyReluF32: F32Row = (o, oi, os, x, xi, xs, n, p) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = v > 0 ? v : p * v;
  }
};

const tanhF32: F32Row = (o, oi, os, x, xi, xs, n) => {
  for (let t = 0; t < n; t++, oi += os, xi += xs) {
    const v = x[xi];
    o[oi] = Math.tanh(v);
  }
};

/** scalar-math's sigmoid inlined: neither branch overflows. */
const sigmoidF32: F32Row = (o, oi, os, x, xi, xs, n) => {
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

const F32_ROWS: Partial<Record<UnaryOp, F32Row>> = {
  neg: negF32,
  abs: absF32,
  exp: expF32,
  log: logF32,
  sqrt: sqrtF32,
  square: squareF32,
  leakyRelu: leakyReluF32,
  tanh: tanhF32,
  sigmoid: sigmoidF32,
};

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
    for (let r = 0; r < it.rows; r++) {
      reluBits(o, base[0], stride[0], xi, base[1], stride[1], n);
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
