/**
 * The transfer experiment's network and data: a small BatchNorm CNN with
 * global average pooling, Fashion-MNIST split by class into a pretraining
 * task (classes 0–4) and a new task (classes 5–9), seeded few-shot draws,
 * and a fixed-step training loop that can be aborted between steps.
 */
import {
  Generator,
  NerveError,
  type Tensor,
  argmax,
  avgPool2d,
  eq,
  indexSelect,
  narrow,
  noGrad,
  sum,
  tensor,
  tidy,
} from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import {
  Conv2d,
  GlobalAvgPool2d,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
  crossEntropy,
} from '@nerve/layers';
import { BatchNorm2d } from '@nerve/norm';
import { CosineAnnealingLR, type Optimizer } from '@nerve/optim';
import type { LabData } from '../experiment.js';
import { onHost, toDevice } from '../util/on-host.js';

/** Images [N, 1, 28, 28] (or [N, 1, 14, 14] average-pooled), normalized, and int32 labels [N]. */
export interface Task {
  x: Tensor;
  y: Tensor;
}

/** Classes of the new task in Fashion-MNIST (labels 5..9 become 0..4). */
export const NEW_CLASSES = ['sandal', 'shirt', 'sneaker', 'bag', 'ankle boot'] as const;

/**
 * The CNN: three blocks Conv2d(3×3, same) → BatchNorm2d → ReLU, the first two
 * followed by MaxPool2d(2), then GlobalAvgPool2d and Linear(c3, classes).
 * Children 0–11 are the backbone (its output is the c3 features of an image),
 * child 12 the head.
 */
export function transferCnn(
  channels: readonly number[],
  classes: number,
  seed: number,
): Sequential {
  const [c1, c2, c3] = channels;
  return new Sequential(
    new Conv2d(1, c1, 3, { padding: 'same', seed }),
    new BatchNorm2d(c1),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c1, c2, 3, { padding: 'same', seed: seed + 1 }),
    new BatchNorm2d(c2),
    new ReLU(),
    new MaxPool2d(2),
    new Conv2d(c2, c3, 3, { padding: 'same', seed: seed + 2 }),
    new BatchNorm2d(c3),
    new ReLU(),
    new GlobalAvgPool2d(),
    new Linear(c3, classes, { seed: seed + 3 }),
  );
}

/** Index of the head in `transferCnn`; the children before it are the backbone. */
export const HEAD = 12;

/** The data of one run, owned by the holder (see `disposeSplit`). */
export interface TransferSplit {
  /** Training images of classes 0–4 (labels 0..4). */
  pretrain: Task;
  /** Test images of classes 0–4, for the pretrained network's own accuracy. */
  pretrainTest: Task;
  /** The first POOL_IMAGES training images of classes 5–9 (labels 0..4): the shots are drawn from them. */
  pool: Task;
  /** Test images of classes 5–9 (labels 0..4). */
  test: Task;
  /** The pixel normalization applied to every image: (pixel − mean) / std. */
  normalization: { mean: number; std: number };
}

/**
 * Training images of classes 5–9 the shots are drawn from: about 1,200 per
 * class, six times the largest k, so draws at k = 200 still differ, without
 * normalizing all 30,000.
 */
export const POOL_IMAGES = 6000;

/** Row indices of labels in [lo, hi), in dataset order, at most `limit`. */
function rowsOf(labels: Int32Array, lo: number, hi: number, limit: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length && out.length < limit; i++) {
    if (labels[i] >= lo && labels[i] < hi) out.push(i);
  }
  return out;
}

/** Images of rows, average-pooled by `pool` (1: as they are, 2: 28×28 → 14×14). */
function images(ds: TensorDataset, rows: readonly number[], pool: number): Tensor {
  return tidy(() => {
    const x = indexSelect(ds.tensors[0], 0, tensor(Int32Array.from(rows)));
    return pool > 1 ? avgPool2d(x, pool) : x;
  });
}

/** Rows of a dataset, average-pooled, (x − mean) / std, labels shifted by −offset. */
function take(
  ds: TensorDataset,
  rows: readonly number[],
  offset: number,
  norm: { mean: number; std: number; pool: number },
): Task {
  const labels = ds.tensors[1].dataSync() as Int32Array;
  return tidy(() => ({
    x: images(ds, rows, norm.pool).sub(norm.mean).div(norm.std),
    y: tensor(Int32Array.from(rows, (r) => labels[r] - offset)),
  }));
}

/**
 * Loads Fashion-MNIST through the lab's data and splits it: the first
 * `pretrainImages` training images of classes 0–4, the first POOL_IMAGES of
 * 5–9 as the pool, and the first `testImages` test images of each half.
 * With `resolution` 14 every image is average-pooled 2×2 first (28×28 →
 * 14×14: every convolution a quarter of the work). Pixels are standardized
 * with the pretraining images' mean and std, as a pretrained network's
 * users would.
 */
export async function loadSplit(
  data: LabData,
  pretrainImages: number,
  testImages: number,
  resolution: 28 | 14 = 28,
): Promise<TransferSplit> {
  // Cut and normalized on the host (the whole set does not fit a GPU buffer),
  // then the four tasks move to the run's backend.
  const s = await onHost(() => hostSplit(data, pretrainImages, testImages, resolution));
  return {
    pretrain: await taskToDevice(s.pretrain),
    pretrainTest: await taskToDevice(s.pretrainTest),
    pool: await taskToDevice(s.pool),
    test: await taskToDevice(s.test),
    normalization: s.normalization,
  };
}

async function taskToDevice(t: Task): Promise<Task> {
  return { x: await toDevice(t.x), y: await toDevice(t.y) };
}

/** loadSplit on the host backend, which reads synchronously. */
async function hostSplit(
  data: LabData,
  pretrainImages: number,
  testImages: number,
  resolution: 28 | 14,
): Promise<TransferSplit> {
  const { train, test } = await data.fashionMnist();
  try {
    const trainLabels = train.tensors[1].dataSync() as Int32Array;
    const testLabels = test.tensors[1].dataSync() as Int32Array;
    const preRows = rowsOf(trainLabels, 0, 5, pretrainImages);
    const pool = 28 / resolution;
    const [mean, std] = tidy(() => {
      const x = images(train, preRows, pool);
      const m = x.mean().dataSync()[0];
      return [m, Math.sqrt(x.sub(m).square().mean().dataSync()[0])];
    });
    const norm = { mean, std, pool };
    return {
      pretrain: take(train, preRows, 0, norm),
      pretrainTest: take(test, rowsOf(testLabels, 0, 5, testImages), 0, norm),
      pool: take(train, rowsOf(trainLabels, 5, 10, POOL_IMAGES), 5, norm),
      test: take(test, rowsOf(testLabels, 5, 10, testImages), 5, norm),
      normalization: { mean, std },
    };
  } finally {
    train.dispose();
    test.dispose();
  }
}

/** Frees every tensor of a split. */
export function disposeSplit(s: TransferSplit): void {
  for (const t of [s.pretrain, s.pretrainTest, s.pool, s.test]) disposeTask(t);
}

export function disposeTask(t: Task): void {
  t.x.dispose();
  t.y.dispose();
}

/**
 * `k` images of each class drawn from the pool without replacement: a
 * Fisher–Yates shuffle on the seeded generator's uniforms, then the first k
 * of each class in shuffled order. The caller owns the result.
 */
export async function drawShots(pool: Task, k: number, seed: number): Promise<Task> {
  const labels = (await pool.y.data()) as Int32Array;
  const classes = Math.max(...labels) + 1;
  const u = new Generator(seed).uniform(labels.length);
  const order = Array.from(labels, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(u[i] * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const count = new Array<number>(classes).fill(0);
  const rows: number[] = [];
  for (const r of order) {
    if (count[labels[r]] < k) {
      count[labels[r]]++;
      rows.push(r);
    }
  }
  if (count.some((c) => c < k)) {
    throw new NerveError('lab transfer', `${k} images of every class in the pool`, `${count}`);
  }
  return tidy(() => {
    const idx = tensor(Int32Array.from(rows));
    return { x: indexSelect(pool.x, 0, idx), y: indexSelect(pool.y, 0, idx) };
  });
}

/**
 * Trains `model` for exactly `steps` steps of cross-entropy on shuffled
 * batches of `task` (reshuffled each pass, seeded), checking `signal` before
 * every step. A pass's last batch of one image is skipped, since
 * BatchNorm's training statistics need at least two. With `cosine`, the
 * learning rate of every param group decays to 0 over the steps
 * (Loshchilov & Hutter 2017), so the weights, and the BatchNorm running
 * statistics that follow them, settle before evaluation.
 */
export async function trainSteps(
  model: Module,
  optimizer: Optimizer,
  task: Task,
  opts: { steps: number; batchSize: number; seed: number; cosine?: boolean; signal?: AbortSignal },
): Promise<void> {
  const scheduler = opts.cosine ? new CosineAnnealingLR(optimizer, { tMax: opts.steps }) : null;
  const loader = new DataLoader(new TensorDataset(task.x, task.y), {
    batchSize: Math.min(opts.batchSize, task.x.shape[0]),
    shuffle: true,
    seed: opts.seed,
  });
  model.train();
  let done = 0;
  while (done < opts.steps) {
    for (const [x, y] of loader) {
      try {
        if (done < opts.steps && x.shape[0] > 1) {
          opts.signal?.throwIfAborted();
          tidy(() => {
            crossEntropy(model.call(x), y).backward();
            optimizer.step();
            optimizer.zeroGrad();
          });
          scheduler?.step();
          done++;
        }
      } finally {
        x.dispose();
        y.dispose();
      }
    }
    // Yield to the event loop once per pass, so an abort or a progress
    // repaint in a browser gets through.
    await new Promise((r) => setTimeout(r, 0));
  }
}

/** Classification accuracy of `model` in eval mode on images `x` with labels `y` (batches of 500). */
export async function accuracy(model: Module, x: Tensor, y: Tensor): Promise<number> {
  model.eval();
  let correct = 0;
  const n = x.shape[0];
  for (let i = 0; i < n; i += 500) {
    const end = Math.min(n, i + 500);
    const hits = tidy(() =>
      noGrad(() => {
        const out = model.call(narrow(x, 0, i, end - i));
        return sum(eq(argmax(out, -1), narrow(y, 0, i, end - i)));
      }),
    );
    try {
      correct += (await hits.data())[0] as number;
    } finally {
      hits.dispose();
    }
  }
  return correct / n;
}
