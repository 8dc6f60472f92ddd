/**
 * The reduction plan every reduction uses, `sum`, and `expand`, which are
 * each other's gradients, and `sumToShape`, the gradient of every op that
 * broadcasts. They sit below the elementwise ops and the other reductions
 * (reduce.ts), which all use them, and use nothing above views.
 *
 * The backend reduces the middle axis of a contiguous [outer, size, inner]
 * buffer. When the reduced axes are adjacent in a contiguous tensor that is a
 * free reshape; otherwise the core permutes them to the end and copies.
 */
import type { ReduceOp } from '../backend.js';
import type { DType } from '../dtype.js';
import { composite, noGrad, optionalKernel } from '../engine.js';
import { NerveError, fmtShape } from '../errors.js';
import { normalizeAxes, shapesEqual, sizeOf, validateShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { cast } from './creation.js';
import { backendOf, contiguousData, record, wrap } from './util.js';
import { permute, reshape } from './views.js';

/** Options of the reductions. */
export interface ReduceOptions {
  /**
   * Keep each reduced axis as size 1, so the result broadcasts against the input (default false).
   */
  keepDims?: boolean;
}

export type Axes = number | readonly number[] | undefined;

/** How a reduction lays the input out for the backend. */
export interface Plan {
  axes: number[];
  /** Input permuted so reduced axes are last (null: no permutation needed). */
  perm: number[] | null;
  outer: number;
  size: number;
  inner: number;
  /** Output shape with reduced axes kept as 1. */
  keptShape: number[];
}

export function plan(x: Tensor, axes: number[]): Plan {
  const keptShape = x.shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const adjacent = axes.length === 0 || axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (adjacent && x.isContiguous) {
    const a0 = axes.length ? axes[0] : x.rank;
    const a1 = axes.length ? axes[axes.length - 1] : x.rank - 1;
    return {
      axes,
      perm: null,
      outer: sizeOf(x.shape.slice(0, a0)),
      size: sizeOf(x.shape.slice(a0, a1 + 1)),
      inner: sizeOf(x.shape.slice(a1 + 1)),
      keptShape,
    };
  }
  const rest = x.shape.map((_, i) => i).filter((i) => !axes.includes(i));
  return {
    axes,
    perm: [...rest, ...axes],
    outer: sizeOf(rest.map((i) => x.shape[i])),
    size: sizeOf(axes.map((i) => x.shape[i])),
    inner: 1,
    keptShape,
  };
}

/** Runs the backend reduction; returns a tensor of the kept (keepDims) shape. */
export function reduceKernel(op: ReduceOp, x: Tensor, p: Plan, outDtype: DType): Tensor {
  const backend = x.backend;
  if (op === 'sum' && p.perm && x.dtype === 'float32') {
    const split = outerInner(x, p.axes);
    const kernel = split && optionalKernel(backend, 'sumOuterInner');
    if (kernel) {
      const c = contiguousData(x);
      try {
        return wrap(backend, kernel(c.id, split), p.keptShape, outDtype);
      } finally {
        c.release();
      }
    }
  }
  const src = p.perm ? noGrad(() => permute(x, p.perm!)) : x;
  const c = contiguousData(src);
  try {
    const id = backend.reduce(op, c.id, {
      dtype: x.dtype,
      outer: p.outer,
      size: p.size,
      inner: p.inner,
    });
    return wrap(backend, id, p.keptShape, outDtype);
  } finally {
    c.release();
    if (src !== x) src.dispose();
  }
}

/**
 * [outer, size, inner] when `axes` are a leading and a trailing run of a
 * contiguous tensor's axes (both non-empty) and the kept axes lie between
 * them, as a bias gradient's [0, 2, 3] of NCHW; otherwise null.
 */
function outerInner(
  x: Tensor,
  axes: number[],
): { outer: number; size: number; inner: number } | null {
  if (!x.isContiguous || x.offset !== 0 || axes.length === 0 || axes[0] !== 0) return null;
  let k0 = 0;
  while (k0 < axes.length && axes[k0] === k0) k0++;
  const rest = axes.slice(k0);
  const k1 = x.rank - rest.length;
  if (rest.length === 0 || k1 <= k0 || rest.some((a, i) => a !== k1 + i)) return null;
  return {
    outer: sizeOf(x.shape.slice(0, k0)),
    size: sizeOf(x.shape.slice(k0, k1)),
    inner: sizeOf(x.shape.slice(k1)),
  };
}

export function finish(t: Tensor, p: Plan, keepDims: boolean | undefined): Tensor {
  if (keepDims) return t;
  return reshape(
    t,
    p.keptShape.filter((_, i) => !p.axes.includes(i)),
  );
}

export function checkNonEmpty(op: string, x: Tensor, p: Plan): void {
  if (p.size === 0 && p.outer * p.inner > 0) {
    throw NerveError.raw(op, `cannot reduce an empty dimension of ${fmtShape(x.shape)}`);
  }
  if (x.size === 0 && p.axes.length === x.rank) {
    throw NerveError.raw(op, `cannot reduce an empty tensor ${fmtShape(x.shape)}`);
  }
}

/** Sum over `axes` (all by default). bool and int32 sum to int32. */
export function sum(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  backendOf('sum', x);
  if (x.dtype === 'bool') return composite([], () => sum(cast(x, 'int32'), axes, opts));
  const ax = normalizeAxes('sum', axes, x.rank);
  const p = plan(x, ax);
  return composite([x], () => {
    const kept = reduceKernel('sum', x, p, x.dtype);
    record(kept, 'sum', [x], (dy) => [expand(dy, x.shape)]);
    return finish(kept, p, opts.keepDims);
  });
}

/** Broadcasts to `shape` without copying (size-1 dims repeat; -1 keeps a dim). */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  backendOf('expand', x);
  if (!Array.isArray(shape) || shape.length < x.rank) {
    throw new NerveError(
      'expand',
      `a shape of rank ≥ ${x.rank}`,
      Array.isArray(shape) ? fmtShape(shape) : String(shape),
    );
  }
  const off = shape.length - x.rank;
  const target = shape.map((d, i) => (d === -1 && i >= off ? x.shape[i - off] : d));
  validateShape('expand', target);
  const strides = target.map((d, i) => {
    if (i < off) return 0;
    const src = x.shape[i - off];
    if (src === d) return x.strides[i - off];
    if (src === 1) return 0;
    throw NerveError.raw('expand', `cannot expand ${fmtShape(x.shape)} to ${fmtShape(target)}`);
  });
  const out = new Tensor(x.storage, target, x.dtype, strides, x.offset);
  return record(out, 'expand', [x], (dy) => [sumToShape(dy, x.shape)]);
}

/** Alias of expand, by TensorFlow's and NumPy's name. */
export const broadcastTo = expand;

/** Sums a broadcast gradient back to `shape` (leading dims and size-1 dims). */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  const s = axes.length ? sum(g, axes, { keepDims: true }) : g;
  return reshape(s, shape);
}
