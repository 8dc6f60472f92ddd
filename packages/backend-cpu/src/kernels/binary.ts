/**
 * Elementwise binary ops. Semantics come from core's BINARY_SCALAR table; the
 * arithmetic ops and float32 comparisons get their own rows, one function
 * per op, with a contiguous loop and a loop for a broadcast scalar on either
 * side (bias adds, `x * 0.5`), the most common shapes in training. Those rows
 * are generated from an op table (elementwise-rows.generated.ts, written by
 * codegen/elementwise-rows.ts, which says why V8 needs them written out).
 */
import type { BinaryOp, DType, StridedView, TypedArray } from '@nerve/core/backend';
import { BINARY_SCALAR } from '@nerve/core/backend';
import { alloc } from '../alloc.js';
import { valuesOf } from '../buffers.js';
import {
  BINARY_F32_COMPARE_ROWS,
  BINARY_F32_ROWS,
  BINARY_ROWS,
  type BinaryRow,
} from './elementwise-rows.generated.js';
import { biasAdd } from './bias-add.js';
import { binaryRow, simdOperands } from './simd-rows.js';
import { denseView, RowIter, sizeOf } from './strided.js';

/** int32 × int32: Math.imul wraps modulo 2^32 exactly where a float64 product would round. */
const imulRow: BinaryRow = (o, oi, os, a, ai, as, b, bi, bs, n) => {
  for (let t = 0; t < n; t++, oi += os, ai += as, bi += bs) o[oi] = Math.imul(a[ai], b[bi]);
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
  const size = sizeOf(shape);
  // Every kernel below writes each output element once.
  const out = alloc(outDtype, size, true);
  if (size === 0) return out;
  const av = valuesOf(a.id, 'binary');
  const bv = valuesOf(b.id, 'binary');
  const f = BINARY_SCALAR[op];
  if (f === undefined) throw new Error(`binary: unknown op '${op}'`);
  // A conv bias add in one wasm call (bias-add.ts).
  if (op === 'add' && outDtype === 'float32' && av instanceof Float32Array) {
    if (bv instanceof Float32Array && biasAdd(out as Float32Array, av, a, bv, b, shape)) return out;
  }
  const it = new RowIter(shape, [denseView(shape), a, b]);
  const { n, base, stride } = it;
  if (av instanceof Float32Array && bv instanceof Float32Array) {
    // float32 rows see only Float32Arrays, so their element accesses stay
    // monomorphic. Comparisons store `+(a > b)`, not `a > b ? 1 : 0`: V8
    // compiles the ternary to a branch, which mispredicts on every other
    // element of random-signed data (~1.3 ms instead of ~0.25 ms on [784, 256]).
    const fast =
      outDtype === 'float32'
        ? BINARY_F32_ROWS[op]
        : outDtype === 'bool'
          ? BINARY_F32_COMPARE_ROWS[op]
          : undefined;
    if (fast !== undefined) {
      const o = out as Float32Array & Uint8Array;
      // WebAssembly SIMD for the bulk of contiguous rows (bias adds, gradient
      // sums) when every operand lives in the wasm heap; bit-identical.
      const simd =
        outDtype === 'float32' &&
        (op === 'add' || op === 'sub' || op === 'mul') &&
        stride[0] === 1 &&
        simdOperands(out, av, bv);
      for (let r = 0; r < it.rows; r++) {
        const done = simd
          ? binaryRow(op, o, base[0], av, base[1], stride[1], bv, base[2], stride[2], n)
          : 0;
        const as = stride[1];
        const bs = stride[2];
        fast(
          o,
          base[0] + done,
          1 * stride[0],
          av,
          base[1] + done * as,
          as,
          bv,
          base[2] + done * bs,
          bs,
          n - done,
        );
        it.next();
      }
      return out;
    }
  }
  const ints = outDtype === 'int32' && av instanceof Int32Array && bv instanceof Int32Array;
  const row =
    (ints && op === 'mul' && imulRow) ||
    (outDtype !== 'bool' && BINARY_ROWS[op]) ||
    genericRow(f, outDtype === 'bool');
  for (let r = 0; r < it.rows; r++) {
    row(out, base[0], stride[0], av, base[1], stride[1], bv, base[2], stride[2], n);
    it.next();
  }
  return out;
}
