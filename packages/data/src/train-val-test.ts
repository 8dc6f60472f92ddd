/**
 * The preparation `nerve train`, `nerve tune` and the lab give a data set:
 * hold out part of the training split for validation (stratified by label),
 * then standardize all three parts with statistics of the training part
 * only, so nothing about validation or test leaks into the inputs.
 * No file access: this runs in browsers too.
 */
import { NerveError, type Tensor, tidy } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { trainValSplit } from './split.js';
import type { PreprocessorState } from './preprocess.js';
import { Standardize } from './standardize.js';

/** Train, validation and test parts, each a TensorDataset of (x, y). */
export interface TrainValTest {
  /** The part to fit on. */
  train: TensorDataset;
  /** The part to choose hyperparameters and stop on. */
  val: TensorDataset;
  /** The part to report once at the end. */
  test: TensorDataset;
  /**
   * The standardization fitted on the training part (Standardize's
   * stateDict: mode, mean, scale), to prepare new inputs the same way.
   */
  standardize?: PreprocessorState;
}

/** Options of standardizedTrainValTest. */
export interface StandardizedTrainValTestOptions {
  /**
   * Shape of one example as the model takes it (default: as stored). An
   * image shape [C, H, W] is standardized per channel, any other per feature.
   */
  exampleShape?: readonly number[];
  /** Keep only the first `limit` training examples, before the hold-out. */
  limit?: number;
  /**
   * Train on exactly this many examples: a stratified sample of the training
   * part left after the hold-out, the same for every seed, drawn before the
   * statistics are fitted (so they describe what the model sees).
   */
  trainExamples?: number;
  /** Fraction of the training split held out for validation (default 0.1). */
  valFraction?: number;
  /** Seed of the hold-out (default 0). */
  seed?: number;
  /**
   * Hold out class by class, by the int32 labels (default true); false for
   * regression targets, which have no classes.
   */
  stratify?: boolean;
}

/**
 * Holds out `valFraction` of `train` for validation (stratified by the
 * int32 labels `train.tensors[1]`), reshapes every x to [N, ...exampleShape]
 * and standardizes it with statistics fitted on the remaining training
 * part. Takes ownership of `train` and `test` (their tensors are disposed
 * or moved into the result); the caller disposes the three parts returned.
 */
export function standardizedTrainValTest(
  train: TensorDataset,
  test: TensorDataset,
  opts: StandardizedTrainValTestOptions = {},
): TrainValTest {
  const op = 'standardizedTrainValTest';
  for (const [name, ds] of [
    ['train', train],
    ['test', test],
  ] as const) {
    if (!(ds instanceof TensorDataset) || ds.tensors.length !== 2) {
      throw new NerveError(op, `${name} a TensorDataset of (x, y)`, String(ds));
    }
  }
  const { limit, trainExamples, valFraction = 0.1, seed = 0, stratify = true } = opts;
  const perExample = train.tensors[0].shape.slice(1);
  const exampleShape = opts.exampleShape ?? perExample;
  const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);
  if (size(exampleShape) !== size(perExample)) {
    throw new NerveError(
      op,
      `an exampleShape of ${size(perExample)} values (x is [${train.tensors[0].shape.join(',')}])`,
      `[${exampleShape.join(',')}]`,
    );
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) {
    throw new NerveError(op, 'limit a positive integer', String(limit));
  }
  if (trainExamples !== undefined && !(Number.isInteger(trainExamples) && trainExamples > 0)) {
    throw new NerveError(op, 'trainExamples a positive integer', String(trainExamples));
  }
  let source = train;
  if (limit !== undefined && limit < train.length) {
    // Views of the first rows; trainValSplit below copies what it keeps.
    source = new TensorDataset(...train.tensors.map((t) => t.narrow(0, 0, limit)));
  }
  let split: { train: TensorDataset; val: TensorDataset };
  try {
    split = trainValSplit(source, {
      valFraction,
      seed,
      ...(stratify ? { stratify: source.tensors[1] } : {}),
    });
  } finally {
    if (source !== train) source.dispose();
    train.dispose();
  }
  if (trainExamples !== undefined && trainExamples !== split.train.length) {
    if (trainExamples > split.train.length) {
      const n = split.train.length;
      split.train.dispose();
      split.val.dispose();
      test.dispose();
      throw new NerveError(
        op,
        `trainExamples at most ${n} (the training part left after ${valFraction * 100}% is held out for validation)`,
        String(trainExamples),
      );
    }
    const sample = stratifiedSample(split.train, trainExamples);
    split.train.dispose();
    split.train = sample;
  }
  const scaler = new Standardize({
    mode: exampleShape.length === 3 ? 'perChannel' : 'perFeature',
  });
  const prepare = (ds: TensorDataset, fit: boolean): TensorDataset => {
    const [x, y] = ds.tensors;
    const [xs] = tidy((): Tensor[] => {
      const shaped = x.reshape([x.shape[0], ...exampleShape]);
      return [fit ? scaler.fitTransform(shaped) : scaler.transform(shaped)];
    });
    x.dispose();
    return new TensorDataset(xs, y);
  };
  // Fitted on the training part first; validation and test only transformed.
  const trainPart = prepare(split.train, true);
  return {
    train: trainPart,
    val: prepare(split.val, false),
    test: prepare(test, false),
    standardize: scaler.stateDict(),
  };
}

/**
 * Exactly `n` examples of `ds` (≤ its length), stratified by the int32
 * labels `ds.tensors[1]` and the same on every call (seed 0), so runs that
 * differ only in `n` or in the training seed compare like with like. A new
 * dataset of copies; `ds` itself when `n` is its length.
 */
export function stratifiedSample(ds: TensorDataset, n: number): TensorDataset {
  const op = 'stratifiedSample';
  if (!Number.isInteger(n) || n < 1 || n > ds.length) {
    throw new NerveError(op, `n an integer in [1, ${ds.length}]`, String(n));
  }
  if (n === ds.length) return ds;
  // trainValSplit holds out ceil(fraction · length) examples class by class
  // (Hamilton's method); (n − ½)/length makes that exactly n whatever the
  // rounding, and the held-out part is the sample.
  const { train, val } = trainValSplit(ds, {
    valFraction: (n - 0.5) / ds.length,
    seed: 0,
    stratify: ds.tensors[1],
  });
  train.dispose();
  return val;
}

/** Options of digitsTrainValFrom and digitsTrainVal. */
export interface DigitsTrainValOptions {
  /**
   * Give x as images [N, 1, 8, 8] standardized per channel (for CNNs)
   * instead of vectors [N, 64] standardized per pixel (default false).
   */
  image?: boolean;
  /** Keep only the first `limit` training examples, before the hold-out. */
  limit?: number;
  /** Train on exactly this many examples (see StandardizedTrainValTestOptions). */
  trainExamples?: number;
}

/**
 * The UCI digits prepared the way `nerve train` prepares them: an 80/20
 * train/test split stratified by label with seed 0, 10% of train held out
 * for validation (stratified, seed 0), all standardized with the training
 * part's statistics. `digits` is { x [1797, 64], y [1797] } as loadDigits or
 * loadDigitsFromGzip give it, on a backend that reads synchronously (the
 * split is computed on the host); it stays the caller's. The caller disposes
 * the three parts returned.
 */
export function digitsTrainValFrom(
  digits: { x: Tensor; y: Tensor },
  opts: DigitsTrainValOptions = {},
): TrainValTest {
  const op = 'digitsTrainValFrom';
  if (digits === null || typeof digits !== 'object') {
    throw new NerveError(op, 'the digits { x, y }', String(digits));
  }
  const { x, y } = digits;
  const all = new TensorDataset(x, y);
  if (x.rank !== 2 || x.shape[1] !== 64) {
    throw new NerveError(op, 'x of shape [N, 64]', `[${x.shape.join(',')}]`);
  }
  const { train, val: test } = trainValSplit(all, { valFraction: 0.2, seed: 0, stratify: y });
  return standardizedTrainValTest(train, test, {
    exampleShape: opts.image === true ? [1, 8, 8] : [64],
    limit: opts.limit,
    trainExamples: opts.trainExamples,
  });
}
