/**
 * RMSprop (Tieleman & Hinton 2012, lecture 6.5), optionally centered
 * (Graves 2013) and with momentum: torch.optim.RMSprop's update.
 */
import { type Tensor, add, div, mul, sqrt, sub, zerosLike } from '@nerve/core';
import {
  type ParamGroup,
  type ParamState,
  type Params,
  Optimizer,
  type StateSpec,
  stateTensor,
} from './optimizer.js';
import { checkBool, checkNumber, checkOptions } from './validate.js';

/** RMSprop options (PyTorch's names, camelCased). */
export interface RMSpropOptions {
  /** Learning rate. */
  lr?: number;
  /** Smoothing constant α of the running mean of squared gradients. */
  alpha?: number;
  /** Added to the denominator's square root for stability. */
  eps?: number;
  /** L2 weight decay, added to the gradient as wd·p. */
  weightDecay?: number;
  /** Momentum factor on the scaled update (0: none). */
  momentum?: number;
  /** Centred RMSprop: divide by the estimated variance (mean of g² minus the squared mean of g). */
  centered?: boolean;
}

const KEYS = ['lr', 'alpha', 'eps', 'weightDecay', 'momentum', 'centered'] as const;

/**
 * g ← ∇ + wd·p; v ← α·v + (1 − α)·g²; centered: ḡ ← α·ḡ + (1 − α)·g and
 * v̂ = v − ḡ², else v̂ = v; with momentum b ← μ·b + g/(√v̂ + eps), p ← p − lr·b;
 * without, p ← p − lr·g/(√v̂ + eps).
 */
export class RMSprop extends Optimizer {
  constructor(params: Params, opts: RMSpropOptions = {}) {
    const o = checkOptions('RMSprop', opts, KEYS);
    super(params, {
      lr: o.lr ?? 1e-2,
      alpha: o.alpha ?? 0.99,
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? 0,
      momentum: o.momentum ?? 0,
      centered: o.centered ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup, op: string): void {
    checkNumber(op, 'alpha', g.alpha);
    checkNumber(op, 'eps', g.eps);
    checkNumber(op, 'momentum', g.momentum);
    checkBool(op, 'centered', g.centered);
  }

  protected override stateSpec(): StateSpec {
    return {
      tensors: ['squareAvg'],
      numbers: ['step'],
      optional: ['momentumBuffer', 'gradAvg'],
    };
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup): void {
    const alpha = g.alpha as number;
    const momentum = g.momentum as number;
    const squareAvg = stateTensor(state, 'squareAvg', () => zerosLike(p));
    state.step = ((state.step as number | undefined) ?? 0) + 1;
    const d = g.weightDecay !== 0 ? add(grad, mul(p, g.weightDecay)) : grad;
    squareAvg.assign(add(mul(squareAvg, alpha), mul(mul(d, 1 - alpha), d)));
    let avg: Tensor;
    if (g.centered) {
      const gradAvg = stateTensor(state, 'gradAvg', () => zerosLike(p));
      gradAvg.assign(add(mul(gradAvg, alpha), mul(d, 1 - alpha)));
      avg = sqrt(sub(squareAvg, mul(gradAvg, gradAvg)));
    } else {
      avg = sqrt(squareAvg);
    }
    avg = add(avg, g.eps as number);
    if (momentum > 0) {
      const buf = stateTensor(state, 'momentumBuffer', () => zerosLike(p));
      buf.assign(add(mul(buf, momentum), div(d, avg)));
      p.assign(sub(p, mul(buf, g.lr)));
    } else {
      p.assign(sub(p, mul(div(d, avg), g.lr)));
    }
  }
}
