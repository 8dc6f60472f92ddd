/**
 * Fused optimizer updates: one pass over the parameter instead of the ten or
 * so elementwise ops (and buffers) of core's fallback in ops/optim-update.ts.
 *
 * Results are bit-identical to that fallback, which rounds to float32 after
 * every op and uploads every scalar as a float32 tensor. So each step below is
 * wrapped in Math.fround, scalars are rounded once up front, and the order of
 * operations is the fallback's. Inputs are contiguous from element 0; only
 * the first `p.size` elements are read.
 */
import type { AdamUpdateParams, SgdUpdateParams } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { adamWasm, adamWasmAvailable } from './optim-wasm.js';
import { sgdPool } from './sgd-pool.js';

/** New parameter and momentum buffer (null without momentum) of one SGD step. */
export interface SgdUpdateArrays {
  param: Float32Array;
  momentumBuffer: Float32Array | null;
}

/**
 * One SGD step (Sutskever et al. 2013 for Nesterov), torch.optim.SGD's
 * update: d = g + wd·p; b = μ·b + (1 − dampening)·d, or b = d on the first
 * step (`buf` null); d = d + μ·b (Nesterov) or b; p ← p − lr·d.
 */
export function sgdUpdate(
  param: Float32Array,
  grad: Float32Array,
  buf: Float32Array | null,
  p: SgdUpdateParams,
): SgdUpdateArrays {
  const n = p.size;
  const out = allocF32(n, true);
  const lr = Math.fround(p.lr);
  const wd = Math.fround(p.weightDecay);
  const decay = p.weightDecay !== 0;
  if (p.momentum === 0) {
    if (sgdPool(param, grad, null, out, null, p)) return { param: out, momentumBuffer: null };
    for (let i = 0; i < n; i++) {
      const d = decay ? Math.fround(grad[i] + Math.fround(param[i] * wd)) : grad[i];
      out[i] = param[i] - Math.fround(d * lr);
    }
    return { param: out, momentumBuffer: null };
  }
  const mom = Math.fround(p.momentum);
  const keep = Math.fround(1 - p.dampening);
  const nesterov = p.nesterov;
  const b = allocF32(n, true);
  if (sgdPool(param, grad, buf, out, b, p)) return { param: out, momentumBuffer: b };
  for (let i = 0; i < n; i++) {
    let d = decay ? Math.fround(grad[i] + Math.fround(param[i] * wd)) : grad[i];
    const m = buf === null ? d : Math.fround(Math.fround(buf[i] * mom) + Math.fround(d * keep));
    b[i] = m;
    d = nesterov ? Math.fround(d + Math.fround(m * mom)) : m;
    out[i] = param[i] - Math.fround(d * lr);
  }
  return { param: out, momentumBuffer: b };
}

/** New parameter and moments of one Adam step (maxExpAvgSq only with amsgrad). */
export interface AdamUpdateArrays {
  param: Float32Array;
  expAvg: Float32Array;
  expAvgSq: Float32Array;
  maxExpAvgSq: Float32Array | null;
}

/**
 * One Adam step (Kingma & Ba 2015; AdamW, Loshchilov & Hutter 2019; AMSGrad,
 * Reddi et al. 2018): m = β₁m + (1 − β₁)d, v = β₂v + (1 − β₂)d²,
 * v̂ = max(v̂, v) or v, p ← p − lr/(1 − β₁ᵗ) · m / (√v̂/√(1 − β₂ᵗ) + eps).
 */
export function adamUpdate(
  param: Float32Array,
  grad: Float32Array,
  expAvg: Float32Array,
  expAvgSq: Float32Array,
  maxExpAvgSq: Float32Array | null,
  p: AdamUpdateParams,
): AdamUpdateArrays {
  const n = p.size;
  const { beta1, beta2 } = p;
  const outP = allocF32(n, true);
  const outM = allocF32(n, true);
  const outV = allocF32(n, true);
  const ams = p.amsgrad && maxExpAvgSq !== null ? maxExpAvgSq : null;
  const outMax = ams === null ? null : allocF32(n, true);
  const l2 = p.weightDecay !== 0 && !p.decoupledWeightDecay;
  const decoupled = p.weightDecay !== 0 && p.decoupledWeightDecay;
  const wd = Math.fround(p.weightDecay);
  const shrink = Math.fround(1 - p.lr * p.weightDecay);
  const b1 = Math.fround(beta1);
  const b2 = Math.fround(beta2);
  const c1 = Math.fround(1 - beta1);
  const c2 = Math.fround(1 - beta2);
  // The fallback computes these in float64 and uploads them as float32 scalars.
  const stepSize = Math.fround(p.lr / (1 - beta1 ** p.step));
  const sqrtBc2 = Math.fround(Math.sqrt(1 - beta2 ** p.step));
  const eps = Math.fround(p.eps);
  // Below a few vectors the copies in and out cost more than the loop saves. AMSGrad stays
  // in JS: its max must return Math.max's NaN bits (optim-wasm.ts).
  if (n >= 64 && ams === null && adamWasmAvailable()) {
    const out = { param: outP, expAvg: outM, expAvgSq: outV, max: outMax };
    const scalars = { b1, b2, c1, c2, sqrtBc2, eps, stepSize, wd, shrink };
    adamWasm(param, grad, expAvg, expAvgSq, ams, out, n, p, scalars);
    return { param: outP, expAvg: outM, expAvgSq: outV, maxExpAvgSq: outMax };
  }
  for (let i = 0; i < n; i++) {
    const w = param[i];
    const x = decoupled ? Math.fround(w * shrink) : w;
    const d = l2 ? Math.fround(grad[i] + Math.fround(w * wd)) : grad[i];
    const m = Math.fround(Math.fround(expAvg[i] * b1) + Math.fround(d * c1));
    const v = Math.fround(Math.fround(expAvgSq[i] * b2) + Math.fround(Math.fround(d * c2) * d));
    outM[i] = m;
    outV[i] = v;
    let vHat = v;
    if (ams !== null && outMax !== null) {
      vHat = Math.max(ams[i], v);
      outMax[i] = vHat;
    }
    const denom = Math.fround(Math.fround(Math.fround(Math.sqrt(vHat)) / sqrtBc2) + eps);
    outP[i] = x - Math.fround(Math.fround(m / denom) * stepSize);
  }
  return { param: outP, expAvg: outM, expAvgSq: outV, maxExpAvgSq: outMax };
}
