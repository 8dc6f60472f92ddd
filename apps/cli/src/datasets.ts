/**
 * The data sets `nerve train` knows, loaded and preprocessed the same way
 * for training and evaluation: statistics are fitted on the training split only.
 */
import { statSync } from 'node:fs';
import { NerveError } from '@nerve/core';
import {
  type TensorDataset,
  digitsTrainVal,
  loadFashionMnist,
  makeSpiral,
  standardizedTrainValTest,
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
  if (opts.dataDir !== undefined) checkDataDir(opts.dataDir);
  try {
    return prepareParts(name, opts);
  } catch (e) {
    // Too many --train-examples is the user's request, not a data error.
    const m =
      e instanceof NerveError ? /expected trainExamples (at most .*)$/.exec(e.message) : null;
    if (m === null) throw e;
    throw new UsageError(`--train-examples: expected ${m[1]}`, 'train');
  }
}

function prepareParts(
  name: 'digits' | 'fashion-mnist' | 'spiral',
  opts: { image: boolean; dataDir?: string; limit?: number; trainExamples?: number },
): PreparedData {
  const { limit, trainExamples } = opts;
  if (name === 'digits') {
    const parts = digitsTrainVal({ image: opts.image, limit, trainExamples });
    return { name, ...parts, inputShape: opts.image ? [1, 8, 8] : [64], classes: 10 };
  }
  let train: TensorDataset;
  let test: TensorDataset;
  let shape: number[];
  let classes = 10;
  if (name === 'fashion-mnist') {
    ({ train, test } = loadFashionMnist({ dataDir: opts.dataDir }));
    shape = [1, 28, 28];
  } else {
    const all = makeSpiral({ pointsPerClass: 100, classes: 3, seed: 0 });
    ({ train, val: test } = trainValSplit(all, {
      valFraction: 0.2,
      seed: 0,
      stratify: all.tensors[1],
    }));
    all.dispose();
    shape = [2];
    classes = 3;
  }
  const inputShape = opts.image && shape.length === 3 ? shape : [shape.reduce((a, b) => a * b, 1)];
  // The same hold-out and training-only statistics as the digits get.
  const parts = standardizedTrainValTest(train, test, {
    exampleShape: inputShape,
    limit,
    trainExamples,
  });
  return { name, ...parts, inputShape, classes };
}
