/**
 * Elementwise binary ops. Semantics come from core's BINARY_SCALAR table; the
 * arithmetic ops get hand-written rows with a contiguous loop and a loop for
 * a broadcast scalar on either side (bias adds, `x * 0.5`), the most common
 * shapes in training.
 */
import type { BinaryOp, DType, StridedView, TypedArray } from '@nerve/core/backend';
import { BINARY_SCALAR } from '@nerve/core/backend';
import { alloc } from '../alloc.js';
import { valuesOf } from '../buffers.js';
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

// ---- float32 rows ------------------------------------------------------------
// Written out one function per op on purpose: closures from one factory share
// their feedback, and an element access that has seen Float32Array, Int32Array
// and Uint8Array goes polymorphic (several times slower per element). Each
// computes in float64 and stores to float32, exactly like BINARY_SCALAR.
// Comparisons store `+(a > b)`, not `a > b ? 1 : 0`: V8 compiles the ternary
// to a branch, which mispredicts on every other element of random-signed data
// (~1.3 ms instead of ~0.25 ms on [784, 256]).

type F32Row = (
  o: Float32Array,
  oi: number,
  os: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
) => void;

type F32CompareRow = (
  o: Uint8Array,
  oi: number,
  os: number,
  a: Float32Array,
  ai: number,
  as: number,
  b: Float32Array,
  bi: number,
  bs: number,
  n: number,
) => void;

const addF32: F32Row = (o, oi, os, a, ai, as, b, bi, bs, n) => {
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

const subF32: F32Row = (o, oi, os, a, ai, as, b, bi, bs, n) => {
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

const mulF32: F32Row = (o, oi, os, a, ai, as, b, bi, bs, n) => {
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

const divF32: F32Row = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = a[ai + t] / b[bi + t];
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = a[ai] / s;
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = s / b[bi];
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = a[ai] / b[bi];
  }
};

const maximumF32: F32Row = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = Math.max(a[ai + t], b[bi + t]);
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = Math.max(a[ai], s);
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = Math.max(s, b[bi]);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = Math.max(a[ai], b[bi]);
  }
};

const minimumF32: F32Row = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (os === 1 && as === 1 && bs === 1) {
    for (let t = 0; t < n; t++) o[oi + t] = Math.min(a[ai + t], b[bi + t]);
  } else if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = Math.min(a[ai], s);
  } else if (as === 0) {
    const s = a[ai];
    for (let t = 0; t < n; t++, oi += os, bi += bs) o[oi] = Math.min(s, b[bi]);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = Math.min(a[ai], b[bi]);
  }
};

const eqF32: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] === s);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = +(a[ai] === b[bi]);
  }
};

const neF32: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] !== s);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = +(a[ai] !== b[bi]);
  }
};

const ltF32: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] < s);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = +(a[ai] < b[bi]);
  }
};

const leF32: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] <= s);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = +(a[ai] <= b[bi]);
  }
};

const gtF32: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] > s);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = +(a[ai] > b[bi]);
  }
};

const geF32: F32CompareRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  if (bs === 0) {
    const s = b[bi];
    for (let t = 0; t < n; t++, oi += os, ai += as) o[oi] = +(a[ai] >= s);
  } else {
    for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = +(a[ai] >= b[bi]);
  }
};

const F32_ARITH: Partial<Record<BinaryOp, F32Row>> = {
  add: addF32,
  sub: subF32,
  mul: mulF32,
  div: divF32,
  maximum: maximumF32,
  minimum: minimumF32,
};

const F32_COMPARE: Partial<Record<BinaryOp, F32CompareRow>> = {
  eq: eqF32,
  ne: neF32,
  lt: ltF32,
  le: leF32,
  gt: gtF32,
  ge: geF32,
};

export function binary(
  op: BinaryOp,
  a: StridedView,
  b: StridedView,
  shape: readonly number[],
  outDtype: DType,
): TypedArray {
  const size = sizeOf(shape);
  // Every kernel below writes each output element once.
  const out = alloc(outDtype, size, true);
  if (size === 0) return out;
  const av = valuesOf(a.id, 'binary');
  const bv = valuesOf(b.id, 'binary');
  const f = BINARY_SCALAR[op];
  if (f === undefined) throw new Error(`binary: unknown op '${op}'`);
  const it = new RowIter(shape, [denseView(shape), a, b]);
  const { n, base, stride } = it;
  if (av instanceof Float32Array && bv instanceof Float32Array) {
    // float32 rows see only Float32Arrays, so their element accesses stay monomorphic.
    const fast =
      outDtype === 'float32' ? F32_ARITH[op] : outDtype === 'bool' ? F32_COMPARE[op] : undefined;
    if (fast !== undefined) {
      const o = out as Float32Array & Uint8Array;
      for (let r = 0; r < it.rows; r++) {
        fast(o, base[0], stride[0], av, base[1], stride[1], bv, base[2], stride[2], n);
        it.next();
      }
      return out;
    }
  }
  const ints = outDtype === 'int32' && av instanceof Int32Array && bv instanceof Int32Array;
  const row =
    (ints && op === 'mul' && imulRow) ||
    (outDtype !== 'bool' && ROWS[op]) ||
    genericRow(f, outDtype === 'bool');
  for (let r = 0; r < it.rows; r++) {
    row(out, base[0], stride[0], av, base[1], stride[1], bv, base[2], stride[2], n);
    it.next();
  }
  return out;
}
