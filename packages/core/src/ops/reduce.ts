/**
 * Reductions over axes: prod, mean, max, min, argmax, argmin, and the
 * composites var, std and logSumExp. `sum` and the reduction plan they
 * share live one level down, in sum-expand.ts, because the elementwise
 * ops' gradients need them; they are re-exported here.
 */
import { composite, noGrad } from '../engine.js';
import { normalizeAxes, normalizeAxis, sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, lt, mul, sub } from './binary.js';
import { cast } from './creation.js';
import {
  type Axes,
  type ReduceOptions,
  checkNonEmpty,
  expand,
  finish,
  plan,
  reduceKernel,
  sum,
} from './sum-expand.js';
import { abs, exp, log, sqrt, square } from './unary.js';
import { backendOf, contiguousData, record, wrap } from './util.js';
import { permute, reshape } from './views.js';
import { where } from './where.js';

export { sum, sumToShape, type ReduceOptions } from './sum-expand.js';

/** Product over `axes`. The gradient divides by x, so it is defined where x ≠ 0. */
export function prod(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  backendOf('prod', x);
  if (x.dtype === 'bool') return composite([], () => prod(cast(x, 'int32'), axes, opts));
  const ax = normalizeAxes('prod', axes, x.rank);
  const p = plan(x, ax);
  return composite([x], () => {
    const kept = reduceKernel('prod', x, p, x.dtype);
    record(kept, 'prod', [x], (dy) => [div(mul(expand(dy, x.shape), expand(kept, x.shape)), x)]);
    return finish(kept, p, opts.keepDims);
  });
}

/** Mean over `axes`; integer inputs are averaged in float32. */
export function mean(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  backendOf('mean', x);
  const ax = normalizeAxes('mean', axes, x.rank);
  const count = sizeOf(ax.map((a) => x.shape[a]));
  return composite([x], () => {
    const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
    return div(sum(xf, ax, opts), count);
  });
}

/**
 * Max (or min) over axes. The gradient goes to the first extreme element of
 * each reduced group (PyTorch's rule for max along a dimension).
 */
function extreme(op: 'max' | 'min', x: Tensor, axes: Axes, opts: ReduceOptions): Tensor {
  backendOf(op, x);
  const ax = normalizeAxes(op, axes, x.rank);
  const p = plan(x, ax);
  checkNonEmpty(op, x, p);
  return composite([x], () => {
    const kept = reduceKernel(op, x, p, x.dtype);
    record(kept, op, [x], (dy) => {
      const idx = reduceKernel(op === 'max' ? 'argmax' : 'argmin', x, p, 'int32');
      const backend = x.backend;
      const dyc = contiguousData(dy);
      const iv = { id: idx.storage.id, strides: [p.inner, p.inner, 1], offset: 0 };
      const id = backend.scatterAdd(iv, dyc.id, {
        dtype: dy.dtype,
        outer: p.outer,
        axisSize: p.size,
        indexSize: 1,
        inner: p.inner,
      });
      dyc.release();
      idx.dispose();
      // The scattered gradient is laid out like the (possibly permuted) input.
      const layoutShape = p.perm ? p.perm.map((a) => x.shape[a]) : x.shape;
      const g = wrap(backend, id, layoutShape, dy.dtype);
      if (!p.perm) return [g];
      const inverse = new Array<number>(x.rank);
      p.perm.forEach((a, i) => {
        inverse[a] = i;
      });
      return [permute(g, inverse)];
    });
    return finish(kept, p, opts.keepDims);
  });
}

/** Maximum over `axes` (all when omitted). */
export const max = (x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor =>
  extreme('max', x, axes, opts);
/** Minimum over `axes` (all when omitted). */
export const min = (x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor =>
  extreme('min', x, axes, opts);

function argExtreme(
  op: 'argmax' | 'argmin',
  x: Tensor,
  axis?: number,
  opts: ReduceOptions = {},
): Tensor {
  backendOf(op, x);
  if (axis === undefined) {
    // Over the flattened tensor, as PyTorch does without a dim.
    return composite([], () => argExtreme(op, reshape(x, [x.size]), 0, opts));
  }
  const a = normalizeAxis(op, axis, x.rank);
  const p = plan(x, [a]);
  checkNonEmpty(op, x, p);
  return composite([], () => finish(reduceKernel(op, x, p, 'int32'), p, opts.keepDims));
}

/** Index of the first maximum along `axis` (of the flattened tensor when omitted), int32. */
export const argmax = (x: Tensor, axis?: number, opts?: ReduceOptions): Tensor =>
  argExtreme('argmax', x, axis, opts);
/** Index of the first minimum along `axis` (of the flattened tensor when omitted), int32. */
export const argmin = (x: Tensor, axis?: number, opts?: ReduceOptions): Tensor =>
  argExtreme('argmin', x, axis, opts);

/** Options of `variance` and `std`. */
export interface VarianceOptions extends ReduceOptions {
  /** Subtracted from the count in the divisor: 1 (default) is Bessel's correction, as in PyTorch. */
  correction?: number;
}

/** Variance over axes: Σ(x − mean)² / (N − correction). */
export function variance(x: Tensor, axes?: Axes, opts: VarianceOptions = {}): Tensor {
  backendOf('var', x);
  const ax = normalizeAxes('var', axes, x.rank);
  const n = sizeOf(ax.map((a) => x.shape[a]));
  const correction = opts.correction ?? 1;
  return composite([x], () => {
    const xf = x.dtype === 'float32' ? x : cast(x, 'float32');
    const centered = sub(xf, mean(xf, ax, { keepDims: true }));
    return div(sum(square(centered), ax, { keepDims: opts.keepDims }), Math.max(n - correction, 0));
  });
}

/** Standard deviation: the square root of `variance`. */
export function std(x: Tensor, axes?: Axes, opts: VarianceOptions = {}): Tensor {
  backendOf('std', x);
  return composite([x], () => sqrt(variance(x, axes, opts)));
}

/** log Σ exp(x) over axes, computed stably by subtracting the maximum first. */
export function logSumExp(x: Tensor, axes?: Axes, opts: ReduceOptions = {}): Tensor {
  backendOf('logSumExp', x);
  const ax = normalizeAxes('logSumExp', axes, x.rank);
  return composite([x], () => {
    // The shift is a constant for the gradient: d/dx is softmax either way.
    // An infinite maximum is replaced by 0 (as PyTorch does), so rows of ±∞
    // give ±∞ instead of ∞ − ∞ = NaN.
    const m = noGrad(() => {
      const mx = max(x, ax, { keepDims: true });
      return where(lt(abs(mx), Number.POSITIVE_INFINITY), mx, 0);
    });
    const r = add(log(sum(exp(sub(x, m)), ax, { keepDims: true })), m);
    return opts.keepDims
      ? r
      : reshape(
          r,
          r.shape.filter((_, i) => !ax.includes(i)),
        );
  });
}
