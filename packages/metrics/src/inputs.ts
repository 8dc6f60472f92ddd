/**
 * Normalizes metric inputs: tensors or host arrays, class indices or
 * per-class scores, into int32 label tensors or float score tensors.
 */
import { NerveError, type Tensor, tensor, describeValue } from '@nerve/core';

/** Class indices [N] (int32 or integral floats) or scores [N, C] (logits, probabilities, one-hot). */
export type LabelsOrScores = Tensor | ArrayLike<number> | readonly ArrayLike<number>[];
/** Per-class scores [N, C] (e.g. logits). */
export type Scores = Tensor | readonly ArrayLike<number>[];

function isTensor(x: unknown): x is Tensor {
  return typeof x === 'object' && x !== null && (x as { isTensor?: boolean }).isTensor === true;
}

/** A tensor for `x` (host arrays are uploaded; call inside `tidy`). */
function asTensor(op: string, x: LabelsOrScores, what: string): Tensor {
  if (isTensor(x)) {
    x.assertAlive(op);
    return x;
  }
  if (x === null || typeof x !== 'object' || typeof (x as ArrayLike<number>).length !== 'number') {
    throw new NerveError(op, `${what} as a Tensor or an array`, describeValue(x));
  }
  const arr = x as ArrayLike<unknown>;
  if (arr.length > 0 && typeof arr[0] === 'object' && arr[0] !== null) {
    const rows = Array.from(arr as readonly ArrayLike<number>[], (r) => Array.from(r));
    return tensor(rows);
  }
  const flat = Array.from(arr as ArrayLike<number>);
  for (const v of flat) {
    if (!Number.isInteger(v)) {
      throw new NerveError(op, `${what} as integer class indices`, `the value ${v}`);
    }
  }
  return tensor(Int32Array.from(flat));
}

/**
 * int32 class indices [N]: argmax over axis 1 for scores [N, C], a cast for
 * indices [N]. Also returns C when it is known (scores), else null.
 */
export function labelTensor(
  op: string,
  x: LabelsOrScores,
  what: string,
): { labels: Tensor; numClasses: number | null } {
  const t = asTensor(op, x, what);
  if (t.rank === 2) {
    if (t.shape[1] === 0)
      throw new NerveError(op, `${what} with at least one class`, describeValue(t));
    return {
      labels: t.shape[0] === 0 ? t.sum(1).cast('int32') : t.argmax(1),
      numClasses: t.shape[1],
    };
  }
  if (t.rank === 1) return { labels: t.dtype === 'int32' ? t : t.cast('int32'), numClasses: null };
  throw new NerveError(
    op,
    `${what} of shape [N] (class indices) or [N, C] (scores)`,
    describeValue(t),
  );
}

/** Float scores [N, C]. */
export function scoreTensor(op: string, x: Scores, what: string): Tensor {
  const t = asTensor(op, x, what);
  if (t.rank !== 2) throw new NerveError(op, `${what} of shape [N, C]`, describeValue(t));
  if (t.shape[1] === 0)
    throw new NerveError(op, `${what} with at least one class`, describeValue(t));
  return t.dtype === 'float32' ? t : t.cast('float32');
}

export function checkSameLength(op: string, preds: Tensor, target: Tensor): void {
  if (preds.shape[0] !== target.shape[0]) {
    throw new NerveError(
      op,
      `as many targets as predictions (${preds.shape[0]})`,
      `${target.shape[0]} targets`,
    );
  }
}
