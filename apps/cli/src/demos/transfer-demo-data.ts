/**
 * The data and the network of the transfer-learning demonstration:
 * Fashion-MNIST split by class into a pretraining task (classes 0–4:
 * T-shirt, trouser, pullover, dress, coat) and a new task (classes 5–9:
 * sandal, shirt, sneaker, bag, ankle boot) with few labelled images.
 */
import { Generator, NerveError, type Tensor, indexSelect, tensor, tidy } from '@nerve/core';
import { type TensorDataset, loadFashionMnist } from '@nerve/data';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from '@nerve/layers';

/** The demo CNN's description, as stored in a saved model's metadata. */
export interface TransferCnnSpec {
  kind: 'transfer-cnn';
  classes: number;
  seed: number;
  /** The input normalization the weights were learned with: (x − mean) / std. */
  mean: number;
  std: number;
}

/**
 * The demo CNN for [N, 1, 28, 28] input, one flat Sequential: 0 Conv2d(1, 8, 5),
 * 1 ReLU, 2 MaxPool2d(2), 3 Conv2d(8, 16, 5), 4 ReLU, 5 MaxPool2d(2), 6 Flatten,
 * 7 Linear(256, 64), 8 ReLU, 9 Linear(64, classes). Layers 0–6 are the
 * convolutional backbone, 7–9 the dense head.
 */
export function transferCnn(spec: { classes: number; seed: number }): Sequential {
  const s = spec.seed;
  return new Sequential(
    new Conv2d(1, 8, 5, { seed: s }),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(8, 16, 5, { seed: s + 1 }),
    new ReLU(),
    new MaxPool2d(2),
    new Flatten(),
    ...denseHead(spec.classes, s + 2),
  );
}

/** The dense head of the demo CNN: Linear(256, 64), ReLU, Linear(64, classes). */
export function denseHead(classes: number, seed: number): [Linear, ReLU, Linear] {
  return [new Linear(256, 64, { seed }), new ReLU(), new Linear(64, classes, { seed: seed + 1 })];
}

/** Names of the backbone's layers in `transferCnn` (the convolutions and what follows them). */
export const BACKBONE_LAYERS = 7;

/** Images and int32 labels of one task, normalized. */
export interface TaskData {
  x: Tensor;
  y: Tensor;
}

/** The demo's data, all tensors owned by the holder (see `disposeDemoData`). */
export interface DemoData {
  pretrain: TaskData;
  /** Training images of classes 5–9 with labels 0–4, to draw the few shots from. */
  pool: TaskData;
  /** The test split of classes 5–9, labels 0–4. */
  test: TaskData;
  /** The test split of classes 0–4, for the pretrained model's own accuracy. */
  pretrainTest: TaskData;
  mean: number;
  std: number;
}

/** Row indices (in dataset order) of the labels in [lo, hi), at most `limit` of them. */
function rowsOf(
  labels: Int32Array,
  lo: number,
  hi: number,
  limit = Number.POSITIVE_INFINITY,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < limit; i++) {
    if (labels[i] >= lo && labels[i] < hi) out.push(i);
  }
  return out;
}

/** Selected rows, normalized with (x − mean) / std, labels shifted by −offset. */
function take(
  ds: TensorDataset,
  rows: number[],
  offset: number,
  mean: number,
  std: number,
): TaskData {
  const labels = ds.tensors[1].dataSync() as Int32Array;
  const y = tensor(Int32Array.from(rows, (r) => labels[r] - offset));
  const x = tidy(() =>
    indexSelect(ds.tensors[0], 0, tensor(Int32Array.from(rows)))
      .sub(mean)
      .div(std),
  );
  return { x, y };
}

/**
 * Loads Fashion-MNIST and splits it: the first `pretrainImages` training
 * images of classes 0–4, every training image of classes 5–9 as the pool
 * for the few shots, and both halves of the test split. Pixels are
 * normalized with the mean and standard deviation of the pretraining images
 * (or `norm`, the statistics a pretrained model was trained with).
 */
export function loadDemoData(opts: {
  pretrainImages: number;
  testImages?: number;
  dataDir?: string;
  /** The normalization of an already pretrained model (default: fitted on the pretraining images). */
  norm?: { mean: number; std: number };
}): DemoData {
  let sets: { train: TensorDataset; test: TensorDataset };
  try {
    sets = loadFashionMnist({ dataDir: opts.dataDir });
  } catch (e) {
    throw NerveError.raw(
      'runTransferDemo',
      `the demonstration needs Fashion-MNIST: ${(e as Error).message}`,
    );
  }
  const { train, test } = sets;
  try {
    const trainLabels = train.tensors[1].dataSync() as Int32Array;
    const testLabels = test.tensors[1].dataSync() as Int32Array;
    const preRows = rowsOf(trainLabels, 0, 5, opts.pretrainImages);
    const [mean, std] = opts.norm
      ? [opts.norm.mean, opts.norm.std]
      : tidy(() => {
          const x = indexSelect(train.tensors[0], 0, tensor(Int32Array.from(preRows)));
          const m = x.mean().dataSync()[0];
          const v = x.sub(m).square().mean().dataSync()[0];
          return [m, Math.sqrt(v)];
        });
    return {
      pretrain: take(train, preRows, 0, mean, std),
      pool: take(train, rowsOf(trainLabels, 5, 10), 5, mean, std),
      test: take(test, rowsOf(testLabels, 5, 10, opts.testImages), 5, mean, std),
      pretrainTest: take(test, rowsOf(testLabels, 0, 5, opts.testImages), 0, mean, std),
      mean,
      std,
    };
  } finally {
    train.dispose();
    test.dispose();
  }
}

/** Frees every tensor of the demo's data. */
export function disposeDemoData(d: DemoData): void {
  for (const t of [d.pretrain, d.pool, d.test, d.pretrainTest]) {
    t.x.dispose();
    t.y.dispose();
  }
}

/**
 * `shots` images per class drawn from the pool without replacement, by a
 * seeded shuffle (Fisher–Yates on Philox uniforms); the caller owns the result.
 */
export function fewShot(pool: TaskData, shots: number, seed: number): TaskData {
  const labels = pool.y.dataSync() as Int32Array;
  const classes = Math.max(...labels) + 1;
  const rows: number[] = [];
  const u = new Generator(seed).uniform(labels.length);
  const order = Array.from(labels, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const count = new Array<number>(classes).fill(0);
  for (const r of order) {
    if (count[labels[r]] < shots) {
      count[labels[r]]++;
      rows.push(r);
    }
  }
  if (count.some((c) => c < shots)) {
    throw NerveError.raw('fewShot', `a class has fewer than ${shots} images in the pool`);
  }
  return tidy(() => {
    const idx = tensor(Int32Array.from(rows));
    return { x: indexSelect(pool.x, 0, idx), y: indexSelect(pool.y, 0, idx) };
  });
}
