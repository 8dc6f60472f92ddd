/**
 * Batch normalization's optional kernels (core's optional-kernels.ts:
 * batchNormStats, batchNormForward, batchNormBackward) on [outer, channels,
 * inner] float32 data, contiguous from element 0: one or two passes each
 * instead of core's fallback chain of elementwise ops, reductions and copies
 * (and the intermediates autograd keeps for them). Per-channel sums are
 * accumulated in float64, so the results are at least as accurate as the
 * fallback's float32 reductions.
 */
import type { BatchNormParams, BatchNormStatsParams } from '@nerve/core/backend';
import { allocF32 } from '../alloc.js';
import { backwardSimd, forwardSimd } from './batchnorm-simd.js';

/** Per-channel mean and variance (divided by count − correction), and the running averages when given. */
export interface BatchNormStatsArrays {
  mean: Float32Array;
  variance: Float32Array;
  runningMean?: Float32Array;
  runningVariance?: Float32Array;
}

/**
 * Mean and variance per channel in two passes (the second over x − mean, as
 * the fallback computes it); with `running`, PyTorch's running averages:
 * r·(1 − m) + batch·m, the variance made unbiased (count − 1).
 */
export function batchNormStats(
  x: Float32Array,
  p: BatchNormStatsParams,
  running: { mean: Float32Array; variance: Float32Array; momentum: number } | null,
): BatchNormStatsArrays {
  const { outer, channels: c, inner } = p;
  const count = outer * inner;
  const sums = new Float64Array(c);
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      let s = 0;
      for (let i = 0; i < inner; i++) s += x[base + i];
      sums[ch] += s;
    }
  }
  const mu = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) mu[ch] = sums[ch] / count;
  const sq = new Float64Array(c);
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      const m = mu[ch];
      let q = 0;
      for (let i = 0; i < inner; i++) {
        const d = x[base + i] - m;
        q += d * d;
      }
      sq[ch] += q;
    }
  }
  const mean = allocF32(c, true);
  const variance = allocF32(c, true);
  for (let ch = 0; ch < c; ch++) {
    mean[ch] = mu[ch];
    variance[ch] = sq[ch] / (count - p.correction);
  }
  if (!running) return { mean, variance };
  const m = running.momentum;
  const runningMean = allocF32(c, true);
  const runningVariance = allocF32(c, true);
  for (let ch = 0; ch < c; ch++) {
    runningMean[ch] = running.mean[ch] * (1 - m) + mu[ch] * m;
    runningVariance[ch] = running.variance[ch] * (1 - m) + (sq[ch] / (count - 1)) * m;
  }
  return { mean, variance, runningMean, runningVariance };
}

/** 1/√(variance + eps) per channel, in float64. */
function inverseStd(variance: Float32Array, c: number, eps: number): Float64Array {
  const r = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) r[ch] = 1 / Math.sqrt(variance[ch] + eps);
  return r;
}

/** y = (x − mean)·rsqrt(variance + eps)·weight + bias, per channel (weight, bias null: 1, 0). */
export function batchNormForward(
  x: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  weight: Float32Array | null,
  bias: Float32Array | null,
  p: BatchNormParams,
): Float32Array {
  const { outer, channels: c, inner } = p;
  const out = allocF32(outer * c * inner, true);
  const rstd = inverseStd(variance, c, p.eps);
  const scaleOf = (ch: number) => rstd[ch] * (weight ? weight[ch] : 1);
  const shiftOf = (ch: number) => (bias ? bias[ch] : 0);
  if (forwardSimd(x, out, outer, c, inner, mean, scaleOf, shiftOf)) return out;
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      const m = mean[ch];
      const scale = rstd[ch] * (weight ? weight[ch] : 1);
      const shift = bias ? bias[ch] : 0;
      for (let i = 0; i < inner; i++) out[base + i] = (x[base + i] - m) * scale + shift;
    }
  }
  return out;
}

/**
 * Gradients of training-mode batch normalization (Ioffe & Szegedy 2015):
 * dx = w·σ⁻¹/M·(M·dy − Σdy − x̂·Σ(dy·x̂)), dweight = Σ(dy·x̂), dbias = Σdy,
 * x̂ = (x − mean)·σ⁻¹, sums per channel over M = outer·inner elements.
 */
export function batchNormBackward(
  x: Float32Array,
  dy: Float32Array,
  mean: Float32Array,
  variance: Float32Array,
  weight: Float32Array | null,
  p: BatchNormParams,
): { dx: Float32Array; dweight: Float32Array; dbias: Float32Array } {
  const { outer, channels: c, inner } = p;
  const count = outer * inner;
  const rstd = inverseStd(variance, c, p.eps);
  const sumDy = new Float64Array(c);
  const sumDyXhat = new Float64Array(c);
  for (let o = 0; o < outer; o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      const m = mean[ch];
      let s = 0;
      let sx = 0;
      for (let i = 0; i < inner; i++) {
        const g = dy[base + i];
        s += g;
        sx += g * (x[base + i] - m);
      }
      sumDy[ch] += s;
      sumDyXhat[ch] += sx * rstd[ch];
    }
  }
  const dx = allocF32(outer * c * inner, true);
  // k, sumDy and proj as the loop below computes them, for the SIMD path (same bits).
  const simd = backwardSimd(x, dy, dx, outer, c, inner, count, (ch) => [
    mean[ch],
    sumDyXhat[ch] * rstd[ch],
    sumDy[ch],
    ((weight ? weight[ch] : 1) * rstd[ch]) / count,
  ]);
  for (let o = 0; o < (simd ? 0 : outer); o++) {
    for (let ch = 0; ch < c; ch++) {
      const base = (o * c + ch) * inner;
      const m = mean[ch];
      const r = rstd[ch];
      const k = ((weight ? weight[ch] : 1) * r) / count;
      const meanDy = sumDy[ch];
      const proj = sumDyXhat[ch] * r;
      for (let i = 0; i < inner; i++) {
        dx[base + i] = k * (count * dy[base + i] - meanDy - (x[base + i] - m) * proj);
      }
    }
  }
  const dweight = allocF32(c, true);
  const dbias = allocF32(c, true);
  for (let ch = 0; ch < c; ch++) {
    dweight[ch] = sumDyXhat[ch];
    dbias[ch] = sumDy[ch];
  }
  return { dx, dweight, dbias };
}
