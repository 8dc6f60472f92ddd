/**
 * Adagrad (Duchi, Hazan & Singer 2011) with learning-rate decay and an
 * initial accumulator value: torch.optim.Adagrad's update.
 */
import { type Tensor, add, div, fullLike, mul, sqrt, sub } from '@nerve/core';
import {
  type ParamGroup,
  type ParamState,
  type Params,
  Optimizer,
  type StateSpec,
  stateTensor,
} from './optimizer.js';
import { checkNumber, checkOptions } from './validate.js';

/** Adagrad options (PyTorch's names, camelCased). */
export interface AdagradOptions {
  /** Learning rate. */
  lr?: number;
  /** Decay of the lr with the step count t: lr / (1 + (t − 1)·lrDecay). */
  lrDecay?: number;
  /** L2 weight decay, added to the gradient as wd·p. */
  weightDecay?: number;
  /** Starting value of the per-element sum of squared gradients. */
  initialAccumulatorValue?: number;
  /** Added to the denominator's square root for stability. */
  eps?: number;
}

const KEYS = ['lr', 'lrDecay', 'weightDecay', 'initialAccumulatorValue', 'eps'] as const;

/**
 * t ← t + 1; g ← ∇ + wd·p; clr = lr / (1 + (t − 1)·lrDecay);
 * s ← s + g²; p ← p − clr·g / (√s + eps).
 */
export class Adagrad extends Optimizer {
  constructor(params: Params, opts: AdagradOptions = {}) {
    const o = checkOptions('Adagrad', opts, KEYS);
    super(params, {
      lr: o.lr ?? 1e-2,
      lrDecay: o.lrDecay ?? 0,
      weightDecay: o.weightDecay ?? 0,
      initialAccumulatorValue: o.initialAccumulatorValue ?? 0,
      eps: o.eps ?? 1e-10,
    });
  }

  protected override validateGroup(g: ParamGroup, op: string): void {
    checkNumber(op, 'lrDecay', g.lrDecay);
    checkNumber(op, 'initialAccumulatorValue', g.initialAccumulatorValue);
    checkNumber(op, 'eps', g.eps);
  }

  protected override stateSpec(): StateSpec {
    return { tensors: ['sum'], numbers: ['step'], optional: [] };
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup): void {
    const sum = stateTensor(state, 'sum', () => fullLike(p, g.initialAccumulatorValue as number));
    const step = ((state.step as number | undefined) ?? 0) + 1;
    state.step = step;
    const d = g.weightDecay !== 0 ? add(grad, mul(p, g.weightDecay)) : grad;
    const clr = g.lr / (1 + (step - 1) * (g.lrDecay as number));
    sum.assign(add(sum, mul(d, d)));
    const std = add(sqrt(sum), g.eps as number);
    p.assign(sub(p, mul(div(d, std), clr)));
  }
}
