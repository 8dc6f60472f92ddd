/**
 * Adam (Kingma & Ba 2015) with AMSGrad (Reddi et al. 2018), and AdamW with
 * decoupled weight decay (Loshchilov & Hutter 2019): torch.optim.Adam's and
 * torch.optim.AdamW's updates.
 */
import {
  type AdamUpdateParams,
  NerveError,
  type Tensor,
  adamUpdate,
  zerosLike,
  describeValue,
} from '@nerve/core';
import {
  type ParamGroup,
  type ParamState,
  type Params,
  Optimizer,
  type StateSpec,
  stateTensor,
} from './optimizer.js';
import { checkBool, checkNumber, checkOptions } from './validate.js';

/**
 * Adam and AdamW options (PyTorch's names, camelCased): the hyperparameters
 * of core's Adam update kernel (AdamUpdateParams), with β₁ and β₂ as
 * PyTorch's `betas` pair; all optional (defaults below).
 */
export type AdamOptions = Partial<
  Pick<AdamUpdateParams, 'lr' | 'eps' | 'weightDecay' | 'amsgrad'>
> & {
  /** The pair [β₁, β₂]: decay rates of the first- and second-moment averages. */
  betas?: readonly [AdamUpdateParams['beta1'], AdamUpdateParams['beta2']];
};

const KEYS = [
  'lr',
  'betas',
  'eps',
  'weightDecay',
  'amsgrad',
] as const satisfies readonly (keyof AdamOptions)[];

function checkBetas(op: string, betas: unknown): [number, number] {
  if (!Array.isArray(betas) || betas.length !== 2) {
    throw new NerveError(op, 'betas to be a pair [beta1, beta2]', describeValue(betas));
  }
  for (const [i, b] of betas.entries()) {
    if (typeof b !== 'number' || !(b >= 0 && b < 1)) {
      throw new NerveError(op, `betas[${i}] to be in [0, 1)`, describeValue(b));
    }
  }
  return betas as [number, number];
}

/** The moment updates and step shared by Adam and AdamW. */
abstract class AdamBase extends Optimizer {
  protected override validateGroup(g: ParamGroup, op: string): void {
    checkBetas(op, g.betas);
    checkNumber(op, 'eps', g.eps);
    checkBool(op, 'amsgrad', g.amsgrad);
  }

  protected override stateSpec(): StateSpec {
    return { tensors: ['expAvg', 'expAvgSq'], numbers: ['step'], optional: ['maxExpAvgSq'] };
  }

  /**
   * m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; p ← p − lr/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + eps),
   * with weight decay as L2 (Adam) or decoupled (AdamW): one fused dispatch
   * per parameter where the backend has it.
   */
  protected adamStep(
    p: Tensor,
    grad: Tensor,
    state: ParamState,
    g: ParamGroup,
    decoupled: boolean,
  ): void {
    const expAvg = stateTensor(state, 'expAvg', () => zerosLike(p));
    const expAvgSq = stateTensor(state, 'expAvgSq', () => zerosLike(p));
    const maxSq = g.amsgrad ? stateTensor(state, 'maxExpAvgSq', () => zerosLike(p)) : null;
    const step = ((state.step as number | undefined) ?? 0) + 1;
    const r = adamUpdate(p, grad, expAvg, expAvgSq, maxSq, {
      lr: g.lr,
      betas: g.betas as [number, number],
      eps: g.eps as number,
      weightDecay: g.weightDecay,
      decoupledWeightDecay: decoupled,
      amsgrad: g.amsgrad as boolean,
      step,
    });
    state.step = step;
    expAvg.assign(r.expAvg);
    expAvgSq.assign(r.expAvgSq);
    if (maxSq !== null && r.maxExpAvgSq !== null) maxSq.assign(r.maxExpAvgSq);
    p.assign(r.param);
  }
}

/** Adam; weightDecay adds wd·p to the gradient (L2), as torch.optim.Adam. */
export class Adam extends AdamBase {
  constructor(params: Params, opts: AdamOptions = {}) {
    const o = checkOptions('Adam', opts, KEYS);
    super(params, {
      lr: o.lr ?? 1e-3,
      betas: o.betas ?? [0.9, 0.999],
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? 0,
      amsgrad: o.amsgrad ?? false,
    });
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup): void {
    this.adamStep(p, grad, state, g, false);
  }
}

/** AdamW: p ← p·(1 − lr·wd) before the Adam step (decoupled weight decay; default wd 1e-2). */
export class AdamW extends AdamBase {
  constructor(params: Params, opts: AdamOptions = {}) {
    const o = checkOptions('AdamW', opts, KEYS);
    super(params, {
      lr: o.lr ?? 1e-3,
      betas: o.betas ?? [0.9, 0.999],
      eps: o.eps ?? 1e-8,
      weightDecay: o.weightDecay ?? 1e-2,
      amsgrad: o.amsgrad ?? false,
    });
  }

  protected override update(p: Tensor, grad: Tensor, state: ParamState, g: ParamGroup): void {
    this.adamStep(p, grad, state, g, true);
  }
}
