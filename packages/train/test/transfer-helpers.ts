/** Shared fixtures of the transfer-learning tests. */
import { NerveError, type Tensor, randn, tensor } from '@nerve/core';
import { TensorDataset } from '@nerve/data';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@nerve/layers';
import { BatchNorm1d, BatchNorm2d } from '@nerve/norm';
import { expect } from 'vitest';

export const values = (t: Tensor) => Array.from(t.dataSync() as Float32Array);

/** Asserts that `p` rejects with a NerveError whose message matches. */
export async function expectNerveRejection(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NerveError);
  expect((e as Error).message).toMatch(pattern);
}

/** [N, 1, 8, 8] images with labels from the sign of two pixel sums (3 classes). */
export function images(n: number, seed: number): TensorDataset {
  const x = randn([n, 1, 8, 8], { seed });
  const xs = x.dataSync();
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const a = xs[64 * i] + xs[64 * i + 9];
    y[i] = a > 0.5 ? 2 : a > -0.5 ? 1 : 0;
  }
  return new TensorDataset(x, tensor(y));
}

/** conv → BN → ReLU → flatten → linear → BN → ReLU → linear head. */
export const bnNet = (seed: number) =>
  new Sequential(
    new Conv2d(1, 4, 3, { seed }),
    new BatchNorm2d(4),
    new ReLU(),
    new Flatten(),
    new Linear(4 * 6 * 6, 8, { seed: seed + 1 }),
    new BatchNorm1d(8),
    new ReLU(),
    new Linear(8, 3, { seed: seed + 2 }),
  );

/**
 * The CNN of fixtures/make_torch_cnn.py (and of the CLI's finetune demo) as
 * one flat Sequential for [N, 1, 28, 28] input: 0 Conv2d(1, 8, 5), 1 ReLU,
 * 2 MaxPool2d(2), 3 Conv2d(8, 16, 5), 4 ReLU, 5 MaxPool2d(2), 6 Flatten,
 * 7 Linear(256, 64), 8 ReLU, 9 Linear(64, classes).
 */
export function torchCnn(classes: number, seed: number): Sequential {
  return new Sequential(
    new Conv2d(1, 8, 5, { seed }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 5, { seed: seed + 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    new Linear(256, 64, { seed: seed + 2 }),
    new ReLU(),
    new Linear(64, classes, { seed: seed + 3 }),
  );
}
