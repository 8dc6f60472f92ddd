/**
 * Train/validation splits and k-fold cross-validation indices, seeded.
 */
import { NerveError, type Tensor } from '@nerve/core';
import { TensorDataset } from './dataset.js';
import { checkSeed, permutation } from './shuffle.js';

/** Options of trainValSplit. */
export interface TrainValSplitOptions {
  /** Fraction of samples for validation, in (0, 1); ⌈valFraction·n⌉ samples (default 0.2). */
  valFraction?: number;
  /** Seed of the shuffle (default 0). */
  seed?: number;
  /** int32 labels [n]: keep each class's share equal in both parts. */
  stratify?: Tensor;
}

/**
 * Splits a dataset into shuffled train and validation parts (scikit-learn's
 * train_test_split). Their tensors are new copies the caller owns.
 */
export function trainValSplit(
  dataset: TensorDataset,
  opts: TrainValSplitOptions = {},
): {
  /** The training part. */
  train: TensorDataset;
  /** The validation part. */
  val: TensorDataset;
} {
  const op = 'trainValSplit';
  if (!(dataset instanceof TensorDataset)) {
    throw new NerveError(op, 'a TensorDataset', String(dataset));
  }
  const { valFraction = 0.2, seed = 0, stratify } = opts;
  checkSeed(op, seed);
  if (typeof valFraction !== 'number' || !(valFraction > 0 && valFraction < 1)) {
    throw new NerveError(op, 'valFraction in (0, 1)', String(valFraction));
  }
  const n = dataset.length;
  const nVal = Math.ceil(valFraction * n);
  if (nVal >= n) {
    throw NerveError.raw(
      op,
      `valFraction ${valFraction} of ${n} samples leaves no training samples`,
    );
  }
  const perm = permutation(n, seed);
  const { trainIdx, valIdx } =
    stratify === undefined ? plainSplit(perm, nVal) : stratifiedSplit(op, perm, nVal, stratify);
  return { train: dataset.subset(trainIdx), val: dataset.subset(valIdx) };
}

function plainSplit(perm: Int32Array, nVal: number) {
  return { valIdx: perm.slice(0, nVal), trainIdx: perm.slice(nVal) };
}

/** Reads and checks int32 class labels [n] ≥ 0 (host copy). */
export function readLabels(op: string, labels: Tensor, n: number): Int32Array {
  if (labels === null || typeof labels !== 'object' || labels.isTensor !== true) {
    throw new NerveError(op, 'stratify an int32 label tensor', String(labels));
  }
  if (labels.dtype !== 'int32' || labels.rank !== 1 || labels.shape[0] !== n) {
    throw new NerveError(
      op,
      `stratify an int32 tensor of shape [${n}]`,
      `${labels.dtype} [${labels.shape.join(',')}]`,
    );
  }
  if (!labels.backend.readSync) {
    throw new NerveError(
      op,
      'stratify labels on a backend that reads synchronously (cpu): the split is computed on the host',
      `labels on '${labels.backend.name}' (copy them with tensor(await labels.data()) on the cpu)`,
    );
  }
  const y = labels.dataSync() as Int32Array;
  for (let i = 0; i < n; i++) {
    if (y[i] < 0) throw new NerveError(op, 'non-negative class labels', `${y[i]} at index ${i}`);
  }
  return y;
}

/**
 * Gives each class ⌊share⌋ validation slots, then hands the remaining slots
 * to the largest remainders (Hamilton's method; ties to the smaller label),
 * and fills them in shuffled order, so both parts keep the class mix.
 */
function stratifiedSplit(op: string, perm: Int32Array, nVal: number, labels: Tensor) {
  const n = perm.length;
  const y = readLabels(op, labels, n);
  let numClasses = 0;
  for (let i = 0; i < n; i++) numClasses = Math.max(numClasses, y[i] + 1);
  const counts = new Array<number>(numClasses).fill(0);
  for (let i = 0; i < n; i++) counts[y[i]]++;
  const quota = counts.map((c) => Math.floor((c * nVal) / n));
  let left = nVal - quota.reduce((a, b) => a + b, 0);
  const byRemainder = counts
    .map((c, k) => ({ k, rem: (c * nVal) % n }))
    .filter(({ k }) => counts[k] > quota[k])
    .sort((a, b) => b.rem - a.rem || a.k - b.k);
  for (const { k } of byRemainder) {
    if (left === 0) break;
    quota[k]++;
    left--;
  }
  const valIdx = new Int32Array(nVal);
  const trainIdx = new Int32Array(n - nVal);
  let v = 0;
  let t = 0;
  for (let i = 0; i < n; i++) {
    const s = perm[i];
    if (quota[y[s]] > 0) {
      quota[y[s]]--;
      valIdx[v++] = s;
    } else {
      trainIdx[t++] = s;
    }
  }
  return { trainIdx, valIdx };
}

/** Options of kFold. */
export interface KFoldOptions {
  /** Shuffle before cutting the folds (default true). */
  shuffle?: boolean;
  /** Seed of the shuffle (default 0). */
  seed?: number;
}

/**
 * k-fold cross-validation indices (scikit-learn's KFold): n samples cut into
 * k folds of ⌊n/k⌋ or ⌊n/k⌋+1, the larger ones first; every sample is in
 * exactly one validation fold. Indices in each array are ascending.
 */
export function kFold(
  n: number,
  k: number,
  opts: KFoldOptions = {},
): {
  /** Indices of the fold's training examples. */
  trainIndices: Int32Array;
  /** Indices of the fold's validation examples. */
  valIndices: Int32Array;
}[] {
  const op = 'kFold';
  const { shuffle = true, seed = 0 } = opts;
  checkSeed(op, seed);
  if (!Number.isInteger(k) || k < 2) throw new NerveError(op, 'k an integer ≥ 2', String(k));
  if (!Number.isInteger(n) || n < k) throw new NerveError(op, `n an integer ≥ k = ${k}`, String(n));
  const order = shuffle ? permutation(n, seed) : Int32Array.from({ length: n }, (_, i) => i);
  const folds: { trainIndices: Int32Array; valIndices: Int32Array }[] = [];
  let start = 0;
  for (let f = 0; f < k; f++) {
    const size = Math.floor(n / k) + (f < n % k ? 1 : 0);
    const inVal = new Uint8Array(n);
    for (let i = start; i < start + size; i++) inVal[order[i]] = 1;
    const valIndices = new Int32Array(size);
    const trainIndices = new Int32Array(n - size);
    let v = 0;
    let t = 0;
    for (let i = 0; i < n; i++) {
      if (inVal[i]) valIndices[v++] = i;
      else trainIndices[t++] = i;
    }
    folds.push({ trainIndices, valIndices });
    start += size;
  }
  return folds;
}
