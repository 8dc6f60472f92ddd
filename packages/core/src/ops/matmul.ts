/**
 * Batched matrix multiplication with NumPy's matmul broadcasting rules.
 *
 * Transposed operands are passed to the backend as flags, not copied, so the
 * gradient products (dY·Bᵀ and Aᵀ·dY) read their inputs in place.
 */
import type { DataId } from '../backend.js';
import { composite } from '../engine.js';
import { NerveError, fmtShape } from '../errors.js';
import { broadcastShapes, broadcastStrides, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { sumToShape } from './sum-expand.js';
import { backendOf, record, wrap } from './util.js';
import { squeeze, transpose, unsqueeze } from './views.js';

interface Operand {
  id: DataId;
  trans: boolean;
  batchStride: number;
  release: () => void;
}

/**
 * How the backend can read `t` as `batch` matrices of rows × cols: in place
 * when the matrices are row-major or transposed and evenly spaced (or one
 * matrix broadcast), otherwise through a contiguous copy.
 */
function layout(t: Tensor, batchShape: readonly number[], rows: number, cols: number): Operand {
  const full = [...batchShape, rows, cols];
  const strides = broadcastStrides(t.shape, t.strides, full);
  const r = full.length;
  const [sr, sc] = [strides[r - 2], strides[r - 1]];
  const normal = (sc === 1 || cols <= 1) && (sr === cols || rows <= 1);
  const transposed = (sr === 1 || rows <= 1) && (sc === rows || cols <= 1);
  const batchStrides = strides.slice(0, r - 2);
  const broadcastBatch = batchStrides.every((s, i) => s === 0 || batchShape[i] === 1);
  let expected = rows * cols;
  let evenly = true;
  for (let i = batchShape.length - 1; i >= 0; i--) {
    if (batchShape[i] === 1) continue;
    if (batchStrides[i] !== expected) evenly = false;
    expected *= batchShape[i];
  }
  if (t.offset === 0 && (normal || transposed) && (broadcastBatch || evenly)) {
    return {
      id: t.storage.id,
      trans: !normal,
      batchStride: broadcastBatch ? 0 : rows * cols,
      release: () => {},
    };
  }
  const b = t.backend;
  const id = b.copy(
    { id: t.storage.id, strides, offset: t.offset },
    { shape: full, inDtype: t.dtype, outDtype: t.dtype },
  );
  return {
    id,
    trans: false,
    batchStride: sizeOf(batchShape) > 1 ? rows * cols : 0,
    release: () => b.free(id),
  };
}

/** The batched product of operands of rank ≥ 2 (no vector promotion). */
function matmulNd(a: Tensor, b: Tensor): Tensor {
  const backend = backendOf('matmul', a, b);
  const [m, k] = a.shape.slice(-2);
  const [k2, n] = b.shape.slice(-2);
  if (k !== k2) {
    throw NerveError.raw(
      'matmul',
      `${fmtShape(a.shape)} @ ${fmtShape(b.shape)}: inner dimensions ${k} and ${k2} differ`,
    );
  }
  let batchShape: number[];
  try {
    batchShape = broadcastShapes('matmul', a.shape.slice(0, -2), b.shape.slice(0, -2));
  } catch {
    throw NerveError.raw(
      'matmul',
      `${fmtShape(a.shape)} @ ${fmtShape(b.shape)}: batch dimensions ${fmtShape(a.shape.slice(0, -2))} and ${fmtShape(b.shape.slice(0, -2))} cannot be broadcast`,
    );
  }
  const batch = sizeOf(batchShape);
  const la = layout(a, batchShape, m, k);
  const lb = layout(b, batchShape, k, n);
  let id: DataId;
  try {
    id = backend.matmul(la.id, lb.id, {
      batch,
      m,
      k,
      n,
      transA: la.trans,
      transB: lb.trans,
      aBatchStride: la.batchStride,
      bBatchStride: lb.batchStride,
    });
  } finally {
    la.release();
    lb.release();
  }
  const out = wrap(backend, id, [...batchShape, m, n], 'float32');
  // An operand stored transposed (a weight used as W.mT, as Linear does) gets
  // its gradient computed in its storage layout, (dyᵀ·a)ᵀ instead of aᵀ·dy:
  // the same product, but the transpose view's own backward then hands the
  // leaf a contiguous buffer it can adopt without a copy.
  const plain = a.rank === 2 && b.rank === 2;
  const aTrans = plain && la.trans;
  const bTrans = plain && lb.trans;
  return record(out, 'matmul', [a, b], (dy) => [
    !a.requiresGrad
      ? null
      : aTrans
        ? transpose(matmulNd(b, transpose(dy)))
        : sumToShape(matmulNd(dy, transpose(b)), a.shape),
    !b.requiresGrad
      ? null
      : bTrans
        ? transpose(matmulNd(transpose(dy), a))
        : sumToShape(matmulNd(transpose(a), dy), b.shape),
  ]);
}

/**
 * Matrix product with NumPy semantics: 1-D operands are promoted to a row
 * (left) or column (right) vector and the added dimension removed; leading
 * dimensions broadcast. float32 only.
 */
export function matmul(a: Tensor, b: Tensor): Tensor {
  backendOf('matmul', a, b);
  for (const t of [a, b]) {
    if (t.dtype !== 'float32')
      throw new NerveError('matmul', 'float32 tensors', `a ${t.dtype} tensor`);
    if (t.rank === 0)
      throw new NerveError('matmul', 'tensors of rank ≥ 1', `a scalar ${fmtShape(t.shape)}`);
  }
  if (a.rank >= 2 && b.rank >= 2) return matmulNd(a, b);
  if (a.shape[a.rank - 1] !== b.shape[Math.max(b.rank - 2, 0)]) {
    throw NerveError.raw(
      'matmul',
      `${fmtShape(a.shape)} @ ${fmtShape(b.shape)}: inner dimensions ${a.shape[a.rank - 1]} and ${b.shape[Math.max(b.rank - 2, 0)]} differ`,
    );
  }
  return composite([a, b], () => {
    const a2 = a.rank === 1 ? unsqueeze(a, 0) : a;
    const b2 = b.rank === 1 ? unsqueeze(b, 1) : b;
    let out = matmulNd(a2, b2);
    if (b.rank === 1) out = squeeze(out, -1);
    if (a.rank === 1) out = squeeze(out, out.rank === 1 && b.rank === 1 ? 0 : -2);
    return out;
  });
}
