/**
 * Regression and binary losses, and the L2 penalty.
 */
import {
  NerveError,
  type Tensor,
  abs,
  add,
  broadcastShapes,
  exp,
  log1p,
  maximum,
  mul,
  neg,
  sub,
  zeros,
} from '@nerve/core';
import { type Reduction, checkReduction, reduce, sameShapeTarget, tensorArg } from './loss-util.js';
import type { ReductionOptions } from './losses.js';
import { run } from './util.js';

/** (pred − target)², reduced (torch's mse_loss); shapes must match exactly. */
export function mseLoss(pred: Tensor, target: Tensor, opts: ReductionOptions = {}): Tensor {
  const op = 'mseLoss';
  const x = tensorArg(op, 'pred', pred);
  if (x.dtype !== 'float32') throw new NerveError(op, 'a float32 pred', `a ${x.dtype} tensor`);
  const y = sameShapeTarget(op, x, target);
  const reduction = checkReduction(op, opts.reduction);
  return run([x, y], () => reduce(sub(x, y).square(), reduction));
}

/** Options of `bceWithLogits` and `BCEWithLogitsLoss`. */
export interface BceWithLogitsOptions {
  /** Weight of the positive term, broadcast over the last dimension (one per class). */
  posWeight?: Tensor | number;
  /** Rescales each element's loss (broadcast to the input's shape). */
  weight?: Tensor;
  /** How the per-element losses are combined: 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

function broadcastable(op: string, name: string, w: Tensor, shape: readonly number[]): void {
  let out: number[] | null = null;
  try {
    out = broadcastShapes(op, w.shape, shape);
  } catch {
    out = null;
  }
  if (!out || out.join() !== shape.join()) {
    throw new NerveError(
      op,
      `${name} broadcastable to the input's shape [${shape.join(',')}]`,
      `[${w.shape.join(',')}]`,
    );
  }
}

/**
 * Binary cross-entropy on logits (torch's binary_cross_entropy_with_logits),
 * in the stable form max(x, 0) − x·y + log(1 + e^(−|x|)); with posWeight pw:
 * (1 − y)·x + (1 + (pw − 1)·y)·(max(−x, 0) + log(1 + e^(−|x|))).
 */
export function bceWithLogits(
  logits: Tensor,
  target: Tensor,
  opts: BceWithLogitsOptions = {},
): Tensor {
  const op = 'bceWithLogits';
  const x = tensorArg(op, 'logits', logits);
  if (x.dtype !== 'float32') throw new NerveError(op, 'float32 logits', `a ${x.dtype} tensor`);
  const y = sameShapeTarget(op, x, target);
  const reduction = checkReduction(op, opts.reduction);
  const pw = opts.posWeight;
  if (typeof pw === 'number') {
    if (!Number.isFinite(pw)) throw new NerveError(op, 'a finite posWeight', String(pw));
  } else if (pw !== undefined) {
    broadcastable(op, 'posWeight', tensorArg(op, 'posWeight', pw), x.shape);
  }
  const w = opts.weight;
  if (w !== undefined) broadcastable(op, 'weight', tensorArg(op, 'weight', w), x.shape);
  return run([x, y], () => {
    // maximum splits its gradient on ties, so at x = 0 the gradient is exactly σ(0) − y.
    const logTerm = log1p(exp(neg(abs(x))));
    let loss: Tensor;
    if (pw === undefined) {
      loss = add(sub(maximum(x, 0), mul(x, y)), logTerm);
    } else {
      const lw = add(mul(y, typeof pw === 'number' ? pw - 1 : sub(pw, 1)), 1);
      loss = add(mul(sub(1, y), x), mul(lw, add(maximum(neg(x), 0), logTerm)));
    }
    if (w !== undefined) loss = mul(loss, w);
    return reduce(loss, reduction);
  });
}

/** ½·λ·Σ‖w‖² over `params` (weight decay written as a loss term). */
export function l2Penalty(params: readonly Tensor[], strength: number): Tensor {
  const op = 'l2Penalty';
  if (!Array.isArray(params)) throw new NerveError(op, 'an array of tensors', String(params));
  if (typeof strength !== 'number' || !Number.isFinite(strength) || strength < 0) {
    throw new NerveError(op, 'a finite strength ≥ 0', String(strength));
  }
  for (const p of params) tensorArg(op, 'parameter', p);
  if (params.length === 0) return zeros([]);
  return run(params, () => {
    let total = params[0].square().sum();
    for (const p of params.slice(1)) total = add(total, p.square().sum());
    return mul(total, strength / 2);
  });
}
