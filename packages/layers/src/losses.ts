/**
 * Classification losses: cross-entropy, negative log-likelihood and the
 * multiclass hinge (SVM) loss, with PyTorch's definitions and reductions.
 */
import {
  NerveError,
  type Tensor,
  gather,
  logSoftmax,
  mul,
  oneHot,
  relu,
  softmaxCrossEntropy,
  sub,
} from '@nerve/core';
import {
  type Reduction,
  checkReduction,
  classTarget,
  numberIn,
  reduce,
  scores,
  tensorArg,
} from './loss-util.js';
import { run } from './util.js';

/** Options of `crossEntropy` and `CrossEntropyLoss`. */
export interface CrossEntropyOptions {
  /** ε in [0, 1]: the target becomes (1 − ε)·target + ε/C (Szegedy et al. 2016). */
  labelSmoothing?: number;
  /** How the per-row losses are combined: 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/** −log p[target] per sample, from log-probabilities [N, C] and int32 targets [N]. */
function pickedNll(logp: Tensor, target: Tensor): Tensor {
  const n = logp.shape[0];
  return gather(logp, 1, target.reshape([n, 1]))
    .reshape([n])
    .neg();
}

/**
 * Softmax cross-entropy of logits [N, C] against int32 class indices [N] or
 * float32 class probabilities [N, C], as torch.nn.functional.cross_entropy:
 * loss_i = −Σ_c q_ic·log softmax(x_i)_c with q = (1 − ε)·target + ε/C.
 * 'mean' divides by N.
 */
export function crossEntropy(
  logits: Tensor,
  target: Tensor,
  opts: CrossEntropyOptions = {},
): Tensor {
  const op = 'crossEntropy';
  const x = scores(op, 'logits', logits);
  const reduction = checkReduction(op, opts.reduction);
  const eps = numberIn(op, 'labelSmoothing', opts.labelSmoothing ?? 0, 0, 1);
  const [n, c] = x.shape;
  const t = tensorArg(op, 'target', target);
  const probs = t.dtype === 'float32';
  if (probs && t.shape.join() !== x.shape.join()) {
    throw new NerveError(
      op,
      `float32 class probabilities of the logits' shape [${n},${c}] (or int32 indices [${n}])`,
      `a float32 tensor [${t.shape.join(',')}]`,
    );
  }
  if (!probs) {
    classTarget(op, t, n, c);
    // Core's fused kernel where the backend has one (one dispatch forward,
    // one backward), else log-softmax, gather and the reduction.
    return run([x], () => softmaxCrossEntropy(x, t, { labelSmoothing: eps, reduction }));
  }
  return run([x], () => {
    const logp = logSoftmax(x, 1);
    const q = eps > 0 ? mul(t, 1 - eps).add(eps / c) : t;
    return reduce(mul(q, logp).sum(1).neg(), reduction);
  });
}

/** Options of the losses that take only a reduction. */
export interface ReductionOptions {
  /** How the per-element losses are combined: 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/** −logProbs[i, target_i] for log-probabilities [N, C] and int32 targets [N] (torch's nll_loss). */
export function nllLoss(logProbs: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const op = 'nllLoss';
  const x = scores(op, 'logProbs', logProbs);
  const reduction = checkReduction(op, opts.reduction);
  const t = classTarget(op, target, x.shape[0], x.shape[1]);
  return run([x], () => reduce(pickedNll(x, t), reduction));
}

/** Options of `multiMarginLoss` and `MultiMarginLoss`. */
export interface MultiMarginOptions {
  /** The required gap between the true class's score and the others (default 1). */
  margin?: number;
  /** 1 (hinge, default) or 2 (squared hinge). */
  p?: 1 | 2;
  /** How the per-row losses are combined: 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * The multiclass SVM hinge loss (Weston & Watkins 1999; torch.nn.MultiMarginLoss):
 * loss_i = Σ_{j≠y_i} max(0, margin − x_{y_i} + x_j)^p / C.
 */
export function multiMarginLoss(
  logits: Tensor,
  target: Tensor,
  opts: MultiMarginOptions = {},
): Tensor {
  const op = 'multiMarginLoss';
  const x = scores(op, 'logits', logits);
  const reduction = checkReduction(op, opts.reduction);
  const margin = opts.margin ?? 1;
  if (typeof margin !== 'number' || !Number.isFinite(margin)) {
    throw new NerveError(op, 'a finite margin', String(opts.margin));
  }
  const p = opts.p ?? 1;
  if (p !== 1 && p !== 2) throw new NerveError(op, 'p = 1 or 2', String(opts.p));
  const [n, c] = x.shape;
  const t = classTarget(op, target, n, c);
  return run([x], () => {
    const correct = gather(x, 1, t.reshape([n, 1]));
    let h = relu(sub(x, correct).add(margin));
    if (p === 2) h = h.square();
    // The j = y term would always contribute `margin`; PyTorch leaves it out.
    const others = oneHot(t, c).neg().add(1);
    return reduce(mul(h, others).sum(1).div(c), reduction);
  });
}
