/**
 * What simd-ab.ts and simd-bits.ts share: their `--name value` arguments and
 * the batch-norm CNN they train (the bench CNN with BatchNorm2d after each
 * conv), with fixed labels and a tidy SGD step.
 */
import * as core from '@nerve/core';
import {
  Conv2d,
  Flatten,
  Linear,
  MaxPool2d,
  ReLU,
  Sequential,
  crossEntropy,
  type Module,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import type { SGD } from '@nerve/optim';

/** The value after `--name` on the command line, or `fallback`. */
export function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : fallback;
}

/** The bench CNN (two 3×3 convs, ReLU, 2×2 max pools, a linear head) with BatchNorm2d after each conv. */
export function batchNormCnn(): Sequential {
  return new Sequential(
    new Conv2d(1, 16, 3, { padding: 1 }),
    new BatchNorm2d(16),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(16, 32, 3, { padding: 1 }),
    new BatchNorm2d(32),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(32 * 7 * 7, 10),
  );
}

/** n kept int32 labels (i·7) mod classes. */
export function labels(n: number, classes = 10): core.Tensor {
  return core.keep(
    core.tensor(
      Int32Array.from({ length: n }, (_, i) => (i * 7) % classes),
      { dtype: 'int32' },
    ),
  );
}

/** One training step (cross-entropy, backward, SGD step, zero grads) in a tidy; returns the loss. */
export function trainStep(model: Module, opt: SGD, x: core.Tensor, y: core.Tensor): number {
  return core.tidy(() => {
    const l = crossEntropy(model.call(x), y);
    l.backward();
    opt.step();
    opt.zeroGrad();
    return l.dataSync()[0];
  });
}
