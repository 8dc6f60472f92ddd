/**
 * Training-mode batch normalization (Ioffe & Szegedy 2015) as one op: three
 * optional-kernel dispatches (statistics, normalize, and a backward that yields dx,
 * dweight and dbias together) where the backend has the kernels, otherwise
 * composed from batchNormStats and elementwise ops so autograd derives the
 * gradient.
 */
import type { BatchNormParams } from '../backend.js';
import { composite, noGrad, optionalKernel } from '../engine.js';
import { NerveError } from '../errors.js';
import { sizeOf } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { batchNormStats } from './batchnorm-stats.js';
import { add, mul, sub } from './binary.js';
import { rsqrt } from './unary.js';
import { backendOf, contiguousData, record, requireFloat, wrap } from './util.js';
import { reshape } from './views.js';

/** Result of `batchNormTrain`: the output and the batch statistics it used. */
export interface BatchNormTrainResult {
  /** The normalised, scaled and shifted output, x's shape. */
  y: Tensor;
  /** Per-channel batch mean [C]. */
  mean: Tensor;
  /** Per-channel biased batch variance [C]. */
  variance: Tensor;
  /** The updated running mean [C], when `running` was given. */
  runningMean: Tensor | null;
  /** The updated running (unbiased) variance [C], when `running` was given. */
  runningVariance: Tensor | null;
}

/** Running averages to update in the same pass (PyTorch's momentum rule). */
export interface BatchNormRunning {
  /** The running mean buffer [C]. */
  mean: Tensor;
  /** The running variance buffer [C]. */
  variance: Tensor;
  /** Weight of this batch's statistic, in [0, 1]. */
  momentum: number;
}

/**
 * y = (x − μ)/√(σ² + eps)·weight + bias per channel (axis 1) of x [N, C, …],
 * with μ and the biased σ² of this batch; weight and bias are [C] or null.
 * Differentiable in x, weight and bias, through the statistics too. The
 * returned statistics are for running averages (update them under noGrad).
 */
export function batchNormTrain(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  running: BatchNormRunning | null = null,
): BatchNormTrainResult {
  const op = 'batchNormTrain';
  const params = [weight, bias].filter((t): t is Tensor => t !== null);
  const backend = backendOf(op, x, ...params);
  requireFloat(op, x);
  if (x.rank < 2) throw new NerveError(op, 'an input of shape [N, C, …]', `[${x.shape}]`);
  const c = x.shape[1];
  for (const t of [...params, ...(running ? [running.mean, running.variance] : [])]) {
    if (t.dtype !== 'float32' || t.shape.join() !== String(c)) {
      throw new NerveError(
        op,
        `float32 weight and bias of shape [${c}]`,
        `a ${t.dtype} [${t.shape}]`,
      );
    }
  }
  const p: BatchNormParams = {
    outer: x.shape[0],
    channels: c,
    inner: sizeOf(x.shape.slice(2)),
    eps,
  };
  const statsK = optionalKernel(backend, 'batchNormStats');
  const fwd = optionalKernel(backend, 'batchNormForward');
  const bwd = optionalKernel(backend, 'batchNormBackward');
  if (!statsK || !fwd || !bwd || x.size === 0) {
    return composedBatchNorm(x, weight, bias, eps, running);
  }
  const xc = contiguousData(x);
  const rm = running ? contiguousData(running.mean) : null;
  const rv = running ? contiguousData(running.variance) : null;
  const s = statsK(
    xc.id,
    { outer: p.outer, channels: c, inner: p.inner, correction: 0 },
    running ? { mean: rm!.id, variance: rv!.id, momentum: running.momentum } : null,
  );
  rm?.release();
  rv?.release();
  const mean = wrap(backend, s.mean, [c], 'float32');
  const variance = wrap(backend, s.variance, [c], 'float32');
  const runningMean = s.runningMean ? wrap(backend, s.runningMean, [c], 'float32') : null;
  const runningVariance = s.runningVariance
    ? wrap(backend, s.runningVariance, [c], 'float32')
    : null;
  const ids = params.map(contiguousData);
  const yId = fwd(
    xc.id,
    s.mean,
    s.variance,
    weight ? ids[0].id : null,
    bias ? ids[weight ? 1 : 0].id : null,
    p,
  );
  xc.release();
  for (const i of ids) i.release();
  const y = composite([x, ...params], () => {
    // Views the output owns, so its backward still has the statistics (and
    // the input and weight) after the caller disposes them.
    const keepX = x.detach();
    const keepMean = mean.detach();
    const keepVar = variance.detach();
    const keepW = weight?.detach() ?? null;
    const out = wrap(backend, yId, x.shape, 'float32');
    return record(out, op, [x, ...params], (dy) => {
      const a = contiguousData(keepX);
      const d = contiguousData(dy);
      const w = keepW ? contiguousData(keepW) : null;
      const g = bwd(a.id, d.id, keepMean.storage.id, keepVar.storage.id, w?.id ?? null, p);
      a.release();
      d.release();
      w?.release();
      const grads = [wrap(backend, g.dx, x.shape, 'float32')];
      const dw = wrap(backend, g.dweight, [c], 'float32');
      const db = wrap(backend, g.dbias, [c], 'float32');
      if (weight) grads.push(dw);
      else dw.dispose();
      if (bias) grads.push(db);
      else db.dispose();
      return grads;
    });
  });
  return { y, mean, variance, runningMean, runningVariance };
}

/** The reference composition (the fallback), as BatchNorm wrote it. */
function composedBatchNorm(
  x: Tensor,
  weight: Tensor | null,
  bias: Tensor | null,
  eps: number,
  running: BatchNormRunning | null,
): BatchNormTrainResult {
  const statShape = x.shape.map((d, i) => (i === 1 ? d : 1));
  const s = batchNormStats(x);
  const mu = reshape(s.mean, statShape);
  const v = reshape(s.variance, statShape);
  let y = mul(sub(x, mu), rsqrt(add(v, eps)));
  if (weight) y = mul(y, reshape(weight, statShape));
  if (bias) y = add(y, reshape(bias, statShape));
  if (!running)
    return { y, mean: s.mean, variance: s.variance, runningMean: null, runningVariance: null };
  // running ← (1 − m)·running + m·batch, with the unbiased batch variance.
  const count = x.size / x.shape[1];
  const m = running.momentum;
  const blend = (r: Tensor, b: Tensor) => add(mul(r, 1 - m), mul(b, m));
  const [runningMean, runningVariance] = noGrad(() => [
    blend(running.mean, s.mean),
    blend(running.variance, mul(s.variance, count / (count - 1))),
  ]);
  return { y, mean: s.mean, variance: s.variance, runningMean, runningVariance };
}
