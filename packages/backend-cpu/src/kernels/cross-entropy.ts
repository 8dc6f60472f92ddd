/**
 * Softmax cross-entropy on int32 labels (core's optional kernels
 * softmaxCrossEntropy / softmaxCrossEntropyBackward), forward and backward in
 * one pass each. The composed path (ops/cross-entropy.ts) runs log-softmax,
 * gather, negation, the reduction and, backward, their gradients: about ten
 * kernels and as many buffers for what is one loop over [rows, classes]. On
 * small models that per-op cost is the step (the digits MLP's loss is 32×10).
 *
 * Per row, in float64, stabilised by the row maximum m, s = Σ exp(x − m):
 *   loss = (1 − ε)·(log s − (x_y − m)) + ε·(log s − Σ(x − m)/C)
 *   dx   = g·(exp(x − m)/s − (1 − ε)·[c = y] − ε/C)
 * Math.exp and Math.log are the same calls softmax.ts makes (the scalar exp
 * is kept on purpose: at these row lengths it is a few µs a step, and a
 * polynomial would change the bits the composed path and softmax.ts give).
 * A NaN in the row or a label outside [0, C) makes the row's loss and
 * gradient NaN, as in the WebGPU kernel. Row losses are summed in float64 in
 * row order, so the result is the same on every run and thread count.
 */
import type { DataId, SoftmaxCrossEntropyParams } from '@nerve/core/backend';
import { NerveError } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { valuesOf } from '../buffers.js';
import { rowStatsSimd, softmaxSimd } from './softmax-simd.js';

/** The int32 labels behind an id. */
export function i32Of(id: DataId, op: string): Int32Array {
  const v = valuesOf(id, op);
  if (!(v instanceof Int32Array)) throw new NerveError(op, 'int32 labels', v.constructor.name);
  return v;
}

/** Row maximum, or NaN when the row holds a NaN. */
function rowMax(x: Float32Array, base: number, c: number): number {
  let m = Number.NEGATIVE_INFINITY;
  for (let j = 0; j < c; j++) {
    const v = x[base + j];
    if (v > m) m = v;
    else if (Number.isNaN(v)) return Number.NaN;
  }
  return m;
}

/** Σ exp(x − m) over a row, in float64. */
function rowExpSum(x: Float32Array, base: number, c: number, m: number): number {
  let s = 0;
  for (let j = 0; j < c; j++) s += Math.exp(x[base + j] - m);
  return s;
}

/** One row's loss; `st` holds the rows' m and s from the SIMD pass (rows of ≥ 32 classes). */
function rowLoss(
  x: Float32Array,
  label: number,
  base: number,
  c: number,
  eps: number,
  st: { m: Float64Array; s: Float64Array } | null,
  r: number,
): number {
  if (!(label >= 0 && label < c)) return Number.NaN;
  const m = st ? st.m[r] : rowMax(x, base, c);
  if (Number.isNaN(m)) return Number.NaN;
  const logS = Math.log(st ? st.s[r] : rowExpSum(x, base, c, m));
  const picked = logS - (x[base + label] - m);
  if (eps === 0) return picked;
  let shifted = 0;
  for (let j = 0; j < c; j++) shifted += x[base + j] - m;
  return (1 - eps) * picked + eps * (logS - shifted / c);
}

/** Row losses [rows] ('none') or their sum or mean (one element). */
export function softmaxCrossEntropy(
  x: Float32Array,
  labels: Int32Array,
  p: SoftmaxCrossEntropyParams,
): Float32Array {
  const { rows, classes: c, labelSmoothing: eps } = p;
  // Rows of ≥ 32 classes: m and s from the SIMD pass (polynomial exp, softmax-simd.ts's bound).
  const st = rowStatsSimd(x, rows, c);
  if (p.reduction === 'none') {
    const out = allocF32(rows, true);
    for (let r = 0; r < rows; r++) out[r] = rowLoss(x, labels[r], r * c, c, eps, st, r);
    return out;
  }
  let total = 0;
  for (let r = 0; r < rows; r++) total += rowLoss(x, labels[r], r * c, c, eps, st, r);
  const out = allocF32(1, true);
  out[0] = p.reduction === 'mean' ? total / rows : total;
  return out;
}

/** Scratch for one row's exponentials, grown to the longest row seen. */
let exps = new Float64Array(16);

/** dx [rows, classes] for the upstream gradient dy ([rows] for 'none', else one element). */
export function softmaxCrossEntropyBackward(
  x: Float32Array,
  labels: Int32Array,
  dy: Float32Array,
  p: SoftmaxCrossEntropyParams,
): Float32Array {
  const { rows, classes: c, labelSmoothing: eps } = p;
  const dx = allocF32(rows * c, true);
  const off = eps / c;
  const on = 1 - eps + off;
  const scale = p.reduction === 'mean' ? 1 / rows : 1;
  // Rows of ≥ 32 classes: the SIMD softmax into dx, then dx = g·(p − q) in place (one
  // more float32 rounding of p than the loop below: ≤ |g|·ulp(p)/2 more error).
  if (softmaxSimd(x, dx, rows, c, false)) {
    for (let r = 0; r < rows; r++) {
      const base = r * c;
      const label = labels[r];
      const g = (p.reduction === 'none' ? dy[r] : dy[0]) * scale;
      if (!(label >= 0 && label < c)) {
        dx.fill(Number.NaN, base, base + c);
        continue;
      }
      for (let j = 0; j < c; j++) dx[base + j] = g * (dx[base + j] - (j === label ? on : off));
    }
    return dx;
  }
  for (let r = 0; r < rows; r++) {
    const base = r * c;
    const label = labels[r];
    const g = (p.reduction === 'none' ? dy[r] : dy[0]) * scale;
    const m = label >= 0 && label < c ? rowMax(x, base, c) : Number.NaN;
    if (Number.isNaN(m)) {
      dx.fill(Number.NaN, base, base + c);
      continue;
    }
    // exp(x − m) once per element (kept unrounded for the division).
    const e = exps.length >= c ? exps : (exps = new Float64Array(c));
    let s = 0;
    for (let j = 0; j < c; j++) {
      const v = Math.exp(x[base + j] - m);
      e[j] = v;
      s += v;
    }
    for (let j = 0; j < c; j++) {
      const q = j === label ? on : off;
      dx[base + j] = g * (e[j] / s - q);
    }
  }
  return dx;
}
