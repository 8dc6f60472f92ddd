/**
 * The two-circles toy dataset (scikit-learn's `make_circles`): an outer
 * circle of radius 1 (class 0) around an inner circle of radius `factor`
 * (class 1), each with `pointsPerClass` points at evenly spaced angles,
 * plus Gaussian noise of standard deviation `noise` on both coordinates.
 * Not linearly separable; a network needs one curved boundary.
 */
import { Generator, NerveError, tensor } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { checkSeed } from './shuffle.js';

/** Options of makeCircles. */
export interface CirclesOptions {
  /** Points per circle (default 100, at least 1). */
  pointsPerClass?: number;
  /** Radius of the inner circle relative to the outer one, in (0, 1) (default 0.5). */
  factor?: number;
  /** Standard deviation of the Gaussian noise added to each coordinate (default 0.1, ≥ 0). */
  noise?: number;
  /** Seed of the noise (default 0). */
  seed?: number;
}

/**
 * Points x float32 [2·pointsPerClass, 2]: point i of circle k at angle
 * 2πi/pointsPerClass and radius 1 (k = 0) or `factor` (k = 1), plus noise;
 * labels y int32, the outer circle first.
 */
export function makeCircles(opts: CirclesOptions = {}): TensorDataset {
  const op = 'makeCircles';
  const { pointsPerClass = 100, factor = 0.5, noise = 0.1, seed = 0 } = opts;
  if (!Number.isInteger(pointsPerClass) || pointsPerClass < 1) {
    throw new NerveError(op, 'pointsPerClass a positive integer', String(pointsPerClass));
  }
  if (typeof factor !== 'number' || !(factor > 0 && factor < 1)) {
    throw new NerveError(op, 'factor in (0, 1)', String(factor));
  }
  if (typeof noise !== 'number' || !(noise >= 0 && Number.isFinite(noise))) {
    throw new NerveError(op, 'a finite noise ≥ 0', String(noise));
  }
  checkSeed(op, seed);
  const n = 2 * pointsPerClass;
  const eps = new Generator(seed).normal(2 * n);
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  for (let k = 0; k < 2; k++) {
    const r = k === 0 ? 1 : factor;
    for (let i = 0; i < pointsPerClass; i++) {
      const j = k * pointsPerClass + i;
      const t = (2 * Math.PI * i) / pointsPerClass;
      xs[2 * j] = r * Math.cos(t) + noise * eps[2 * j];
      xs[2 * j + 1] = r * Math.sin(t) + noise * eps[2 * j + 1];
      ys[j] = k;
    }
  }
  return new TensorDataset(tensor(xs, { shape: [n, 2] }), tensor(ys));
}
