/**
 * The spiral toy dataset (CS231n "Putting it together: Minimal Neural
 * Network Case Study"): `classes` arms of points at radius r ∈ [0, 1] and
 * angle t = 4k + 4r + 0.2·noise; not linearly separable.
 */
import { Generator, NerveError, tensor } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { checkSeed } from './shuffle.js';

/** Options of makeSpiral. */
export interface SpiralOptions {
  /** Points per arm (default 100, at least 2). */
  pointsPerClass?: number;
  /** Number of arms (default 3). */
  classes?: number;
  /** Seed of the angular noise (default 0). */
  seed?: number;
}

/**
 * Points x float32 [classes·pointsPerClass, 2] = (r·sin t, r·cos t) and
 * labels y int32, arm by arm; the same as examples/spiral/spiral.ts.
 */
export function makeSpiral(opts: SpiralOptions = {}): TensorDataset {
  const op = 'makeSpiral';
  const { pointsPerClass = 100, classes = 3, seed = 0 } = opts;
  if (!Number.isInteger(pointsPerClass) || pointsPerClass < 2) {
    throw new NerveError(op, 'pointsPerClass an integer ≥ 2', String(pointsPerClass));
  }
  if (!Number.isInteger(classes) || classes < 1) {
    throw new NerveError(op, 'classes a positive integer', String(classes));
  }
  checkSeed(op, seed);
  const n = pointsPerClass * classes;
  const noise = new Generator(seed).normal(n);
  const xs = new Float32Array(n * 2);
  const ys = new Int32Array(n);
  for (let k = 0; k < classes; k++) {
    for (let i = 0; i < pointsPerClass; i++) {
      const j = k * pointsPerClass + i;
      const r = i / (pointsPerClass - 1);
      const t = k * 4 + (4 * i) / (pointsPerClass - 1) + noise[j] * 0.2;
      xs[2 * j] = r * Math.sin(t);
      xs[2 * j + 1] = r * Math.cos(t);
      ys[j] = k;
    }
  }
  return new TensorDataset(tensor(xs, { shape: [n, 2] }), tensor(ys));
}
