/**
 * The fused softmax cross-entropy kernels (kernels/cross-entropy.ts), called
 * directly (the backend registers them unless NERVE_CPU_FUSED_CE=0).
 * Against a float64 reference: the kernels compute each row in float64 and round once, so every value is
 * within one float32 rounding (2⁻²⁴ relative) of the reference, plus the
 * float64 exp/log error, far below it.
 */
import type { SoftmaxCrossEntropyParams } from '@nerve/core/backend';
import { describe, expect, it } from 'vitest';
import { CpuBackend } from '../src/index.js';
import { softmaxCrossEntropy, softmaxCrossEntropyBackward } from '../src/kernels/cross-entropy.js';

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Row losses and dx (for dy = 1 per row, before the reduction's scale) in float64. */
function reference(x: Float32Array, labels: Int32Array, rows: number, c: number, eps: number) {
  const loss: number[] = [];
  const dx: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from(x.subarray(r * c, (r + 1) * c));
    const m = Math.max(...row);
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    const logS = Math.log(s);
    const q = (j: number) => (j === labels[r] ? 1 - eps : 0) + eps / c;
    loss.push(row.reduce((a, v, j) => a - q(j) * (v - m - logS), 0));
    for (let j = 0; j < c; j++) dx.push(Math.exp(row[j] - m) / s - q(j));
  }
  return { loss, dx };
}

/** |a − b| within one float32 rounding of b, with an absolute floor for values near 0. */
function close(a: number, b: number, floor: number): boolean {
  return Math.abs(a - b) <= 2 ** -23 * Math.abs(b) + floor;
}

describe('fused softmax cross-entropy kernels', () => {
  for (const [rows, c, eps] of [
    [7, 10, 0],
    [5, 33, 0.1],
    [3, 100, 0],
  ] as const) {
    it(`match the float64 reference (${rows}×${c}, ε ${eps}), for every reduction`, () => {
      const r = rng(rows * 1000 + c);
      const x = Float32Array.from({ length: rows * c }, () => (r() - 0.5) * 20);
      const labels = Int32Array.from({ length: rows }, () => Math.floor(r() * c));
      const ref = reference(x, labels, rows, c, eps);
      const base = { rows, classes: c, labelSmoothing: eps };
      const none = softmaxCrossEntropy(x, labels, { ...base, reduction: 'none' });
      for (let i = 0; i < rows; i++) expect(close(none[i], ref.loss[i], 1e-7)).toBe(true);
      const total = ref.loss.reduce((a, b) => a + b, 0);
      const sum = softmaxCrossEntropy(x, labels, { ...base, reduction: 'sum' });
      const mean = softmaxCrossEntropy(x, labels, { ...base, reduction: 'mean' });
      expect(close(sum[0], total, 1e-7)).toBe(true);
      expect(close(mean[0], total / rows, 1e-7)).toBe(true);
      // dy = 0.5 for 'mean': dx = 0.5·(p − q)/rows.
      const p: SoftmaxCrossEntropyParams = { ...base, reduction: 'mean' };
      const dx = softmaxCrossEntropyBackward(x, labels, Float32Array.of(0.5), p);
      // Rows of ≥ 32 classes round p to float32 once more (the SIMD softmax): one more ulp.
      const floor = c >= 32 ? 2 ** -24 : 1e-9;
      for (let i = 0; i < rows * c; i++) {
        expect(close(dx[i], (0.5 * ref.dx[i]) / rows, floor)).toBe(true);
      }
    });
  }

  it('give a NaN row for a NaN logit or a label outside [0, C)', () => {
    const x = Float32Array.of(1, 2, 3, 1, Number.NaN, 3, 1, 2, 3);
    const labels = Int32Array.of(0, 1, 3);
    const p: SoftmaxCrossEntropyParams = {
      rows: 3,
      classes: 3,
      labelSmoothing: 0,
      reduction: 'none',
    };
    const loss = softmaxCrossEntropy(x, labels, p);
    expect(Number.isFinite(loss[0])).toBe(true);
    expect(Number.isNaN(loss[1])).toBe(true);
    expect(Number.isNaN(loss[2])).toBe(true);
    const dx = softmaxCrossEntropyBackward(x, labels, Float32Array.of(1, 1, 1), p);
    expect(Array.from(dx.subarray(0, 3)).every(Number.isFinite)).toBe(true);
    expect(Array.from(dx.subarray(3)).every(Number.isNaN)).toBe(true);
  });

  it('are registered on the backend unless NERVE_CPU_FUSED_CE=0', () => {
    const on = process.env.NERVE_CPU_FUSED_CE !== '0';
    const proto = CpuBackend.prototype as unknown as Record<string, unknown>;
    expect(typeof proto.softmaxCrossEntropy === 'function').toBe(on);
    expect(typeof proto.softmaxCrossEntropyBackward === 'function').toBe(on);
  });
});
