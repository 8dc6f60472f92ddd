/**
 * Softmax cross-entropy on integer labels, one kernel where the backend has the
 * kernels (one dispatch forward, one backward) and otherwise composed as
 * log-softmax, gather and a reduction.
 */
import type { LossReduction, SoftmaxCrossEntropyParams } from '../backend.js';
import { composite, optionalKernel } from '../engine.js';
import { NerveError } from '../errors.js';
import type { Tensor } from '../tensor.js';
import { mul } from './binary.js';
import { gather } from './indexing.js';
import { mean, sum } from './reduce.js';
import { logSoftmax } from './softmax.js';
import { backendOf, contiguousData, record, requireFloat, wrap } from './util.js';
import { reshape } from './views.js';

/** Options of `softmaxCrossEntropy` (PyTorch's cross_entropy names). */
export interface SoftmaxCrossEntropyOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·onehot + ε/C (Szegedy et al. 2016). */
  labelSmoothing?: number;
  /** 'mean' (default) divides the summed row losses by N. */
  reduction?: LossReduction;
}

/**
 * Cross-entropy of logits [N, C] against int32 class indices [N]:
 * loss_i = −(1 − ε)·log softmax(x_i)[y_i] − (ε/C)·Σ_c log softmax(x_i)[c],
 * then averaged, summed or kept per row. The gradient is
 * (softmax(x) − q)·dy with q the smoothed one-hot target. Labels are not
 * range-checked here (that needs a host read); the optional kernels give NaN
 * for a label outside [0, C).
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  labels: Tensor,
  opts: SoftmaxCrossEntropyOptions = {},
): Tensor {
  const op = 'softmaxCrossEntropy';
  const backend = backendOf(op, logits, labels);
  requireFloat(op, logits);
  if (logits.rank !== 2) {
    throw new NerveError(op, 'logits of shape [N, C]', `[${logits.shape.join(',')}]`);
  }
  const [n, c] = logits.shape;
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== n) {
    throw new NerveError(
      op,
      `labels as int32 class indices [${n}]`,
      `a ${labels.dtype} tensor [${labels.shape.join(',')}]`,
    );
  }
  const eps = opts.labelSmoothing ?? 0;
  if (typeof eps !== 'number' || !(eps >= 0 && eps <= 1)) {
    throw new NerveError(op, 'labelSmoothing in [0, 1]', String(eps));
  }
  const reduction = opts.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new NerveError(op, "reduction 'mean', 'sum' or 'none'", String(reduction));
  }
  const fwd = optionalKernel(backend, 'softmaxCrossEntropy');
  const bwd = optionalKernel(backend, 'softmaxCrossEntropyBackward');
  return composite([logits], () => {
    if (!fwd || !bwd || n === 0 || c === 0) {
      return composedCrossEntropy(logits, labels, eps, reduction);
    }
    const p: SoftmaxCrossEntropyParams = {
      rows: n,
      classes: c,
      labelSmoothing: eps,
      reduction,
    };
    // Views share the buffers, so the backward pass still has them if the
    // caller disposes the originals first.
    const x = reshape(logits, [n, c]);
    const y = reshape(labels, [n]);
    const xc = contiguousData(x);
    const yc = contiguousData(y);
    const id = fwd(xc.id, yc.id, p);
    xc.release();
    yc.release();
    const out = wrap(backend, id, reduction === 'none' ? [n] : [], 'float32');
    return record(out, op, [logits], (dy) => {
      x.assertAlive(`${op} backward`);
      const xs = contiguousData(x);
      const ys = contiguousData(y);
      const dys = contiguousData(dy);
      const g = bwd(xs.id, ys.id, dys.id, p);
      xs.release();
      ys.release();
      dys.release();
      return [wrap(backend, g, [n, c], 'float32')];
    });
  });
}

/** The reference composition (the fallback): log-softmax, gather, reduce. */
function composedCrossEntropy(x: Tensor, t: Tensor, eps: number, reduction: LossReduction): Tensor {
  const [n, c] = x.shape;
  const logp = logSoftmax(x, 1);
  let loss = gather(logp, 1, reshape(t, [n, 1]))
    .reshape([n])
    .neg();
  // (1 − ε)·nll + ε·mean_c(−log p), PyTorch's form of the smoothed target.
  if (eps > 0) loss = mul(loss, 1 - eps).sub(mul(sum(logp, 1), eps / c));
  return reduction === 'mean' ? mean(loss) : reduction === 'sum' ? sum(loss) : loss;
}
