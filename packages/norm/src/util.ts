/**
 * Shared pieces of the normalization layers: the normalization itself,
 * composed from core ops so autograd derives every gradient, and argument checks.
 */
import {
  NerveError,
  type Tensor,
  add,
  isGradEnabled,
  mean,
  mul,
  rsqrt,
  square,
  sub,
  tidy,
} from '@nerve/core';

/** Result of `normalize`: the normalized tensor and the (biased) statistics it used. */
export interface Normalized {
  y: Tensor;
  mean: Tensor;
  variance: Tensor;
}

/**
 * (x − μ) / √(σ² + ε) over `axes`, with μ and the biased σ² of x over those
 * axes (kept as size-1 dims). Composed from ops, so the gradient through the
 * statistics is exact (Ioffe & Szegedy 2015, section 3).
 */
export function normalize(x: Tensor, axes: readonly number[], eps: number): Normalized {
  const mu = mean(x, axes, { keepDims: true });
  const centered = sub(x, mu);
  const v = mean(square(centered), axes, { keepDims: true });
  return { y: mul(centered, rsqrt(add(v, eps))), mean: mu, variance: v };
}

/**
 * Runs a forward pass. When autograd records a graph, intermediates stay in
 * the caller's scope (the training step's `tidy` frees them after backward);
 * otherwise they are freed at once and only the output survives.
 */
export function forwardScope(inputs: readonly (Tensor | null)[], fn: () => Tensor): Tensor {
  const graph = isGradEnabled() && inputs.some((t) => t?.requiresGrad === true);
  return graph ? fn() : tidy(fn);
}

/** Formats a shape the way nerve's error messages print it: [2,3]. */
export function fmt(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

export function checkPositiveInt(op: string, what: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new NerveError(op, `${what} to be a positive integer`, String(v));
  }
  return v;
}

export function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps < 0) {
    throw new NerveError(op, 'eps to be a finite number ≥ 0', String(eps));
  }
  return eps;
}

/** Float32 inputs only: the statistics and parameters are float32. */
export function checkFloat(op: string, x: Tensor): void {
  if (x?.isTensor !== true) throw new NerveError(op, 'a Tensor', String(x));
  if (x.dtype !== 'float32') {
    throw new NerveError(op, 'a float32 input', `a ${x.dtype} tensor of shape ${fmt(x.shape)}`);
  }
}
