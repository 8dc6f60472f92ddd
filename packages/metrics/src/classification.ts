/**
 * Classification metrics. Convention: every metric is async (it reads its
 * answer with `await t.data()`, so it works on every backend) and accepts
 * tensors or host arrays. `accuracy` and `topKAccuracy` reduce on the device
 * and read back two numbers, so they are cheap enough for every batch.
 * Ratios whose denominator is 0 are defined as 0 (scikit-learn's
 * `zero_division=0`).
 */
import { NerveError, type Tensor, keep, logicalAnd, logicalOr, stack, tidy } from '@nerve/core';
import {
  type LabelsOrScores,
  type Scores,
  checkSameLength,
  labelTensor,
  scoreTensor,
} from './inputs.js';

const ratio = (a: number, b: number): number => (b === 0 ? 0 : a / b);

/** Reads [correct, invalid, n] computed inside `build` (kept across the await). */
async function readCounts(
  op: string,
  build: () => { correct: Tensor; invalid: Tensor; n: number } | null,
): Promise<number> {
  let n = 0;
  const counts = tidy(() => {
    const r = build();
    if (r === null) return null;
    n = r.n;
    return keep(stack([r.correct, r.invalid]));
  });
  if (counts === null) return 0;
  let correct: number;
  let invalid: number;
  try {
    [correct, invalid] = await counts.data();
  } finally {
    counts.dispose();
  }
  if (invalid > 0) {
    throw NerveError.raw(op, `${invalid} target(s) are not valid class indices`);
  }
  return ratio(correct, n);
}

/** Counts labels outside [0, numClasses) (only the lower bound when C is unknown). */
function invalidCount(labels: Tensor, numClasses: number | null): Tensor {
  let bad = labels.lt(0);
  if (numClasses !== null) bad = logicalOr(bad, labels.ge(numClasses));
  return bad.cast('float32').sum();
}

/**
 * Fraction of predictions equal to the target. `logitsOrPreds`: scores
 * [N, C] (argmax is taken) or int32 class indices [N]; `target`: class
 * indices [N] or probabilities / one-hot [N, C]. 0 for N = 0.
 */
export async function accuracy(
  logitsOrPreds: LabelsOrScores,
  target: LabelsOrScores,
): Promise<number> {
  return readCounts('accuracy', () => {
    const p = labelTensor('accuracy', logitsOrPreds, 'predictions');
    const t = labelTensor('accuracy', target, 'target');
    checkSameLength('accuracy', p.labels, t.labels);
    const n = p.labels.shape[0];
    if (n === 0) return null;
    const correct = p.labels.eq(t.labels).cast('float32').sum();
    return { correct, invalid: invalidCount(t.labels, p.numClasses ?? t.numClasses), n };
  });
}

/**
 * Fraction of rows whose target class is among the k highest scores. Ties
 * favour the target: it counts as in the top k when fewer than k classes
 * score strictly higher (PyTorch's `topk` breaks ties arbitrarily). A NaN
 * target score never counts. 0 for N = 0.
 */
export async function topKAccuracy(
  logits: Scores,
  target: LabelsOrScores,
  k: number,
): Promise<number> {
  if (!Number.isInteger(k) || k < 1) {
    throw new NerveError('topKAccuracy', 'an integer k ≥ 1', String(k));
  }
  return readCounts('topKAccuracy', () => {
    const s = scoreTensor('topKAccuracy', logits, 'logits');
    const t = labelTensor('topKAccuracy', target, 'target');
    checkSameLength('topKAccuracy', s, t.labels);
    const [n, c] = s.shape;
    if (t.numClasses !== null && t.numClasses !== c) {
      throw new NerveError('topKAccuracy', `target scores with ${c} classes`, `${t.numClasses}`);
    }
    if (n === 0) return null;
    // Clamped so that gather never reads outside the row; invalid targets are reported.
    const idx = t.labels.clamp(0, c - 1).reshape([n, 1]);
    const own = s.gather(1, idx);
    const higher = s.gt(own).cast('float32').sum(1);
    const ownFlat = own.reshape([n]);
    const hit = logicalAnd(higher.lt(k), ownFlat.eq(ownFlat));
    return { correct: hit.cast('float32').sum(), invalid: invalidCount(t.labels, c), n };
  });
}

/** int32 class indices as a private, kept copy (survives the caller's tidy and disposals). */
function keptLabels(op: string, x: LabelsOrScores, what: string, numClasses: number): Tensor {
  return tidy(() => {
    const { labels, numClasses: c } = labelTensor(op, x, what);
    if (c !== null && c !== numClasses) {
      throw new NerveError(op, `${what} scores with ${numClasses} classes`, `${c} classes`);
    }
    return keep(labels.clone());
  });
}

/** Reads (and disposes) kept labels, checking them against numClasses. */
async function readLabels(
  op: string,
  t: Tensor,
  what: string,
  numClasses: number,
): Promise<Int32Array> {
  let v: Int32Array;
  try {
    v = (await t.data()) as Int32Array;
  } finally {
    t.dispose();
  }
  for (const c of v) {
    if (c < 0 || c >= numClasses) {
      throw new NerveError(op, `${what} class indices in [0, ${numClasses})`, `the index ${c}`);
    }
  }
  return v;
}

/**
 * counts[i][j] = number of samples of true class i predicted as class j
 * (rows: target, columns: prediction; scikit-learn's and torchmetrics'
 * layout). `preds` may be scores [N, C] (argmax is taken) or indices [N].
 */
export async function confusionMatrix(
  preds: LabelsOrScores,
  target: LabelsOrScores,
  numClasses: number,
): Promise<number[][]> {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw new NerveError('confusionMatrix', 'an integer numClasses ≥ 1', String(numClasses));
  }
  // Both are prepared before the first await, so a caller's tidy may end meanwhile.
  const pt = keptLabels('confusionMatrix', preds, 'predictions', numClasses);
  let tt: Tensor;
  try {
    tt = keptLabels('confusionMatrix', target, 'target', numClasses);
  } catch (e) {
    pt.dispose();
    throw e;
  }
  if (pt.shape[0] !== tt.shape[0]) {
    pt.dispose();
    tt.dispose();
    throw new NerveError(
      'confusionMatrix',
      `as many targets as predictions (${pt.shape[0]})`,
      `${tt.shape[0]} targets`,
    );
  }
  let p: Int32Array;
  try {
    p = await readLabels('confusionMatrix', pt, 'predictions', numClasses);
  } catch (e) {
    tt.dispose();
    throw e;
  }
  const t = await readLabels('confusionMatrix', tt, 'target', numClasses);
  const m = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  for (let i = 0; i < p.length; i++) m[t[i]][p[i]]++;
  return m;
}

/** Per-class and macro-averaged precision, recall and F1. */
export interface PrecisionRecallF1 {
  /** Indexed by class; support is the number of targets of that class. */
  perClass: {
    /** Of the examples predicted as the class, the fraction that are it. */
    precision: number[];
    /** Of the examples of the class, the fraction predicted as it. */
    recall: number[];
    /** Harmonic mean of precision and recall. */
    f1: number[];
    /** Number of targets of the class. */
    support: number[];
  };
  /** Unweighted means over the classes that occur in the targets or the predictions. */
  macro: {
    /** Mean precision over the classes. */
    precision: number;
    /** Mean recall over the classes. */
    recall: number;
    /** Mean F1 over the classes. */
    f1: number;
  };
}

/**
 * Precision tp/(tp+fp), recall tp/(tp+fn), F1 = 2PR/(P+R) from a confusion
 * matrix (rows: target). 0/0 is 0. The macro average skips classes absent
 * from both targets and predictions (scikit-learn's default label set), so a
 * batch that lacks a class is not penalized for it; 0 when no class occurs.
 */
export function precisionRecallF1FromConfusion(
  matrix: readonly (readonly number[])[],
): PrecisionRecallF1 {
  const c = matrix.length;
  if (c === 0 || matrix.some((r) => r.length !== c)) {
    throw new NerveError('precisionRecallF1', 'a square confusion matrix', `${c} rows`);
  }
  const perClass = {
    precision: [] as number[],
    recall: [] as number[],
    f1: [] as number[],
    support: [] as number[],
  };
  const macro = { precision: 0, recall: 0, f1: 0 };
  let present = 0;
  for (let k = 0; k < c; k++) {
    const tp = matrix[k][k];
    let rowSum = 0;
    let colSum = 0;
    for (let j = 0; j < c; j++) {
      rowSum += matrix[k][j];
      colSum += matrix[j][k];
    }
    const precision = ratio(tp, colSum);
    const recall = ratio(tp, rowSum);
    const f1 = ratio(2 * precision * recall, precision + recall);
    perClass.precision.push(precision);
    perClass.recall.push(recall);
    perClass.f1.push(f1);
    perClass.support.push(rowSum);
    if (rowSum + colSum > 0) {
      present++;
      macro.precision += precision;
      macro.recall += recall;
      macro.f1 += f1;
    }
  }
  macro.precision = ratio(macro.precision, present);
  macro.recall = ratio(macro.recall, present);
  macro.f1 = ratio(macro.f1, present);
  return { perClass, macro };
}

/** Precision, recall and F1 per class and macro-averaged (see `precisionRecallF1FromConfusion`). */
export async function precisionRecallF1(
  preds: LabelsOrScores,
  target: LabelsOrScores,
  numClasses: number,
): Promise<PrecisionRecallF1> {
  return precisionRecallF1FromConfusion(await confusionMatrix(preds, target, numClasses));
}
