/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum
 * (Sutskever et al. 2013) and L2 weight decay: torch.optim.SGD's update.
 */
import { NerveError, type Tensor, add, clone, mul, sub } from '@nerve/core';
import {
  type ParamGroup,
  type ParamState,
  type Params,
  Optimizer,
  type StateSpec,
} from './optimizer.js';
import { checkBool, checkNumber, checkOptions } from './validate.js';

/** SGD options (PyTorch's names, camelCased). */
export interface SGDOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  weightDecay?: number;
  nesterov?: boolean;
}

const KEYS = ['lr', 'momentum', 'dampening', 'weightDecay', 'nesterov'] as const;

/**
 * g ← ∇ + wd·p; with momentum b ← μ·b + (1 − dampening)·g (b = g on the
 * first step), g ← g + μ·b (Nesterov) or b; then p ← p − lr·g.
 */
export class SGD extends Optimizer {
  constructor(params: Params, opts: SGDOptions) {
    const o = checkOptions('SGD', opts, KEYS);
    super(params, {
      lr: o.lr,
      momentum: o.momentum ?? 0,
      dampening: o.dampening ?? 0,
      weightDecay: o.weightDecay ?? 0,
      nesterov: o.nesterov ?? false,
    });
  }

  protected override validateGroup(g: ParamGroup, op: string): void {
    const momentum = checkNumber(op, 'momentum', g.momentum);
    const dampening = checkNumber(op, 'dampening', g.dampening, -Infinity);
    if (checkBool(op, 'nesterov', g.nesterov) && (momentum <= 0 || dampening !== 0)) {
      throw new NerveError(
        op,
        'momentum > 0 and dampening = 0 for Nesterov momentum',
        `momentum ${momentum}, dampening ${dampening}`,
      );
    }
  }

  protected override stateSpec(): StateSpec {
    return { tensors: [], numbers: [], optional: ['momentumBuffer'] };
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup): void {
    const momentum = g.momentum as number;
    let d = g.weightDecay !== 0 ? add(grad, mul(p, g.weightDecay)) : grad;
    if (momentum !== 0) {
      const buf = state.momentumBuffer as Tensor | undefined;
      let b: Tensor;
      if (buf === undefined) {
        b = clone(d).keep();
        state.momentumBuffer = b;
      } else {
        b = buf.assign(add(mul(buf, momentum), mul(d, 1 - (g.dampening as number))));
      }
      d = g.nesterov ? add(d, mul(b, momentum)) : b;
    }
    p.assign(sub(p, mul(d, g.lr)));
  }
}
