/**
 * Optimizer updates as single ops: one dispatch per parameter where the
 * backend has the kernel, otherwise the composition of elementwise ops that
 * torch.optim's update is written as. Both return new tensors (buffers are
 * immutable); the optimizer `assign`s them to the parameter and its state.
 * Run them inside `noGrad`.
 */
import type { AdamUpdateParams, Backend, SgdUpdateParams } from '../backend.js';
import { optionalKernel } from '../engine.js';
import { NerveError } from '../errors.js';
import { shapesEqual } from '../shape.js';
import type { Tensor } from '../tensor.js';
import { add, div, maximum, mul, sub } from './binary.js';
import { contiguousCopy } from './creation.js';
import { sqrt } from './unary.js';
import { backendOf, contiguousData, wrap } from './util.js';

/** SGD hyperparameters (torch.optim.SGD's, camelCased). */
export interface SgdUpdateOptions {
  /** Learning rate. */
  lr: number;
  /** Momentum factor μ (default 0: no momentum buffer). */
  momentum?: number;
  /** Dampening of the gradient added to the momentum buffer (default 0). */
  dampening?: number;
  /** L2 weight decay, added to the gradient as wd·p (default 0). */
  weightDecay?: number;
  /** Nesterov momentum (default false; needs momentum > 0). */
  nesterov?: boolean;
}

/** Result of `sgdUpdate`: the new parameter and momentum buffer (null without momentum). */
export interface SgdUpdateResult {
  /** The updated parameter. */
  param: Tensor;
  /** The updated momentum buffer, or null when momentum is 0. */
  momentumBuffer: Tensor | null;
}

function checkOperands(op: string, param: Tensor, others: (Tensor | null)[]): Backend {
  const backend = backendOf(op, param, ...others.filter((t): t is Tensor => t !== null));
  for (const t of [param, ...others]) {
    if (t === null) continue;
    if (t.dtype !== 'float32' || !shapesEqual(t.shape, param.shape)) {
      throw new NerveError(
        op,
        `float32 tensors of the parameter's shape [${param.shape}]`,
        `a ${t.dtype} tensor [${t.shape}]`,
      );
    }
  }
  return backend;
}

/**
 * One SGD step (Sutskever et al. 2013 for Nesterov): d = g + wd·p;
 * b = μ·b + (1 − dampening)·d, or b = d when `momentumBuffer` is null (the
 * first step); d = d + μ·b (Nesterov) or b; returns p − lr·d and b.
 */
export function sgdUpdate(
  param: Tensor,
  grad: Tensor,
  momentumBuffer: Tensor | null,
  opts: SgdUpdateOptions,
): SgdUpdateResult {
  const op = 'sgdUpdate';
  const backend = checkOperands(op, param, [grad, momentumBuffer]);
  const p: SgdUpdateParams = {
    size: param.size,
    lr: opts.lr,
    momentum: opts.momentum ?? 0,
    dampening: opts.dampening ?? 0,
    weightDecay: opts.weightDecay ?? 0,
    nesterov: opts.nesterov ?? false,
  };
  const kernel = optionalKernel(backend, 'sgdUpdate');
  if (kernel && param.size > 0) {
    const pc = contiguousData(param);
    const gc = contiguousData(grad);
    const bc = momentumBuffer === null ? null : contiguousData(momentumBuffer);
    const r = kernel(pc.id, gc.id, bc?.id ?? null, p);
    pc.release();
    gc.release();
    bc?.release();
    return {
      param: wrap(backend, r.param, param.shape, 'float32'),
      momentumBuffer:
        r.momentumBuffer === null ? null : wrap(backend, r.momentumBuffer, param.shape, 'float32'),
    };
  }
  let d = p.weightDecay !== 0 ? add(grad, mul(param, p.weightDecay)) : grad;
  let b: Tensor | null = null;
  if (p.momentum !== 0) {
    b =
      momentumBuffer === null
        ? contiguousCopy(d)
        : add(mul(momentumBuffer, p.momentum), mul(d, 1 - p.dampening));
    d = p.nesterov ? add(d, mul(b, p.momentum)) : b;
  }
  return { param: sub(param, mul(d, p.lr)), momentumBuffer: b };
}

/** Adam hyperparameters (torch.optim.Adam's, camelCased) plus the step count. */
export interface AdamUpdateOptions {
  /** Learning rate. */
  lr: number;
  /** The pair [β₁, β₂]: decay rates of the first- and second-moment averages. */
  betas: readonly [number, number];
  /** ε added to the denominator for stability. */
  eps: number;
  /** Weight decay (default 0): L2 on the gradient, or decoupled with `decoupledWeightDecay`. */
  weightDecay?: number;
  /** AdamW's decoupled weight decay (Loshchilov & Hutter 2019) instead of L2. */
  decoupledWeightDecay?: boolean;
  /** AMSGrad: divide by the running maximum of the second moment (default false). */
  amsgrad?: boolean;
  /** The 1-based count of this step, for the bias corrections. */
  step: number;
}

/** Result of `adamUpdate`: the new parameter and moments (maxExpAvgSq only with amsgrad). */
export interface AdamUpdateTensors {
  /** The updated parameter. */
  param: Tensor;
  /** The updated first-moment average. */
  expAvg: Tensor;
  /** The updated second-moment average. */
  expAvgSq: Tensor;
  /** The updated running maximum of the second moment with amsgrad, else null. */
  maxExpAvgSq: Tensor | null;
}

/**
 * One Adam step (Kingma & Ba 2015; AMSGrad, Reddi et al. 2018): with
 * d = g (+ wd·p for L2), m = β₁m + (1 − β₁)d, v = β₂v + (1 − β₂)d²,
 * v̂ = max(v̂, v) (amsgrad) or v, returns
 * p − lr/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + eps), with p first scaled by
 * 1 − lr·wd for AdamW.
 */
export function adamUpdate(
  param: Tensor,
  grad: Tensor,
  expAvg: Tensor,
  expAvgSq: Tensor,
  maxExpAvgSq: Tensor | null,
  opts: AdamUpdateOptions,
): AdamUpdateTensors {
  const op = 'adamUpdate';
  const backend = checkOperands(op, param, [grad, expAvg, expAvgSq, maxExpAvgSq]);
  const amsgrad = opts.amsgrad ?? false;
  if (amsgrad && maxExpAvgSq === null) {
    throw new NerveError(op, 'maxExpAvgSq with amsgrad', 'null');
  }
  const [beta1, beta2] = opts.betas;
  const p: AdamUpdateParams = {
    size: param.size,
    lr: opts.lr,
    beta1,
    beta2,
    eps: opts.eps,
    weightDecay: opts.weightDecay ?? 0,
    decoupledWeightDecay: opts.decoupledWeightDecay ?? false,
    amsgrad,
    step: opts.step,
  };
  const kernel = optionalKernel(backend, 'adamUpdate');
  if (kernel && param.size > 0) {
    const ins = [param, grad, expAvg, expAvgSq].map(contiguousData);
    const mc = amsgrad && maxExpAvgSq ? contiguousData(maxExpAvgSq) : null;
    const r = kernel(ins[0].id, ins[1].id, ins[2].id, ins[3].id, mc?.id ?? null, p);
    for (const c of ins) c.release();
    mc?.release();
    const w = (id: object) => wrap(backend, id, param.shape, 'float32');
    return {
      param: w(r.param),
      expAvg: w(r.expAvg),
      expAvgSq: w(r.expAvgSq),
      maxExpAvgSq: r.maxExpAvgSq === null ? null : w(r.maxExpAvgSq),
    };
  }
  let x = param;
  let d = grad;
  if (p.weightDecay !== 0) {
    if (p.decoupledWeightDecay) x = mul(param, 1 - p.lr * p.weightDecay);
    else d = add(grad, mul(param, p.weightDecay));
  }
  const m = add(mul(expAvg, beta1), mul(d, 1 - beta1));
  const v = add(mul(expAvgSq, beta2), mul(mul(d, 1 - beta2), d));
  const biasCorrection1 = 1 - beta1 ** p.step;
  const biasCorrection2 = 1 - beta2 ** p.step;
  const stepSize = p.lr / biasCorrection1;
  const vMax = amsgrad && maxExpAvgSq ? maximum(maxExpAvgSq, v) : null;
  const denom = add(div(sqrt(vMax ?? v), Math.sqrt(biasCorrection2)), p.eps);
  return {
    param: sub(x, mul(div(m, denom), stepSize)),
    expAvg: m,
    expAvgSq: v,
    maxExpAvgSq: vMax,
  };
}
