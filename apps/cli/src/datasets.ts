/**
 * The data sets `nerve train` knows, loaded and preprocessed the same way
 * for training and evaluation: statistics are fitted on the training split only.
 */
import { statSync } from 'node:fs';
import { NerveError, type Tensor, tidy } from '@nerve/core';
import {
  Standardize,
  TensorDataset,
  digitsSplit,
  loadFashionMnist,
  makeSpiral,
  trainValSplit,
} from '@nerve/data';
import { UsageError } from './flags.js';

export interface PreparedData {
  name: string;
  train: TensorDataset;
  val: TensorDataset;
  test: TensorDataset;
  /** Shape of one example as the model sees it. */
  inputShape: number[];
  classes: number;
}

/**
 * Refuses an explicit --data-dir that is missing or not a folder: it must
 * never fall back silently to another copy of the data.
 */
function checkDataDir(dir: string): void {
  let isDir: boolean;
  try {
    isDir = statSync(dir).isDirectory();
  } catch (e) {
    const code = (e as { code?: string }).code;
    const why = code === 'ENOENT' ? 'does not exist' : `cannot be read (${(e as Error).message})`;
    throw NerveError.raw('--data-dir', `${dir} ${why}`);
  }
  if (!isDir) throw NerveError.raw('--data-dir', `${dir} is not a directory`);
}

/**
 * Exactly `n` examples of `train`, stratified by class and the same for every
 * training seed (the split's seed is fixed), so runs that differ only in `n`
 * or in the seed compare like with like. More than there are is a usage error.
 */
export function takeExamples(train: TensorDataset, n: number, name: string): TensorDataset {
  if (n > train.length) {
    throw new UsageError(
      `--train-examples: expected at most ${train.length} (the training split of ${name}, after 10% is held out for validation), received ${n}`,
      'train',
    );
  }
  if (n === train.length) return train;
  // trainValSplit holds out ceil(fraction · length) examples, class by class
  // (Hamilton's method); (n − ½)/length makes that exactly n, whatever the
  // rounding of the product, and the held-out part is the sample.
  const { val } = trainValSplit(train, {
    valFraction: (n - 0.5) / train.length,
    seed: 0,
    stratify: train.tensors[1],
  });
  return val;
}

/**
 * Loads and preprocesses a data set. `image` gives examples as [C, H, W]
 * (for CNNs) instead of flat vectors. The test split is fixed (seed 0), so
 * results from different training seeds are comparable. An explicit
 * `dataDir` must exist, and for Fashion-MNIST it is the only place read
 * (the system copy is not).
 */
export function prepareData(
  name: 'digits' | 'fashion-mnist' | 'spiral',
  opts: { image: boolean; dataDir?: string; limit?: number; trainExamples?: number },
): PreparedData {
  let train: TensorDataset;
  let test: TensorDataset;
  let shape: number[];
  let classes = 10;
  if (opts.dataDir !== undefined) checkDataDir(opts.dataDir);
  if (name === 'digits') {
    ({ train, test } = digitsSplit({ seed: 0, testFraction: 0.2 }));
    shape = [1, 8, 8];
  } else if (name === 'fashion-mnist') {
    ({ train, test } = loadFashionMnist({ dataDir: opts.dataDir }));
    shape = [1, 28, 28];
  } else {
    const all = makeSpiral({ pointsPerClass: 100, classes: 3, seed: 0 });
    ({ train: train, val: test } = trainValSplit(all, {
      valFraction: 0.2,
      seed: 0,
      stratify: all.tensors[1],
    }));
    shape = [2];
    classes = 3;
  }
  if (opts.limit !== undefined && opts.limit < train.length) {
    const [x, y] = train.tensors;
    const limited = new TensorDataset(x.narrow(0, 0, opts.limit), y.narrow(0, 0, opts.limit));
    train = limited;
  }
  const split = trainValSplit(train, { valFraction: 0.1, seed: 0, stratify: train.tensors[1] });
  if (opts.trainExamples !== undefined) {
    split.train = takeExamples(split.train, opts.trainExamples, name);
  }
  const inputShape = opts.image && shape.length === 3 ? shape : [shape.reduce((a, b) => a * b, 1)];
  // Standardize with statistics of the training split (per channel for images).
  const scaler = new Standardize({
    mode: opts.image && shape.length === 3 ? 'perChannel' : 'perFeature',
  });
  const reshape = (x: Tensor) => x.reshape([x.shape[0], ...inputShape]);
  const prep = (ds: TensorDataset, fit: boolean) => {
    // tidy keeps what is returned in arrays, not inside class instances.
    const [xs] = tidy(() => {
      const x = reshape(ds.tensors[0]);
      return [fit ? scaler.fitTransform(x) : scaler.transform(x)];
    });
    return new TensorDataset(xs, ds.tensors[1]);
  };
  const trainP = prep(split.train, true);
  return {
    name,
    train: trainP,
    val: prep(split.val, false),
    test: prep(test, false),
    inputShape,
    classes,
  };
}
