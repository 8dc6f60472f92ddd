/**
 * Stochastic gradient descent with momentum, dampening, Nesterov momentum
 * (Sutskever et al. 2013) and L2 weight decay: torch.optim.SGD's update.
 */
import { NerveError, type SgdUpdateParams, type Tensor, sgdUpdate } from '@nerve/core';
import {
  type ParamGroup,
  type ParamState,
  type Params,
  Optimizer,
  type StateSpec,
} from './optimizer.js';
import { checkBool, checkNumber, checkOptions } from './validate.js';

/**
 * SGD options (PyTorch's names, camelCased): the hyperparameters of core's
 * SGD update kernel (SgdUpdateParams, where the formula is written), lr
 * required, the others defaulting to 0 / false.
 */
export type SGDOptions = Pick<SgdUpdateParams, 'lr'> &
  Partial<Omit<SgdUpdateParams, 'lr' | 'size'>>;

const KEYS = [
  'lr',
  'momentum',
  'dampening',
  'weightDecay',
  'nesterov',
] as const satisfies readonly (keyof SGDOptions)[];

/** torch.optim.SGD: the update of core's `sgdUpdate` (see SgdUpdateParams) per parameter. */
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
    // One fused dispatch per parameter where the backend has it (core composes
    // the same formula from elementwise ops otherwise).
    const buf = (state.momentumBuffer as Tensor | undefined) ?? null;
    const r = sgdUpdate(p, grad, buf, {
      lr: g.lr,
      momentum: g.momentum as number,
      dampening: g.dampening as number,
      weightDecay: g.weightDecay,
      nesterov: g.nesterov as boolean,
    });
    if (r.momentumBuffer !== null) {
      if (buf === null) state.momentumBuffer = r.momentumBuffer.keep();
      else buf.assign(r.momentumBuffer);
    }
    p.assign(r.param);
  }
}
