/**
 * k-fold cross-validation for small data sets (scikit-learn's
 * cross_val_score): each fold trains on k − 1 parts and scores on the held-out
 * one; the mean is the estimate and the spread says how much to trust it.
 */
import { NerveError } from '@nerve/core/base';
import { type TensorDataset, kFold } from '@nerve/data';

/** Options of crossValidate. */
export interface CrossValidateOptions {
  /** Number of folds (default 5). */
  k?: number;
  /** Shuffle before cutting the folds (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

/** Scores per fold, their mean and their sample standard deviation. */
export interface CrossValidateResult {
  /** The score of each fold, in fold order. */
  scores: number[];
  /** Mean of the scores. */
  mean: number;
  /** Sample standard deviation of the scores (n − 1). */
  std: number;
}

/**
 * Calls `evaluateFold` once per fold with fresh train and validation
 * datasets (disposed after the call) and collects the scores it returns.
 */
export async function crossValidate(
  dataset: TensorDataset,
  evaluateFold: (fold: {
    train: TensorDataset;
    val: TensorDataset;
    index: number;
  }) => Promise<number> | number,
  opts: CrossValidateOptions = {},
): Promise<CrossValidateResult> {
  const op = 'crossValidate';
  if (typeof evaluateFold !== 'function')
    throw new NerveError(op, 'evaluateFold a function', String(evaluateFold));
  const { k = 5, shuffle = true, seed = 0 } = opts;
  const folds = kFold(dataset.length, k, { shuffle, seed });
  const scores: number[] = [];
  for (const [index, f] of folds.entries()) {
    const train = dataset.subset(f.trainIndices);
    const val = dataset.subset(f.valIndices);
    try {
      const s = await evaluateFold({ train, val, index });
      if (typeof s !== 'number')
        throw new NerveError(op, `fold ${index} to return a number`, String(s));
      scores.push(s);
    } finally {
      train.dispose();
      val.dispose();
    }
  }
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  const std = Math.sqrt(
    scores.reduce((a, b) => a + (b - mean) ** 2, 0) / Math.max(1, scores.length - 1),
  );
  return { scores, mean, std };
}
