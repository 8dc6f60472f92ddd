/**
 * Per-channel mean and variance of [N, C, …] (batch normalization's
 * statistics, Ioffe & Szegedy 2015), in one pass where the backend has
 * the kernel and otherwise composed as two means.
 */
import { composite, optionalKernel } from '../engine.js';
import { NerveError } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { div, mul, sub } from './binary.js';
import { mean, sum } from './reduce.js';
import { square } from './unary.js';
import { backendOf, contiguousData, record, requireFloat, wrap } from './util.js';
import { expand } from './sum-expand.js';
import { reshape } from './views.js';

/** Options of `batchNormStats`. */
export interface BatchNormStatsOptions {
  /** The variance divides by count − correction: 0 biased (default), 1 unbiased. */
  correction?: number;
}

/** Mean and variance per channel, each of shape [C]. */
export interface BatchNormStats {
  /** Per-channel mean [C]. */
  mean: Tensor;
  /** Per-channel variance [C]. */
  variance: Tensor;
}

/**
 * Mean and variance of x [N, C, …] over every axis but 1, per channel. Both
 * results are differentiable: ∂mean/∂x = 1/M and ∂var/∂x = 2(x − μ)/(M − correction),
 * with M = N·(product of the trailing dims).
 */
export function batchNormStats(x: Tensor, opts: BatchNormStatsOptions = {}): BatchNormStats {
  const op = 'batchNormStats';
  const backend = backendOf(op, x);
  requireFloat(op, x);
  if (x.rank < 2) throw new NerveError(op, 'an input of shape [N, C, …]', `[${x.shape}]`);
  const correction = opts.correction ?? 0;
  if (correction !== 0 && correction !== 1) {
    throw new NerveError(op, 'correction 0 or 1', String(correction));
  }
  const c = x.shape[1];
  const outer = x.shape[0];
  const inner = sizeOf(x.shape.slice(2));
  const count = outer * inner;
  const kernel = optionalKernel(backend, 'batchNormStats');
  if (!kernel || x.size === 0) return composedStats(x, correction);
  const xc = contiguousData(x);
  const r = kernel(xc.id, { outer, channels: c, inner, correction });
  xc.release();
  const mu = wrap(backend, r.mean, [c], 'float32');
  const statShape = x.shape.map((d, i) => (i === 1 ? d : 1));
  record(mu, `${op} (mean)`, [x], (dm) => [expand(reshape(div(dm, count), statShape), x.shape)]);
  const variance = composite([x], () => {
    // A view of the mean that the variance owns, so its backward has μ even
    // after the caller disposes the mean.
    const muView = reshape(mu.detach(), statShape);
    const v = wrap(backend, r.variance, [c], 'float32');
    // Σ(x − μ) = 0, so the mean's own dependence on x drops out of ∂var/∂x.
    return record(v, `${op} (variance)`, [x], (dv) => [
      mul(sub(x, muView), reshape(mul(dv, 2 / (count - correction)), statShape)),
    ]);
  });
  return { mean: mu, variance };
}

/** The reference composition (the fallback): two means, as the layer wrote it. */
function composedStats(x: Tensor, correction: number): BatchNormStats {
  const axes = x.shape.map((_, i) => i).filter((i) => i !== 1);
  const c = x.shape[1];
  const count = sizeOf(axes.map((a) => x.shape[a]));
  const mu = mean(x, axes, { keepDims: true });
  const sq = square(sub(x, mu));
  const v =
    correction === 0
      ? mean(sq, axes, { keepDims: true })
      : div(sum(sq, axes, { keepDims: true }), count - correction);
  return { mean: reshape(mu, [c]), variance: reshape(v, [c]) };
}
