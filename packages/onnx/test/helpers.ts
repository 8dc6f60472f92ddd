/**
 * Test helpers: run an exported model in onnxruntime (CPU provider) and the
 * same model in nerve, on the same input, and compare.
 */
import { type Tensor, noGrad, rand, randn, tensor, tidy } from '@nerve/core';
import type { Module } from '@nerve/layers';
import { BatchNormBase } from '@nerve/norm';
import * as ort from 'onnxruntime-node';
import { type ExportOnnxOptions, exportOnnx } from '../src/index.js';

/**
 * The issue's limit: ONNX and nerve outputs agree within 1e-4 absolute. Both
 * compute in float32; only summation order and the transcendental
 * functions' implementations differ (a few ulps of values of order 1–10).
 */
export const ATOL = 1e-4;

/** The model's output in onnxruntime for `x` (the graph's single input and output). */
export async function runOnnx(bytes: Uint8Array, x: Float32Array, shape: readonly number[]) {
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['cpu'] });
  try {
    const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', x, [...shape]) };
    const out = await session.run(feeds);
    const y = out[session.outputNames[0]];
    return {
      data: y.data as Float32Array,
      dims: [...y.dims],
      inputNames: session.inputNames,
      outputNames: session.outputNames,
    };
  } finally {
    await session.release();
  }
}

/** nerve's output in evaluation mode for `x` (inputs standardized first when asked). */
export function runNerve(model: Module, x: Float32Array, shape: readonly number[]) {
  model.eval();
  return tidy(() =>
    noGrad(() => {
      const y = model.call(tensor(x, { shape: [...shape] }));
      return { data: Float32Array.from(y.dataSync() as Float32Array), dims: [...y.shape] };
    }),
  );
}

/** Largest |a − b| (Infinity when lengths differ or a value is not finite). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Number.POSITIVE_INFINITY;
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (!(d <= worst)) worst = Number.isNaN(d) ? Number.POSITIVE_INFINITY : d;
  }
  return worst;
}

/** Random input values of `shape`, N(0, 1) scaled by `scale`. */
export function randomInput(shape: readonly number[], seed: number, scale = 1): Float32Array {
  const t = randn([...shape], { seed });
  const out = Float32Array.from(t.dataSync() as Float32Array, (v) => v * scale);
  t.dispose();
  return out;
}

/**
 * Gives every BatchNorm non-trivial running statistics and affine
 * parameters (mean N(0, 0.5), variance U(0.5, 2), γ U(0.5, 1.5), β N(0, 0.3)),
 * so an export that ignored them would fail.
 */
export function randomizeBatchNorm(model: Module, seed: number): void {
  let s = seed;
  noGrad(() =>
    tidy(() => {
      for (const m of model.modules()) {
        if (!(m instanceof BatchNormBase)) continue;
        const c = [m.numFeatures];
        m.runningMean?.assign(randn(c, { seed: s++ }).mul(0.5));
        m.runningVar?.assign(rand(c, { seed: s++ }).mul(1.5).add(0.5));
        m.weight?.assign(rand(c, { seed: s++ }).add(0.5));
        m.bias?.assign(randn(c, { seed: s++ }).mul(0.3));
      }
    }),
  );
}

/** Exports, runs both, returns the largest absolute difference and both results. */
export async function compare(
  model: Module,
  opts: ExportOnnxOptions,
  x: Float32Array,
  runShape: readonly number[] = opts.inputShape,
) {
  const bytes = await exportOnnx(model, opts);
  const onnx = await runOnnx(bytes, x, runShape);
  const nerve = runNerve(model, x, runShape);
  return { bytes, onnx, nerve, maxAbs: maxAbsDiff(onnx.data, nerve.data) };
}

export type { Tensor };
