/**
 * Feature extraction: run a pretrained backbone once over the data, then
 * train only a small head on the stored features (Donahue et al. 2014,
 * DeCAF; Razavian et al. 2014). Equivalent to training with the backbone
 * frozen when it has no dropout or batch-statistics layers in training
 * mode, and much cheaper: the backbone runs once instead of every epoch.
 */
import { NerveError, type Tensor, describeValue } from '@nerve/core';
import { DataLoader, TensorDataset } from '@nerve/data';
import { Linear, Module, crossEntropy } from '@nerve/layers';
import type { EpochRecord } from '@nerve/metrics';
import { type OptimizerName, createOptimizer } from '@nerve/optim';
import { fit, predict } from './fit.js';

/**
 * The backbone's outputs for every example, in evaluation mode and without
 * gradients, computed `batchSize` rows at a time (default 256; a loader's
 * own batch size when given a loader). Given a DataLoader or TensorDataset,
 * rows follow the dataset's order (a loader's shuffle is ignored), so the
 * dataset's labels line up with them. The caller owns the result.
 */
export function extractFeatures(
  backbone: Module,
  data: Tensor | DataLoader | TensorDataset,
  opts: { batchSize?: number } = {},
): Tensor {
  const op = 'extractFeatures';
  if (!(backbone instanceof Module))
    throw new NerveError(op, 'a Module backbone', describeValue(backbone));
  let x: Tensor;
  let batchSize = opts.batchSize ?? 256;
  if (data instanceof DataLoader) {
    x = data.dataset.tensors[0];
    batchSize = opts.batchSize ?? data.batchSize;
  } else if (data instanceof TensorDataset) {
    x = data.tensors[0];
  } else if (data !== null && typeof data === 'object' && (data as Tensor).isTensor === true) {
    x = data as Tensor;
  } else {
    throw new NerveError(op, 'a Tensor, DataLoader or TensorDataset', describeValue(data));
  }
  x.assertAlive(op);
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new NerveError(op, 'batchSize as a positive integer', describeValue(batchSize));
  }
  return predict(backbone, x, { batchSize });
}

/** Options of `trainHead`. */
export interface TrainHeadOptions {
  /** The head to train (default: a new Linear(features, classes) seeded with `seed`). */
  head?: Module;
  /** Number of classes (default: the largest label + 1). */
  classes?: number;
  /** Epochs over the features (default 20). */
  epochs?: number;
  /** Learning rate (default 1e-3). */
  lr?: number;
  /** Optimizer by name (default 'adam'). */
  optimizer?: OptimizerName;
  /** Weight decay of the optimizer (default 0). */
  weightDecay?: number;
  /** Examples per step (default 32). */
  batchSize?: number;
  /** Seeds the default head's init and the shuffling (default 0). */
  seed?: number;
}

/** A trained head and its training history. */
export interface TrainedHead<M extends Module = Module> {
  /** The trained head. */
  head: M;
  /** One record per epoch of the head's training. */
  history: EpochRecord[];
}

/**
 * Trains a head on stored features [N, ...] with int32 labels [N] and
 * cross-entropy. The features and labels stay the caller's.
 */
export async function trainHead<M extends Module = Module>(
  features: Tensor,
  labels: Tensor,
  opts: TrainHeadOptions & { head?: M } = {},
): Promise<TrainedHead<M>> {
  const op = 'trainHead';
  for (const [name, t] of [
    ['features', features],
    ['labels', labels],
  ] as const) {
    if (t === null || typeof t !== 'object' || (t as Tensor).isTensor !== true) {
      throw new NerveError(op, `${name} as a Tensor`, describeValue(t));
    }
    t.assertAlive(op);
  }
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== features.shape[0]) {
    throw new NerveError(
      op,
      `int32 labels of shape [${features.shape[0]}] (one per feature row)`,
      `${labels.dtype} labels of shape [${labels.shape.join(', ')}]`,
    );
  }
  const {
    epochs = 20,
    lr = 1e-3,
    optimizer = 'adam',
    weightDecay = 0,
    batchSize = 32,
    seed = 0,
  } = opts;
  let head: Module;
  if (opts.head !== undefined) {
    if (!(opts.head instanceof Module))
      throw new NerveError(op, 'head as a Module', describeValue(opts.head));
    head = opts.head;
  } else {
    if (features.rank !== 2) {
      throw new NerveError(
        op,
        'features of shape [N, F] for the default Linear head (end the backbone with Flatten)',
        `shape [${features.shape.join(', ')}]`,
      );
    }
    const classes = opts.classes ?? Math.max(0, ...(labels.dataSync() as Int32Array)) + 1;
    head = new Linear(features.shape[1], classes, { seed });
  }
  const optim = createOptimizer(optimizer, head.trainableParameters(), { lr, weightDecay });
  const history = await fit(head, {
    train: new DataLoader(new TensorDataset(features, labels), { batchSize, shuffle: true, seed }),
    epochs,
    optimizer: optim,
    loss: (out, y) => crossEntropy(out, y),
  });
  optim.disposeState();
  return { head: head as M, history };
}

/** `trainHead` with a new Linear layer: a linear probe of the features (logistic regression). */
export function trainLinearHead(
  features: Tensor,
  labels: Tensor,
  opts: Omit<TrainHeadOptions, 'head'> = {},
): Promise<TrainedHead<Linear>> {
  return trainHead<Linear>(features, labels, { ...opts, head: undefined });
}
